using System.Text;
using RawHandshake.Recipes.Runner.Tests.Infra;

namespace RawHandshake.Recipes.Runner.Tests;

/// <summary>Issue 13's constructs against the fake Linux server, on the virtual clock: each passes, and fails as it should.</summary>
public sealed class PacketdrillConstructTests
{
    private static Run RunEcho(string text, Action<Service>? configure = null, string file = "t.rh")
    {
        var bench = new Bench();
        bench.Peer.Listen(20000, configure);
        return bench.Run(text, 1000, file);
    }

    private const string FinTiming = """
        target 10.9.0.2:20000
        send   S 0:0(0) <mss 1460>
        expect S. 0:0(0) ack 1 within 0s..1s
        send   . 1:1(0) ack 1
        send   F. 1:1(0) ack 1
        expect . 1:1(0) ack 2 within 0s..100ms
        expect F. 1:1(0) ack 2 WHEN
        send   . 2:2(0) ack 2
        """;

    [Theory]
    [InlineData("within 300ms..400ms", 350)]
    [InlineData("within 300ms..400ms", 260)] // the tolerance (50 ms) widens the low end too
    [InlineData("within 300ms..400ms", 440)] // and the high end
    public void A_time_range_passes_inside_its_bounds(string when, int finDelayMs)
    {
        var run = RunEcho(FinTiming.Replace("WHEN", when, StringComparison.Ordinal), s => s.FinDelay = TimeSpan.FromMilliseconds(finDelayMs));
        run.ShouldPass();
    }

    [Fact]
    public void Packetdrill_relative_times_pass()
    {
        var text = FinTiming.Replace("expect F. 1:1(0) ack 2 WHEN", "+0.3~+0.4 expect F. 1:1(0) ack 2", StringComparison.Ordinal)
            .Replace("expect . 1:1(0) ack 2 within 0s..100ms", "+0 expect . 1:1(0) ack 2", StringComparison.Ordinal);
        RunEcho(text, s => s.FinDelay = TimeSpan.FromMilliseconds(350)).ShouldPass();
    }

    [Fact]
    public void A_segment_before_the_low_bound_fails_with_the_time_it_came()
    {
        var run = RunEcho(FinTiming.Replace("WHEN", "within 300ms..400ms", StringComparison.Ordinal), s => s.FinDelay = TimeSpan.FromMilliseconds(200));
        var f = run.Failed;
        f.Line.ShouldBe(7);
        f.Message.ShouldBe("it came too early: after 200 ms, expected no sooner than 300 ms (tolerance 50 ms)");
        f.Diffs.ShouldBe(["time: expected 300 ms.. vs actual 200 ms"]);
    }

    [Fact]
    public void A_segment_after_the_high_bound_fails()
    {
        var run = RunEcho(FinTiming.Replace("WHEN", "within 300ms..400ms", StringComparison.Ordinal), s => s.FinDelay = TimeSpan.FromMilliseconds(600));
        run.Failed.Line.ShouldBe(7);
        run.Failed.Message.ShouldBe("nothing came within 450 ms");
    }

    private const string EchoByHand = """
        target 10.9.0.2:20000
        send   S 0:0(0) <mss 1460>
        expect S. 0:0(0) ack 1
        send   . 1:1(0) ack 1
        send   P. 1:7(6) ack 1 "abcdef"
        expect . 1:1(0) ack 7
        ECHO
        send   . 7:7(0) ack 7
        """;

    private static readonly Func<byte[], IReadOnlyList<byte[]>> Thirds = b => [b[..2], b[2..4], b[4..]];

    [Fact]
    public void One_expected_segment_matches_a_run_that_makes_it_up()
    {
        var run = RunEcho(EchoByHand.Replace("ECHO", "expect P. 1:7(6) ack 7 \"abcdef\" within 1s", StringComparison.Ordinal), s => s.Segmentation = Thirds);
        run.ShouldPass();
        run.Steps[5].Message.ShouldBe("matched by a run of 3 segments");
        run.Peer.Sent.Select(f => Wire.Parsing.FrameParser.Parse(f)).Count(p => p.PayloadLength > 0).ShouldBe(3);
    }

    [Fact]
    public void One_segment_still_matches_alone_without_a_run_message()
    {
        var run = RunEcho(EchoByHand.Replace("ECHO", "expect P. 1:7(6) ack 7 \"abcdef\" within 1s", StringComparison.Ordinal));
        run.ShouldPass();
        run.Steps[5].Message.ShouldBeNull();
    }

    [Fact]
    public void A_run_with_wrong_bytes_names_the_segment_and_the_diff()
    {
        var run = RunEcho(EchoByHand.Replace("ECHO", "expect P. 1:7(6) ack 7 \"abXdef\" within 1s", StringComparison.Ordinal), s => s.Segmentation = Thirds);
        var f = run.Failed;
        f.Line.ShouldBe(7);
        f.Message!.ShouldStartWith("segment 2 of a run that should make up the expected one is P. 3:5(2) ack 7 win ");
        f.Diffs.ShouldBe(["tcp.payload: expected \"Xd\" vs actual \"cd\""]);
    }

    [Fact]
    public void A_run_that_stays_short_says_how_much_came()
    {
        var run = RunEcho(EchoByHand.Replace("ECHO", "expect P. 1:9(8) ack 7 within 200ms", StringComparison.Ordinal), s => s.Segmentation = Thirds);
        run.Failed.Line.ShouldBe(7);
        run.Failed.Message.ShouldBe("only 6 of 8 bytes came within 250 ms, in 3 segments");
    }

    [Fact]
    public void A_filler_payload_goes_out_as_zeros()
    {
        var run = RunEcho(EchoByHand
            .Replace("send   P. 1:7(6) ack 1 \"abcdef\"", "send   P. 1:7(6) ack 1", StringComparison.Ordinal)
            .Replace("ECHO", "expect P. 1:7(6) ack 7 hex 000000000000 within 1s", StringComparison.Ordinal));
        run.ShouldPass();
        run.Peer.Connections[Net.ClientPort].Received.ToArray().ShouldBe(new byte[6]);
    }

    [Fact]
    public void Push_n_bytes_sends_generated_bytes_and_waits_for_their_ack()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            connect
            push 3000 bytes then ack 3001
            recv 3000 bytes within 1s
            close
            """);
        run.ShouldPass();
        run.Peer.Connections[Net.ClientPort].Received.ToArray().ShouldBe(new byte[3000]);
    }

    private const string Timestamps = """
        target 10.9.0.2:20000
        send   S 0:0(0) <mss 1460, TS val 100 ecr 0>
        expect S. 0:0(0) ack 1 <mss 1460, TS val * ecr 100> $t = tsval $s = seq
        send   . 1:1(0) ack $s+1 <nop, nop, TS val 101 ecr $t>
        send   P. 1:3(2) ack 1 <nop, nop, TS val 102 ecr $t> "AB"
        CHECK
        """;

    [Fact]
    public void Captured_values_are_used_later()
    {
        var run = RunEcho(Timestamps.Replace("CHECK", "expect . 1:1(0) ack 3 tsval >= $t tsecr 102 $u = tsval\nexpect P. 1:3(2) ack 3 tsval >= $u tsecr 102", StringComparison.Ordinal));
        run.ShouldPass();
        run.Steps[1].Message!.ShouldMatch(@"^\$t = \d+, \$s = 65536$");
    }

    [Fact]
    public void A_failure_prints_what_each_expression_came_to()
    {
        var run = RunEcho(Timestamps.Replace("CHECK", "expect . 1:1(0) ack 3 tsecr $t tsval >= $t + 100000", StringComparison.Ordinal));
        var f = run.Failed;
        f.Line.ShouldBe(6);
        var t = long.Parse(run.Steps[1].Message!.Split(',')[0]["$t = ".Length..], System.Globalization.CultureInfo.InvariantCulture);
        f.Diffs.Count.ShouldBe(2);
        f.Diffs[0].ShouldBe($"tcp.options.tsecr: expected $t (= {t}, 0x{t:x}) vs actual 102 (0x66)");
        f.Diffs[1].ShouldBe($"tcp.options.tsval: expected >=$t+100000 (= >={t + 100000}) vs actual {f.Diffs[1].Split("actual ")[1]}");
    }

    [Fact]
    public void Srv_values_are_named_with_their_value_in_a_failure()
    {
        var run = RunEcho(Timestamps.Replace("CHECK", "expect . 1:1(0) ack 3 tsecr $srv.tsval", StringComparison.Ordinal));
        var t = run.Steps[1].Message!.Split(',')[0]["$t = ".Length..];
        run.Failed.Diffs.ShouldBe([$"tcp.options.tsecr: expected $srv.tsval (= {t}, 0x{long.Parse(t, System.Globalization.CultureInfo.InvariantCulture):x}) vs actual 102 (0x66)"]);
    }

    [Fact]
    public void An_unknown_srv_value_fails_by_name_instead_of_being_zero()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            send   S 0:0(0) <mss 1460>
            expect S. 0:0(0) ack 1
            send   . 1:1(0) ack 1 <nop, nop, TS val 1 ecr $srv.tsval>
            """);
        run.Failed.Line.ShouldBe(4);
        run.Failed.Message.ShouldBe("$srv.tsval is unknown: no segment with timestamps has come from the server");
    }

    [Fact]
    public void A_capture_of_a_field_the_segment_lacks_fails()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            send   S 0:0(0) <mss 1460>
            expect S. 0:0(0) ack 1 $t = tsval
            """);
        run.Failed.Message.ShouldBe("cannot capture $t = tsval: the segment does not carry tcp.options.tsval");
    }

    private const string SynAck = """
        target 10.9.0.2:20000
        DIALECT
        send   S 0:0(0) <mss 1460, sackOK, wscale 7>
        expect S. 0:0(0) ack 1 OPTIONS
        send   . 1:1(0) ack 1
        """;

    [Theory]
    [InlineData("", "exact <mss 1460,nop,nop,sackOK,nop,wscale 7>")]
    [InlineData("", "<mss 1460,sackOK,wscale 7>")] // presence only, by default
    [InlineData("", "<wscale 7,mss *>")]
    [InlineData("dialect packetdrill", "<mss 1460,nop,nop,sackOK,nop,wscale *>")]
    public void Exact_and_presence_option_lists_pass(string dialect, string options) =>
        RunEcho(SynAck.Replace("DIALECT", dialect, StringComparison.Ordinal).Replace("OPTIONS", options, StringComparison.Ordinal)).ShouldPass();

    [Theory]
    [InlineData("", "exact <mss 1460,sackOK,wscale 7>", "tcp.options: expected exactly <mss 1460,sackOK,wscale 7> vs actual <mss 1460,nop,nop,sackOK,nop,wscale 7>")]
    [InlineData("dialect packetdrill", "<mss 1460,sackOK,wscale 7>", "tcp.options: expected exactly <mss 1460,sackOK,wscale 7> vs actual <mss 1460,nop,nop,sackOK,nop,wscale 7>")]
    [InlineData("dialect packetdrill", "<mss 1460,nop,nop,sackOK,nop,wscale 8>", "tcp.options.wscale: expected 8 (0x8) vs actual 7 (0x7)")]
    [InlineData("dialect packetdrill", "<mss 1460,nop,nop,sackOK,nop,wscale 7,nop>", "tcp.options: expected exactly <mss 1460,nop,nop,sackOK,nop,wscale 7,nop> vs actual <mss 1460,nop,nop,sackOK,nop,wscale 7>")]
    public void Exact_option_lists_fail_on_order_nops_and_extras(string dialect, string options, string diff)
    {
        var run = RunEcho(SynAck.Replace("DIALECT", dialect, StringComparison.Ordinal).Replace("OPTIONS", options, StringComparison.Ordinal));
        run.Failed.Line.ShouldBe(4);
        run.Failed.Diffs.ShouldBe([diff]);
    }

    [Fact]
    public void Flags_print_in_the_order_written()
    {
        var run = RunEcho(SynAck.Replace("DIALECT", "", StringComparison.Ordinal).Replace("expect S. 0:0(0) ack 1 OPTIONS", "expect .SE 0:0(0) ack 1", StringComparison.Ordinal));
        run.Failed.Diffs.ShouldBe(["tcp.flags: expected .SE vs actual S. [SYN, ACK]"]);
    }

    [Fact]
    public void Close_half_shuts_our_side_while_the_server_goes_on_sending()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            connect
            close half
            expect state FIN-WAIT-2
            recv "late" within 1s
            recv "late" within 1s
            wait-close within 2s
            expect state TIME-WAIT
            """, s => s.LateData = ["late", "late"]);
        run.ShouldPass();
    }

    [Fact]
    public void Close_half_fails_when_our_fin_is_not_acknowledged()
    {
        var bench = new Bench();
        bench.Peer.Listen(20000);
        bench.Peer.Intercept = (seen, _) => seen.IsTcp && seen.Tcp.Has(Wire.Protocols.TcpFlags.Fin); // the server never sees our FIN
        var run = bench.Run("""
            target 10.9.0.2:20000
            option timeout 2s
            connect
            close half
            """);
        run.Failed.Line.ShouldBe(4);
        run.Failed.Message.ShouldBe("our FIN was not acknowledged within 2000 ms (state FIN-WAIT-1)");
    }
}
