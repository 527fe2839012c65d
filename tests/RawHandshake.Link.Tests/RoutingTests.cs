using RawHandshake.Link;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Link.Tests;

public class RoutingTests
{
    // /proc/net/route as printed on x86: addresses are little-endian hex digits of network-order values.
    private const string SampleTable =
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT\n" +
        "eth0\t00000000\t0100A8C0\t0003\t0\t0\t100\t00000000\t0\t0\t0\n" +
        "eth0\t0000A8C0\t00000000\t0001\t0\t0\t0\t00FFFFFF\t0\t0\t0\n" +
        "wg0\t000010AC\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n" +
        "eth0\t000010AC\t0100A8C0\t0003\t0\t0\t50\t0000FFFF\t0\t0\t0\n" +
        "eth0\t000A10AC\t0100A8C0\t0003\t0\t0\t0\t00FFFFFF\t0\t0\t0\n" +
        "*\t000B10AC\t00000000\t0201\t0\t0\t0\t00FFFFFF\t0\t0\t0\n" +
        "nic9\t00000A0A\t00000000\t0001\t0\t0\t0\t0000FFFF\t0\t0\t0\n";

    private static readonly IReadOnlyList<HostInterface> SampleInterfaces =
    [
        new("lo", 1, true, true, null, 65536, [new InterfaceAddress(IPv4Address.Parse("127.0.0.1"), 8)]),
        new("eth0", 2, true, false, MacAddress.Parse("02:00:00:00:00:01"), 1500,
            [new InterfaceAddress(IPv4Address.Parse("10.9.9.9"), 8), new InterfaceAddress(IPv4Address.Parse("192.168.0.10"), 24)]),
        new("wg0", 3, true, false, null, 1420, [new InterfaceAddress(IPv4Address.Parse("172.16.0.2"), 16)]),
        new("nic9", 4, true, false, null, 1500, []),
    ];

    private static RouteInfo Resolve(string target, string? iface = null, string? source = null) =>
        Routing.Resolve(IPv4Address.Parse(target), iface, source is null ? null : IPv4Address.Parse(source),
            Routing.ParseRouteTable(SampleTable), SampleInterfaces);

    [Fact]
    public void The_route_table_is_parsed_from_little_endian_hex()
    {
        var routes = Routing.ParseRouteTable(SampleTable);
        routes.Count.ShouldBe(7);
        routes[0].ShouldBe(new RouteEntry("eth0", IPv4Address.Any, IPv4Address.Parse("192.168.0.1"), 3, 100, 0));
        routes[1].Destination.ShouldBe(IPv4Address.Parse("192.168.0.0"));
        routes[1].PrefixLength.ShouldBe(24);
        routes[2].PrefixLength.ShouldBe(16);
    }

    [Fact]
    public void On_link_targets_go_direct_and_others_via_the_gateway_with_the_source_on_its_subnet()
    {
        Resolve("192.168.0.77").ShouldBe(new RouteInfo("eth0", IPv4Address.Parse("192.168.0.10"), null,
            IPv4Address.Parse("192.168.0.77"), MacAddress.Parse("02:00:00:00:00:01"), 1500));
        Resolve("8.8.8.8").ShouldBe(new RouteInfo("eth0", IPv4Address.Parse("192.168.0.10"), IPv4Address.Parse("192.168.0.1"),
            IPv4Address.Parse("192.168.0.1"), MacAddress.Parse("02:00:00:00:00:01"), 1500));
    }

    [Fact]
    public void Longest_prefix_wins_then_the_lowest_metric()
    {
        Resolve("172.16.10.5").Gateway.ShouldBe(IPv4Address.Parse("192.168.0.1")); // /24 beats the two /16s
        var r = Resolve("172.16.99.5"); // two /16: wg0 metric 0 beats eth0 metric 50
        r.Interface.ShouldBe("wg0");
        r.Gateway.ShouldBeNull();
        r.Source.ShouldBe(IPv4Address.Parse("172.16.0.2"));
        r.Mtu.ShouldBe(1420);
    }

    [Fact]
    public void Overrides_pin_the_interface_and_the_source()
    {
        var r = Resolve("172.16.99.5", iface: "eth0");
        r.Interface.ShouldBe("eth0");
        r.Gateway.ShouldBe(IPv4Address.Parse("192.168.0.1"));
        Resolve("203.0.113.5", iface: "wg0").ShouldBe(new RouteInfo("wg0", IPv4Address.Parse("172.16.0.2"), null,
            IPv4Address.Parse("203.0.113.5"), null, 1420)); // no route through it: taken as on-link there
        Resolve("192.168.0.77", source: "192.168.0.99").Source.ShouldBe(IPv4Address.Parse("192.168.0.99"));
    }

    [Fact]
    public void Local_and_loopback_targets_go_through_lo()
    {
        Resolve("127.0.0.5").ShouldBe(new RouteInfo("lo", IPv4Address.Parse("127.0.0.1"), null, IPv4Address.Parse("127.0.0.5"), null, 65536));
        var own = Resolve("192.168.0.10");
        own.Interface.ShouldBe("lo");
        own.Source.ShouldBe(IPv4Address.Parse("192.168.0.10"));
    }

    [Fact]
    public void Errors_are_one_line_and_say_what_is_missing()
    {
        var noDefault = Routing.ParseRouteTable(SampleTable).Where(r => r.Mask != 0).ToList();
        Should.Throw<LinkException>(() => Routing.Resolve(IPv4Address.Parse("198.18.9.9"), null, null, noDefault, SampleInterfaces))
            .Message.ShouldBe("no route to 198.18.9.9");
        Should.Throw<LinkException>(() => Resolve("172.16.11.1")).Message.ShouldStartWith("no route to 172.16.11.1");
        Should.Throw<LinkException>(() => Resolve("10.10.3.3")).Message.ShouldBe("interface nic9 has no IPv4 address");
        Should.Throw<LinkException>(() => Resolve("8.8.8.8", iface: "eth7")).Message
            .ShouldBe("unknown interface 'eth7' (available: lo, eth0, wg0, nic9)");
    }

    [Fact]
    public void ParseTarget_takes_IPv4_IPv6_and_names()
    {
        Routing.ParseTarget(" 198.18.0.1 ").ShouldBe(IPv4Address.Parse("198.18.0.1"));
        Routing.ParseTarget("localhost").ShouldBe(IPv4Address.Parse("127.0.0.1"));
        Routing.ParseTarget("::ffff:198.18.0.7").ShouldBe(IPv4Address.Parse("198.18.0.7"));
        Routing.ParseTarget("::1").ShouldBe(IpAddress.Parse("::1"));
        Routing.ParseTarget("[2001:db8::1]").ShouldBe(IpAddress.Parse("2001:db8::1"));
        Should.Throw<LinkException>(() => Routing.ParseTarget("fe80::1%1")).Message.ShouldStartWith("'fe80::1%1': a zone (%interface) is not supported");
        Should.Throw<LinkException>(() => Routing.ParseTarget("no-such-host.invalid")).Message.ShouldBe("cannot resolve host 'no-such-host.invalid'");
    }

    // /proc/net/ipv6_route as a namespace with 2001:db8:1::1/64 on eth0 and a default route via 2001:db8:1::fe shows it.
    private const string SampleTable6 =
        "20010db8000100000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0\n" +
        "00000000000000000000000000000000 00 00000000000000000000000000000000 00 20010db80001000000000000000000fe 00000400 00000001 00000000 00000003     eth0\n" +
        "20010db8000100000000000000000001 80 00000000000000000000000000000000 00 00000000000000000000000000000000 00000000 00000002 00000000 80200001       lo\n" +
        "20010db8000900000000000000000000 40 00000000000000000000000000000000 00 00000000000000000000000000000000 ffffffff 00000001 00000000 00200200       lo\n" +
        "ff000000000000000000000000000000 08 00000000000000000000000000000000 00 00000000000000000000000000000000 00000100 00000001 00000000 00000001     eth0\n";

    private static readonly HostInterface[] Interfaces6 =
    [
        new("lo", 1, true, true, null, 65536, [new InterfaceAddress(IpAddress.Parse("::1"), 128)]),
        new("eth0", 2, true, false, MacAddress.Parse("02:00:00:00:00:01"), 1500,
            [new InterfaceAddress(IPv4Address.Parse("198.18.0.1"), 24), new InterfaceAddress(IpAddress.Parse("fe80::1"), 64), new InterfaceAddress(IpAddress.Parse("2001:db8:1::1"), 64)]),
    ];

    private static RouteInfo Resolve6(string target, string? iface = null, string? source = null) =>
        Routing.Resolve6(IpAddress.Parse(target), iface, source is null ? null : IpAddress.Parse(source), Routing.ParseRoute6Table(SampleTable6), Interfaces6);

    [Fact]
    public void IPv6_routes_on_link_via_the_gateway_rejected_and_local()
    {
        var table = Routing.ParseRoute6Table(SampleTable6);
        table.Count.ShouldBe(5);
        table[1].NextHop.ShouldBe(IpAddress.Parse("2001:db8:1::fe"));

        var onLink = Resolve6("2001:db8:1::10");
        (onLink.Interface, onLink.Source.ToString(), onLink.Gateway, onLink.NextHop.ToString(), onLink.Family).ShouldBe(("eth0", "2001:db8:1::1", (IpAddress?)null, "2001:db8:1::10", IpFamily.V6));

        var routed = Resolve6("2001:db8:2::10");
        (routed.Interface, routed.Source.ToString(), routed.Gateway.ToString(), routed.NextHop.ToString()).ShouldBe(("eth0", "2001:db8:1::1", "2001:db8:1::fe", "2001:db8:1::fe"));

        Resolve6("2001:db8:1::10", source: "2001:db8:1::77").Source.ToString().ShouldBe("2001:db8:1::77");
        Resolve6("2001:db8:1::1").Interface.ShouldBe("lo");
        Should.Throw<LinkException>(() => Resolve6("2001:db8:9::1")).Message.ShouldBe("no route to 2001:db8:9::1 (the route to 2001:db8:9::/64 rejects it)");
    }

    [Fact]
    public void A_source_of_the_other_family_is_refused()
    {
        Should.Throw<LinkException>(() => Routing.Resolve(IpAddress.Parse("2001:db8::10"), null, IpAddress.Parse("198.18.0.1"))).Message
            .ShouldBe("--source 198.18.0.1 and the target 2001:db8::10 are of different address families");
    }

    [Fact]
    [Trait("Category", "Live")]
    public void In_a_namespace_Resolve_picks_interface_source_and_next_hop_from_that_namespace()
    {
        using var net = TestNetwork.Create();
        // This kernel has no dummy driver: a second veth pair with both ends in A plays the second interface.
        var dummy = $"rh{net.Id}d";
        var lan = $"198.19.{net.Subnet}";
        TestNetwork.Batch(net.NsA,
            $"link set {net.IfA} mtu 1400",
            $"route add default via {net.AddrB}",
            $"link add {dummy} type veth peer name rh{net.Id}e",
            $"addr add {lan}.1/24 dev {dummy}",
            $"link set rh{net.Id}e up",
            $"link set {dummy} up",
            $"route add 198.19.7.0/24 via {lan}.254 metric 50",
            $"route add 198.19.7.0/24 via {net.AddrB} metric 10",
            $"route add 198.19.7.128/25 dev {dummy}");

        net.InA(() =>
        {
            var onLink = Routing.Resolve(net.AddrB);
            onLink.ShouldBe(new RouteInfo(net.IfA, net.AddrA, null, net.AddrB, net.MacA, 1400));

            var viaDefault = Routing.Resolve(IPv4Address.Parse("198.19.200.7"));
            viaDefault.Interface.ShouldBe(net.IfA);
            viaDefault.Gateway.ShouldBe(net.AddrB);
            viaDefault.NextHop.ShouldBe(net.AddrB);
            viaDefault.Source.ShouldBe(net.AddrA);

            Routing.Resolve(IPv4Address.Parse("198.19.7.5")).Gateway.ShouldBe(net.AddrB); // metric 10 beats 50
            var longer = Routing.Resolve(IPv4Address.Parse("198.19.7.200")); // the /25 beats both /24s
            longer.Interface.ShouldBe(dummy);
            longer.Gateway.ShouldBeNull();
            longer.Source.ShouldBe(IPv4Address.Parse($"{lan}.1"));

            var pinned = Routing.Resolve(IPv4Address.Parse("198.19.200.7"), dummy, IPv4Address.Parse("198.18.0.77"));
            pinned.Interface.ShouldBe(dummy);
            pinned.Source.ShouldBe(IPv4Address.Parse("198.18.0.77"));
            pinned.NextHop.ShouldBe(IPv4Address.Parse("198.19.200.7"));

            Routing.Resolve(net.AddrA).Interface.ShouldBe("lo");

            // /proc/net is /proc/self/net: the main thread's namespace. Routing reads /proc/thread-self/net/route.
            Routing.ReadRouteTable().ShouldContain(r => r.Interface == net.IfA);
            File.ReadAllText("/proc/net/route").ShouldNotContain(net.IfA);
        });
    }

    [Fact]
    [Trait("Category", "Live")]
    public void In_a_namespace_without_a_default_route_errors_name_the_target_or_the_interface()
    {
        using var net = TestNetwork.Create();
        var bare = $"rh{net.Id}n";
        TestNetwork.Batch(net.NsB,
            $"link add {bare} type veth peer name rh{net.Id}m",
            $"link set rh{net.Id}m up",
            $"link set {bare} up",
            $"route add 198.19.66.0/24 dev {bare}");
        net.InB(() =>
        {
            Should.Throw<LinkException>(() => Routing.Resolve(IPv4Address.Parse("198.18.9.9"))).Message.ShouldBe("no route to 198.18.9.9");
            Should.Throw<LinkException>(() => Routing.Resolve(IPv4Address.Parse("198.19.66.1"))).Message
                .ShouldBe($"interface {bare} has no IPv4 address");
            var unknown = Should.Throw<LinkException>(() => Routing.Resolve(net.AddrA, "nosuch0", null)).Message;
            unknown.ShouldStartWith("unknown interface 'nosuch0' (available: ");
            unknown.ShouldContain(net.IfB);
        });
    }
}
