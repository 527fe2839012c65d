using RawHandshake.Link;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Link.Tests;

public class InterfaceListTests
{
    [Fact]
    [Trait("Category", "Live")]
    public void Lists_the_namespaces_devices_like_tcpdump_D()
    {
        using var net = TestNetwork.Create();
        var list = net.InA(InterfaceList.List);

        list.Select(i => i.Index).ShouldBe(Enumerable.Range(1, list.Count));
        var veth = list.Single(i => i.Name == net.IfA);
        veth.Up.ShouldBeTrue();
        veth.Running.ShouldBeTrue();
        veth.Loopback.ShouldBeFalse();
        veth.Mac.ShouldBe(net.MacA);
        veth.Addresses.ShouldBe([new InterfaceAddress(net.AddrA, 24)]);
        veth.Mtu.ShouldBe(1500);
        veth.ToString().ShouldBe($"{veth.Index}.{net.IfA} [Up, Running, Connected] {net.MacA} {net.AddrA}/24 mtu 1500");

        var lo = list.Single(i => i.Name == "lo");
        lo.Loopback.ShouldBeTrue();
        lo.Addresses.ShouldContain(new InterfaceAddress(IPv4Address.Parse("127.0.0.1"), 8));
        lo.FlagsText.ShouldBe("Up, Running, Loopback");

        list.ShouldContain(i => i.Name == "any" && i.Description != null);
        list.ShouldNotContain(i => i.Name == net.IfB); // B's end lives in the other namespace
    }

    [Fact]
    public void InterfaceAddress_knows_its_subnet()
    {
        var a = new InterfaceAddress(IPv4Address.Parse("198.18.5.1"), 24);
        a.Network.ShouldBe(IPv4Address.Parse("198.18.5.0"));
        a.Contains(IPv4Address.Parse("198.18.5.200")).ShouldBeTrue();
        a.Contains(IPv4Address.Parse("198.18.6.1")).ShouldBeFalse();
        new InterfaceAddress(IPv4Address.Parse("10.0.0.1"), 0).Contains(IPv4Address.Parse("8.8.8.8")).ShouldBeTrue();
        a.ToString().ShouldBe("198.18.5.1/24");
        InterfaceAddress.PrefixFromMask(0xFFFFFF80).ShouldBe(25);
    }
}
