using RawHandshake.Session.Tests.Support;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;
using static RawHandshake.Session.Tests.Support.Lab;

namespace RawHandshake.Session.Tests;

public class RetransmissionTests
{
    private static readonly TimeSpan Sec = TimeSpan.FromSeconds(1);

    // Default config: initial RTO 1 s, max 30 s, 4 retries. Retransmissions at 1, 3, 7, 15 s; give up at 31 s.
    private static readonly (int Attempt, double At, double NextRto)[] Schedule = [(1, 1, 2), (2, 3, 4), (3, 7, 8), (4, 15, 16)];

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Unanswered_syn_is_retransmitted_with_exponential_backoff_then_times_out(uint clientIsn, uint serverIsn)
    {
        var lab = new Lab(clientIsn, serverIsn);
        lab.Connect();
        lab.Take();
        lab.Events();
        lab.ExpectDeadline(Sec);

        foreach (var (attempt, at, nextRto) in Schedule)
        {
            lab.RunUntil(Sec * at - Ms(1));
            lab.ExpectNothing($"nothing before {at} s");
            lab.ExpectDeadline(Sec * at);

            lab.FireTimer();
            lab.ExpectOne(TcpFlags.Syn, lab.C(0), new SeqNum(0), 64240, options: new TcpOptionSet(Mss: 1460), kind: SegmentKind.Retransmission, because: $"retransmission {attempt}");
            Single<Retransmitting>(lab.Events()).ShouldBe(new Retransmitting("SYN", attempt, Sec * nextRto));
            lab.ExpectDeadline(Sec * (at + nextRto));
            lab.ExpectState(TcpState.SynSent);
        }

        lab.FireTimer();
        lab.Now.ShouldBe(Sec * 31);
        lab.ExpectNothing("giving up sends nothing");
        var events = lab.Events();
        var failed = Single<SessionFailed>(events);
        failed.Kind.ShouldBe(FailureKind.Timeout);
        failed.Reason.ShouldContain("SYN");
        lab.ExpectState(TcpState.Closed);
        lab.Session.IsDone.ShouldBeTrue();
        lab.ExpectDeadline(null);
        Transitions(events, Side.Client).ShouldBe(["SYN-SENT→CLOSED"]);
    }

    [Fact]
    public void Backoff_is_capped_at_max_rto_and_retries_are_configurable()
    {
        var lab = new Lab(configure: c => c with { InitialRto = Sec, MaxRto = Sec * 3, Retries = 6 });
        lab.Connect();
        var deadlines = new List<TimeSpan>();
        while (lab.Session.NextDeadline is { } d)
        {
            deadlines.Add(d);
            lab.FireTimer();
        }

        deadlines.ShouldBe([Sec, Sec * 3, Sec * 6, Sec * 9, Sec * 12, Sec * 15, Sec * 18]);
        lab.Take().Count.ShouldBe(1 + 6);
        Single<SessionFailed>(lab.Events()).Kind.ShouldBe(FailureKind.Timeout);
    }

    [Fact]
    public void Zero_retries_fails_at_the_first_timeout()
    {
        var lab = new Lab(configure: c => c with { Retries = 0 });
        lab.Connect();
        lab.Take();
        lab.FireTimer();
        lab.ExpectNothing();
        Single<SessionFailed>(lab.Events()).Kind.ShouldBe(FailureKind.Timeout);
        lab.Now.ShouldBe(Sec);
    }

    [Fact]
    public void A_timer_call_before_the_deadline_does_nothing()
    {
        var lab = new Lab();
        lab.Connect();
        lab.Take();
        lab.Advance(Ms(999));
        lab.Session.OnTimer(lab.Now, lab.Out);
        lab.ExpectNothing();
        lab.ExpectDeadline(Sec);
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Unacknowledged_data_is_retransmitted_with_backoff_then_times_out(uint clientIsn, uint serverIsn)
    {
        var lab = new Lab(clientIsn, serverIsn, c => c with { DataRetries = 4 }).Established();
        var data = Enumerable.Range(0, 100).Select(i => (byte)i).ToArray();
        lab.Send(data);
        lab.Take();
        lab.ExpectDeadline(Sec);

        foreach (var (attempt, at, nextRto) in Schedule)
        {
            lab.RunUntil(Sec * at - Ms(1));
            lab.ExpectNothing();
            lab.FireTimer();
            lab.Now.ShouldBe(Sec * at);
            lab.ExpectOne(TcpFlags.Psh | TcpFlags.Ack, lab.C(1), lab.S(1), 64240, payload: data, kind: SegmentKind.Retransmission);
            Single<Retransmitting>(lab.Events()).ShouldBe(new Retransmitting("data", attempt, Sec * nextRto));
            lab.ExpectDeadline(Sec * (at + nextRto));
        }

        lab.FireTimer();
        lab.ExpectOne(TcpFlags.Rst | TcpFlags.Ack, lab.C(101), lab.S(1), 0, kind: SegmentKind.Reset, because: "giving up resets a server that may still hold the connection");
        var failed = Single<SessionFailed>(lab.Events());
        failed.Kind.ShouldBe(FailureKind.Timeout);
        failed.Reason.ShouldContain("data");
        lab.ExpectState(TcpState.Closed);
        lab.ExpectDeadline(lab.Now + Ms(200), "the RST goes again in case it was lost");
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Unacknowledged_fin_is_retransmitted_with_backoff_then_times_out(uint clientIsn, uint serverIsn)
    {
        var lab = new Lab(clientIsn, serverIsn, c => c with { DataRetries = 4 }).Established();
        lab.Close();
        lab.Take();
        lab.Events();

        foreach (var (attempt, at, nextRto) in Schedule)
        {
            lab.FireTimer();
            lab.Now.ShouldBe(Sec * at);
            lab.ExpectOne(TcpFlags.Fin | TcpFlags.Ack, lab.C(1), lab.S(1), 64240, kind: SegmentKind.Retransmission);
            Single<Retransmitting>(lab.Events()).ShouldBe(new Retransmitting("FIN", attempt, Sec * nextRto));
            lab.ExpectDeadline(Sec * (at + nextRto));
            lab.ExpectState(TcpState.FinWait1);
        }

        lab.FireTimer();
        lab.ExpectOne(TcpFlags.Rst | TcpFlags.Ack, lab.C(2), lab.S(1), 0, kind: SegmentKind.Reset, because: "giving up resets a server that may still hold the connection");
        var failed = Single<SessionFailed>(lab.Events());
        failed.Kind.ShouldBe(FailureKind.Timeout);
        failed.Reason.ShouldContain("FIN");
        lab.ExpectState(TcpState.Closed);
        lab.ExpectDeadline(lab.Now + Ms(200), "the RST goes again in case it was lost");
    }

    [Fact]
    public void Data_and_fin_unacknowledged_are_retransmitted_together()
    {
        var lab = new Lab().Established();
        lab.Send("0123456789");
        lab.Close();
        lab.ExpectCount(2);
        lab.FireTimer();
        lab.ExpectOne(TcpFlags.Fin | TcpFlags.Psh | TcpFlags.Ack, lab.C(1), lab.S(1), 64240, payload: "0123456789"u8.ToArray(), kind: SegmentKind.Retransmission);
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void An_ack_of_new_data_resets_the_backoff(uint clientIsn, uint serverIsn)
    {
        var lab = new Lab(clientIsn, serverIsn).Established(mss: 536);
        var data = Enumerable.Range(0, 2000).Select(i => (byte)(i * 7)).ToArray();
        lab.Send(data);
        lab.ExpectCount(4);
        lab.Events();

        lab.FireTimer(); // 1 s: the first segment again, RTO now 2 s
        lab.ExpectOne(TcpFlags.Psh | TcpFlags.Ack, lab.C(1), lab.S(1), 64240, payload: data[..536], kind: SegmentKind.Retransmission);
        lab.ExpectDeadline(Sec * 3);

        lab.RunUntil(Ms(1500));
        lab.Deliver(lab.Server.Ack(537));
        var again = lab.ExpectCount(2, "after a timeout everything outstanding is lost: slow start sends it again, cwnd two segments now");
        again.ShouldAllBe(s => s.Kind == SegmentKind.Retransmission);
        again[0].Seq.ShouldBe(lab.C(537));
        again[1].Seq.ShouldBe(lab.C(1073));
        lab.ExpectDeadline(Ms(2500), "the ACK restarts the timer with the initial RTO (Karn: no sample from a retransmitted segment)");
        lab.Events();

        lab.FireTimer();
        lab.ExpectOne(TcpFlags.Psh | TcpFlags.Ack, lab.C(537), lab.S(1), 64240, payload: data[536..1072], kind: SegmentKind.Retransmission);
        Single<Retransmitting>(lab.Events()).ShouldBe(new Retransmitting("data", 1, Sec * 2), "the count restarts too");
        lab.ExpectDeadline(Ms(4500));

        lab.Deliver(lab.Server.Ack(2001));
        lab.ExpectDeadline(null);
    }

    [Fact]
    public void New_data_while_the_timer_runs_does_not_restart_it()
    {
        var lab = new Lab().Established();
        lab.Send("a");
        lab.ExpectDeadline(Sec);
        lab.Advance(Ms(500));
        lab.Send("b");
        lab.ExpectDeadline(Sec, "RFC 6298 §5.1: start the timer only when it is not running");
    }

    [Fact]
    public void A_duplicate_ack_neither_moves_nor_stops_the_timer()
    {
        var lab = new Lab().Established();
        lab.Send("abc");
        lab.Advance(Ms(200));
        lab.Deliver(lab.Server.Ack(1));
        lab.ExpectDeadline(Sec);
        lab.Session.SndUna.ShouldBe(lab.C(1));
    }
}
