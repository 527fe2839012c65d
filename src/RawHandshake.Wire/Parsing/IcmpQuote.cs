using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Wire.Parsing;

/// <summary>The datagram an ICMP error quotes: its IPv4 header and, when enough bytes are quoted, ports and TCP sequence.</summary>
public readonly record struct IcmpQuote(IPv4Header Ip, int Offset, ushort? SourcePort, ushort? DestinationPort, SeqNum? TcpSeq);
