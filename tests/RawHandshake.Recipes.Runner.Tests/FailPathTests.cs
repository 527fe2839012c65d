using RawHandshake.Engine;
using RawHandshake.Engine.Trace;
using RawHandshake.Recipes.Runner.Tests.Infra;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Recipes.Runner.Tests;

/// <summary>
/// Failing steps: the StepTraced of the failing line (Passed=false) with its exact message and field diffs, nothing run
/// after it, and the flow's outcome <c>file:line: step — message</c>.
/// </summary>
public sealed class FailPathTests
{
    private static Run RunEcho(string text, Action<Service>? configure = null, uint isn = 1000, string file = "fail.rh")
    {
        var bench = new Bench();
        bench.Peer.Listen(20000, configure);
        return bench.Run(text, isn, file);
    }

    /// <summary>
    /// The run failed at <paramref name="line"/>, and nowhere else: the steps before passed, none after ran (no
    /// StepTraced, no frame from a later send), the outcome names the line.
    /// </summary>
    private static StepTraced ShouldFailAt(Run run, int line, string message, string file = "fail.rh")
    {
        var story = run.Describe();
        run.End.ShouldBe(RunEnd.Completed, story);
        run.Outcome.ShouldNotBeNull(story);
        run.Outcome.Ok.ShouldBeFalse(story);
        run.Outcome.Ending.ShouldBe("recipe failed");
        var failed = run.Steps[^1];
        failed.Passed.ShouldBeFalse(story);
        failed.Line.ShouldBe(line, story);
        failed.File.ShouldBe(file);
        failed.Message.ShouldBe(message, story);
        run.Steps.Take(run.Steps.Count - 1).ShouldAllBe(s => s.Passed, story);

        // Nothing ran after it: the executed steps are a prefix of the recipe, ending at the failing line.
        var index = run.Recipe.Steps.ToList().FindIndex(s => s.Pos.Line == line);
        run.Steps.Count.ShouldBe(index + 1, story);
        run.Traced.Count.ShouldBe(index + 1, story);
        run.Traced[^1].ShouldBe(failed);

        // The outcome: "file:line: step — " and then the message, or the field diffs (README §8 shows the diff there).
        var prefix = $"{file}:{line}: {run.Recipe.Steps[index].Text} — ";
        run.Outcome.Error.ShouldNotBeNull();
        run.Outcome.Error.ShouldStartWith(prefix, Case.Sensitive, story);
        var detail = run.Outcome.Error[prefix.Length..];
        (detail.Contains(message, StringComparison.Ordinal) || (failed.Diffs.Count > 0 && failed.Diffs.All(d => detail.Contains(d, StringComparison.Ordinal))))
            .ShouldBeTrue($"the outcome should carry the message or the diffs: {run.Outcome.Error}");
        return failed;
    }

    [Fact]
    public void Expect_wrong_ack()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            send   S 0:0(0) <mss 1460>
            expect S. 0:0(0) ack 3 within 1s
            send   . 1:1(0) ack 1
            """);
        var f = ShouldFailAt(run, 3, "the segment that came is S. 0:0(0) ack 1 win 65160");
        f.Diffs.ShouldBe(["tcp.ack: expected 3 (0x3) vs actual 1 (0x1)"]);
        // The send after the failing expect never went out; the run reset the half-open connection the server held.
        run.Sent.Count.ShouldBe(2);
        run.Sent[1].Tcp.Flags.ShouldBe(TcpFlags.Rst | TcpFlags.Ack);
        run.Sent[1].Tcp.Seq.ShouldBe(new Wire.Primitives.SeqNum(1001));
    }

    [Fact]
    public void A_failed_step_before_the_servers_answer_sends_no_reset()
    {
        // Nothing open on the server (it never answered): nothing to reset.
        var run = RunEcho("""
            target 10.9.0.2:20099
            send   S 0:0(0) <mss 1460>
            expect S. 0:0(0) ack 1 within 1s
            """);
        ShouldFailAt(run, 3, "the segment that came is R. 0:0(0) ack 1 win 0");
        run.Sent.Count.ShouldBe(1);
    }

    [Fact]
    public void Expect_wrong_ack_near_the_wrap()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            send   S 0:0(0) <mss 1460>
            expect S. 0:0(0) ack 1 within 1s
            send   . 1:1(0) ack 1
            send   P. 1:3(2) ack 1 "AB"
            expect . 1:1(0) ack 2 within 1s
            """, s => s.Isn = Lab.NearWrap, isn: 0xFFFF_FFFF);
        var f = ShouldFailAt(run, 6, "the segment that came is . 1:1(0) ack 3 win 65160");
        f.Diffs.ShouldBe(["tcp.ack: expected 2 (0x2) vs actual 3 (0x3)"]);
    }

    [Fact]
    public void Expect_wrong_flags_names_both_spellings()
    {
        var bench = new Bench(); // nothing listens: the SYN gets RST, ACK
        var run = bench.Run("""
            target 10.9.0.2:20099
            send   S 0:0(0) <mss 1460>
            expect S. 0:0(0) ack 1 within 1s
            """, file: "fail.rh");
        var f = ShouldFailAt(run, 3, "the segment that came is R. 0:0(0) ack 1 win 0");
        f.Diffs.ShouldBe(["tcp.flags: expected S. vs actual R. [RST, ACK]"]);
    }

    [Fact]
    public void Expect_several_fields_wrong_lists_each()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            send   S 0:0(0) <mss 1460>
            expect S. 5:5(0) ack 2 win 1000 within 1s
            """, s => s.Isn = Lab.NearWrap);
        var f = ShouldFailAt(run, 3, "the segment that came is S. 0:0(0) ack 1 win 65160");
        f.Diffs.ShouldBe([
            "tcp.seq: expected 5 (0x5) vs actual 0 (0x0)",
            "tcp.ack: expected 2 (0x2) vs actual 1 (0x1)",
            "tcp.win: expected 1000 (0x3e8) vs actual 65160 (0xfe88)",
        ]);
    }

    [Fact]
    public void Expect_wrong_mss_option()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            send   S 0:0(0) <mss 1460>
            expect S. 0:0(0) ack 1 <mss 1400> within 1s
            """);
        var f = ShouldFailAt(run, 3, "the segment that came is S. 0:0(0) ack 1 win 65160");
        f.Diffs.ShouldBe(["tcp.options.mss: expected 1400 (0x578) vs actual 1460 (0x5b4)"]);
    }

    [Fact]
    public void Expect_missing_option_shows_what_came()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            send   S 0:0(0) <mss 1460>
            expect S. 0:0(0) ack 1 <mss 1460, wscale 7> within 1s
            """);
        var f = ShouldFailAt(run, 3, "the segment that came is S. 0:0(0) ack 1 win 65160");
        f.Diffs.ShouldBe(["tcp.options: expected wscale 7 vs actual <mss 1460>"]);
    }

    [Fact]
    public void Expect_no_options_but_some_came()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            send   S 0:0(0) <mss 1460, sackOK>
            expect S. 0:0(0) ack 1 <> within 1s
            """);
        var f = ShouldFailAt(run, 3, "the segment that came is S. 0:0(0) ack 1 win 65160");
        f.Diffs.ShouldBe(["tcp.options: expected none vs actual <mss 1460,nop,nop,sackOK>"]);
    }

    [Fact]
    public void Expect_wrong_payload()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            send   S 0:0(0) <mss 1460>
            expect S. 0:0(0) ack 1 within 1s
            send   . 1:1(0) ack 1
            send   P. 1:3(2) ack 1 "AB"
            expect . 1:1(0) ack 3 within 1s
            expect P. 1:3(2) ack 3 "AB" within 1s
            """, s => s.Transform = b => [.. b.Select(x => (byte)(x | 0x20))]);
        var f = ShouldFailAt(run, 7, "the segment that came is P. 1:3(2) ack 3 win 65160");
        f.Diffs.ShouldBe(["tcp.payload: expected \"AB\" vs actual \"ab\""]);
    }

    [Fact]
    public void Expect_header_fields_pass_when_they_match()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            send   S 0:0(0) <mss 1460>
            expect S. 0:0(0) ack 1 ttl 64 df ip.id 0 urg 0 data-offset 6 tcp.checksum good within 1s
            """, s => { s.Timestamps = false; });
        run.ShouldPass();
    }

    [Fact]
    public void Expect_header_fields_wrong()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            send   S 0:0(0) <mss 1460>
            expect S. 0:0(0) ack 1 ttl 63 nodf ip.id 5 urg 2 tcp.checksum bad within 1s
            """);
        var f = ShouldFailAt(run, 3, "the segment that came is S. 0:0(0) ack 1 win 65160");
        f.Diffs.ShouldBe([
            "ip.ttl: expected 63 (0x3f) vs actual 64 (0x40)",
            "ip.df: expected 0 (0x0) vs actual 1 (0x1)",
            "ip.id: expected 5 (0x5) vs actual 0 (0x0)",
            "tcp.urg: expected 2 (0x2) vs actual 0 (0x0)",
            "tcp.checksum: expected bad vs actual good",
        ]);
    }

    [Fact]
    public void Expect_timestamp_echo_wrong()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            send   S 0:0(0) <mss 1460, sackOK, TS val 100 ecr 0, nop, wscale 7>
            expect S. 0:0(0) ack 1 <mss 1460, sackOK, TS val * ecr 99, nop, wscale 7> within 1s
            """);
        var f = ShouldFailAt(run, 3, "the segment that came is S. 0:0(0) ack 1 win 65160");
        f.Diffs.ShouldBe(["tcp.options.tsecr: expected 99 (0x63) vs actual 100 (0x64)"]);
    }

    [Fact]
    public void Expect_without_within_waits_for_the_run_timeout()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            option timeout 2s
            send   S 0:0(0) <mss 1460>
            expect S. 0:0(0) ack 1
            """, s => s.SilentSyn = true);
        ShouldFailAt(run, 4, "nothing came within 2050 ms");
    }

    /// <summary>
    /// BUG (StepMatch.OptionDiffs): an expected <c>sack L:R</c> only checks that some SACK block is present; the
    /// blocks' edges are never compared, so a wrong block passes.
    /// </summary>
    [Fact]
    public void Expect_wrong_sack_block()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            send   S 0:0(0) <mss 1460, nop, nop, sackOK>
            expect S. 0:0(0) ack 1 <mss 1460, sackOK> within 1s
            send   . 1:1(0) ack 1
            send   P. 5:7(2) ack 1 "CD"
            expect . 1:1(0) ack 1 <sack 9:12> within 1s
            """);
        var story = run.Describe();
        run.Outcome!.Ok.ShouldBeFalse(story);
        run.Failed.Line.ShouldBe(6);
        run.Failed.Diffs.ShouldNotBeEmpty();
        run.Failed.Diffs.ShouldAllBe(d => d.StartsWith("tcp.options.sack[0]."));
        run.Failed.Diffs.ShouldContain("tcp.options.sack[0].left: expected 9 (0x9) vs actual 5 (0x5)");
    }

    [Fact]
    public void First_step_can_fail_at_once()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            expect server-state CLOSED
            connect
            """);
        ShouldFailAt(run, 2, "server-state: expected CLOSED vs actual ?"); // unknown before it answered, never LISTEN
        run.Sent.ShouldBeEmpty();
    }

    [Fact]
    public void Expect_icmp_of_another_type()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            send   S 0:0(0) <mss 1460>
            expect icmp time-exceeded within 500ms
            """, s => s.IcmpReject = true);
        ShouldFailAt(run, 3, "no matching ICMP message within 550 ms");
    }

    [Fact]
    public void Push_into_a_reset()
    {
        var bench = new Bench();
        bench.Peer.Listen(20000);
        bench.Peer.Intercept = (seen, peer) =>
        {
            if (!seen.IsTcp || seen.Payload.Length == 0)
            {
                return false;
            }

            var c = peer.Connections[seen.Tcp.SourcePort];
            peer.SendSegment(c, TcpFlags.Rst | TcpFlags.Ack); // the server's program died: RST at RCV.NXT
            return true;
        };
        var run = bench.Run("""
            target 10.9.0.2:20000
            connect
            push "A"
            close
            """, file: "fail.rh");
        ShouldFailAt(run, 3, "connection reset by the server in ESTABLISHED");
    }

    [Fact]
    public void Expect_state_time_wait_while_fin_wait_2()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            connect
            send   F. 1:1(0) ack 1
            expect . 1:1(0) ack 2 within 1s
            expect state TIME-WAIT
            expect state FIN-WAIT-2
            """, s => s.OnClientFin = FinAnswer.AckOnly);
        var f = ShouldFailAt(run, 5, "state: expected TIME-WAIT vs actual FIN-WAIT-2");
        f.Diffs.ShouldBeEmpty();
    }

    [Fact]
    public void Expect_server_state_wrong()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            connect
            send   F. 1:1(0) ack 1
            expect server-state LAST-ACK
            """);
        ShouldFailAt(run, 4, "server-state: expected LAST-ACK vs actual CLOSE-WAIT");
    }

    [Fact]
    public void Expect_nothing_but_a_segment_came()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            send   S 0:0(0) <mss 1460>
            expect nothing within 500ms
            send   R 1:1(0)
            """);
        var f = ShouldFailAt(run, 3, "expected nothing, got S. 0:0(0) ack 1 win 65160");
        f.Diffs.ShouldBeEmpty();
        run.Sent.Count.ShouldBe(2, "the recipe's RST never went out; the run's own RST did, for the connection the server held");
        run.Sent[1].Tcp.Flags.ShouldBe(TcpFlags.Rst | TcpFlags.Ack);
    }

    [Fact]
    public void Expect_segment_but_nothing_came()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            send   S 0:0(0) <mss 1460>
            expect S. 0:0(0) ack 1 within 200ms
            """, s => s.SilentSyn = true);
        var f = ShouldFailAt(run, 3, "nothing came within 250 ms");
        f.Time.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(250));
    }

    [Fact]
    public void Expect_within_beyond_the_tolerance_fails()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            connect
            expect F. 1:1(0) ack 1 within 1s
            """, s => s.CloseAfterAccept = TimeSpan.FromMilliseconds(1060));
        ShouldFailAt(run, 3, "nothing came within 1050 ms");
    }

    [Fact]
    public void Tolerance_option_changes_the_slack()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            option tolerance 10ms
            connect
            expect F. 1:1(0) ack 1 within 1s
            """, s => s.CloseAfterAccept = TimeSpan.FromMilliseconds(1030));
        ShouldFailAt(run, 4, "nothing came within 1010 ms");
    }

    [Fact]
    public void Expect_rst_but_none_came()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            send   S 0:0(0) <mss 1460>
            expect S. 0:0(0) ack 1 within 1s
            send   . 1:1(0) ack 1
            expect rst within 300ms
            """);
        ShouldFailAt(run, 5, "no RST within 350 ms");
    }

    [Fact]
    public void Recv_different_bytes()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            connect
            push "AB"
            recv "AB" within 1s
            close
            """, s => s.Transform = _ => "AC"u8.ToArray());
        var f = ShouldFailAt(run, 4, "received different bytes");
        f.Diffs.ShouldBe(["data: expected \"AB\" vs actual \"AC\""]);
    }

    [Fact]
    public void Recv_escapes_bytes_in_the_diff()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            connect
            push "A\r\n"
            recv "A\n\n" within 1s
            """);
        var f = ShouldFailAt(run, 4, "received different bytes");
        f.Diffs.ShouldBe(["data: expected \"A\\n\\n\" vs actual \"A\\r\\n\""]);
    }

    [Fact]
    public void Recv_times_out_with_part_of_the_bytes()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            connect
            push "AB"
            recv "ABCD" within 300ms
            """);
        var f = ShouldFailAt(run, 4, "waited 350 ms with 2 of 4 bytes");
        f.Diffs.ShouldBe(["data: expected \"ABCD\" vs actual \"AB\""]);
    }

    [Fact]
    public void Recv_when_the_server_closes_first()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            connect
            push "AB"
            recv "ABCDE" within 2s
            """, s => s.CloseAfterEcho = TimeSpan.FromMilliseconds(100));
        var f = ShouldFailAt(run, 4, "the server closed with 2 of 5 bytes");
        f.Diffs.ShouldBe(["data: expected \"ABCDE\" vs actual \"AB\""]);
    }

    /// <summary>
    /// BUG (RecipeDriver, push … then ack): the diff is worded "tcp.ack: expected 3 vs actual 2 (0x2)", not in the
    /// packetdrill form every expect uses ("expected 3 (0x3) vs actual 2 (0x2)").
    /// </summary>
    [Fact]
    public void Push_then_ack_wrong()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            connect
            push "A" then ack 3
            close
            """);
        var f = ShouldFailAt(run, 3, "the server acknowledged with Ack=2");
        f.Diffs.ShouldBe(["tcp.ack: expected 3 (0x3) vs actual 2 (0x2)"]);
    }

    /// <summary>
    /// BUG (RecipeDriver.AfterInput, the outcome's Error): README §8 — "Failures while running name the step and the
    /// field, with expected vs actual: <c>seed-python-echo.rh:9: push "AB" then ack 4 — tcp.ack: expected 4 (0x4) vs
    /// actual 2 (0x2)</c>". The Error (the CLI's summary line) carries the message instead:
    /// <c>… — the server acknowledged with Ack=2</c>.
    /// </summary>
    [Fact]
    public void Outcome_error_of_push_then_ack_is_worded_as_in_the_readme()
    {
        var bench = new Bench();
        Lab.Configure(bench.Peer);
        var run = bench.Run(ShippedRecipeTests.PythonEcho.Replace("push   \"AB\" then ack 4", "push   \"AB\" then ack 5", StringComparison.Ordinal),
            file: "seed-python-echo.rh");
        run.Failed.Line.ShouldBe(12);
        run.Outcome!.Error.ShouldBe("seed-python-echo.rh:12: push   \"AB\" then ack 5 — tcp.ack: expected 5 (0x5) vs actual 4 (0x4)");
    }

    /// <summary>
    /// BUG (same place): README §8 says failures name the field with expected vs actual, but an expect's outcome Error is
    /// only "the segment that came is …": the summary line never says which field was wrong.
    /// </summary>
    [Fact]
    public void Outcome_error_of_an_expect_names_the_field()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            send   S 0:0(0) <mss 1460>
            expect S. 0:0(0) ack 3 within 1s
            """);
        run.Outcome!.Error.ShouldNotBeNull();
        run.Outcome.Error.ShouldStartWith("fail.rh:3: expect S. 0:0(0) ack 3 within 1s — ");
        run.Outcome.Error.ShouldContain("tcp.ack: expected 3 (0x3) vs actual 1 (0x1)");
    }

    [Fact]
    public void Push_then_ack_wrong_with_a_range_matcher()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            connect
            push "A" then ack 5..9
            """);
        var f = ShouldFailAt(run, 3, "the server acknowledged with Ack=2");
        f.Diffs.ShouldBe(["tcp.ack: expected 5..9 vs actual 2 (0x2)"]);
    }

    [Fact]
    public void Push_never_acknowledged()
    {
        var bench = new Bench();
        bench.Peer.Listen(20000);
        bench.Peer.Intercept = (seen, _) => seen.IsTcp && seen.Payload.Length > 0; // the server's stack never sees data
        var run = bench.Run("""
            target 10.9.0.2:20000
            option timeout 2s
            option rto 5s
            connect
            push "A" then ack 2
            """, file: "fail.rh");
        var f = ShouldFailAt(run, 5, "not acknowledged within 2000 ms");
        f.Diffs.Count.ShouldBe(1);
        f.Diffs[0].ShouldStartWith("tcp.ack: expected 2 ");
        f.Diffs[0].ShouldEndWith(" vs actual 1 (0x1)");
    }

    [Fact]
    public void Connect_refused_by_a_closed_port()
    {
        var bench = new Bench();
        var run = bench.Run("""
            target 10.9.0.2:20099
            connect
            push "A"
            """, file: "fail.rh");
        ShouldFailAt(run, 2, "connection refused: the server answered our SYN with RST (port closed)");
    }

    [Fact]
    public void Wait_close_without_a_fin()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            connect
            wait-close within 2s
            """);
        ShouldFailAt(run, 3, "no FIN from the server within 2050 ms");
    }

    [Fact]
    public void Close_that_never_finishes()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            option timeout 3s
            option rto 10s
            connect
            close
            """, s => s.OnClientFin = FinAnswer.AckOnly);
        ShouldFailAt(run, 5, "close did not finish within 3000 ms (state FIN-WAIT-2)");
    }

    [Fact]
    public void Failure_line_numbers_count_comments_blank_lines_and_header()
    {
        var run = RunEcho("""
            # a comment
            description "numbering"

            target 10.9.0.2:20000
            # another comment
            send   S 0:0(0) <mss 1460>         # ok

            expect S. 0:0(0) ack 1 within 1s  # ok
            expect state CLOSED               # fails: ESTABLISHED
            send   . 1:1(0) ack 1
            """, file: "numbering.rh");
        ShouldFailAt(run, 9, "state: expected CLOSED vs actual ESTABLISHED", "numbering.rh");
        run.Failed.Text.ShouldBe("expect state CLOSED");
    }
}
