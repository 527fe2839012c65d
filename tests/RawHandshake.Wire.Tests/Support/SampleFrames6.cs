using RawHandshake.Wire.Building;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Wire.Tests.Support;

/// <summary>Hand-built IPv6 sample frames of each kind the parser decodes (2001:db8::/32, RFC 3849).</summary>
internal static class SampleFrames6
{
    public static readonly IPv6Address Client = IPv6Address.Parse("2001:db8::77");
    public static readonly IPv6Address Server = IPv6Address.Parse("2001:db8::1");
    public static readonly IPv6Address Router = IPv6Address.Parse("2001:db8:0:1::fe");
    public static readonly IPv6Address ClientLinkLocal = IPv6Address.Parse("fe80::1ff:fe00:1");
    public static readonly IPv6Address RouterLinkLocal = IPv6Address.Parse("fe80::ff:fe00:2");

    public static IPv6Header Ip(IPv6Address src, IPv6Address dst) => new() { Source = src, Destination = dst, FlowLabel = 0x12345 };

    private static byte[] Frame(int capacity, Func<byte[], int> build)
    {
        var buf = new byte[capacity];
        return buf[..build(buf)];
    }

    private static EthernetHeader ToServer => new(SampleFrames.ServerMac, SampleFrames.ClientMac);

    private static EthernetHeader ToClient => new(SampleFrames.ClientMac, SampleFrames.ServerMac);

    public static byte[] Syn(IPv6Header? ip = null)
    {
        Span<byte> o = stackalloc byte[40];
        var n = TcpOptionLayout.Write(o, new TcpOptionSet(1440, 7, true, (0x0A0B0C0D, 0)));
        var opts = o[..n].ToArray();
        var tcp = new TcpHeader(40000, 8080, new SeqNum(0xFFFFFFF0), default, TcpFlags.Syn, 64800);
        var header = ip ?? Ip(Client, Server);
        return Frame(200 + header.ExtensionsLength, b => FrameBuilder.BuildTcp(b, ToServer, header, tcp, opts, default));
    }

    /// <summary>A data segment behind hop-by-hop (router alert) and destination options headers.</summary>
    public static byte[] DataWithExtensions()
    {
        var ip = Ip(Client, Server) with
        {
            TrafficClass = 0xB8,
            Extensions =
            [
                IPv6ExtensionHeader.Options(IPv6ExtensionHeader.HopByHop, new byte[] { 5, 2, 0, 0 }),
                IPv6ExtensionHeader.Options(IPv6ExtensionHeader.DestinationOptions, new byte[] { 0x1e, 2, 0xAB, 0xCD, 0x1e, 1, 0x55 }),
            ],
        };
        var tcp = new TcpHeader(40000, 8080, new SeqNum(1), new SeqNum(2), TcpFlags.Psh | TcpFlags.Ack, 502);
        var payload = "GET / HTTP/1.0\r\n\r\n"u8.ToArray();
        return Frame(300, b => FrameBuilder.BuildTcp(b, ToServer, ip, tcp, default, payload));
    }

    /// <summary>A SYN through a type-0 routing header with one segment left (the pseudo-header uses the final destination).</summary>
    public static byte[] SynViaRoutingHeader() =>
        Syn(Ip(Client, Router) with { Extensions = [IPv6ExtensionHeader.RoutingHeader(0, 1, [Server])] });

    public static byte[] Udp(byte[] data) =>
        Frame(200 + data.Length, b => FrameBuilder.BuildUdp(b, ToServer, Ip(Client, Server), new UdpFields(5353, 53), data));

    /// <summary>The first and second fragments of a UDP datagram of 64 bytes of data (split after 32 bytes of UDP).</summary>
    public static (byte[] First, byte[] Second) UdpFragments()
    {
        var whole = Udp([.. Enumerable.Range(0, 64).Select(i => (byte)i)]);
        var udp = whole.AsSpan(14 + 40).ToArray(); // 72 bytes
        var first = Frame(200, b => FrameBuilder.BuildIPv6(b, ToServer, Ip(Client, Server) with { Extensions = [IPv6ExtensionHeader.FragmentHeader(0, true, 0xCAFE)] }, 17, udp.AsSpan(0, 32)));
        var second = Frame(200, b => FrameBuilder.BuildIPv6(b, ToServer, Ip(Client, Server) with { Extensions = [IPv6ExtensionHeader.FragmentHeader(4, false, 0xCAFE)] }, 17, udp.AsSpan(32)));
        return (first, second);
    }

    public static byte[] EchoRequest() =>
        Frame(200, b => FrameBuilder.BuildIcmpv6(b, ToServer, Ip(Client, Server), Icmpv6Header.Echo(true, 0x1234, 1), [.. Enumerable.Range(0, 56).Select(i => (byte)i)]));

    public static byte[] EchoReply() =>
        Frame(200, b => FrameBuilder.BuildIcmpv6(b, ToClient, Ip(Server, Client), Icmpv6Header.Echo(false, 0x1234, 1), [.. Enumerable.Range(0, 56).Select(i => (byte)i)]));

    /// <summary>An ICMPv6 error from <paramref name="from"/> quoting the client's SYN (as much as fits 1280 bytes).</summary>
    public static byte[] ErrorQuotingSyn(byte type, byte code, uint rest, IPv6Address from)
    {
        var quote = Syn().AsSpan(14).ToArray();
        return Frame(400, b => FrameBuilder.BuildIcmpv6(b, ToClient, Ip(from, Client) with { HopLimit = 255 }, new Icmpv6Header(type, code, rest), quote));
    }

    public static byte[] NeighborSolicitation() => Frame(200, b => FrameBuilder.BuildNeighborSolicitation(b, SampleFrames.ClientMac, ClientLinkLocal, RouterLinkLocal));

    public static byte[] NeighborAdvertisement() =>
        Frame(200, b => FrameBuilder.BuildNeighborAdvertisement(b, SampleFrames.ServerMac, RouterLinkLocal, SampleFrames.ClientMac, ClientLinkLocal, RouterLinkLocal, solicited: true, router: true));

    public static byte[] RouterSolicitation() => Frame(200, b => FrameBuilder.BuildRouterSolicitation(b, SampleFrames.ClientMac, ClientLinkLocal));

    public static byte[] RouterAdvertisement()
    {
        Span<byte> body = stackalloc byte[128];
        var n = NdpWriter.RouterAdvertisement(body, 0, 0, SampleFrames.ServerMac, 1500, [new NdpPrefix(IPv6Address.Parse("2001:db8::"), 64, true, true, 86400, 14400)]);
        var bytes = body[..n].ToArray();
        var icmp = new Icmpv6Header(Icmpv6Header.RouterAdvertisement, 0, NdpWriter.AdvertisementWord(64, false, true, 1800));
        var ip = Ip(RouterLinkLocal, IPv6Address.AllNodes) with { HopLimit = 255, FlowLabel = 0 };
        return Frame(300, b => FrameBuilder.BuildIcmpv6(b, new EthernetHeader(IPv6Address.AllNodes.MulticastMac, SampleFrames.ServerMac), ip, icmp, bytes));
    }

    public static IEnumerable<(string Name, byte[] Frame)> All()
    {
        yield return ("v6 SYN", Syn());
        yield return ("v6 data with HBH and DSTOPT", DataWithExtensions());
        yield return ("v6 SYN via routing header", SynViaRoutingHeader());
        yield return ("v6 UDP", Udp([1, 2, 3]));
        var (first, second) = UdpFragments();
        yield return ("v6 first fragment", first);
        yield return ("v6 second fragment", second);
        yield return ("v6 echo request", EchoRequest());
        yield return ("v6 echo reply", EchoReply());
        yield return ("v6 port unreachable", ErrorQuotingSyn(Icmpv6Header.DestinationUnreachable, 4, 0, Server));
        yield return ("v6 packet too big", ErrorQuotingSyn(Icmpv6Header.PacketTooBig, 0, 1280, Router));
        yield return ("v6 time exceeded", ErrorQuotingSyn(Icmpv6Header.TimeExceeded, 0, 0, Router));
        yield return ("v6 NS", NeighborSolicitation());
        yield return ("v6 NA", NeighborAdvertisement());
        yield return ("v6 RS", RouterSolicitation());
        yield return ("v6 RA", RouterAdvertisement());
    }
}
