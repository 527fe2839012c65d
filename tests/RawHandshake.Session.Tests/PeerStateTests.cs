using RawHandshake.Session.Tests.Support;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;
using static RawHandshake.Session.Tests.Support.Lab;

namespace RawHandshake.Session.Tests;

/// <summary>The server's inferred state, through the session's StateChanged(Side.Server) events and directly.</summary>
public class PeerStateTests
{
    private static void ExpectPeer(Lab lab, TcpState state, params string[] transitions)
    {
        var seen = Transitions(lab.Events(), Side.Server);
        if (!seen.SequenceEqual(transitions))
        {
            throw new ShouldAssertException($"server transitions: expected [{string.Join(", ", transitions)}], saw [{string.Join(", ", seen)}]");
        }

        if (lab.Session.PeerState != state)
        {
            throw new ShouldAssertException($"server state: expected {state.ToRfc()}, inferred {lab.Session.PeerState.ToRfc()}");
        }
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void We_close_first_server_goes_close_wait_last_ack_closed(uint clientIsn, uint serverIsn)
    {
        var lab = new Lab(clientIsn, serverIsn);
        lab.Session.PeerState.ShouldBe(TcpState.Listen);
        lab.Connect();
        ExpectPeer(lab, TcpState.Listen);

        lab.Deliver(lab.Server.SynAck());
        var events = lab.Out.AllEvents.OfType<StateChanged>().Where(e => e.Side == Side.Server).ToList();
        ExpectPeer(lab, TcpState.Established, "LISTEN→SYN-RECEIVED", "SYN-RECEIVED→ESTABLISHED");
        events[0].Reason.ShouldBe("inferred from its segment");
        events[1].Reason.ShouldBe("inferred from our segment");

        lab.Deliver(lab.Server.Data("data", ackRel: 1));
        lab.Send("more");
        lab.Deliver(lab.Server.Ack(5));
        ExpectPeer(lab, TcpState.Established);

        lab.Close();
        ExpectPeer(lab, TcpState.CloseWait, "ESTABLISHED→CLOSE-WAIT");
        lab.Deliver(lab.Server.Ack(6));
        ExpectPeer(lab, TcpState.CloseWait);
        lab.Deliver(lab.Server.Fin(ackRel: 6));
        ExpectPeer(lab, TcpState.Closed, "CLOSE-WAIT→LAST-ACK", "LAST-ACK→CLOSED");
    }

    [Fact]
    public void Its_fin_is_reported_last_ack_before_our_ack_makes_it_closed()
    {
        // The two transitions of the previous test happen inside one OnSegment: check their order and sources.
        var lab = new Lab().Established();
        lab.Close();
        lab.Deliver(lab.Server.Ack(2));
        lab.Events();
        lab.Deliver(lab.Server.Fin(ackRel: 2));
        var changes = lab.Events().OfType<StateChanged>().Where(e => e.Side == Side.Server).ToList();
        changes.ShouldBe([
            new StateChanged(Side.Server, TcpState.CloseWait, TcpState.LastAck, "inferred from its segment"),
            new StateChanged(Side.Server, TcpState.LastAck, TcpState.Closed, "inferred from our segment"),
        ]);
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Server_closes_first_fin_wait_1_fin_wait_2_time_wait(uint clientIsn, uint serverIsn)
    {
        var lab = new Lab(clientIsn, serverIsn).Established();
        lab.Deliver(lab.Server.Fin(ackRel: 1));
        ExpectPeer(lab, TcpState.FinWait2, "ESTABLISHED→FIN-WAIT-1", "FIN-WAIT-1→FIN-WAIT-2");
        lab.Close();
        ExpectPeer(lab, TcpState.TimeWait, "FIN-WAIT-2→TIME-WAIT");
        lab.Deliver(lab.Server.Ack(2));
        ExpectPeer(lab, TcpState.TimeWait);
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Simultaneous_close_goes_through_closing(uint clientIsn, uint serverIsn)
    {
        var lab = new Lab(clientIsn, serverIsn).Established();
        lab.Close();
        ExpectPeer(lab, TcpState.CloseWait, "ESTABLISHED→CLOSE-WAIT");
        lab.Deliver(lab.Server.Fin(ackRel: 1));
        ExpectPeer(lab, TcpState.TimeWait, "CLOSE-WAIT→CLOSING", "CLOSING→TIME-WAIT");
    }

    [Fact]
    public void Its_rst_closes_it()
    {
        var lab = new Lab().Established();
        lab.Deliver(lab.Server.Rst(lab.S(1)));
        ExpectPeer(lab, TcpState.Closed, "ESTABLISHED→CLOSED");
    }

    [Fact]
    public void Our_abort_closes_it()
    {
        var lab = new Lab().Established();
        lab.Abort();
        ExpectPeer(lab, TcpState.Closed, "ESTABLISHED→CLOSED");
    }

    // ---- PeerStateTracker directly ---------------------------------------------------------------------------

    [Theory]
    [InlineData(1000u, 5000u)]
    [InlineData(0xFFFFFFF0u, 0xFFFFFFF0u)]
    [InlineData(0xFFFFFFFFu, 0xFFFFFFFEu)]
    public void Tracker_we_close_first(uint c, uint s)
    {
        var ci = new SeqNum(c);
        var si = new SeqNum(s);
        var t = new PeerStateTracker();
        t.State.ShouldBe(TcpState.Listen);
        t.OnSent(TcpFlags.Syn, ci, default, 0).ShouldBeNull();
        t.OnReceived(TcpFlags.Syn | TcpFlags.Ack, si, ci + 1, 0).ShouldBe(TcpState.SynReceived);
        t.OnReceived(TcpFlags.Syn | TcpFlags.Ack, si, ci + 1, 0).ShouldBeNull("a retransmitted SYN-ACK");
        t.OnSent(TcpFlags.Ack, ci + 1, si + 1, 0).ShouldBe(TcpState.Established);
        t.OnReceived(TcpFlags.Ack | TcpFlags.Psh, si + 1, ci + 1, 20).ShouldBeNull();
        t.OnSent(TcpFlags.Ack, ci + 1, si + 21, 0).ShouldBeNull();
        t.OnSent(TcpFlags.Fin | TcpFlags.Ack, ci + 1, si + 21, 10).ShouldBe(TcpState.CloseWait); // data + FIN: FIN at C+11
        t.OnReceived(TcpFlags.Ack, si + 21, ci + 11, 0).ShouldBeNull("acks our data, not our FIN");
        t.OnReceived(TcpFlags.Ack, si + 21, ci + 12, 0).ShouldBeNull("acks our FIN: still CLOSE-WAIT");
        t.OnReceived(TcpFlags.Fin | TcpFlags.Ack, si + 21, ci + 12, 0).ShouldBe(TcpState.LastAck);
        t.OnSent(TcpFlags.Ack, ci + 12, si + 21, 0).ShouldBeNull("an ACK that does not cover its FIN");
        t.OnSent(TcpFlags.Ack, ci + 12, si + 22, 0).ShouldBe(TcpState.Closed);
    }

    [Theory]
    [InlineData(1000u, 5000u)]
    [InlineData(0xFFFFFFF0u, 0xFFFFFFF0u)]
    public void Tracker_server_closes_first_with_data_on_its_fin(uint c, uint s)
    {
        var ci = new SeqNum(c);
        var si = new SeqNum(s);
        var t = new PeerStateTracker();
        t.OnReceived(TcpFlags.Syn | TcpFlags.Ack, si, ci + 1, 0);
        t.OnSent(TcpFlags.Ack, ci + 1, si + 1, 0);
        t.OnReceived(TcpFlags.Fin | TcpFlags.Psh | TcpFlags.Ack, si + 1, ci + 1, 30).ShouldBe(TcpState.FinWait1); // FIN at S+31
        t.OnSent(TcpFlags.Ack, ci + 1, si + 31, 0).ShouldBeNull("our ACK covers its data only");
        t.OnSent(TcpFlags.Ack, ci + 1, si + 32, 0).ShouldBe(TcpState.FinWait2);
        t.OnSent(TcpFlags.Fin | TcpFlags.Ack, ci + 1, si + 32, 0).ShouldBe(TcpState.TimeWait);
        t.OnReceived(TcpFlags.Ack, si + 32, ci + 2, 0).ShouldBeNull();
        t.State.ShouldBe(TcpState.TimeWait);
    }

    [Fact]
    public void Tracker_simultaneous_close_closing_then_time_wait()
    {
        var ci = new SeqNum(0xFFFFFFFE);
        var si = new SeqNum(7);
        var t = new PeerStateTracker();
        t.OnReceived(TcpFlags.Syn | TcpFlags.Ack, si, ci + 1, 0);
        t.OnSent(TcpFlags.Ack, ci + 1, si + 1, 0);
        t.OnSent(TcpFlags.Fin | TcpFlags.Ack, ci + 1, si + 1, 0).ShouldBe(TcpState.CloseWait);
        t.OnReceived(TcpFlags.Fin | TcpFlags.Ack, si + 1, ci + 1, 0).ShouldBe(TcpState.Closing, "its FIN does not ack ours");
        t.OnReceived(TcpFlags.Ack, si + 2, ci + 2, 0).ShouldBeNull("its ACK of our FIN: it still waits for our ACK of its FIN");
        t.OnSent(TcpFlags.Ack, ci + 2, si + 2, 0).ShouldBe(TcpState.TimeWait);
    }

    [Fact]
    public void Tracker_its_fin_crossing_ours_and_acked_before_its_ack_of_ours()
    {
        var t = new PeerStateTracker();
        var ci = new SeqNum(100);
        var si = new SeqNum(200);
        t.OnReceived(TcpFlags.Syn | TcpFlags.Ack, si, ci + 1, 0);
        t.OnSent(TcpFlags.Ack, ci + 1, si + 1, 0);
        t.OnSent(TcpFlags.Fin | TcpFlags.Ack, ci + 1, si + 1, 0);
        t.OnReceived(TcpFlags.Fin | TcpFlags.Ack, si + 1, ci + 2, 0).ShouldBe(TcpState.LastAck, "its FIN acks ours: it was in CLOSE-WAIT");
        t.OnSent(TcpFlags.Ack, ci + 2, si + 2, 0).ShouldBe(TcpState.Closed);
    }

    [Fact]
    public void Tracker_rst_either_way_closes_except_ours_before_it_answered()
    {
        var t = new PeerStateTracker();
        t.OnSent(TcpFlags.Rst, new SeqNum(1), default, 0).ShouldBeNull("a RST to a LISTEN socket is ignored");
        t.State.ShouldBe(TcpState.Listen);
        t.OnReceived(TcpFlags.Rst | TcpFlags.Ack, new SeqNum(0), new SeqNum(2), 0).ShouldBe(TcpState.Closed);

        var u = new PeerStateTracker();
        u.OnReceived(TcpFlags.Syn | TcpFlags.Ack, new SeqNum(9), new SeqNum(2), 0);
        u.OnSent(TcpFlags.Rst, new SeqNum(2), default, 0).ShouldBe(TcpState.Closed);
        u.OnReceived(TcpFlags.Syn | TcpFlags.Ack, new SeqNum(9), new SeqNum(2), 0).ShouldBe(TcpState.SynReceived, "a new SYN-ACK after CLOSED");
    }

    [Fact]
    public void Tracker_data_does_not_move_an_established_server()
    {
        var t = new PeerStateTracker();
        t.OnReceived(TcpFlags.Syn | TcpFlags.Ack, new SeqNum(0xFFFFFFFF), new SeqNum(1), 0);
        t.OnSent(TcpFlags.Ack, new SeqNum(1), new SeqNum(0), 0);
        for (var i = 0; i < 10; i++)
        {
            t.OnReceived(TcpFlags.Ack | TcpFlags.Psh, new SeqNum((uint)(i * 100)), new SeqNum(1), 100).ShouldBeNull();
            t.OnSent(TcpFlags.Ack, new SeqNum(1), new SeqNum((uint)((i + 1) * 100)), 0).ShouldBeNull();
        }

        t.State.ShouldBe(TcpState.Established);
    }
}
