using RawHandshake.Recipes.Runner.Tests.Infra;
using RawHandshake.Session;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Recipes.Runner.Tests;

/// <summary>RecipeSession.Config: the session's options from the header, overridden by the first SYN or connect.</summary>
public sealed class RecipeSessionConfigTests
{
    private static readonly FlowKey Key = new(Net.ClientIp, 41000, Net.ServerIp, 20000);

    private static SessionConfig Config(string text, uint isn = 77) =>
        RecipeSession.Config(Bench.Compile("target 10.9.0.2:20000\n" + text), Key, isn);

    [Fact]
    public void Defaults_without_header_options()
    {
        var c = Config("connect");
        c.Flow.ShouldBe(Key);
        c.Isn.ShouldBe(new SeqNum(77));
        c.Mss.ShouldBe((ushort)1460);
        c.WindowScale.ShouldBeNull();
        c.SackPermitted.ShouldBeFalse();
        c.Timestamps.ShouldBeFalse();
        c.ReceiveWindow.ShouldBe(64240);
        c.InitialRto.ShouldBe(TimeSpan.FromSeconds(1));
        c.Retries.ShouldBe(4);
        c.TimeWait.ShouldBe(TimeSpan.FromMilliseconds(500));
        RecipeSession.DefaultTimeout.ShouldBe(TimeSpan.FromSeconds(30));
    }

    [Fact]
    public void Over_IPv6_the_default_MSS_leaves_room_for_its_40_byte_header()
    {
        var key6 = new FlowKey(IpAddress.Parse("2001:db8::1"), 41000, IpAddress.Parse("2001:db8:2::10"), 20000);
        RecipeSession.Config(Bench.Compile("target [2001:db8:2::10]:20000\nconnect"), key6, 77).Mss.ShouldBe((ushort)1440);
        RecipeSession.Config(Bench.Compile("target [2001:db8:2::10]:20000\noptions mss 1200\nconnect"), key6, 77).Mss.ShouldBe((ushort)1200);
    }

    [Fact]
    public void Header_options_apply_to_a_plain_connect()
    {
        var c = Config("""
            options mss 1200, wscale 5, sackok, timestamps
            option window 30000
            option rto 300ms
            option retries 2
            option time-wait 1s
            connect
            """, isn: 0xFFFF_FFFF);
        c.Isn.ShouldBe(new SeqNum(0xFFFF_FFFF));
        c.Mss.ShouldBe((ushort)1200);
        c.WindowScale.ShouldBe((byte)5);
        c.SackPermitted.ShouldBeTrue();
        c.Timestamps.ShouldBeTrue();
        c.ReceiveWindow.ShouldBe(30000);
        c.InitialRto.ShouldBe(TimeSpan.FromMilliseconds(300));
        c.Retries.ShouldBe(2);
        c.TimeWait.ShouldBe(TimeSpan.FromSeconds(1));
    }

    [Fact]
    public void Header_sackok_off_and_timestamps_off()
    {
        var c = Config("""
            options sackok off, timestamps no
            connect
            """);
        c.SackPermitted.ShouldBeFalse();
        c.Timestamps.ShouldBeFalse();
    }

    [Fact]
    public void First_syn_decides_over_the_header()
    {
        var c = Config("""
            options mss 1200, wscale 5, timestamps
            send S 0:0(0) <mss 1000, sackOK, TS val 1 ecr 0, nop, wscale 3>
            """);
        c.Mss.ShouldBe((ushort)1000);
        c.WindowScale.ShouldBe((byte)3);
        c.SackPermitted.ShouldBeTrue();
        c.Timestamps.ShouldBeTrue();
    }

    [Fact]
    public void What_the_first_syn_leaves_out_is_not_offered()
    {
        var c = Config("""
            options wscale 7, sackok, timestamps
            send S 0:0(0) <mss 1460>
            """);
        c.Mss.ShouldBe((ushort)1460);
        c.WindowScale.ShouldBeNull("the SYN did not offer window scaling: the session must not scale");
        c.SackPermitted.ShouldBeFalse();
        c.Timestamps.ShouldBeFalse();
    }

    [Fact]
    public void First_syn_with_empty_options_offers_nothing()
    {
        var c = Config("""
            options mss 1200, wscale 5
            send S 0:0(0) <>
            """);
        c.Mss.ShouldBeNull();
        c.WindowScale.ShouldBeNull();
        c.SackPermitted.ShouldBeFalse();
        c.Timestamps.ShouldBeFalse();
    }

    [Fact]
    public void Only_the_first_syn_counts()
    {
        var c = Config("""
            send S 0:0(0) <mss 1000> tcp.checksum 0xdead
            send S 0:0(0) <mss 900, wscale 2>
            """);
        c.Mss.ShouldBe((ushort)1000);
        c.WindowScale.ShouldBeNull();
    }

    [Fact]
    public void Steps_before_the_first_syn_do_not_count()
    {
        var c = Config("""
            options wscale 4
            expect server-state LISTEN
            echo "go"
            send S 0:0(0) <mss 999, wscale 1>
            """);
        c.Mss.ShouldBe((ushort)999);
        c.WindowScale.ShouldBe((byte)1);
    }

    [Fact]
    public void Connect_options_decide_over_the_header()
    {
        var c = Config("""
            options mss 1200, wscale 5, sackok
            connect <mss 900, TS val 1 ecr 0>
            """);
        c.Mss.ShouldBe((ushort)900);
        c.WindowScale.ShouldBeNull();
        c.SackPermitted.ShouldBeFalse();
        c.Timestamps.ShouldBeTrue();
    }

    [Fact]
    public void Connect_with_a_bare_ts_offers_timestamps()
    {
        var c = Config("connect <mss 536, sackOK, TS>");
        c.Mss.ShouldBe((ushort)536);
        c.SackPermitted.ShouldBeTrue();
        c.Timestamps.ShouldBeTrue();
        c.WindowScale.ShouldBeNull();
    }

    /// <summary>
    /// BUG (RecipeSession.Config): README §5 — "<c>connect &lt;&gt;</c> offers none" — but an empty list is treated like a
    /// plain <c>connect</c>, so the header's options (or MSS 1460) are offered anyway.
    /// </summary>
    [Fact]
    public void Connect_with_empty_options_offers_nothing()
    {
        var c = Config("""
            options mss 1200, wscale 5
            connect <>
            """);
        c.Mss.ShouldBeNull();
        c.WindowScale.ShouldBeNull();
        c.SackPermitted.ShouldBeFalse();
        c.Timestamps.ShouldBeFalse();
    }

    [Fact]
    public void A_syn_ack_we_send_counts_as_the_first_syn()
    {
        var c = Config("""
            options mss 1200
            send S. 0:0(0) ack 1 <mss 700>
            """);
        c.Mss.ShouldBe((ushort)700);
    }

    [Fact]
    public void Handshake_by_hand_with_timestamps_then_the_session_carries_them()
    {
        // The session learns from Config that we offered TS and wscale 7: its own segments after the handshake by hand
        // carry TS (echoing the server's latest TSval) and a window scaled by 7.
        var bench = new Bench();
        bench.Peer.Listen(20000);
        var run = bench.Run("""
            target 10.9.0.2:20000
            send   S 0:0(0) win 64240 <mss 1460, sackOK, TS val 1 ecr 0, nop, wscale 7>
            expect S. 0:0(0) ack 1 <mss 1460, sackOK, TS val * ecr 1, nop, wscale 7> within 1s
            send   . 1:1(0) ack 1 <nop, nop, TS val 2 ecr $srv.tsval>
            window 64000
            push   "A" then ack 2
            recv   "A" within 1s
            close
            """);
        run.ShouldPass();
        var data = run.Sent.First(s => s.Payload.Length > 0);
        data.Tcp.Window.ShouldBe((ushort)500);
        data.Options.TsVal.ShouldNotBeNull();
        data.Options.TsEcr.ShouldBe(Wire.Parsing.FrameParser.Parse(run.Peer.Sent[0]).TcpOptionsSummary(run.Peer.Sent[0]).TsVal);
    }

    [Fact]
    public void Connect_syn_carries_the_config_options()
    {
        var bench = new Bench();
        bench.Peer.Listen(20000);
        var run = bench.Run("""
            target 10.9.0.2:20000
            options mss 1300, wscale 6, sackok, timestamps, window 20000
            connect
            close
            """);
        run.ShouldPass();
        var syn = run.Sent[0];
        syn.Tcp.Window.ShouldBe((ushort)20000);
        syn.Options.Mss.ShouldBe((ushort)1300);
        syn.Options.WindowScale.ShouldBe((byte)6);
        syn.Options.SackPermitted.ShouldBeTrue();
        syn.Options.TsVal.ShouldNotBeNull();
    }
}
