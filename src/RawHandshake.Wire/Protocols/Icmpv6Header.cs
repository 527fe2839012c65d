namespace RawHandshake.Wire.Protocols;

/// <summary>
/// An ICMPv6 header (RFC 4443): type, code, checksum (computed over the IPv6 pseudo-header when null) and the 4-byte
/// rest of header (identifier and sequence for echo, MTU for packet too big, pointer for parameter problem, flags for
/// neighbour discovery).
/// </summary>
public record struct Icmpv6Header(byte Type, byte Code, uint RestOfHeader)
{
    public const int HeaderLength = 8;
    public const byte DestinationUnreachable = 1;
    public const byte PacketTooBig = 2;
    public const byte TimeExceeded = 3;
    public const byte ParameterProblem = 4;
    public const byte EchoRequest = 128;
    public const byte EchoReply = 129;
    public const byte RouterSolicitation = 133;
    public const byte RouterAdvertisement = 134;
    public const byte NeighborSolicitation = 135;
    public const byte NeighborAdvertisement = 136;
    public const byte Redirect = 137;

    public ushort? Checksum { get; set; }

    public readonly ushort Identifier => IcmpLayout.Identifier(RestOfHeader);
    public readonly ushort SequenceNumber => IcmpLayout.SequenceNumber(RestOfHeader);

    /// <summary>True for the error messages (types 1 to 4) that quote the offending packet.</summary>
    public readonly bool QuotesDatagram => Type is >= DestinationUnreachable and <= ParameterProblem;

    /// <summary>True for the neighbour discovery messages (RFC 4861: RS, RA, NS, NA, redirect).</summary>
    public readonly bool IsNdp => Type is >= RouterSolicitation and <= Redirect;

    public static Icmpv6Header Echo(bool request, ushort identifier, ushort sequence) =>
        new(request ? EchoRequest : EchoReply, 0, IcmpLayout.Echo(identifier, sequence));

    public readonly void WriteFixed(Span<byte> d) => IcmpLayout.Write(d, Type, Code, Checksum, RestOfHeader);

    public static Icmpv6Header Read(ReadOnlySpan<byte> s) => new(s[0], s[1], IcmpLayout.Rest(s)) { Checksum = IcmpLayout.Checksum(s) };
}
