using RawHandshake.Session.Tests.Support;
using RawHandshake.Wire.Protocols;
using static RawHandshake.Session.Tests.Support.Lab;

namespace RawHandshake.Session.Tests;

public class SendTests
{
    private static byte[] Bytes(int n, int seed = 1) => Enumerable.Range(0, n).Select(i => (byte)((i * 31) + seed)).ToArray();

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Push_A_then_AB_relative_seq_1_then_2_server_ack_2_then_4(uint clientIsn, uint serverIsn)
    {
        var lab = new Lab(clientIsn, serverIsn, LinuxMinRto).Established();

        lab.Send("A");
        lab.ExpectOne(TcpFlags.Psh | TcpFlags.Ack, lab.C(1), lab.S(1), 64240, payload: "A"u8.ToArray(), kind: SegmentKind.Normal);
        lab.ExpectDeadline(lab.Now + Ms(200), "retransmission timer for 'A': the handshake's sample (0 ms) puts the RTO at the 200 ms floor");

        lab.Advance(Ms(20));
        lab.Deliver(lab.Server.Ack(2));
        lab.ExpectNothing("a pure ACK of our data is not answered");
        Single<DataAcknowledged>(lab.Events()).ShouldBe(new DataAcknowledged(1, 1));
        lab.ExpectDeadline(null, "everything acknowledged");

        lab.Send("AB");
        lab.ExpectOne(TcpFlags.Psh | TcpFlags.Ack, lab.C(2), lab.S(1), 64240, payload: "AB"u8.ToArray());
        lab.ExpectDeadline(lab.Now + Ms(200), "RFC 6298 after samples of 0 (the handshake) and 20 ms: SRTT + 4·RTTVAR = 22.5 ms, at least 200 ms");

        lab.Advance(Ms(20));
        lab.Deliver(lab.Server.Ack(4));
        Single<DataAcknowledged>(lab.Events()).ShouldBe(new DataAcknowledged(2, 3));
        lab.Session.AcknowledgedCount.ShouldBe(3);
        lab.Session.SndUna.ShouldBe(lab.C(4));
        lab.ExpectDeadline(null);
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Data_is_cut_to_the_peer_mss_with_psh_only_on_the_last_segment(uint clientIsn, uint serverIsn)
    {
        var lab = new Lab(clientIsn, serverIsn).Established(mss: 536);
        var data = Bytes(2000);

        lab.Send(data);

        var s = lab.ExpectCount(4);
        lab.Check(s[0], TcpFlags.Ack, lab.C(1), lab.S(1), 64240, payload: data[..536]);
        lab.Check(s[1], TcpFlags.Ack, lab.C(537), lab.S(1), 64240, payload: data[536..1072]);
        lab.Check(s[2], TcpFlags.Ack, lab.C(1073), lab.S(1), 64240, payload: data[1072..1608]);
        lab.Check(s[3], TcpFlags.Psh | TcpFlags.Ack, lab.C(1609), lab.S(1), 64240, payload: data[1608..]);
        lab.ExpectDeadline(lab.Now + TimeSpan.FromSeconds(1), "one retransmission timer for the flight");
        lab.Session.SndNxt.ShouldBe(lab.C(2001));

        lab.Deliver(lab.Server.Ack(2001));
        Single<DataAcknowledged>(lab.Events()).ShouldBe(new DataAcknowledged(2000, 2000));
        lab.ExpectDeadline(null);
    }

    [Fact]
    public void Each_write_ends_with_psh_even_when_written_while_a_flight_is_out()
    {
        var lab = new Lab().Established(mss: 536);
        lab.Send(Bytes(600));
        var s = lab.ExpectCount(2);
        lab.Check(s[0], TcpFlags.Ack, lab.C(1), lab.S(1), 64240, len: 536);
        lab.Check(s[1], TcpFlags.Psh | TcpFlags.Ack, lab.C(537), lab.S(1), 64240, len: 64);
        lab.Send(Bytes(10));
        lab.ExpectOne(TcpFlags.Psh | TcpFlags.Ack, lab.C(601), lab.S(1), 64240, len: 10);
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Never_more_in_flight_than_the_scaled_peer_window_and_the_syn_ack_window_is_not_scaled(uint clientIsn, uint serverIsn)
    {
        // The SYN-ACK says window 1000 with WS 2: that 1000 is bytes, not 4000. Later ACKs say 250 << 2 = 1000.
        var lab = new Lab(clientIsn, serverIsn, c => c with { WindowScale = 7 }).Established(mss: 536, ws: 2, window: 1000);
        lab.Session.PeerWindow.ShouldBe(1000u);
        var data = Bytes(2000);

        lab.Send(data);
        var s = lab.ExpectCount(2, "1000 bytes of window: 536 + 464");
        lab.Check(s[0], TcpFlags.Ack, lab.C(1), lab.S(1), 502, payload: data[..536]);
        lab.Check(s[1], TcpFlags.Ack, lab.C(537), lab.S(1), 502, payload: data[536..1000]);
        InFlightWithinWindow(lab);

        lab.Advance(Ms(10));
        lab.Deliver(lab.Server.Ack(537, window: 250));
        lab.Session.PeerWindow.ShouldBe(1000u);
        lab.ExpectOne(TcpFlags.Ack, lab.C(1001), lab.S(1), 502, payload: data[1000..1536]);
        InFlightWithinWindow(lab);

        lab.Advance(Ms(10));
        lab.Deliver(lab.Server.Ack(1001, window: 250));
        lab.ExpectOne(TcpFlags.Psh | TcpFlags.Ack, lab.C(1537), lab.S(1), 502, payload: data[1536..], because: "536 in flight of a 1000-byte window: 464 of room, exactly what is left");
        InFlightWithinWindow(lab);

        lab.Deliver(lab.Server.Ack(2001, window: 250));
        lab.ExpectNothing();
        lab.ExpectDeadline(null);
    }

    [Fact]
    public void Window_room_is_filled_exactly_and_the_rest_waits_for_the_window_to_slide()
    {
        var lab = new Lab(configure: c => c with { WindowScale = 7 }).Established(mss: 536, ws: 2, window: 1000);
        var data = Bytes(2000);
        lab.Send(data);
        lab.ExpectCount(2);

        lab.Deliver(lab.Server.Ack(1001, window: 250)); // all acked, window 1000 again
        var s = lab.ExpectCount(2);
        lab.Check(s[0], TcpFlags.Ack, lab.C(1001), lab.S(1), 502, payload: data[1000..1536]);
        lab.Check(s[1], TcpFlags.Psh | TcpFlags.Ack, lab.C(1537), lab.S(1), 502, payload: data[1536..]);
        InFlightWithinWindow(lab);

        lab.Deliver(lab.Server.Ack(2001, window: 250));
        lab.ExpectDeadline(null);
        lab.Session.AcknowledgedCount.ShouldBe(2000);
    }

    [Fact]
    public void A_window_smaller_than_the_mss_sends_window_sized_segments()
    {
        var lab = new Lab().Established(mss: 1460, window: 100);
        lab.Send(Bytes(250));
        lab.ExpectOne(TcpFlags.Ack, lab.C(1), lab.S(1), 64240, len: 100);
        lab.Deliver(lab.Server.Ack(101, window: 100));
        lab.ExpectOne(TcpFlags.Ack, lab.C(101), lab.S(1), 64240, len: 100);
        lab.Deliver(lab.Server.Ack(201, window: 100));
        lab.ExpectOne(TcpFlags.Psh | TcpFlags.Ack, lab.C(201), lab.S(1), 64240, len: 50);
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Zero_window_persist_probe_after_rto_at_snd_una_minus_one_then_resume(uint clientIsn, uint serverIsn)
    {
        var lab = new Lab(clientIsn, serverIsn, LinuxMinRto).Established(mss: 536, window: 1000);
        var data = Bytes(1500);
        lab.Send(data);
        lab.ExpectCount(2);

        lab.Advance(Ms(30));
        var t0 = lab.Now;
        lab.Deliver(lab.Server.Ack(1001, window: 0));
        lab.ExpectNothing("the window is shut: nothing may go out");
        lab.Events().OfType<ZeroWindow>().ShouldNotBeEmpty();
        lab.ExpectDeadline(t0 + Ms(200), "persist timer, one RTO (the 30 ms RTT sample gives RFC 6298's RTO, at least 200 ms)");

        lab.FireTimer();
        lab.ExpectOne(TcpFlags.Ack, lab.C(1000), lab.S(1), 64240, kind: SegmentKind.WindowProbe, because: "probe at SND.UNA-1");
        lab.ExpectDeadline(t0 + Ms(600), "persist timer backed off to 400 ms");

        lab.FireTimer();
        lab.ExpectOne(TcpFlags.Ack, lab.C(1000), lab.S(1), 64240, kind: SegmentKind.WindowProbe);
        lab.ExpectDeadline(t0 + Ms(1400), "persist timer backed off to 800 ms");

        lab.Advance(Ms(5));
        lab.Deliver(lab.Server.Ack(1001, window: 1000)); // the answer to the probe opens the window
        lab.ExpectOne(TcpFlags.Psh | TcpFlags.Ack, lab.C(1001), lab.S(1), 64240, payload: data[1000..]);
        lab.Session.NextDeadline.ShouldNotBeNull("the data's retransmission timer replaces the persist timer");

        lab.Deliver(lab.Server.Ack(1501));
        lab.ExpectDeadline(null);
        lab.Session.AcknowledgedCount.ShouldBe(1500);
    }

    [Fact]
    public void Zero_window_in_the_syn_ack_blocks_data_until_a_window_update()
    {
        var lab = new Lab().Established(window: 0);
        lab.Send("x");
        lab.ExpectNothing();
        lab.ExpectDeadline(lab.Now + TimeSpan.FromSeconds(1), "persist timer");
        lab.FireTimer();
        lab.ExpectOne(TcpFlags.Ack, lab.C(0), lab.S(1), 64240, kind: SegmentKind.WindowProbe);
        lab.Deliver(lab.Server.Ack(1, window: 10));
        lab.ExpectOne(TcpFlags.Psh | TcpFlags.Ack, lab.C(1), lab.S(1), 64240, payload: "x"u8.ToArray());
    }

    [Fact]
    public void After_the_window_reopens_the_retransmission_timer_uses_the_base_rto_not_the_persist_backoff()
    {
        // Persist backoff is the persist timer's own (Linux: icsk_backoff is cleared when the window opens,
        // tcp_ack_probe); RTO only backs off when a retransmission timer expires (RFC 6298 §5.5).
        var lab = new Lab(configure: LinuxMinRto).Established(mss: 536, window: 536);
        lab.Send(Bytes(1000));
        lab.ExpectCount(1);
        lab.Deliver(lab.Server.Ack(537, window: 0));
        lab.FireTimer();
        lab.FireTimer();
        lab.FireTimer(); // three probes: the persist interval is now 1.6 s
        lab.Take();

        lab.Deliver(lab.Server.Ack(537, window: 1000));
        lab.ExpectOne(TcpFlags.Psh | TcpFlags.Ack, lab.C(537), lab.S(1), 64240, len: 464);
        lab.ExpectDeadline(lab.Now + Ms(200), "retransmission timer for the new data at the RTO of the RTT estimate (200 ms minimum)");
    }

    [Fact]
    public void A_closing_window_raises_one_zero_window_event()
    {
        var lab = new Lab().Established(mss: 536, window: 536);
        lab.Send(Bytes(1000));
        lab.Take();
        lab.Events();
        lab.Deliver(lab.Server.Ack(537, window: 0));
        Single<ZeroWindow>(lab.Events()).ShouldBe(new ZeroWindow(true));
    }

    [Fact]
    public void Retransmission_never_sends_beyond_snd_nxt_or_the_peer_window()
    {
        // Window 100, MSS 1460: 100 bytes are in flight and 200 wait for the window. The retransmission must
        // resend those 100 bytes, not 300 bytes past SND.NXT and the window (an ACK of them would then be
        // "an ACK of something not yet sent" and be dropped).
        var lab = new Lab().Established(mss: 1460, window: 100);
        lab.Send(Bytes(300));
        lab.ExpectOne(TcpFlags.Ack, lab.C(1), lab.S(1), 64240, len: 100);
        lab.FireTimer();
        var rtx = lab.Take().ShouldHaveSingleItem();
        rtx.Seq.ShouldBe(lab.C(1));
        rtx.Kind.ShouldBe(SegmentKind.Retransmission);
        if (rtx.Payload.Length != 100)
        {
            throw new ShouldAssertException($"expected the 100 bytes in flight again, saw {lab.Describe(rtx)}: past SND.NXT=C+101 and the 100-byte window");
        }
    }

    [Fact]
    public void Send_after_close_throws()
    {
        var lab = new Lab().Established();
        lab.Close();
        Should.Throw<InvalidOperationException>(() => lab.Session.Send("x"u8, lab.Now, lab.Out));
    }

    private static void InFlightWithinWindow(Lab lab)
    {
        var inFlight = (uint)(lab.Session.SndNxt - lab.Session.SndUna);
        if (inFlight > lab.Session.PeerWindow)
        {
            throw new ShouldAssertException($"{inFlight} bytes in flight, the peer's window is {lab.Session.PeerWindow}");
        }
    }
}
