using System.Buffers.Binary;

namespace RawHandshake.Wire.Protocols;

/// <summary>
/// An ICMPv4 header (RFC 792): type, code, checksum (computed when null) and the 4-byte rest of header (identifier and
/// sequence for echo, next-hop MTU for fragmentation needed, unused otherwise).
/// </summary>
public record struct IcmpHeader(byte Type, byte Code, uint RestOfHeader)
{
    public const int HeaderLength = 8;
    public const byte EchoReply = 0;
    public const byte DestinationUnreachable = 3;
    public const byte EchoRequest = 8;
    public const byte TimeExceeded = 11;

    public ushort? Checksum { get; set; }

    public readonly ushort Identifier => (ushort)(RestOfHeader >> 16);
    public readonly ushort SequenceNumber => (ushort)RestOfHeader;

    /// <summary>True for the error messages that quote the offending datagram.</summary>
    public readonly bool QuotesDatagram => Type is DestinationUnreachable or TimeExceeded or 4 or 5 or 12;

    public static IcmpHeader Echo(bool request, ushort identifier, ushort sequence) =>
        new(request ? EchoRequest : EchoReply, 0, ((uint)identifier << 16) | sequence);

    public readonly void WriteFixed(Span<byte> d)
    {
        d[0] = Type;
        d[1] = Code;
        BinaryPrimitives.WriteUInt16BigEndian(d[2..], Checksum ?? 0);
        BinaryPrimitives.WriteUInt32BigEndian(d[4..], RestOfHeader);
    }

    public static IcmpHeader Read(ReadOnlySpan<byte> s) =>
        new(s[0], s[1], BinaryPrimitives.ReadUInt32BigEndian(s[4..])) { Checksum = BinaryPrimitives.ReadUInt16BigEndian(s[2..]) };
}
