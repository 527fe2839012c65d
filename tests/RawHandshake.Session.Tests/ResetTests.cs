using RawHandshake.Session.Tests.Support;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;
using static RawHandshake.Session.Tests.Support.Lab;

namespace RawHandshake.Session.Tests;

public class ResetTests
{
    // ---- SYN-SENT (RFC 9293 §3.10.7.3) --------------------------------------------------------------------------

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Rst_ack_to_our_syn_is_connection_refused(uint clientIsn, uint serverIsn)
    {
        var lab = new Lab(clientIsn, serverIsn);
        lab.Connect();
        lab.Take();
        lab.Events();

        lab.Deliver(lab.Server.Rst(new SeqNum(0), ack: lab.C(1)));
        lab.ExpectNothing("a RST is never answered");
        var events = lab.Events();
        Single<ResetReceived>(events).ShouldBe(new ResetReceived(TcpState.SynSent));
        var failed = Single<SessionFailed>(events);
        failed.Kind.ShouldBe(FailureKind.Refused);
        failed.Reason.ShouldContain("connection refused");
        lab.ExpectState(TcpState.Closed);
        lab.Session.IsDone.ShouldBeTrue();
        lab.ExpectDeadline(null, "no SYN retransmission after a refusal");
        Transitions(events, Side.Server).ShouldBe(["?→CLOSED"]); // a closed port: never LISTEN
    }

    [Theory]
    [InlineData(1000u, 0)]
    [InlineData(1000u, 2)]
    [InlineData(1000u, -1)]
    [InlineData(0xFFFFFFF0u, 0)]
    [InlineData(0xFFFFFFF0u, 17)]
    [InlineData(0xFFFFFFFFu, 5)]
    public void Rst_with_an_unacceptable_ack_in_syn_sent_is_ignored(uint clientIsn, int ackRel)
    {
        var lab = new Lab(clientIsn);
        lab.Connect();
        lab.Take();
        lab.Events();
        lab.Deliver(lab.Server.Rst(new SeqNum(0), ack: lab.C(ackRel)));
        lab.ExpectNothing();
        lab.ExpectState(TcpState.SynSent);
        lab.ExpectDeadline(TimeSpan.FromSeconds(1), "the SYN timer keeps running");
        None<SessionFailed>(lab.Events());
    }

    [Fact]
    public void Rst_without_ack_in_syn_sent_is_ignored()
    {
        var lab = new Lab();
        lab.Connect();
        lab.Take();
        lab.Deliver(lab.Server.Rst(lab.S(0)));
        lab.ExpectNothing();
        lab.ExpectState(TcpState.SynSent);
        lab.ExpectDeadline(TimeSpan.FromSeconds(1));
    }

    [Theory]
    [InlineData(1000u, 0)]
    [InlineData(1000u, 2)]
    [InlineData(1000u, -1)]
    [InlineData(1000u, 100_000)]
    [InlineData(0xFFFFFFF0u, 0)]
    [InlineData(0xFFFFFFF0u, 17)]
    [InlineData(0xFFFFFFFFu, 2)]
    public void Unacceptable_ack_in_syn_sent_is_answered_with_rst_seq_equal_to_that_ack(uint clientIsn, int ackRel)
    {
        var lab = new Lab(clientIsn, 0xFFFFFFF0);
        lab.Connect();
        lab.Take();

        lab.Deliver(lab.Server.SynAck(ack: lab.C(ackRel)));
        lab.ExpectOne(TcpFlags.Rst, lab.C(ackRel), new SeqNum(0), 0, kind: SegmentKind.Reset, because: "<SEQ=SEG.ACK><CTL=RST>");
        lab.ExpectState(TcpState.SynSent);
        lab.ExpectDeadline(TimeSpan.FromSeconds(1));
        lab.Events().OfType<SessionNote>().ShouldNotBeEmpty();

        // The real SYN-ACK still completes the handshake.
        lab.Deliver(lab.Server.SynAck());
        lab.ExpectOne(TcpFlags.Ack, lab.C(1), lab.S(1), 64240);
        lab.ExpectState(TcpState.Established);
    }

    [Fact]
    public void A_bare_ack_with_an_unacceptable_ack_in_syn_sent_also_gets_a_rst()
    {
        var lab = new Lab();
        lab.Connect();
        lab.Take();
        lab.Deliver(lab.Server.Raw(TcpFlags.Ack, lab.S(0), lab.C(50)));
        lab.ExpectOne(TcpFlags.Rst, lab.C(50), new SeqNum(0), 0);
    }

    [Fact]
    public void An_acceptable_ack_without_syn_in_syn_sent_is_dropped()
    {
        var lab = new Lab();
        lab.Connect();
        lab.Take();
        lab.Deliver(lab.Server.Raw(TcpFlags.Ack, lab.S(0), lab.C(1)));
        lab.ExpectNothing();
        lab.ExpectState(TcpState.SynSent);
    }

    // ---- synchronized states (RFC 9293 §3.10.7.4 with RFC 5961 §3.2) ------------------------------------------

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Exact_sequence_rst_in_established_resets_the_connection(uint clientIsn, uint serverIsn)
    {
        var lab = new Lab(clientIsn, serverIsn).Established();
        lab.Deliver(lab.Server.Data("abcde", ackRel: 1));
        lab.Send("x");
        lab.Take();
        lab.Events();

        lab.Deliver(lab.Server.Rst(lab.S(6)));
        lab.ExpectNothing();
        var events = lab.Events();
        Single<ResetReceived>(events).ShouldBe(new ResetReceived(TcpState.Established));
        Single<SessionFailed>(events).Kind.ShouldBe(FailureKind.Reset);
        lab.ExpectState(TcpState.Closed);
        lab.Session.IsDone.ShouldBeTrue();
        lab.ExpectDeadline(null);
        Transitions(events, Side.Server).ShouldBe(["ESTABLISHED→CLOSED"]);
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void In_window_rst_that_is_not_exact_gets_a_challenge_ack(uint clientIsn, uint serverIsn)
    {
        var lab = new Lab(clientIsn, serverIsn).Established();
        foreach (var rel in new[] { 2, 100, 64240 })
        {
            lab.Deliver(lab.Server.Rst(lab.S(rel), ack: lab.C(1)));
            lab.ExpectOne(TcpFlags.Ack, lab.C(1), lab.S(1), 64240, kind: SegmentKind.ChallengeAck, because: $"RST at S+{rel}");
            lab.ExpectState(TcpState.Established);
        }

        None<SessionFailed>(lab.Events());
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Rst_outside_the_window_is_dropped_silently(uint clientIsn, uint serverIsn)
    {
        var lab = new Lab(clientIsn, serverIsn).Established();
        lab.Deliver(lab.Server.Data("abcde", ackRel: 1));
        lab.Take();
        foreach (var rel in new[] { 0, 1, 5, 6 + 64240, 6 + 64240 + 1000, -100_000 })
        {
            lab.Deliver(lab.Server.Rst(lab.S(rel)));
            lab.ExpectNothing($"RST at S+{rel} is out of the window [S+6, S+{6 + 64240})");
        }

        lab.ExpectState(TcpState.Established);
    }

    [Fact]
    public void With_a_shut_receive_window_only_the_exact_rst_counts()
    {
        var lab = new Lab().Established();
        lab.Session.SetReceiveWindow(0);
        lab.Deliver(lab.Server.Rst(lab.S(2)));
        lab.ExpectNothing();
        lab.ExpectState(TcpState.Established);
        lab.Deliver(lab.Server.Rst(lab.S(1)));
        lab.ExpectState(TcpState.Closed);
    }

    [Theory]
    [InlineData(TcpState.FinWait1)]
    [InlineData(TcpState.FinWait2)]
    [InlineData(TcpState.CloseWait)]
    public void Exact_rst_in_other_synchronized_states_is_a_reset(TcpState state)
    {
        var lab = new Lab().Established();
        var rcv = 1;
        switch (state)
        {
            case TcpState.FinWait1:
                lab.Close();
                break;
            case TcpState.FinWait2:
                lab.Close();
                lab.Deliver(lab.Server.Ack(2));
                break;
            case TcpState.CloseWait:
                lab.Deliver(lab.Server.Fin(ackRel: 1));
                rcv = 2;
                break;
        }

        lab.ExpectState(state);
        lab.Take();
        lab.Events();
        lab.Deliver(lab.Server.Rst(lab.S(rcv)));
        lab.ExpectNothing();
        var events = lab.Events();
        Single<ResetReceived>(events).ShouldBe(new ResetReceived(state));
        Single<SessionFailed>(events).Kind.ShouldBe(FailureKind.Reset);
        lab.ExpectState(TcpState.Closed);
        lab.ExpectDeadline(null);
    }

    [Fact]
    public void Rst_in_time_wait_ends_it_without_a_failure()
    {
        var lab = new Lab().Established();
        lab.Close();
        lab.Deliver(lab.Server.Fin(ackRel: 2));
        lab.Take();
        lab.Events();
        lab.Deliver(lab.Server.Rst(lab.S(2)));
        lab.ExpectNothing();
        lab.ExpectState(TcpState.Closed);
        lab.Session.IsDone.ShouldBeTrue();
        lab.ExpectDeadline(null);
        var events = lab.Events();
        Single<ResetReceived>(events).ShouldBe(new ResetReceived(TcpState.TimeWait));
        None<SessionFailed>(events);
    }

    [Fact]
    public void Exact_rst_in_last_ack_closes_without_a_failure()
    {
        var lab = new Lab().Established();
        lab.Deliver(lab.Server.Fin(ackRel: 1));
        lab.Close();
        lab.Take();
        lab.Events();
        lab.Deliver(lab.Server.Rst(lab.S(2)));
        lab.ExpectState(TcpState.Closed);
        None<SessionFailed>(lab.Events());
    }

    [Fact]
    public void In_window_rst_that_is_not_exact_in_last_ack_gets_a_challenge_ack()
    {
        // RFC 5961 §3.2 applies in every synchronized state: a non-exact in-window RST is challenged, not obeyed.
        var lab = new Lab().Established();
        lab.Deliver(lab.Server.Fin(ackRel: 1));
        lab.Close();
        lab.Take();
        lab.Deliver(lab.Server.Rst(lab.S(500)));
        lab.ExpectOne(TcpFlags.Ack, lab.C(2), lab.S(2), 64240, kind: SegmentKind.ChallengeAck);
        lab.ExpectState(TcpState.LastAck);
    }

    // ---- SYN and bad ACKs on a synchronized connection -------------------------------------------------------

    [Fact]
    public void Syn_in_window_on_an_established_connection_gets_a_challenge_ack()
    {
        var lab = new Lab().Established();
        lab.Deliver(lab.Server.Raw(TcpFlags.Syn, lab.S(50), new SeqNum(0)));
        lab.ExpectOne(TcpFlags.Ack, lab.C(1), lab.S(1), 64240, kind: SegmentKind.ChallengeAck);
        lab.ExpectState(TcpState.Established);
    }

    [Fact]
    public void A_retransmitted_syn_ack_is_acked_again()
    {
        var lab = new Lab().Established();
        lab.Deliver(lab.Server.Raw(TcpFlags.Syn | TcpFlags.Ack, lab.S(0), lab.C(1)));
        lab.ExpectOne(TcpFlags.Ack, lab.C(1), lab.S(1), 64240, kind: SegmentKind.DuplicateAck);
        Single<PeerRetransmission>(lab.Events()).Seq.ShouldBe(lab.S(0));
        lab.ExpectState(TcpState.Established);
    }

    [Fact]
    public void An_ack_of_data_never_sent_is_answered_and_the_segment_dropped()
    {
        var lab = new Lab().Established();
        lab.Deliver(lab.Server.Data("zz", ackRel: 50));
        lab.ExpectOne(TcpFlags.Ack, lab.C(1), lab.S(1), 64240, kind: SegmentKind.ChallengeAck);
        lab.Session.ReceivedCount.ShouldBe(0, "the segment is dropped, data included");
        lab.Session.SndUna.ShouldBe(lab.C(1));
    }

    [Fact]
    public void A_segment_without_ack_on_an_established_connection_is_dropped()
    {
        var lab = new Lab().Established();
        lab.Deliver(lab.Server.Raw(TcpFlags.Psh, lab.S(1), new SeqNum(0), payload: "nope"u8.ToArray()));
        lab.ExpectNothing();
        lab.Session.ReceivedCount.ShouldBe(0);
    }

    [Fact]
    public void Giving_up_on_an_open_connection_resets_the_server_first()
    {
        var lab = new Lab().Established();
        lab.Send("ab"u8.ToArray());
        lab.Take();
        lab.Deliver(lab.Server.Ack(3));
        lab.Session.GiveUp(FailureKind.Deadline, "time limit", lab.Out);
        lab.ExpectOne(TcpFlags.Rst | TcpFlags.Ack, lab.C(3), lab.S(1), 0, kind: SegmentKind.Reset);
        lab.ExpectState(TcpState.Closed);
        lab.Events().OfType<SessionFailed>().ShouldHaveSingleItem().Kind.ShouldBe(FailureKind.Deadline);
        lab.Session.IsDone.ShouldBeTrue();
    }

    [Fact]
    public void Giving_up_before_the_handshake_sends_nothing()
    {
        var lab = new Lab().Connect();
        lab.Take();
        lab.Session.GiveUp(FailureKind.Interrupted, "interrupted", lab.Out);
        lab.ExpectNothing();
        lab.ExpectState(TcpState.Closed);
        lab.Events().OfType<SessionFailed>().ShouldHaveSingleItem().Kind.ShouldBe(FailureKind.Interrupted);
    }

    [Fact]
    public void Giving_up_resets_also_after_hand_made_segments()
    {
        // A recipe's low-level steps put the session in manual mode, where it sends nothing of its own; the reset on
        // giving up is still sent.
        var lab = new Lab().Established();
        lab.Session.SetManual(true, lab.Now, lab.Out);
        lab.Take();
        lab.Session.GiveUp(FailureKind.Interrupted, "interrupted", lab.Out);
        lab.ExpectOne(TcpFlags.Rst | TcpFlags.Ack, lab.C(1), lab.S(1), 0, kind: SegmentKind.Reset);
    }

    [Fact]
    public void Giving_up_twice_or_after_the_end_does_nothing()
    {
        var lab = new Lab().Established();
        lab.Session.Abort(lab.Now, lab.Out);
        lab.Take();
        lab.Events();
        lab.Session.GiveUp(FailureKind.Deadline, "time limit", lab.Out);
        lab.ExpectNothing();
        lab.Events().ShouldBeEmpty();
    }

    [Fact]
    public void Reset_if_open_sends_one_rst_only_while_the_server_holds_the_connection()
    {
        var lab = new Lab().Established();
        lab.Session.ResetIfOpen(lab.Out).ShouldBeTrue();
        lab.ExpectOne(TcpFlags.Rst | TcpFlags.Ack, lab.C(1), lab.S(1), 0, kind: SegmentKind.Reset);
        lab.ExpectState(TcpState.Closed);
        lab.Events().OfType<SessionFailed>().ShouldBeEmpty("the run's outcome says why it ended; this is only cleanup");
        lab.Session.ResetIfOpen(lab.Out).ShouldBeFalse();
        lab.ExpectNothing();

        var before = new Lab().Connect();
        before.Take();
        before.Session.ResetIfOpen(before.Out).ShouldBeFalse();
        before.ExpectNothing();
    }
}
