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

    public readonly ushort Identifier => IcmpLayout.Identifier(RestOfHeader);
    public readonly ushort SequenceNumber => IcmpLayout.SequenceNumber(RestOfHeader);

    /// <summary>True for the error messages that quote the offending datagram.</summary>
    public readonly bool QuotesDatagram => Type is DestinationUnreachable or TimeExceeded or 4 or 5 or 12;

    public static IcmpHeader Echo(bool request, ushort identifier, ushort sequence) =>
        new(request ? EchoRequest : EchoReply, 0, IcmpLayout.Echo(identifier, sequence));

    public readonly void WriteFixed(Span<byte> d) => IcmpLayout.Write(d, Type, Code, Checksum, RestOfHeader);

    public static IcmpHeader Read(ReadOnlySpan<byte> s) => new(s[0], s[1], IcmpLayout.Rest(s)) { Checksum = IcmpLayout.Checksum(s) };
}

/// <summary>The 8 bytes ICMP and ICMPv6 share (RFC 4443 §2.1 keeps ICMPv4's layout): type, code, checksum, rest of header.</summary>
internal static class IcmpLayout
{
    public static void Write(Span<byte> d, byte type, byte code, ushort? checksum, uint rest)
    {
        d[0] = type;
        d[1] = code;
        BinaryPrimitives.WriteUInt16BigEndian(d[2..], checksum ?? 0);
        BinaryPrimitives.WriteUInt32BigEndian(d[4..], rest);
    }

    public static ushort Checksum(ReadOnlySpan<byte> s) => BinaryPrimitives.ReadUInt16BigEndian(s[2..]);

    public static uint Rest(ReadOnlySpan<byte> s) => BinaryPrimitives.ReadUInt32BigEndian(s[4..]);

    /// <summary>An echo's rest of header: the identifier in the upper 16 bits, the sequence number in the lower.</summary>
    public static uint Echo(ushort identifier, ushort sequence) => ((uint)identifier << 16) | sequence;

    public static ushort Identifier(uint rest) => (ushort)(rest >> 16);

    public static ushort SequenceNumber(uint rest) => (ushort)rest;
}
