using RawHandshake.Session.Tests.Support;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Session.Tests;

/// <summary>The path MTU of an IPv6 flow (RFC 8201): its 40-byte header counts, and a packet too big (ICMP's
/// fragmentation needed to the session) never takes it below IPv6's minimum MTU of 1280.</summary>
public class PathMtu6Tests
{
    private static readonly FlowKey Flow6 = new(IPv6Address.Parse("2001:db8::1"), 40000, IPv6Address.Parse("2001:db8:2::10"), 80);

    private static Lab WithDataInFlight(int? linkMtu = null)
    {
        var lab = new Lab(configure: c => c with { Flow = Flow6, PathMtu = linkMtu }).Established(mss: 1440);
        lab.Send(Enumerable.Range(0, 3000).Select(i => (byte)i).ToArray());
        lab.Take();
        lab.Events();
        return lab;
    }

    [Fact]
    public void A_1500_byte_link_takes_1440_bytes_of_payload_over_ipv6_not_1460()
    {
        var lab = new Lab(configure: c => c with { Flow = Flow6, PathMtu = 1500 }).Established(mss: 1460);
        lab.Session.SegmentPayloadLimit(lab.Now).ShouldBe(1440);
    }

    [Fact]
    public void Packet_too_big_lowers_the_path_mtu_by_the_ipv6_header_and_never_below_1280()
    {
        var lab = WithDataInFlight();
        lab.Session.OnIcmpError(3, 4, lab.C(1), 1300, 1500, "ICMPv6 packet too big (MTU 1300)", lab.Now, lab.Out);
        lab.Session.PathMtu.ShouldBe(1300);
        lab.Session.SegmentPayloadLimit(lab.Now).ShouldBe(1240);
        lab.Take().ShouldAllBe(s => s.Kind == SegmentKind.Retransmission && s.Payload.Length <= 1240);
        lab.Events().OfType<IcmpReported>().ShouldHaveSingleItem().Text.ShouldBe(
            "ICMPv6 packet too big (MTU 1300): the path MTU is now 1300 (RFC 8201); segments carry at most 1240 bytes with their options");

        // An MTU below IPv6's minimum (forged, or from a broken router) stops at 1280, not at IPv4's 552.
        lab.Session.OnIcmpError(3, 4, lab.C(1), 600, 1300, "ICMPv6 packet too big (MTU 600)", lab.Now, lab.Out);
        lab.Session.PathMtu.ShouldBe(1280);
        lab.Session.SegmentPayloadLimit(lab.Now).ShouldBe(1220);
    }
}
