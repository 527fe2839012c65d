using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Wire.Parsing;

/// <summary>The datagram an ICMP error quotes: its IPv4 header and, when enough bytes are quoted, ports and TCP sequence.</summary>
public readonly record struct IcmpQuote(IPv4Header Ip, int Offset, ushort? SourcePort, ushort? DestinationPort, SeqNum? TcpSeq)
{
    /// <summary>The sequence number of the echo request quoted, when the quote is one and reaches it.</summary>
    public ushort? EchoSequence { get; init; }
}

/// <summary>
/// The packet an ICMPv6 error quotes: its IPv6 header, the upper-layer protocol after its extension headers (null when
/// the quote ends inside them) and, when enough bytes are quoted, ports and TCP sequence.
/// </summary>
public readonly record struct Icmpv6Quote(IPv6Header Ip, int Offset, byte? Protocol, ushort? SourcePort, ushort? DestinationPort, SeqNum? TcpSeq)
{
    /// <summary>The sequence number of the echo request quoted, when the quote is one and reaches it.</summary>
    public ushort? EchoSequence { get; init; }
}
