using RawHandshake.Session.Tests.Support;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;
using static RawHandshake.Session.Tests.Support.Lab;

namespace RawHandshake.Session.Tests;

/// <summary>
/// Issue 9 §3 in virtual time: RTT samples, the congestion window, fast retransmit on three duplicate ACKs, SACK
/// recovery, and every retransmission with its reason. Over ISNs across the wrap.
/// </summary>
public class LossRecoveryTests
{
    private static byte[] Bytes(int n) => Enumerable.Range(0, n).Select(i => (byte)(i * 13)).ToArray();

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void The_first_flight_is_ten_segments_and_slow_start_doubles_it(uint clientIsn, uint serverIsn)
    {
        var lab = new Lab(clientIsn, serverIsn).Established(mss: 1000);
        lab.Send(Bytes(40_000));
        var first = lab.Take();
        first.Count.ShouldBe(10, "RFC 6928's initial window: a full window is not burst into the path");
        first.Sum(s => s.Payload.Length).ShouldBe(10_000);

        lab.Advance(Ms(10));
        foreach (var i in Enumerable.Range(1, 10))
        {
            lab.Deliver(lab.Server.Ack(1 + (i * 1000)));
        }

        lab.Take().Count.ShouldBe(20, "slow start: one more segment per segment acknowledged");
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Three_duplicate_acks_retransmit_the_first_segment_at_once(uint clientIsn, uint serverIsn)
    {
        var lab = new Lab(clientIsn, serverIsn).Established(mss: 1000);
        var data = Bytes(10_000);
        lab.Send(data);
        lab.Take().Count.ShouldBe(10);
        lab.Advance(Ms(10));

        lab.Deliver(lab.Server.Ack(1));
        lab.Deliver(lab.Server.Ack(1));
        lab.ExpectNothing("two duplicate ACKs are not yet a loss");
        lab.Deliver(lab.Server.Ack(1));
        lab.ExpectOne(TcpFlags.Psh | TcpFlags.Ack, lab.C(1), lab.S(1), 64240, payload: data[..1000], kind: SegmentKind.Retransmission);
        lab.Events().OfType<Retransmitting>().ShouldHaveSingleItem().Reason.ShouldBe("fast retransmit: 3 duplicate ACKs");
        lab.Now.ShouldBe(Ms(10), "no timeout waited for");

        // NewReno: the ACK of the retransmission covers only part of the flight: the next hole goes at once too.
        lab.Deliver(lab.Server.Ack(2001));
        var next = lab.Take().Where(s => s.Kind == SegmentKind.Retransmission).ToList();
        next.ShouldHaveSingleItem().Seq.ShouldBe(lab.C(2001));

        lab.Deliver(lab.Server.Ack(10_001));
        lab.ExpectDeadline(null, "everything acknowledged");
        lab.Session.AcknowledgedCount.ShouldBe(10_000);
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Sack_blocks_send_only_the_holes_again(uint clientIsn, uint serverIsn)
    {
        var lab = new Lab(clientIsn, serverIsn, c => c with { SackPermitted = true }).Established(mss: 1000, sack: true);
        var data = Bytes(10_000);
        lab.Send(data);
        lab.Take().Count.ShouldBe(10);
        lab.Advance(Ms(10));

        // Segments 2 and 5 (bytes 1001-2000 and 4001-5000) were lost; the server SACKs the rest as it arrives.
        lab.Deliver(lab.Server.SackAck(1001, (2001, 3001)));
        lab.Deliver(lab.Server.SackAck(1001, (2001, 4001)));
        lab.ExpectNothing();
        lab.Deliver(lab.Server.SackAck(1001, (5001, 6001), (2001, 4001)));
        lab.ExpectOne(TcpFlags.Psh | TcpFlags.Ack, lab.C(1001), lab.S(1), 64240, payload: data[1000..2000], kind: SegmentKind.Retransmission, because: "three segments SACKed above the first hole");

        // cwnd is half the flight now (5 segments) and 5 are in the pipe: the next hole waits until one more leaves it.
        lab.Deliver(lab.Server.SackAck(1001, (5001, 7001), (2001, 4001)));
        lab.ExpectOne(TcpFlags.Psh | TcpFlags.Ack, lab.C(4001), lab.S(1), 64240, payload: data[4000..5000], kind: SegmentKind.Retransmission, because: "the second hole, nothing SACKed");
        lab.Events().OfType<Retransmitting>().ShouldAllBe(r => r.Reason == "SACK recovery: the server holds data beyond this hole");

        lab.Deliver(lab.Server.SackAck(4001, (5001, 10_001)));
        lab.Deliver(lab.Server.Ack(10_001));
        lab.Take().ShouldNotContain(s => s.Kind == SegmentKind.Retransmission && s.Seq != lab.C(4001), "the SACKed data never goes again");
        lab.Session.AcknowledgedCount.ShouldBe(10_000);
    }

    [Fact]
    public void A_lost_tail_is_found_by_a_probe_after_two_round_trips_not_by_the_timeout()
    {
        // RFC 8985 §7: with SACK, the last segment goes again after 2·SRTT; its SACK shows the holes, which go at once.
        var lab = new Lab(configure: c => c with { SackPermitted = true, MinRto = Ms(200) }).Established(mss: 1000, sack: true, rtt: Ms(50));
        lab.Send("a");
        lab.Take();
        lab.Advance(Ms(50));
        lab.Deliver(lab.Server.Ack(2)); // SRTT 50 ms (the handshake's and this): RTO 200 ms, probe after 100 ms
        var data = Bytes(3000);
        lab.Send(data);
        lab.Take().Count.ShouldBe(3);
        lab.ExpectDeadline(lab.Now + Ms(100), "the probe comes before the RTO");

        lab.FireTimer();
        lab.ExpectOne(TcpFlags.Psh | TcpFlags.Ack, lab.C(2002), lab.S(1), 64240, payload: data[2000..], kind: SegmentKind.Retransmission);
        lab.Events().OfType<Retransmitting>().ShouldHaveSingleItem().Reason!.ShouldStartWith("tail loss probe (RFC 8985)");

        lab.Advance(Ms(50));
        lab.Deliver(lab.Server.SackAck(2, (2002, 3002)));
        var holes = lab.Take();
        holes.Select(h => h.Seq).ShouldBe([lab.C(2), lab.C(1002)]);
        holes.ShouldAllBe(h => h.Kind == SegmentKind.Retransmission);
        lab.Now.ShouldBe(Ms(250), "recovered in four round trips after the handshake's, before the first RTO would have fired");
    }

    [Fact]
    public void Timeouts_against_a_closed_window_end_their_backoff_when_it_opens()
    {
        // A slow server closes its window with our data in flight: our timeouts back off; when the window opens they
        // were no loss, and the data is timed afresh (a lost window update then costs one RTO, not a backed-off one).
        var lab = new Lab().Established(mss: 1000);
        lab.Send(Bytes(1000));
        lab.Take();
        lab.Deliver(lab.Server.Ack(1, window: 0));
        lab.FireTimer();
        lab.FireTimer();
        lab.Take().Count.ShouldBe(2);
        lab.ExpectDeadline(lab.Now + TimeSpan.FromSeconds(4), "backed off twice");
        lab.Deliver(lab.Server.Ack(1, window: 65535));
        lab.ExpectDeadline(lab.Now + TimeSpan.FromSeconds(1), "the window opened: the backoff ends");
    }

    [Fact]
    public void An_rtt_sample_sets_the_timeout_and_a_retransmitted_segment_gives_none()
    {
        var lab = new Lab(configure: LinuxMinRto).Established(mss: 1000);
        lab.Send("a");
        lab.Take();
        lab.Advance(Ms(50));
        lab.Deliver(lab.Server.Ack(2));
        lab.Session.Send("b"u8, lab.Now, lab.Out);
        lab.Take();
        lab.ExpectDeadline(lab.Now + Ms(200), "50 ms: SRTT + 4·RTTVAR = 150 ms, the 200 ms floor");

        lab.FireTimer();
        lab.Take().ShouldHaveSingleItem().Kind.ShouldBe(SegmentKind.Retransmission);
        lab.Advance(Ms(900));
        lab.Deliver(lab.Server.Ack(3)); // after 1.1 s: ambiguous (Karn), not a sample
        lab.Session.Send("c"u8, lab.Now, lab.Out);
        lab.Take();
        lab.ExpectDeadline(lab.Now + Ms(200), "the backoff ends, the estimate stays");
    }

    [Fact]
    public void Data_whose_ack_lies_far_below_snd_una_is_discarded()
    {
        // Issue 9 §4: in-sequence data with Ack = SND.NXT − 2^30 was accepted ("helloEVIL"); RFC 5961 §5.2 drops it.
        var lab = new Lab().Established();
        lab.Send("hello");
        lab.Take();
        lab.Deliver(lab.Server.Data("hello", ackRel: 6));
        lab.Take();
        lab.Events();
        lab.Deliver(lab.Server.Raw(TcpFlags.Psh | TcpFlags.Ack, lab.S(6), lab.C(6) - (1 << 30), payload: "EVIL"u8.ToArray()));
        lab.ExpectOne(TcpFlags.Ack, lab.C(6), lab.S(6), 64240, kind: SegmentKind.ChallengeAck);
        lab.Session.Received.ToArray().ShouldBe("hello"u8.ToArray());
        lab.Events().OfType<SessionNote>().ShouldHaveSingleItem().Text.ShouldContain("unacceptable ACK");
    }
}

/// <summary>Issue 9 §4: ICMP errors as RFC 1122 and 5927 want them, quoting what we sent or not.</summary>
public class IcmpErrorTests
{
    private const string Host = "ICMP Destination unreachable (Host unreachable) from 10.0.0.254";
    private const string Port = "ICMP Destination unreachable (Port unreachable) from 10.0.0.254";

    private static Lab WithDataInFlight()
    {
        var lab = new Lab().Established(mss: 1460);
        lab.Send(Enumerable.Range(0, 3000).Select(i => (byte)i).ToArray());
        lab.Take();
        lab.Events();
        return lab;
    }

    [Theory]
    [InlineData(3, 0)]
    [InlineData(3, 1)]
    [InlineData(3, 5)]
    [InlineData(11, 0)]
    public void A_soft_error_is_reported_and_the_session_goes_on(byte type, byte code)
    {
        var lab = WithDataInFlight();
        lab.Session.OnIcmpError(type, code, lab.C(1), null, 1500, "ICMP x", lab.Now, lab.Out);
        lab.ExpectNothing();
        lab.Session.State.ShouldBe(TcpState.Established);
        lab.Events().OfType<IcmpReported>().ShouldHaveSingleItem().Text.ShouldContain("soft error");
    }

    [Fact]
    public void A_hard_error_quoting_data_in_flight_ends_the_session_and_resets_the_server()
    {
        var lab = WithDataInFlight();
        lab.Session.OnIcmpError(3, 3, lab.C(1461), null, 1500, Port, lab.Now, lab.Out);
        lab.ExpectOne(TcpFlags.Rst | TcpFlags.Ack, lab.C(3001), lab.S(1), 0, kind: SegmentKind.Reset);
        var failed = lab.Events().OfType<SessionFailed>().ShouldHaveSingleItem();
        failed.Kind.ShouldBe(FailureKind.Unreachable);
        failed.Reason.ShouldBe(Port);
    }

    [Theory]
    [InlineData(-1)]    // below SND.UNA: stale
    [InlineData(3002)]  // beyond SND.NXT: never sent
    [InlineData(1 << 30)]
    public void An_error_quoting_a_sequence_number_we_have_not_in_flight_is_ignored(int rel)
    {
        var lab = WithDataInFlight();
        lab.Session.OnIcmpError(3, 3, lab.C(1) + rel, null, 1500, Port, lab.Now, lab.Out);
        lab.ExpectNothing();
        lab.Session.State.ShouldBe(TcpState.Established);
        lab.Events().OfType<IcmpReported>().ShouldHaveSingleItem().Text.ShouldContain("stale or forged, ignored");
    }

    [Fact]
    public void Fragmentation_needed_lowers_the_path_mtu_and_sends_the_data_again_smaller()
    {
        var lab = WithDataInFlight();
        lab.Session.OnIcmpError(3, 4, lab.C(1), 1000, 1500, "ICMP frag", lab.Now, lab.Out);
        lab.Session.PathMtu.ShouldBe(1000);
        lab.Session.State.ShouldBe(TcpState.Established);
        var again = lab.Take();
        again.ShouldNotBeEmpty();
        again.ShouldAllBe(s => s.Kind == SegmentKind.Retransmission && s.Payload.Length <= 960);
        again[0].Seq.ShouldBe(lab.C(1));
        lab.Events().OfType<Retransmitting>().First().Reason.ShouldBe("the path MTU fell to 1000: sent again in smaller segments");

        // A larger next-hop MTU, or an absurdly small one, never raises it or drops below Linux's 552.
        lab.Session.OnIcmpError(3, 4, lab.C(1), 1400, 1500, "ICMP frag", lab.Now, lab.Out);
        lab.Session.PathMtu.ShouldBe(1000);
        lab.Session.OnIcmpError(3, 4, lab.C(1), 68, 1000, "ICMP frag", lab.Now, lab.Out);
        lab.Session.PathMtu.ShouldBe(552);
    }

    [Fact]
    public void Host_unreachable_quoting_our_syn_ends_the_attempt_as_on_linux()
    {
        var lab = new Lab().Connect();
        lab.Take();
        lab.Session.OnIcmpError(3, 1, lab.C(0), null, 60, Host, lab.Now, lab.Out);
        lab.Events().OfType<SessionFailed>().ShouldHaveSingleItem().Reason.ShouldBe(Host);
    }
}

/// <summary>Issue 10 §1: a connection we reset stays reset, whatever arrives and whatever is lost.</summary>
public class ResetAnsweringTests
{
    [Fact]
    public void A_challenge_ack_to_our_rst_is_answered_with_a_rst_at_its_acknowledgment_number()
    {
        // Data in flight: our RST carries SND.NXT, the server's RCV.NXT is lower; Linux answers with a challenge ACK.
        var lab = new Lab().Established(mss: 1000);
        lab.Send(new byte[3000]);
        lab.Take();
        lab.Deliver(lab.Server.Ack(1001));
        lab.Take();
        lab.Session.GiveUp(FailureKind.Deadline, "time limit", lab.Now, lab.Out);
        lab.ExpectOne(TcpFlags.Rst | TcpFlags.Ack, lab.C(3001), lab.S(1), 0, kind: SegmentKind.Reset);

        lab.Deliver(lab.Server.Ack(1001));
        lab.ExpectOne(TcpFlags.Rst, lab.C(1001), new SeqNum(0), 0, kind: SegmentKind.Reset, because: "RFC 5961 §3.2: RST at the challenge ACK's ack number");
        lab.Advance(Ms(200));
        lab.ExpectOne(TcpFlags.Rst | TcpFlags.Ack, lab.C(1001), lab.S(1), 0, kind: SegmentKind.Reset, because: "the repeat uses the number the server gave");
    }

    [Fact]
    public void A_rst_that_may_be_lost_goes_again_at_snd_una_and_snd_nxt_then_the_session_is_quiet()
    {
        var lab = new Lab().Established(mss: 1000);
        lab.Send(new byte[2000]);
        lab.Take();
        lab.Session.GiveUp(FailureKind.Interrupted, "interrupted", lab.Now, lab.Out);
        lab.ExpectOne(TcpFlags.Rst | TcpFlags.Ack, lab.C(2001), lab.S(1), 0, kind: SegmentKind.Reset);
        lab.Advance(Ms(200));
        lab.ExpectOne(TcpFlags.Rst | TcpFlags.Ack, lab.C(1), lab.S(1), 0, kind: SegmentKind.Reset, because: "the server may not have our data: SND.UNA");
        lab.Advance(Ms(200));
        lab.ExpectOne(TcpFlags.Rst | TcpFlags.Ack, lab.C(2001), lab.S(1), 0, kind: SegmentKind.Reset);
        lab.Advance(Ms(200));
        lab.ExpectNothing();
        lab.Session.Lingering.ShouldBeFalse();
        lab.ExpectDeadline(null);
    }

    [Fact]
    public void A_syn_ack_after_giving_up_in_syn_sent_gets_a_rst()
    {
        var lab = new Lab().Connect();
        lab.Take();
        lab.Session.GiveUp(FailureKind.Deadline, "time limit", lab.Now, lab.Out);
        lab.ExpectOne(TcpFlags.Rst, lab.C(1), new SeqNum(0), 0, kind: SegmentKind.Reset);
        lab.Deliver(lab.Server.SynAck());
        lab.ExpectOne(TcpFlags.Rst, lab.C(1), new SeqNum(0), 0, kind: SegmentKind.Reset);
        lab.Session.State.ShouldBe(TcpState.Closed);
    }
}
