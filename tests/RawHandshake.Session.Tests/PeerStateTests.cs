using RawHandshake.Session.Tests.Support;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;
using static RawHandshake.Session.Tests.Support.Lab;

namespace RawHandshake.Session.Tests;

/// <summary>The server's inferred state, through the session's StateChanged(Side.Server) events and directly.</summary>
public class PeerStateTests
{
    private static void ExpectPeer(Lab lab, TcpState? state, params string[] transitions)
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
        lab.Session.PeerState.ShouldBeNull("unknown until it answers");
        lab.Connect();
        ExpectPeer(lab, null);

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
        t.State.ShouldBeNull();
        t.OnSent(TcpFlags.Syn, ci, default, 0).ShouldBeNull();
        t.State.ShouldBeNull("after our SYN: a listening port, a closed one and no host at all look the same");
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
        t.OnSent(TcpFlags.Rst, new SeqNum(1), default, 0).ShouldBeNull("a RST to a server we never heard from moves nothing");
        t.State.ShouldBeNull();
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

/// <summary>Issue 10 §3: the inferred state never shows what cannot be.</summary>
public class PeerStateHonestyTests
{
    private static PeerStateTracker Established(SeqNum ci, SeqNum si)
    {
        var t = new PeerStateTracker();
        t.OnSent(TcpFlags.Syn, ci, default, 0);
        t.OnReceived(TcpFlags.Syn | TcpFlags.Ack, si, ci + 1, 0);
        t.OnSent(TcpFlags.Ack, ci + 1, si + 1, 0).ShouldBe(TcpState.Established);
        return t;
    }

    [Fact]
    public void A_closed_port_is_unknown_then_closed_never_listen()
    {
        var t = new PeerStateTracker();
        t.OnSent(TcpFlags.Syn, new SeqNum(100), default, 0).ShouldBeNull();
        t.State.ShouldBeNull();
        t.OnReceived(TcpFlags.Rst | TcpFlags.Ack, new SeqNum(0), new SeqNum(101), 0).ShouldBe(TcpState.Closed);
        t.Previous.ShouldBeNull("it was unknown, not LISTEN");
    }

    [Fact]
    public void An_absent_host_stays_unknown()
    {
        var t = new PeerStateTracker();
        for (var i = 0; i < 4; i++)
        {
            t.OnSent(TcpFlags.Syn, new SeqNum(100), default, 0).ShouldBeNull("a SYN and its retransmissions");
        }

        t.OnSent(TcpFlags.Rst | TcpFlags.Ack, new SeqNum(101), new SeqNum(0), 0).ShouldBeNull("our RST when giving up");
        t.State.ShouldBeNull();
        t.State.ToRfc().ShouldBe("?");
    }

    [Fact]
    public void Its_syn_ack_shows_it_was_listening()
    {
        var t = new PeerStateTracker();
        t.OnSent(TcpFlags.Syn, new SeqNum(100), default, 0);
        t.OnReceived(TcpFlags.Syn | TcpFlags.Ack, new SeqNum(7), new SeqNum(101), 0).ShouldBe(TcpState.SynReceived);
        t.Previous.ShouldBe(TcpState.Listen);
    }

    [Fact]
    public void A_fin_with_an_unacceptable_ack_moves_nothing()
    {
        var ci = new SeqNum(1000);
        var si = new SeqNum(0xFFFFFFF0);
        var t = Established(ci, si);
        t.OnSent(TcpFlags.Fin | TcpFlags.Ack, ci + 1, si + 500, 0).ShouldBeNull("it acknowledges data the server never sent: dropped");
        t.State.ShouldBe(TcpState.Established);
        t.OnSent(TcpFlags.Fin | TcpFlags.Ack, ci + 1, si + 1, 0).ShouldBe(TcpState.CloseWait, "the same FIN with a good ACK");
    }

    [Fact]
    public void A_bad_ack_in_syn_received_does_not_establish_it()
    {
        var ci = new SeqNum(5);
        var si = new SeqNum(9000);
        var t = new PeerStateTracker();
        t.OnSent(TcpFlags.Syn, ci, default, 0);
        t.OnReceived(TcpFlags.Syn | TcpFlags.Ack, si, ci + 1, 0);
        t.OnSent(TcpFlags.Ack, ci + 1, si + 7, 0).ShouldBeNull("probe-bad-ack: the server answers with RST");
        t.State.ShouldBe(TcpState.SynReceived);
        t.OnReceived(TcpFlags.Rst, si + 7, default, 0).ShouldBe(TcpState.Closed);
    }

    [Fact]
    public void A_fin_beyond_a_gap_counts_once_the_server_acknowledges_it()
    {
        var ci = new SeqNum(1000);
        var si = new SeqNum(50);
        var t = Established(ci, si);
        t.OnSent(TcpFlags.Fin | TcpFlags.Ack, ci + 11, si + 1, 0).ShouldBeNull("10 bytes before it never went out: the server holds the FIN");
        t.OnReceived(TcpFlags.Ack, si + 1, ci + 1, 0).ShouldBeNull("a duplicate ACK: still the gap");
        t.OnSent(TcpFlags.Ack | TcpFlags.Psh, ci + 1, si + 1, 10).ShouldBeNull();
        t.OnReceived(TcpFlags.Ack, si + 1, ci + 12, 0).ShouldBe(TcpState.CloseWait, "its ACK covers the FIN: it took it");
    }

    [Fact]
    public void Our_rst_answered_by_a_challenge_ack_did_not_close_it()
    {
        var ci = new SeqNum(1000);
        var si = new SeqNum(50);
        var t = Established(ci, si);
        t.OnSent(TcpFlags.Ack | TcpFlags.Psh, ci + 1, si + 1, 100);
        t.OnSent(TcpFlags.Rst | TcpFlags.Ack, ci + 101, si + 1, 0).ShouldBe(TcpState.Closed, "a RST at SND.NXT: closed, unless it answers");
        t.OnReceived(TcpFlags.Ack, si + 1, ci + 1, 0).ShouldBe(TcpState.Established, "a challenge ACK: the data was lost, the RST not taken");
        t.OnSent(TcpFlags.Rst, ci + 1, default, 0).ShouldBe(TcpState.Closed, "a RST at its acknowledgment number");
    }
}
