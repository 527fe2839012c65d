using RawHandshake.Wire.Building;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Probe;

/// <summary>
/// The IP layer of a probe's own frames, in either family: IPv4 with DF and an ID, or IPv6 with the TTL as hop limit and
/// the ID's place taken by the flow label (IPv6 has no ID and no DF: routers never fragment it, RFC 8200 §5).
/// </summary>
/// <param name="Source">Our address.</param>
/// <param name="Destination">The host probed; its family is the frame's.</param>
/// <param name="Ttl">IPv4 TTL or IPv6 hop limit.</param>
/// <param name="Id">IPv4 identification; on IPv6 the low 16 bits of the flow label.</param>
public readonly record struct ProbeIp(IpAddress Source, IpAddress Destination, byte Ttl, ushort Id)
{
    /// <summary>What the IP header takes of a TCP segment's MSS: 20 bytes for IPv4, 40 for IPv6 (the TCP header adds 20 more).</summary>
    public static int HeaderLength(IpAddress destination) => destination.IsV6 ? IPv6Header.Length : IPv4Header.MinLength;

    /// <summary>Ethernet + IP + TCP (with <paramref name="options"/>) + payload, everything computed.</summary>
    public int BuildTcp(Span<byte> buffer, in EthernetHeader eth, in TcpHeader tcp, ReadOnlySpan<byte> options, ReadOnlySpan<byte> payload)
    {
        var e = eth with { EtherType = null };
        return Destination.IsV6
            ? FrameBuilder.BuildTcp(buffer, e, V6(), tcp, options, payload)
            : FrameBuilder.BuildTcp(buffer, e, V4(), tcp, options, payload);
    }

    /// <summary>Ethernet + IP + an empty UDP datagram from <paramref name="sourcePort"/> to <paramref name="port"/>.</summary>
    public int BuildUdp(Span<byte> buffer, in EthernetHeader eth, ushort sourcePort, ushort port)
    {
        var e = eth with { EtherType = null };
        var udp = new UdpFields(sourcePort, port);
        return Destination.IsV6
            ? FrameBuilder.BuildUdp(buffer, e, V6(), udp, default)
            : FrameBuilder.BuildUdp(buffer, e, V4(), udp, default);
    }

    private IPv4Header V4() => new() { Source = Source.V4, Destination = Destination.V4, Ttl = Ttl, Id = Id, DontFragment = true };

    private IPv6Header V6() => new() { Source = Source.V6Address, Destination = Destination.V6Address, HopLimit = Ttl, FlowLabel = Id };
}
