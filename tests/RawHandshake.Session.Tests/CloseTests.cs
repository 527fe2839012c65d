using System.Text;
using RawHandshake.Session.Tests.Support;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;
using static RawHandshake.Session.Tests.Support.Lab;

namespace RawHandshake.Session.Tests;

public class CloseTests
{
    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Active_close_fin_wait_1_fin_wait_2_time_wait_closed(uint clientIsn, uint serverIsn)
    {
        var lab = new Lab(clientIsn, serverIsn).Established();

        lab.Close();
        lab.ExpectOne(TcpFlags.Fin | TcpFlags.Ack, lab.C(1), lab.S(1), 64240, kind: SegmentKind.Normal);
        lab.ExpectState(TcpState.FinWait1);
        lab.ExpectDeadline(lab.Now + TimeSpan.FromSeconds(1), "our FIN's retransmission timer");
        Transitions(lab.Events(), Side.Client).ShouldBe(["ESTABLISHED→FIN-WAIT-1"]);

        lab.Advance(Ms(10));
        lab.Deliver(lab.Server.Ack(2));
        lab.ExpectNothing("the ACK of our FIN is not answered");
        lab.ExpectState(TcpState.FinWait2);
        lab.ExpectDeadline(null, "FIN-WAIT-2 waits for the server without a timer");
        Transitions(lab.Events(), Side.Client).ShouldBe(["FIN-WAIT-1→FIN-WAIT-2"]);

        lab.Advance(Ms(10));
        lab.Deliver(lab.Server.Fin(ackRel: 2));
        lab.ExpectOne(TcpFlags.Ack, lab.C(2), lab.S(2), 64240, kind: SegmentKind.Normal);
        lab.ExpectState(TcpState.TimeWait);
        var tw = lab.Now + Ms(500);
        lab.ExpectDeadline(tw, "TIME-WAIT for config.TimeWait");
        var events = lab.Events();
        Single<PeerFinReceived>(events).ShouldBe(new PeerFinReceived(lab.S(1)));
        Transitions(events, Side.Client).ShouldBe(["FIN-WAIT-2→TIME-WAIT"]);
        lab.Session.PeerFinReceived.ShouldBeTrue();
        lab.Session.IsDone.ShouldBeFalse();

        lab.RunUntil(tw - Ms(1));
        lab.ExpectState(TcpState.TimeWait);
        lab.FireTimer();
        lab.Now.ShouldBe(tw);
        lab.ExpectNothing();
        lab.ExpectState(TcpState.Closed);
        lab.Session.IsDone.ShouldBeTrue();
        lab.ExpectDeadline(null);
        events = lab.Events();
        Transitions(events, Side.Client).ShouldBe(["TIME-WAIT→CLOSED"]);
        Single<SessionFinished>(events);
        None<SessionFailed>(events);
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Fin_and_ack_of_our_fin_in_one_segment_go_straight_to_time_wait(uint clientIsn, uint serverIsn)
    {
        var lab = new Lab(clientIsn, serverIsn).Established();
        lab.Close();
        lab.Take();
        lab.Events();

        lab.Deliver(lab.Server.Fin(ackRel: 2));
        lab.ExpectOne(TcpFlags.Ack, lab.C(2), lab.S(2), 64240);
        lab.ExpectState(TcpState.TimeWait);
        lab.ExpectDeadline(lab.Now + Ms(500));
        Transitions(lab.Events(), Side.Client).ShouldBe(["FIN-WAIT-1→FIN-WAIT-2", "FIN-WAIT-2→TIME-WAIT"], "RFC 9293: the ACK is processed first, then the FIN");
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Retransmitted_server_fin_in_time_wait_is_acked_again(uint clientIsn, uint serverIsn)
    {
        var lab = new Lab(clientIsn, serverIsn).Established();
        lab.Close();
        lab.Deliver(lab.Server.Fin(ackRel: 2));
        lab.Take();
        lab.Advance(Ms(300));

        lab.Deliver(lab.Server.Raw(TcpFlags.Fin | TcpFlags.Ack, lab.S(1), lab.C(2)));
        lab.ExpectOne(TcpFlags.Ack, lab.C(2), lab.S(2), 64240, because: "the server did not get our last ACK");
        lab.ExpectState(TcpState.TimeWait);
    }

    [Fact]
    public void Retransmitted_server_fin_in_time_wait_restarts_the_time_wait_timer()
    {
        // RFC 9293 TIME-WAIT, FIN: "Acknowledge it, and restart the 2 MSL timeout"; Linux reschedules too
        // (inet_twsk_reschedule). The session has this branch (ACK processing, case TimeWait) but a retransmitted
        // FIN never reaches it: it fails the sequence check first and is only re-ACKed there.
        var lab = new Lab().Established();
        lab.Close();
        lab.Deliver(lab.Server.Fin(ackRel: 2));
        lab.Take();
        lab.Advance(Ms(300));

        lab.Deliver(lab.Server.Raw(TcpFlags.Fin | TcpFlags.Ack, lab.S(1), lab.C(2)));
        lab.ExpectDeadline(lab.Now + Ms(500), "TIME-WAIT restarted by the retransmitted FIN");
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Passive_close_close_wait_then_last_ack_then_closed(uint clientIsn, uint serverIsn)
    {
        var lab = new Lab(clientIsn, serverIsn).Established();

        lab.Deliver(lab.Server.Fin(ackRel: 1));
        lab.ExpectOne(TcpFlags.Ack, lab.C(1), lab.S(2), 64240);
        lab.ExpectState(TcpState.CloseWait);
        lab.ExpectDeadline(null);
        var events = lab.Events();
        Single<PeerFinReceived>(events).ShouldBe(new PeerFinReceived(lab.S(1)));
        Transitions(events, Side.Client).ShouldBe(["ESTABLISHED→CLOSE-WAIT"]);

        lab.Advance(Ms(5));
        lab.Close();
        lab.ExpectOne(TcpFlags.Fin | TcpFlags.Ack, lab.C(1), lab.S(2), 64240);
        lab.ExpectState(TcpState.LastAck);
        lab.ExpectDeadline(lab.Now + TimeSpan.FromSeconds(1));

        lab.Advance(Ms(5));
        lab.Deliver(lab.Server.Ack(2));
        lab.ExpectNothing();
        lab.ExpectState(TcpState.Closed);
        lab.Session.IsDone.ShouldBeTrue();
        lab.ExpectDeadline(null);
        events = lab.Events();
        Transitions(events, Side.Client).ShouldBe(["CLOSE-WAIT→LAST-ACK", "LAST-ACK→CLOSED"]);
        Single<SessionFinished>(events);

        lab.Deliver(lab.Server.Ack(2));
        lab.ExpectNothing("a finished session sends nothing");
    }

    [Fact]
    public void Close_wait_still_sends_data_and_the_fin_follows_it()
    {
        var lab = new Lab().Established();
        lab.Deliver(lab.Server.Fin(ackRel: 1));
        lab.Take();
        lab.Send("bye");
        lab.ExpectOne(TcpFlags.Psh | TcpFlags.Ack, lab.C(1), lab.S(2), 64240, payload: "bye"u8.ToArray());
        lab.Close();
        lab.ExpectOne(TcpFlags.Fin | TcpFlags.Ack, lab.C(4), lab.S(2), 64240);
        lab.Deliver(lab.Server.Ack(5));
        lab.ExpectState(TcpState.Closed);
        lab.Session.AcknowledgedCount.ShouldBe(3);
    }

    [Fact]
    public void Last_ack_retransmits_its_fin()
    {
        var lab = new Lab().Established();
        lab.Deliver(lab.Server.Fin(ackRel: 1));
        lab.Close();
        lab.Take();
        lab.Events();
        lab.FireTimer();
        lab.ExpectOne(TcpFlags.Fin | TcpFlags.Ack, lab.C(1), lab.S(2), 64240, kind: SegmentKind.Retransmission);
        Single<Retransmitting>(lab.Events()).ShouldBe(new Retransmitting("FIN", 1, TimeSpan.FromSeconds(2)));
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Simultaneous_close_closing_then_time_wait(uint clientIsn, uint serverIsn)
    {
        var lab = new Lab(clientIsn, serverIsn).Established();
        lab.Close();
        lab.Take();
        var finDeadline = lab.Session.NextDeadline;

        lab.Advance(Ms(5));
        lab.Deliver(lab.Server.Fin(ackRel: 1)); // its FIN crossed ours: it does not acknowledge ours
        lab.ExpectOne(TcpFlags.Ack, lab.C(2), lab.S(2), 64240);
        lab.ExpectState(TcpState.Closing);
        lab.ExpectDeadline(finDeadline, "our FIN is still unacknowledged");

        lab.Advance(Ms(5));
        lab.Deliver(lab.Server.Ack(2));
        lab.ExpectNothing();
        lab.ExpectState(TcpState.TimeWait);
        lab.ExpectDeadline(lab.Now + Ms(500));
        Transitions(lab.Events(), Side.Client).ShouldBe(["ESTABLISHED→FIN-WAIT-1", "FIN-WAIT-1→CLOSING", "CLOSING→TIME-WAIT"]);

        lab.FireTimer();
        lab.ExpectState(TcpState.Closed);
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Half_close_data_after_our_fin_is_acked_and_delivered_then_its_fin(uint clientIsn, uint serverIsn)
    {
        var lab = new Lab(clientIsn, serverIsn).Established();
        lab.Close();
        lab.Deliver(lab.Server.Ack(2));
        lab.Take();
        lab.ExpectState(TcpState.FinWait2);

        lab.Deliver(lab.Server.Data("xyz", ackRel: 2));
        lab.ExpectOne(TcpFlags.Ack, lab.C(2), lab.S(4), 64240);
        lab.Deliver(lab.Server.Data("uv", ackRel: 2));
        lab.ExpectOne(TcpFlags.Ack, lab.C(2), lab.S(6), 64240);
        Encoding.ASCII.GetString(lab.Session.Received).ShouldBe("xyzuv");
        lab.ExpectState(TcpState.FinWait2);

        lab.Deliver(lab.Server.Fin(ackRel: 2, data: "!"u8.ToArray()));
        lab.ExpectOne(TcpFlags.Ack, lab.C(2), lab.S(8), 64240, because: "data and FIN in one segment: one ACK past both");
        Encoding.ASCII.GetString(lab.Session.Received).ShouldBe("xyzuv!");
        lab.ExpectState(TcpState.TimeWait);
    }

    [Fact]
    public void Data_in_fin_wait_1_is_delivered_too()
    {
        var lab = new Lab().Established();
        lab.Close();
        lab.Take();
        lab.Deliver(lab.Server.Data("late", ackRel: 1));
        lab.ExpectOne(TcpFlags.Ack, lab.C(2), lab.S(5), 64240);
        lab.ExpectState(TcpState.FinWait1);
        Encoding.ASCII.GetString(lab.Session.Received).ShouldBe("late");
    }

    [Fact]
    public void Close_queued_behind_data_sends_the_fin_after_the_data()
    {
        var lab = new Lab().Established(mss: 536, window: 600);
        lab.Send(new byte[1000]);
        lab.Close();
        var s = lab.ExpectCount(2, "600 bytes of window: 536 + 64, the FIN waits");
        lab.Check(s[0], TcpFlags.Ack, lab.C(1), lab.S(1), 64240, len: 536);
        lab.Check(s[1], TcpFlags.Ack, lab.C(537), lab.S(1), 64240, len: 64);
        lab.ExpectState(TcpState.Established);

        lab.Deliver(lab.Server.Ack(601, window: 600));
        s = lab.ExpectCount(2);
        lab.Check(s[0], TcpFlags.Psh | TcpFlags.Ack, lab.C(601), lab.S(1), 64240, len: 400);
        lab.Check(s[1], TcpFlags.Fin | TcpFlags.Ack, lab.C(1001), lab.S(1), 64240);
        lab.ExpectState(TcpState.FinWait1);
    }

    [Fact]
    public void Out_of_order_fin_is_taken_when_the_gap_fills_with_one_ack()
    {
        var lab = new Lab().Established();
        lab.Deliver(lab.Server.DataAt(3, "def", ackRel: 1, extra: TcpFlags.Fin)); // "abc" missing, then data+FIN
        lab.ExpectOne(TcpFlags.Ack, lab.C(1), lab.S(1), 64240, kind: SegmentKind.DuplicateAck);
        lab.ExpectState(TcpState.Established);

        lab.Deliver(lab.Server.DataAt(0, "abc", ackRel: 1));
        lab.ExpectState(TcpState.CloseWait);
        Encoding.ASCII.GetString(lab.Session.Received).ShouldBe("abcdef");
        lab.ExpectOne(TcpFlags.Ack, lab.C(1), lab.S(8), 64240, because: "one ACK covering the data and the FIN");
    }

    [Fact]
    public void A_bare_out_of_order_fin_gets_an_immediate_duplicate_ack()
    {
        // RFC 5681 §4.2: a receiver SHOULD send an immediate duplicate ACK when an out-of-order segment arrives.
        var lab = new Lab().Established();
        lab.Deliver(lab.Server.DataAt(0, "abc", ackRel: 1));
        lab.Take();
        lab.Deliver(lab.Server.Raw(TcpFlags.Fin | TcpFlags.Ack, lab.S(7), lab.C(1))); // "def" missing
        lab.ExpectOne(TcpFlags.Ack, lab.C(1), lab.S(4), 64240, kind: SegmentKind.DuplicateAck);
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Abort_sends_rst_ack_at_snd_nxt_and_closes(uint clientIsn, uint serverIsn)
    {
        var lab = new Lab(clientIsn, serverIsn).Established();
        lab.Deliver(lab.Server.Data("hi", ackRel: 1));
        lab.Send("hello");
        lab.Take();
        lab.Events();

        lab.Abort();
        lab.ExpectOne(TcpFlags.Rst | TcpFlags.Ack, lab.C(6), lab.S(3), 0, kind: SegmentKind.Reset);
        lab.ExpectState(TcpState.Closed);
        lab.Session.IsDone.ShouldBeTrue();
        lab.ExpectDeadline(null, "the data's retransmission timer is gone");
        var events = lab.Events();
        Single<SessionFinished>(events);
        Transitions(events, Side.Server).ShouldBe(["ESTABLISHED→CLOSED"]);

        // What the server still sends is answered as a kernel without a socket answers it (issue 10 §1): a RST at its
        // acknowledgment number, nothing else.
        lab.Deliver(lab.Server.Data("more", ackRel: 6));
        lab.ExpectOne(TcpFlags.Rst, lab.C(6), new SeqNum(0), 0, kind: SegmentKind.Reset, because: "a segment of the aborted connection");
        lab.Deliver(lab.Server.Rst(lab.S(7)));
        lab.ExpectNothing("a RST is never answered");
        lab.Abort();
        lab.ExpectNothing("a second abort is a no-op");
    }

    [Fact]
    public void Abort_in_syn_sent_sends_a_bare_rst_at_isn_plus_one()
    {
        var lab = new Lab().Connect();
        lab.Take();
        lab.Abort();
        lab.ExpectOne(TcpFlags.Rst, lab.C(1), new SeqNum(0), 0, kind: SegmentKind.Reset);
        lab.ExpectState(TcpState.Closed);
        lab.ExpectDeadline(null);
    }

    [Fact]
    public void Abort_in_time_wait_sends_nothing()
    {
        var lab = new Lab().Established();
        lab.Close();
        lab.Deliver(lab.Server.Fin(ackRel: 2));
        lab.Take();
        lab.Abort();
        lab.ExpectNothing();
        lab.ExpectState(TcpState.TimeWait);
    }

    [Fact]
    public void Fail_stops_the_session_silently_with_the_given_kind()
    {
        var lab = new Lab().Established();
        lab.Send("pending");
        lab.Take();
        lab.Events();
        lab.Session.Fail(FailureKind.Deadline, "run deadline", lab.Out);
        lab.ExpectNothing("giving up sends nothing");
        var events = lab.Events();
        Single<SessionFailed>(events).ShouldBe(new SessionFailed(FailureKind.Deadline, "run deadline"));
        None<SessionFinished>(events);
        lab.ExpectState(TcpState.Closed);
        lab.Session.IsDone.ShouldBeTrue();
        lab.ExpectDeadline(null);
        lab.Session.Fail(FailureKind.Timeout, "again", lab.Out);
        None<SessionFailed>(lab.Events());
    }

    [Fact]
    public void Close_twice_sends_one_fin()
    {
        var lab = new Lab().Established();
        lab.Close();
        lab.Close();
        lab.ExpectCount(1);
    }
}
