using RawHandshake.Session.Tests.Support;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;
using static RawHandshake.Session.Tests.Support.Lab;

namespace RawHandshake.Session.Tests;

public class HandshakeTests
{
    private static SessionConfig AllOptions(SessionConfig c) => c with { Mss = 1460, WindowScale = 7, SackPermitted = true, Timestamps = true, TsOffset = 1000 };

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Syn_carries_the_configured_options_and_an_unscaled_window(uint clientIsn, uint serverIsn)
    {
        var lab = new Lab(clientIsn, serverIsn, AllOptions);
        lab.Advance(TimeSpan.FromSeconds(5));

        lab.Connect();

        lab.ExpectOne(TcpFlags.Syn, lab.C(0), new SeqNum(0), window: 64240, options: new TcpOptionSet(1460, 7, true, (6000u, 0u)), kind: SegmentKind.Normal);
        lab.ExpectState(TcpState.SynSent);
        lab.ExpectDeadline(TimeSpan.FromSeconds(6), "the SYN's retransmission timer, one initial RTO away");
        Transitions(lab.Events(), Side.Client).ShouldBe(["CLOSED→SYN-SENT"]);
        lab.Session.SndNxt.ShouldBe(lab.C(1));
        lab.Session.SndUna.ShouldBe(lab.C(0));
    }

    [Fact]
    public void Syn_window_is_the_receive_window_clamped_to_16_bits_and_options_follow_the_config()
    {
        var lab = new Lab(configure: c => c with { ReceiveWindow = 200_000, Mss = 8960, WindowScale = 14, SackPermitted = false, Timestamps = false });
        lab.Connect();
        lab.ExpectOne(TcpFlags.Syn, lab.C(0), new SeqNum(0), window: 65535, options: new TcpOptionSet(Mss: 8960, WindowScale: 14));

        var bare = new Lab(configure: c => c with { Mss = null });
        bare.Connect();
        bare.ExpectOne(TcpFlags.Syn, bare.C(0), new SeqNum(0), window: 64240, options: default);
    }

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Syn_ack_establishes_our_ack_is_isn_plus_one_and_the_rtt_is_the_virtual_time_elapsed(uint clientIsn, uint serverIsn)
    {
        var lab = new Lab(clientIsn, serverIsn, AllOptions);
        lab.Advance(TimeSpan.FromSeconds(5));
        lab.Connect();
        lab.Take();
        lab.Events();

        lab.Advance(Ms(23));
        lab.Deliver(lab.Server.SynAck(mss: 1400, ws: 8, sack: true, ts: true, window: 65535));

        // 64240 / 128 rounded up (as Linux aligns the window to the scale unit) = 502; TSval = 5023 ms + offset 1000, TSecr = the server's TSval.
        lab.ExpectOne(TcpFlags.Ack, lab.C(1), lab.S(1), window: 502, options: new TcpOptionSet(Timestamps: (6023u, 777u)), kind: SegmentKind.Normal);
        lab.ExpectState(TcpState.Established);
        lab.ExpectDeadline(null, "nothing outstanding after the handshake");
        var events = lab.Events();
        Single<HandshakeCompleted>(events).ShouldBe(new HandshakeCompleted(Ms(23), 1400, 8, true, true, 65535));
        Transitions(events, Side.Client).ShouldBe(["SYN-SENT→ESTABLISHED"]);
        Transitions(events, Side.Server).ShouldBe(["LISTEN→SYN-RECEIVED", "SYN-RECEIVED→ESTABLISHED"]);
        lab.Session.Irs.ShouldBe(lab.S(0));
        lab.Session.RcvNxt.ShouldBe(lab.S(1));
        lab.Session.SndUna.ShouldBe(lab.C(1));
        lab.Session.SndNxt.ShouldBe(lab.C(1));
        lab.Session.PeerMss.ShouldBe((ushort)1400);
        lab.Session.PeerWindow.ShouldBe(65535u, "the SYN-ACK's window is never scaled (RFC 7323 §2.2)");
    }

    public static TheoryData<bool, bool, bool, bool, bool, bool> OptionMatrix()
    {
        var data = new TheoryData<bool, bool, bool, bool, bool, bool>();
        for (var i = 0; i < 64; i++)
        {
            data.Add((i & 1) != 0, (i & 2) != 0, (i & 4) != 0, (i & 8) != 0, (i & 16) != 0, (i & 32) != 0);
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(OptionMatrix))]
    public void Options_are_negotiated_only_when_both_sides_offer_them(bool weWs, bool theyWs, bool weSack, bool theySack, bool weTs, bool theyTs)
    {
        var lab = new Lab(configure: c => c with { WindowScale = weWs ? (byte)7 : null, SackPermitted = weSack, Timestamps = weTs });
        lab.Connect();
        lab.Take();
        lab.Advance(Ms(10));
        lab.Server.TsVal = 4242;
        lab.Deliver(lab.Server.SynAck(mss: 1200, ws: theyWs ? (byte)3 : null, sack: theySack, ts: theyTs, window: 30000));

        var ws = weWs && theyWs;
        var ts = weTs && theyTs;
        var hc = Single<HandshakeCompleted>(lab.Events());
        hc.ShouldBe(new HandshakeCompleted(Ms(10), 1200, ws ? (byte)3 : null, weSack && theySack, ts, 30000));
        lab.ExpectOne(TcpFlags.Ack, lab.C(1), lab.S(1), window: ws ? (64240 + 127) >> 7 : 64240, options: ts ? new TcpOptionSet(Timestamps: (10u, 4242u)) : default);

        // After the handshake the server's window is scaled by its shift only when scaling is on both ways.
        lab.Deliver(lab.Server.Ack(1, window: 100));
        lab.Session.PeerWindow.ShouldBe(ws ? 800u : 100u);
        lab.ExpectNothing("a pure ACK that acknowledges nothing new is not answered");
    }

    [Fact]
    public void Window_scale_shift_above_14_is_clamped_to_14()
    {
        var lab = new Lab(configure: c => c with { WindowScale = 7 });
        lab.Connect();
        lab.Deliver(lab.Server.SynAck(ws: 20));
        Single<HandshakeCompleted>(lab.Events()).PeerWindowScale.ShouldBe((byte)14);
        lab.Deliver(lab.Server.Ack(1, window: 2));
        lab.Session.PeerWindow.ShouldBe(2u << 14);
    }

    [Fact]
    public void Without_an_mss_option_the_peer_mss_is_536()
    {
        var lab = new Lab();
        lab.Connect();
        lab.Deliver(lab.Server.SynAck(mss: null));
        Single<HandshakeCompleted>(lab.Events()).PeerMss.ShouldBe((ushort)536);
        lab.Session.PeerMss.ShouldBe((ushort)536);
    }

    [Fact]
    public void Data_queued_in_syn_sent_follows_the_handshake_ack()
    {
        var lab = new Lab();
        lab.Connect();
        lab.Take();
        lab.Send("hi");
        lab.ExpectNothing("no data before the handshake");

        lab.Deliver(lab.Server.SynAck());
        var s = lab.ExpectCount(2);
        lab.Check(s[0], TcpFlags.Ack, lab.C(1), lab.S(1), 64240);
        lab.Check(s[1], TcpFlags.Psh | TcpFlags.Ack, lab.C(1), lab.S(1), 64240, payload: "hi"u8.ToArray());
        lab.ExpectDeadline(lab.Now + TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void Rtt_after_a_retransmitted_syn_is_not_reported_karn()
    {
        var lab = new Lab();
        lab.Connect();
        lab.FireTimer(); // SYN retransmitted at 1 s
        lab.Advance(Ms(50));
        lab.Deliver(lab.Server.SynAck());
        Single<HandshakeCompleted>(lab.Events()).Rtt.ShouldBeNull("an ambiguous sample is not measured (Karn)");
    }

    [Fact]
    public void Connect_twice_throws()
    {
        var lab = new Lab();
        lab.Connect();
        Should.Throw<InvalidOperationException>(() => lab.Session.Connect(lab.Now, lab.Out));
    }

    [Fact]
    public void Close_in_syn_sent_ends_the_session_without_a_segment()
    {
        var lab = new Lab();
        lab.Connect();
        lab.Take();
        lab.Close();
        lab.ExpectNothing();
        lab.ExpectState(TcpState.Closed);
        lab.Session.IsDone.ShouldBeTrue();
        lab.ExpectDeadline(null);
    }

    // ---- simultaneous open (RFC 9293 §3.5, figure 7) ------------------------------------------------------------

    [Theory]
    [MemberData(nameof(Isns.All), MemberType = typeof(Isns))]
    public void Simultaneous_open_answers_a_bare_syn_with_syn_ack_and_enters_syn_received(uint clientIsn, uint serverIsn)
    {
        var lab = new Lab(clientIsn, serverIsn);
        lab.Connect();
        lab.Take();
        lab.Deliver(lab.Server.Raw(TcpFlags.Syn, lab.S(0), new SeqNum(0), 65535, options: new TcpOptionsSummary(1460, null, false, null, null, 0)));
        lab.ExpectOne(TcpFlags.Syn | TcpFlags.Ack, lab.C(0), lab.S(1), window: 64240, options: new TcpOptionSet(Mss: 1460));
        lab.ExpectState(TcpState.SynReceived);
    }

    [Fact]
    public void Simultaneous_open_syn_ack_window_is_not_scaled()
    {
        // RFC 7323 §2.2: the window field of a segment with SYN set is never scaled.
        var lab = new Lab(configure: c => c with { WindowScale = 7 });
        lab.Connect();
        lab.Take();
        lab.Deliver(lab.Server.Raw(TcpFlags.Syn, lab.S(0), new SeqNum(0), 65535, options: new TcpOptionsSummary(1460, 7, false, null, null, 0)));
        lab.ExpectOne(TcpFlags.Syn | TcpFlags.Ack, lab.C(0), lab.S(1), window: 64240, options: new TcpOptionSet(Mss: 1460, WindowScale: 7));
    }

    [Fact]
    public void Simultaneous_open_completes_when_the_server_acknowledges_our_syn()
    {
        // RFC 9293 §3.10.7.4, SYN-RECEIVED: if SND.UNA < SEG.ACK =< SND.NXT, enter ESTABLISHED.
        var lab = new Lab();
        lab.Connect();
        lab.Deliver(lab.Server.Raw(TcpFlags.Syn, lab.S(0), new SeqNum(0), 65535));
        lab.Take();
        lab.Server.SndNxt = lab.S(1);
        lab.Deliver(lab.Server.Ack(1));
        lab.ExpectState(TcpState.Established);
        lab.ExpectDeadline(null, "our SYN is acknowledged");
    }

    [Fact]
    public void Simultaneous_open_retransmits_its_syn_ack_when_unanswered()
    {
        var lab = new Lab();
        lab.Connect();
        lab.Deliver(lab.Server.Raw(TcpFlags.Syn, lab.S(0), new SeqNum(0), 65535));
        lab.Take();
        lab.FireTimer();
        lab.ExpectOne(TcpFlags.Syn | TcpFlags.Ack, lab.C(0), lab.S(1), window: 64240, options: new TcpOptionSet(Mss: 1460), kind: SegmentKind.Retransmission);
    }
}
