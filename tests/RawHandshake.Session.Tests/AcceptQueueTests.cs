using RawHandshake.Session.Tests.Support;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;
using static RawHandshake.Session.Tests.Support.Lab;

namespace RawHandshake.Session.Tests;

/// <summary>
/// Issue 11: a thousand flows against a server whose accept queue overflows. Its SYNs are dropped and sent again, its
/// handshake ACK and FIN are dropped while its SYN-ACK is retransmitted, and a process that waits to be scheduled answers
/// late. The handshake is timed as Linux times it (so a dropped FIN goes again after the path's RTO, not 1 s), and a FIN
/// of the server that crossed our ACK in TIME-WAIT is not acknowledged twice.
/// </summary>
public class AcceptQueueTests
{
    [Fact]
    public void A_syn_sent_once_times_the_handshake_so_the_fin_goes_again_after_the_paths_rto()
    {
        var lab = new Lab(configure: LinuxMinRto);
        lab.Connect();
        lab.Take();
        lab.Advance(Ms(30));
        lab.Deliver(lab.Server.SynAck());
        lab.Take();
        lab.Close();
        lab.ExpectOne(TcpFlags.Fin | TcpFlags.Ack, lab.C(1), lab.S(1), 64240);
        lab.ExpectDeadline(lab.Now + Ms(200), "RFC 6298 after the handshake's 30 ms: SRTT + 4·RTTVAR = 90 ms, Linux's 200 ms floor");
        lab.Session.Config.MinRto.ShouldBe(Ms(200));
    }

    [Fact]
    public void The_handshake_is_timed_at_the_syn_acks_arrival_not_when_a_busy_process_got_to_it()
    {
        var lab = new Lab(configure: LinuxMinRto);
        lab.Connect();
        lab.Take();
        lab.Advance(Ms(360)); // the SYN-ACK came after 0.1 ms; the process was scheduled 360 ms later
        lab.Deliver(lab.Server.SynAck() with { ArrivedAt = Ms(0.1) });
        lab.Take();
        lab.Close();
        lab.Take();
        lab.ExpectDeadline(lab.Now + Ms(200), "the path's 0.1 ms, not 360 ms (which would give SRTT + 4·RTTVAR = 1,080 ms)");
    }

    [Fact]
    public void Without_timestamps_a_syn_sent_again_gives_no_sample_and_the_initial_rto_stays()
    {
        var lab = new Lab(configure: LinuxMinRto);
        lab.Connect();
        lab.Take();
        lab.Advance(Ms(1000)); // the first SYN's timer: it goes again
        lab.ExpectOne(TcpFlags.Syn, lab.C(0), default, 64240, options: lab.Session.SynOptionSet(lab.Now), kind: SegmentKind.Retransmission);
        lab.Advance(Ms(30));
        lab.Deliver(lab.Server.SynAck());
        lab.Take();
        lab.Close();
        lab.Take();
        lab.ExpectDeadline(lab.Now + Ms(1000), "Karn: which SYN was answered is unknown, so no sample; the initial 1 s");
    }

    [Fact]
    public void With_timestamps_the_echo_times_the_syn_that_was_answered_even_after_a_retransmission()
    {
        var lab = new Lab(configure: c => LinuxMinRto(c) with { Timestamps = true, TsOffset = 5000 });
        lab.Connect();
        lab.Take();
        lab.Advance(Ms(1000));
        var again = lab.Take().ShouldHaveSingleItem();
        again.Kind.ShouldBe(SegmentKind.Retransmission);
        var (tsVal, _) = again.Options.Timestamps!.Value;
        tsVal.ShouldBe(6000u, "TSval is the millisecond clock plus the offset");

        lab.Advance(Ms(40));
        lab.Server.TsEcr = tsVal; // the server echoes the SYN it answers: the second
        lab.Deliver(lab.Server.SynAck(ts: true));
        lab.Take();
        lab.Close();
        lab.Take();
        lab.ExpectDeadline(lab.Now + Ms(200), "the echo says 40 ms: SRTT + 4·RTTVAR = 120 ms, the 200 ms floor");
    }

    [Theory]
    [InlineData(-150, "the FIN again reached us 150 ms before our ACK of it went out (we were not scheduled)")]
    [InlineData(3, "it came 3 ms after our ACK went out: within a round trip, so the server sent it before our ACK arrived")]
    public void A_fin_again_that_crossed_our_ack_in_time_wait_is_not_acknowledged_twice(int arrivedMsAfterOurAck, string because)
    {
        var lab = InTimeWait(); // our ACK of the server's FIN went now, late or not
        var ackedAt = lab.Now;
        var timeWaitEnds = ackedAt + Ms(500);
        lab.Events();

        lab.Advance(Ms(Math.Max(arrivedMsAfterOurAck, 0) + 1));
        lab.Deliver(lab.Server.Raw(TcpFlags.Fin | TcpFlags.Ack, lab.S(1), lab.C(2)) with { ArrivedAt = ackedAt + Ms(arrivedMsAfterOurAck) });
        lab.ExpectNothing(because + ": our ACK answers it, and a second would meet no socket (a SYN-cookie listener opens a connection for it)");
        lab.ExpectDeadline(timeWaitEnds, "TIME-WAIT is not restarted by it");
        Single<SessionNote>(lab.Events()).Text.ShouldContain("not acknowledged twice");
        lab.ExpectState(TcpState.TimeWait);
    }

    [Fact]
    public void An_ack_reordered_behind_the_servers_fin_is_not_answered_in_time_wait()
    {
        // The server ACKs our FIN at once (softirq) and sends its FIN from its close() on the other CPU: the router's two
        // queues can swap them. The FIN (which acknowledges ours too) takes us to TIME-WAIT; the old ACK then falls below
        // RCV.NXT. Answering it would reach a server whose socket our ACK has just closed.
        var lab = InTimeWait();
        lab.Events();

        lab.Deliver(lab.Server.Raw(TcpFlags.Ack, lab.S(1), lab.C(2)));
        lab.ExpectNothing("the ACK the server sent before its FIN: our ACK of the FIN answers both");
        Single<SessionNote>(lab.Events()).Text.ShouldStartWith("an old segment of the server (Seq=1, behind its FIN)");
    }

    [Fact]
    public void A_fin_again_a_retransmission_timeout_after_our_ack_means_it_was_lost_and_is_acknowledged()
    {
        var lab = InTimeWait();
        var ackedAt = lab.Now;

        lab.Advance(Ms(210));
        lab.Deliver(lab.Server.Raw(TcpFlags.Fin | TcpFlags.Ack, lab.S(1), lab.C(2)) with { ArrivedAt = ackedAt + Ms(205) });
        lab.ExpectOne(TcpFlags.Ack, lab.C(2), lab.S(2), 64240, because: "the server's RTO (200 ms at least) ran out: our ACK was lost");
        lab.ExpectDeadline(lab.Now + Ms(500), "TIME-WAIT restarted");

        // The next one crossing this new ACK is not answered again.
        lab.Advance(Ms(2));
        lab.Deliver(lab.Server.Raw(TcpFlags.Fin | TcpFlags.Ack, lab.S(1), lab.C(2)));
        lab.ExpectNothing("it came 2 ms after our second ACK");
    }

    /// <summary>A handshake of 1 ms, our FIN, and 1 ms later the server's FIN (acknowledging ours), answered: TIME-WAIT.</summary>
    private static Lab InTimeWait()
    {
        var lab = new Lab(configure: LinuxMinRto);
        lab.Connect();
        lab.Advance(Ms(1));
        lab.Deliver(lab.Server.SynAck());
        lab.Close();
        lab.Take();
        lab.Advance(Ms(1));
        lab.Deliver(lab.Server.Fin(ackRel: 2));
        lab.ExpectOne(TcpFlags.Ack, lab.C(2), lab.S(2), 64240);
        lab.ExpectState(TcpState.TimeWait);
        return lab;
    }
}
