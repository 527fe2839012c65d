using RawHandshake.Recipes.Syntax;
using RawHandshake.Recipes.Tests.Support;
using RawHandshake.Session;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Recipes.Tests;

/// <summary>Lexical rules, values in the tree, and the decisions the README documents.</summary>
public class LanguageTests
{
    [Fact]
    public void Keywords_are_case_insensitive_strings_are_not()
    {
        var s = Compiled.Ok("TARGET 198.18.2.10:20000\nConnect\nPUSH \"Ab\" THEN ACK 3\nExpect STATE Established\nClose\n").Steps;
        s[1].ShouldBeOfType<PushStep>().Data.ShouldBe("Ab"u8.ToArray());
        s[2].ShouldBeOfType<ExpectStateStep>().State.ShouldBe(TcpState.Established);
    }

    [Theory]
    [InlineData("\"\\r\\n\\t\\0\\\\\\\"\"", new byte[] { 13, 10, 9, 0, 92, 34 })]
    [InlineData("\"\\x41\\xff\\x00\"", new byte[] { 0x41, 0xff, 0x00 })]
    [InlineData("\"a # b\"", new byte[] { 0x61, 0x20, 0x23, 0x20, 0x62 })]
    [InlineData("\"é\"", new byte[] { 0xc3, 0xa9 })]
    [InlineData("\"\t\"", new byte[] { 9 })]
    [InlineData("hex 41 4243 0x44", new byte[] { 0x41, 0x42, 0x43, 0x44 })]
    [InlineData("hex 0xdf", new byte[] { 0xdf })]
    [InlineData("hex DEADbeef", new byte[] { 0xde, 0xad, 0xbe, 0xef })]
    public void Payloads(string payload, byte[] expected) =>
        Compiled.Step<PushStep>($"connect\npush {payload}").Data.ShouldBe(expected);

    [Fact]
    public void A_hex_run_stops_at_the_df_field()
    {
        var send = Compiled.Step<SendStep>("send S\nsend P. 1:2(1) hex 41 df");
        send.Payload.ShouldBe([0x41]);
        send.Fields.ShouldBe([new FieldOverride("df", 1, new SourcePos(2, 23))]);
    }

    [Theory]
    [InlineData("200ms", 2_000_000L)]
    [InlineData("1s", 10_000_000L)]
    [InlineData("1.5s", 15_000_000L)]
    [InlineData("500us", 5_000L)]
    [InlineData("2m", 1_200_000_000L)]
    [InlineData("0.25ms", 2_500L)]
    [InlineData("10M", 6_000_000_000L)]
    [InlineData("0s", 0L)]
    public void Durations(string text, long ticks)
    {
        Compiled.Step<SleepStep>($"sleep {text}").Duration.Ticks.ShouldBe(ticks);
        RecipePrinter.Duration(TimeSpan.FromTicks(ticks)).ShouldBe(text.ToLowerInvariant() switch
        {
            "1.5s" => "1500ms",
            "0.25ms" => "250us",
            "10m" => "10m",
            var t => t,
        });
    }

    [Fact]
    public void Numbers_take_decimal_and_hex()
    {
        var send = Compiled.Step<SendStep>("send S 0xFFFFFFFF win 0x10 ttl 0x40");
        send.Seq.ShouldBe(NumberExpr.Literal(uint.MaxValue));
        send.Window.ShouldBe(NumberExpr.Literal(16));
        send.Fields.Single().Value.ShouldBe(64);
    }

    [Fact]
    public void Step_text_is_the_line_trimmed_without_comment_and_joined_across_continuations()
    {
        var steps = Compiled.Ok("  connect   # go\npush \"a # b\" \\\n    then ack 6   # its ack\n\tclose\t\n").Steps;
        steps[0].Text.ShouldBe("connect");
        steps[1].Text.ShouldBe("push \"a # b\" then ack 6");
        steps[1].Pos.ShouldBe(new SourcePos(2, 1));
        steps[2].Text.ShouldBe("close");
        steps[2].Pos.ShouldBe(new SourcePos(4, 2));
    }

    [Fact]
    public void Every_node_carries_its_position()
    {
        var text = "options mss 1460, wscale 7\nsend S 0:0(0) ack $srv.isn+1 <mss 1460, sack 1:2>\nexpect S. * ack 1..5 <TS val * ecr 0> ttl >60\n";
        var recipe = Compiled.Ok(text);
        recipe.Header.Defaults.Positions["mss"].ShouldBe(new SourcePos(1, 9));
        recipe.Header.Defaults.Positions["wscale"].ShouldBe(new SourcePos(1, 19));

        var send = recipe.Steps[0].ShouldBeOfType<SendStep>();
        send.Seq!.Pos.ShouldBe(new SourcePos(2, 8));
        send.Ack!.Pos.ShouldBe(new SourcePos(2, 19));
        send.Options![0].Pos.ShouldBe(new SourcePos(2, 31));
        send.Options[0].Value!.Pos.ShouldBe(new SourcePos(2, 35));
        send.Options[1].Sack![0].Pos.ShouldBe(new SourcePos(2, 46));

        var expect = recipe.Steps[1].ShouldBeOfType<ExpectStep>();
        expect.Flags.Pos.ShouldBe(new SourcePos(3, 8));
        expect.Seq!.Pos.ShouldBe(new SourcePos(3, 11));
        expect.Ack!.Pos.ShouldBe(new SourcePos(3, 17));
        expect.Ack.B!.Pos.ShouldBe(new SourcePos(3, 20));
        expect.Options![0].Pos.ShouldBe(new SourcePos(3, 23));
        expect.Options[0].TsVal!.Pos.ShouldBe(new SourcePos(3, 30));
        expect.Fields[0].Pos.ShouldBe(new SourcePos(3, 39));
        expect.Fields[0].Value!.Pos.ShouldBe(new SourcePos(3, 43));
    }

    [Fact]
    public void Crlf_tabs_and_a_byte_order_mark()
    {
        var steps = Compiled.Ok("\uFEFFconnect\r\n\tpush \"A\"\r\n").Steps;
        steps[0].Pos.ShouldBe(new SourcePos(1, 1));
        steps[1].Pos.ShouldBe(new SourcePos(2, 2));
        steps[1].Text.ShouldBe("push \"A\"");
    }

    [Fact]
    public void Relative_raw_and_variable_numbers()
    {
        var send = Compiled.Step<SendStep>("send S raw:100:raw:100(0) ack $srv.tsval-3 win $SRV.WIN");
        send.Seq.ShouldBe(NumberExpr.RawValue(100));
        send.Ack.ShouldBe(NumberExpr.Var("$srv.tsval", -3));
        send.Window.ShouldBe(NumberExpr.Var("$srv.win"));
        send.Ack!.ToString().ShouldBe("$srv.tsval-3");
        NumberExpr.RawValue(5).ToString().ShouldBe("raw:5");
        NumberExpr.Var("$snd.nxt", 2).ToString().ShouldBe("$snd.nxt+2");
    }

    [Fact]
    public void Variables_are_listed_and_described()
    {
        RecipeVariables.Known.ShouldBe("$srv.isn $srv.win $srv.mss $srv.wscale $srv.tsval $srv.tsecr $our.isn $snd.nxt $rcv.nxt");
        RecipeVariables.Names.ShouldAllBe(n => RecipeVariables.Describe(n) != "unknown");
        RecipeVariables.IsKnown("$SRV.ISN").ShouldBeTrue();
        RecipeVariables.IsKnown("$srv.rtt").ShouldBeFalse();
    }

    [Fact]
    public void Expect_rst_alone_is_any_rst_with_more_it_is_exact_flags()
    {
        Compiled.Step<ExpectRstStep>("send S\nexpect rst").Within.ShouldBeNull();
        Compiled.Step<ExpectRstStep>("send S\nexpect RST within 1s").Within.ShouldBe(TimeSpan.FromSeconds(1));
        Compiled.Step<ExpectStep>("send S\nexpect rst 0:0(0)").Flags.Exact.ShouldBe(TcpFlags.Rst);
    }

    [Fact]
    public void Seq_end_without_length_gives_the_length()
    {
        Compiled.Step<SendStep>("connect\nsend P. 1:3 \"AB\"").Length.ShouldBe(2u);
        Compiled.Step<ExpectStep>("send S\nexpect P. 1:3").Length.ShouldBe(Matcher.EqualTo(2));
        Compiled.Step<ExpectStep>("send S\nexpect P. $rcv.nxt:$rcv.nxt+5").Length.ShouldBe(Matcher.EqualTo(5));
        Compiled.Step<SendStep>("send S\nsend P. $snd.nxt:raw:5(2) \"AB\"").Length.ShouldBe(2u);
    }

    [Fact]
    public void Options_omitted_empty_or_listed()
    {
        Compiled.Step<SendStep>("send S").Options.ShouldBeNull();
        Compiled.Step<SendStep>("send S <>").Options.ShouldNotBeNull().ShouldBeEmpty();
        Compiled.Step<ExpectStep>("send S\nexpect S.").Options.ShouldBeNull();
        Compiled.Step<ExpectStep>("send S\nexpect S. <>").Options.ShouldNotBeNull().ShouldBeEmpty();
        var o = Compiled.Step<SendStep>("send S <kind 254 hex 0102, TS val 7 ecr $srv.tsval>").Options!;
        o[0].ShouldSatisfyAllConditions(x => x.Kind.ShouldBe(OptionKindName.Raw), x => x.RawKind.ShouldBe((byte)254), x => x.RawData.ShouldBe([1, 2]), x => x.WireLength.ShouldBe(4));
        o[1].ShouldSatisfyAllConditions(x => x.TsVal.ShouldBe(NumberExpr.Literal(7)), x => x.TsEcr.ShouldBe(NumberExpr.Var("$srv.tsval")), x => x.WireLength.ShouldBe(10));
    }

    [Fact]
    public void Ts_values_are_needed_on_send_but_connect_leaves_them_to_the_session()
    {
        var ts = Compiled.Step<ConnectStep>("connect <TS, sackOK>").Options![0];
        ts.Kind.ShouldBe(OptionKindName.Timestamps);
        ts.TsVal.ShouldBeNull();
        ts.TsEcr.ShouldBeNull();
        Compiled.Step<SendStep>("send S <TS ecr 0 val 1>").Options![0].TsVal.ShouldBe(NumberExpr.Literal(1));
    }

    [Fact]
    public void Exactly_forty_bytes_of_options_fit()
    {
        // 4 + 3 + 2 + 10 + 2 + 8 + 8 + 1 + 2 = 40
        Compiled.Step<SendStep>("send S <mss 1, wscale 1, sackOK, TS val 1 ecr 0, sack 1:2 3:4, nop, kind 9>").Options!.Sum(x => x.WireLength).ShouldBe(40);
    }

    [Fact]
    public void Connection_rules_allow_what_labs_need()
    {
        // SYN with data (TFO-style) starts a connection; low-level sends after a reset are allowed; a new connection after one.
        Compiled.Ok("send S 0:1(1) \"A\"\n");
        Compiled.Ok("connect\nabort\nsend P. \"late\"\nexpect rst\nconnect\npush \"A\"\nclose\n");
        Compiled.Ok("send . 1:1(0) ack 1\nexpect R 1:1(0)\n"); // a stray ACK to a listening port
        Compiled.Ok("send S\nexpect R. 0:0(0) ack 1\nsend S\nexpect S.\n"); // retry after a refusal
        Compiled.Ok("window 0\nexpect state CLOSED\nsleep 1s\necho \"before anything\"\nconnect\n");
    }

    [Fact]
    public void Header_is_optional_and_defaults_are_null()
    {
        var recipe = Compiled.Ok("connect\n");
        recipe.Header.Target.ShouldBeNull();
        recipe.Header.HasTarget.ShouldBeFalse();
        recipe.Header.Description.ShouldBeNull();
        var d = recipe.Header.Defaults;
        new object?[] { d.Mss, d.WindowScale, d.SackPermitted, d.Timestamps, d.Window, d.Rto, d.Retries, d.TimeWait, d.Timeout, d.Ttl, d.SourcePort, d.Isn, d.Tolerance }
            .ShouldAllBe(v => v == null);
        d.EffectiveTolerance.ShouldBe(SessionDefaults.DefaultTolerance);
    }

    [Fact]
    public void Header_values_are_typed()
    {
        var d = Compiled.Ok("options mss 536, wscale 14, sackok off, timestamps, window 0, rto 1s, retries 0, time-wait 0s, timeout 1m, ttl 1, sport 65535, isn 4294967295, tolerance 0s\nconnect").Header.Defaults;
        d.Mss.ShouldBe((ushort)536);
        d.WindowScale.ShouldBe((byte)14);
        d.SackPermitted.ShouldBe(false);
        d.Timestamps.ShouldBe(true);
        d.Window.ShouldBe((ushort)0);
        d.Rto.ShouldBe(TimeSpan.FromSeconds(1));
        d.Retries.ShouldBe(0);
        d.TimeWait.ShouldBe(TimeSpan.Zero);
        d.Timeout.ShouldBe(TimeSpan.FromMinutes(1));
        d.Ttl.ShouldBe((byte)1);
        d.SourcePort.ShouldBe((ushort)65535);
        d.Isn.ShouldBe(uint.MaxValue);
        d.EffectiveTolerance.ShouldBe(TimeSpan.Zero);
    }

    [Fact]
    public void Diagnostics_format()
    {
        new RecipeDiagnostic("a.rh", 7, 8, "unknown flag 'Q'").ToString().ShouldBe("a.rh:7:8: unknown flag 'Q'");
        var r = RecipeCompiler.Compile("send Q\nsleep 1h\n", "seed.rh");
        r.ToString().ShouldBe("seed.rh:1:6: unknown flag 'Q' (expected S . P F R U E W C N A)\nseed.rh:2:7: bad duration '1h' (write 500us, 200ms, 1.5s or 2m)");
        RecipeCompiler.Compile("connect", "x").ToString().ShouldBe("ok");
    }

    [Fact]
    public void The_briefs_example_error()
    {
        var text = string.Join('\n', SeedRecipes.PythonEcho.Split('\n').Select((l, i) => i == 6 ? "send   Q 1:1(0) ack 1" : l));
        RecipeCompiler.Compile(text, "seed.rh").Errors.Single().ToString().ShouldBe("seed.rh:7:8: unknown flag 'Q' (expected S . P F R U E W C N A)");
    }

    [Fact]
    public void Icmp_type_names()
    {
        Compiled.Step<ExpectIcmpStep>("expect icmp unreachable").Type.ShouldBe((byte)3);
        Compiled.Step<ExpectIcmpStep>("expect icmp time-exceeded").Type.ShouldBe((byte)11);
        Compiled.Step<ExpectIcmpStep>("expect icmp echo-reply").Type.ShouldBe((byte)0);
        Compiled.Step<ExpectIcmpStep>("expect icmp code 4 type 12").ShouldSatisfyAllConditions(x => x.Type.ShouldBe((byte)12), x => x.Code.ShouldBe((byte)4));
    }

    [Fact]
    public void Echo_and_description_decode_utf8()
    {
        var recipe = Compiled.Ok("description \"naïve \\x41\"\necho \"ß\\n\"\n");
        recipe.Header.Description.ShouldBe("naïve A");
        recipe.Steps[0].ShouldBeOfType<EchoStep>().Note.ShouldBe("ß\n");
    }

    [Fact]
    public void Printer_quotes_bytes_as_c_strings() =>
        RecipePrinter.Quote([0x41, 0x0d, 0x0a, 0x09, 0x00, 0x5c, 0x22, 0x7f, 0xff]).ShouldBe("\"A\\r\\n\\t\\0\\\\\\\"\\x7f\\xff\"");
}
