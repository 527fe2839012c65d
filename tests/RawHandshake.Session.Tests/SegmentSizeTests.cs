using RawHandshake.Session.Tests.Support;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Session.Tests;

/// <summary>
/// Issue 9 §1: a segment's payload is the smaller of the peer's MSS and what the path takes, less the option bytes that
/// segment carries (RFC 9293 §3.7.1, RFC 6691), so that no frame is ever longer than the link allows.
/// </summary>
public class SegmentSizeTests
{
    private static byte[] Bytes(int n) => Enumerable.Range(0, n).Select(i => (byte)(i * 7)).ToArray();

    /// <summary>The IP packet a segment makes: 20 bytes of IPv4, 20 of TCP, its options (as laid out on the wire), its payload.</summary>
    private static int PacketLength(Sent s)
    {
        Span<byte> options = stackalloc byte[40];
        var n = s.Options.IsEmpty && s.Sack is null ? 0 : TcpOptionLayout.Write(options, s.Options, s.Sack);
        return 20 + 20 + n + s.Payload.Length;
    }

    [Theory]
    [InlineData(1460, 1500, false, 1460)]
    [InlineData(1460, 1500, true, 1448)]   // timestamps: 12 bytes of options in every segment
    [InlineData(1460, 1400, false, 1360)]  // a smaller path than the peer's MSS
    [InlineData(1460, 1400, true, 1348)]
    [InlineData(536, 1500, true, 524)]     // the peer's MSS is smaller than the path
    [InlineData(9000, 1500, true, 1448)]   // a peer MSS above the link's: the link decides
    public void Segments_leave_room_for_their_options_and_never_exceed_the_path(int peerMss, int mtu, bool ts, int expectedPayload)
    {
        var lab = new Lab(configure: c => c with { PathMtu = mtu, Timestamps = ts }).Established(mss: (ushort)peerMss, ts: ts);
        lab.Session.SegmentPayloadLimit(lab.Now).ShouldBe(expectedPayload);

        lab.Send(Bytes(5_000));
        var sent = lab.Take();
        sent.ShouldNotBeEmpty();
        sent.ShouldAllBe(s => PacketLength(s) <= mtu);
        sent[0].Payload.Length.ShouldBe(expectedPayload);
        sent.Sum(s => s.Payload.Length).ShouldBe(5_000);

        // The retransmission after a timeout is cut the same way.
        lab.FireTimer();
        var again = lab.Take().Where(s => s.Kind == SegmentKind.Retransmission).ToList();
        again.ShouldNotBeEmpty();
        again.ShouldAllBe(s => PacketLength(s) <= mtu && s.Payload.Length <= expectedPayload);
    }

    [Fact]
    public void Without_a_known_path_the_peers_mss_less_the_options_decides()
    {
        var lab = new Lab(configure: c => c with { Timestamps = true }).Established(ts: true);
        lab.Session.PathMtu.ShouldBeNull();
        lab.Session.SegmentPayloadLimit(lab.Now).ShouldBe(1448);
    }

    [Theory]
    [InlineData(false, 1500, 1460)]
    [InlineData(true, 1500, 1440)]   // IPv6's fixed header is 40 bytes, not 20 (RFC 8200 §8.3)
    [InlineData(false, 1400, 1360)]  // a route with a smaller MTU
    [InlineData(true, 1280, 1220)]   // IPv6's minimum MTU
    [InlineData(false, 65536, 1460)] // loopback: capped at an Ethernet link's, as the tool always offered
    [InlineData(true, 9000, 1440)]
    public void The_MSS_we_offer_by_default_is_what_a_full_packet_of_the_route_carries_for_its_family(bool v6, int routeMtu, int expected) =>
        SessionConfig.DefaultMss(v6 ? Wire.Primitives.IpFamily.V6 : Wire.Primitives.IpFamily.V4, routeMtu).ShouldBe((ushort)expected);
}
