using RawHandshake.Engine.Net;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Tests;

public class Icmpv6ErrorsTests
{
    [Theory]
    [InlineData(1, 0, 3, 0, "ICMPv6 destination unreachable (no route to destination)")]
    [InlineData(1, 1, 3, 13, "ICMPv6 destination unreachable (administratively prohibited)")]
    [InlineData(1, 3, 3, 1, "ICMPv6 destination unreachable (address unreachable)")]
    [InlineData(1, 4, 3, 3, "ICMPv6 destination unreachable (port unreachable)")]
    [InlineData(3, 0, 11, 0, "ICMPv6 time exceeded (hop limit exceeded in transit)")]
    public void ErrorsMapToTheirIcmpMeaning(byte type, byte code, byte v4Type, byte v4Code, string text)
    {
        var icmp = new Icmpv6Header(type, code, 0);
        Icmpv6Errors.TryAsIcmpv4(icmp, out var t, out var c, out var mtu).ShouldBeTrue();
        (t, c, mtu).ShouldBe((v4Type, v4Code, (int?)null));
        Icmpv6Errors.Describe(icmp).ShouldBe(text);
    }

    [Fact]
    public void PacketTooBigIsFragmentationNeededWithItsMtu()
    {
        var icmp = new Icmpv6Header(Icmpv6Header.PacketTooBig, 0, 1280);
        Icmpv6Errors.TryAsIcmpv4(icmp, out var t, out var c, out var mtu).ShouldBeTrue();
        (t, c, mtu).ShouldBe(((byte)3, (byte)4, (int?)1280));
        Icmpv6Errors.Describe(icmp).ShouldBe("ICMPv6 packet too big (MTU 1280)");
    }

    [Theory]
    [InlineData(4)]   // parameter problem: not reported to TCP
    [InlineData(128)] // echo request
    [InlineData(135)] // neighbour solicitation
    public void OtherMessagesAreNoErrorForTcp(byte type) =>
        Icmpv6Errors.TryAsIcmpv4(new Icmpv6Header(type, 0, 0), out _, out _, out _).ShouldBeFalse();
}
