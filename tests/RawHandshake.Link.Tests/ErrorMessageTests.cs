using RawHandshake.Link;
using RawHandshake.Wire.Capture;
using SharpPcap;

namespace RawHandshake.Link.Tests;

public class ErrorMessageTests
{
    [Fact]
    [Trait("Category", "Live")]
    public void Unknown_interface_lists_what_is_available()
    {
        using var net = TestNetwork.Create();
        var message = Should.Throw<LinkException>(() => net.InA(() => LiveLink.Open("nosuch0", null))).Message;
        message.ShouldStartWith("unknown interface 'nosuch0' (available: ");
        message.ShouldContain("lo");
        message.ShouldContain(net.IfA);
        message.ShouldNotContain("\n");
    }

    [Fact]
    [Trait("Category", "Live")]
    public void A_bad_capture_filter_quotes_the_filter_and_libpcaps_reason()
    {
        using var net = TestNetwork.Create();
        Should.Throw<LinkException>(() => net.InA(() => LiveLink.Open(net.IfA, "tcp and (")))
            .Message.ShouldBe("bad capture filter 'tcp and (': can't parse filter expression: syntax error");
    }

    [Fact]
    [Trait("Category", "Live")]
    public void A_down_interface_says_so()
    {
        using var net = TestNetwork.Create();
        TestNetwork.Ip(net.NsA, "link", "set", net.IfA, "down");
        Should.Throw<LinkException>(() => net.InA(() => LiveLink.Open(net.IfA, null).Dispose()))
            .Message.ShouldBe($"interface {net.IfA} is down (ip link set {net.IfA} up)");
    }

    [Fact]
    public void A_missing_libpcap_is_named_plainly_not_as_wpcap()
    {
        var raw = new DllNotFoundException("Unable to load shared library 'wpcap' or one of its dependencies.");
        LinkErrors.IsLibpcapMissing(raw).ShouldBeTrue();
        LinkErrors.IsLibpcapMissing(new TypeInitializationException("SharpPcap.LibPcap.LibPcapSafeNativeMethods", raw)).ShouldBeTrue();
        LinkErrors.IsLibpcapMissing(new InvalidOperationException("x")).ShouldBeFalse();
        LinkErrors.LibpcapMissing.ShouldBe("libpcap not found: install libpcap0.8 (apt-get install libpcap0.8)");
    }

    [Fact]
    public void Pcap_open_errors_map_to_one_line_messages()
    {
        LiveLink.OpenFailure("eth9", PcapError.PermissionDenied, "Unable to activate the adapter (eth9).")
            .ShouldBe("capturing on eth9 needs root or CAP_NET_RAW");
        LiveLink.OpenFailure("eth9", PcapError.InterfaceNotUp, "x")
            .ShouldBe("interface eth9 is down (ip link set eth9 up)");
        LiveLink.OpenFailure("eth9", PcapError.Generic, "Unable to activate\nthe adapter")
            .ShouldBe("cannot open eth9: Unable to activate the adapter");
    }

    [Fact]
    public void Link_types_and_timeouts_convert_safely()
    {
        LiveLink.MapLinkType(1).ShouldBe(LinkType.Ethernet);
        LiveLink.MapLinkType(12).ShouldBe(LinkType.Raw);
        LiveLink.MapLinkType(113).ShouldBe(LinkType.LinuxSll);
        LiveLink.TimeoutMs(TimeSpan.FromTicks(1)).ShouldBe(1); // rounds up: never a zero-timeout spin
        LiveLink.TimeoutMs(TimeSpan.FromMilliseconds(-5)).ShouldBe(0);
        LiveLink.TimeoutMs(TimeSpan.FromDays(100)).ShouldBe(int.MaxValue);
        LiveLink.ToMac([0, 0, 0, 0, 0, 0]).ShouldBeNull();
    }
}
