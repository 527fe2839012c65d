using System.Buffers.Binary;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Wire.Protocols;

/// <summary>
/// A TCP header (RFC 9293 §3.1) without its options, which travel as bytes beside it (see <see cref="TcpOptionWriter"/>).
/// <see cref="DataOffset"/> and <see cref="Checksum"/> are computed when null and sent exactly as set otherwise.
/// </summary>
public record struct TcpHeader(ushort SourcePort, ushort DestinationPort, SeqNum Seq, SeqNum Ack, TcpFlags Flags, ushort Window)
{
    public const int MinLength = 20;

    /// <summary>Header length in 32-bit words (5 to 15).</summary>
    public byte? DataOffset { get; set; }

    /// <summary>The three reserved bits between the data offset and the NS bit.</summary>
    public byte Reserved { get; set; }
    public ushort? Checksum { get; set; }
    public ushort Urgent { get; set; }

    public readonly bool Has(TcpFlags f) => (Flags & f) == f;

    /// <summary>Writes the 20 fixed bytes; the checksum field is written as set, or zero for the builder to fill.</summary>
    public readonly void WriteFixed(Span<byte> d, int optionsLength)
    {
        BinaryPrimitives.WriteUInt16BigEndian(d, SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(d[2..], DestinationPort);
        BinaryPrimitives.WriteUInt32BigEndian(d[4..], Seq.Value);
        BinaryPrimitives.WriteUInt32BigEndian(d[8..], Ack.Value);
        var offset = DataOffset ?? (byte)((MinLength + optionsLength) / 4);
        BinaryPrimitives.WriteUInt16BigEndian(d[12..], (ushort)((offset << 12) | ((Reserved & 7) << 9) | ((ushort)Flags & 0x1FF)));
        BinaryPrimitives.WriteUInt16BigEndian(d[14..], Window);
        BinaryPrimitives.WriteUInt16BigEndian(d[16..], Checksum ?? 0);
        BinaryPrimitives.WriteUInt16BigEndian(d[18..], Urgent);
    }

    public static TcpHeader ReadFixed(ReadOnlySpan<byte> s)
    {
        var word = BinaryPrimitives.ReadUInt16BigEndian(s[12..]);
        return new TcpHeader(
            BinaryPrimitives.ReadUInt16BigEndian(s),
            BinaryPrimitives.ReadUInt16BigEndian(s[2..]),
            new SeqNum(BinaryPrimitives.ReadUInt32BigEndian(s[4..])),
            new SeqNum(BinaryPrimitives.ReadUInt32BigEndian(s[8..])),
            (TcpFlags)(word & 0x1FF),
            BinaryPrimitives.ReadUInt16BigEndian(s[14..]))
        {
            DataOffset = (byte)(word >> 12),
            Reserved = (byte)((word >> 9) & 7),
            Checksum = BinaryPrimitives.ReadUInt16BigEndian(s[16..]),
            Urgent = BinaryPrimitives.ReadUInt16BigEndian(s[18..]),
        };
    }
}
