using RawHandshake.Cli.Verbs;
using RawHandshake.Engine.Trace;
using RawHandshake.Wire.Dissection;
using RawHandshake.Wire.Parsing;

namespace RawHandshake.Cli.Tests;

/// <summary>Issue 14: output that explains (unusual fields on the line, colours) and a CLI that reads well.</summary>
public class ExplainingOutputTests
{
    private const string Esc = "\u001b[";

    private static CliRunner.Result RunIn(bool terminal, string? noColor, params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var context = new CliContext(o, e, new StringReader("")) { OutIsTerminal = terminal, Environment = n => n == "NO_COLOR" ? noColor : null };
        var code = CliApp.Run(args, context);
        return new CliRunner.Result(code, o.ToString(), e.ToString());
    }

    [Fact]
    public void ASynWithAWrongChecksumTtl1AndAnIpOptionShowsAllThreeOnItsLine()
    {
        var r = CliRunner.Run("craft", "--flags", "S", "--tcp-checksum", "0xdead", "--ttl", "1", "--ip-options", "07070400000000");
        r.Code.ShouldBe(0, r.Err);
        var line = r.Out.Split('\n')[0];
        line.ShouldContain("[SYN]");
        line.ShouldContain(" TTL=1");
        line.ShouldContain("[IP options: RR]");
        line.ShouldMatch(@"\[bad TCP checksum 0xdead, should be 0x[0-9a-f]{4}\]");
        r.Out.ShouldContain("Pointer: 4");
        r.Out.ShouldContain("Empty Route: 0.0.0.0 <- (next)");
        CliRunner.Run("craft", "--flags", "S").Out.Split('\n')[0].ShouldEndWith("Len=0"); // nothing unusual, nothing added
    }

    [Fact]
    public void AFrameWeSentShowsItsUnusualFieldsOnItsTraceLineAndOnlyOurs()
    {
        var frame = Convert.FromHexString(CliRunner.Run("craft", "--flags", "S", "--ttl", "3", "--reserved", "5", "--hex-only").Out.Trim());
        var parsed = FrameParser.Parse(frame);
        var ours = new PacketTraced(TimeSpan.Zero, DateTimeOffset.UnixEpoch, 1, Direction.Out, frame, parsed, null, []);
        TextTraceRenderer.PacketLine(ours).ShouldContain("TTL=3 [reserved bits 0x5]");
        TextTraceRenderer.PacketLine(ours with { Dir = Direction.In }).ShouldNotContain("TTL=3");
    }

    [Theory]
    [InlineData("always", false, null, true)]
    [InlineData("never", true, null, false)]
    [InlineData(null, false, null, false)] // auto: a pipe or a file
    [InlineData(null, true, null, true)] // auto: a terminal
    [InlineData("auto", true, "1", false)] // NO_COLOR
    [InlineData("always", true, "1", true)] // asked for by name
    public void ColoursFollowTheModeTheTerminalAndNoColor(string? mode, bool terminal, string? noColor, bool colored)
    {
        string[] args = ["craft", "--flags", "R", "--ttl", "1", "--tcp-checksum", "0xdead"];
        var r = RunIn(terminal, noColor, mode is null ? args : [.. args, "--color", mode]);
        r.Code.ShouldBe(0, r.Err);
        r.Out.Contains(Esc, StringComparison.Ordinal).ShouldBe(colored);
        if (colored)
        {
            r.Out.ShouldContain(TraceColors.ChecksumError); // the line: a checksum error, as Wireshark colours it
            r.Out.ShouldContain(TraceColors.BadField + "TTL=1" + TraceColors.Reset);
        }

        var json = RunIn(terminal, noColor, [.. args, "--json", "--color", "always"]);
        json.Out.ShouldNotContain(Esc); // never in JSON
    }

    [Fact]
    public void DissectColoursSummaryLinesByWiresharksRules()
    {
        var r = RunIn(true, null, "dissect", "-r", CliRunner.Fixture("closed-port.pcap"), "--summary");
        r.Code.ShouldBe(0, r.Err);
        r.Out.ShouldContain(TraceColors.SynFin);
        r.Out.ShouldContain(TraceColors.Rst);
        RunIn(true, null, "dissect", "-r", CliRunner.Fixture("closed-port.pcap"), "--summary", "--color", "never").Out.ShouldNotContain(Esc);
        RunIn(false, null, "dissect", "-r", CliRunner.Fixture("closed-port.pcap"), "--color", "purple").Err.Trim()
            .ShouldBe("rawhandshake: --color: 'purple' is not one of auto, always, never");
    }

    [Theory]
    [InlineData("craft")]
    [InlineData("dissect")]
    [InlineData("handshake")]
    [InlineData("run")]
    [InlineData("probe")]
    [InlineData("serve")]
    public void EachVerbsHelpHasAUsageLineAndExamples(string verb)
    {
        var r = CliRunner.Run(verb, "--help");
        r.Code.ShouldBe(0, r.Err);
        r.Out.ShouldStartWith("Usage: rawhandshake " + verb);
        r.Out.ShouldContain("Examples:\n  ./run-as-root.sh ");
    }

    [Fact]
    public void HelpAfterAValueIsTheVerbsHelp()
    {
        var r = CliRunner.Run("serve", "echo", "--help");
        r.Code.ShouldBe(0, r.Err);
        r.Out.ShouldStartWith("Usage: rawhandshake serve");
    }

    [Fact]
    public void EachLiveVerbsTimeoutSaysWhatItBounds()
    {
        CliRunner.Run("handshake", "--help").Out.ShouldContain("Give up on the whole run after this long (default 10s)");
        CliRunner.Run("probe", "--help").Out.ShouldContain("How long to wait for the answer to each probe");
        CliRunner.Run("bench", "--help").Out.ShouldContain("Give up on each session");
    }

    [Fact]
    public void DissectOfADirectorySaysSo()
    {
        var r = CliRunner.Run("dissect", "-r", Path.GetTempPath());
        r.Code.ShouldBe(2);
        r.Err.Trim().ShouldBe($"rawhandshake: -r {Path.GetTempPath()}: is a directory; give one capture file (.pcap or .pcapng)");
    }

    [Fact]
    public void RepeatedDataHexAndDataFollowEachOther()
    {
        CliRunner.Run("craft", "--data-hex", "41", "--data-hex", "42 43", "--json").Out.ShouldContain("\"payload_hex\":\"414243\"");
        CliRunner.Run("craft", "--data", "A", "--data", "B\\n", "--json").Out.ShouldContain("\"payload_hex\":\"41420a\"");
    }

    [Theory]
    [InlineData(1_000_000, null, "--window 1000000: the window field holds at most 65535; a larger window needs window scaling: add --wscale 4 (65535 << 4 = 1048560)")]
    [InlineData(1_000_000, (byte)2, "--window 1000000: with --wscale 2 at most 262140 can be advertised; use --wscale 4 or a smaller window")]
    public void AWindowThatCannotBeAdvertisedIsRefusedWithTheShiftThatCarriesIt(int window, byte? wscale, string message) =>
        Should.Throw<Args.UsageException>(() => HandshakeOptions.CheckWindowFits(window, wscale)).Message.ShouldBe(message);

    [Fact]
    public void HandshakeRefusesAnUnadvertisableWindowBeforeSending()
    {
        var r = CliRunner.Run("handshake", "-t", "198.18.2.10:20000", "--window", "1000000");
        r.Code.ShouldBe(2);
        r.Err.ShouldStartWith("rawhandshake: --window 1000000: the window field holds at most 65535");
    }

    [Fact]
    public void LongPayloadsAreShortenedOnTraceLines()
    {
        var text = "send P. \"" + new string('a', 1000) + "\" hex " + string.Concat(Enumerable.Repeat("ab", 500));
        var shortened = TextTraceRenderer.Shorten(text);
        shortened.ShouldBe("send P. \"" + new string('a', 32) + "…\" (1000 bytes) hex " + string.Concat(Enumerable.Repeat("ab", 32)) + "… (500 bytes)");
        TextTraceRenderer.Shorten("send P. \"AB\"").ShouldBe("send P. \"AB\"");
    }

    [Fact]
    public void QuietShowsOnlyFailuresAndWarnings()
    {
        var o = new StringWriter();
        var r = new TextTraceRenderer(o, quiet: true);
        var frame = Convert.FromHexString(CliRunner.Run("craft", "--flags", "S", "--hex-only").Out.Trim());
        r.Publish(new PacketTraced(TimeSpan.Zero, DateTimeOffset.UnixEpoch, 1, Direction.Out, frame, FrameParser.Parse(frame), null, []));
        r.Publish(new StepTraced(TimeSpan.Zero, "a.rh", 3, "connect", true, null, []));
        r.Publish(new StepTraced(TimeSpan.Zero, "a.rh", 4, "expect S.", false, "no answer", ["tcp.ack: expected 1 (0x1) vs actual 2 (0x2)"]));
        r.Publish(new NoteTraced(TimeSpan.Zero, NoteLevel.Info, "ARP"));
        r.Publish(new NoteTraced(TimeSpan.Zero, NoteLevel.Warning, "kernel interference"));
        r.Complete();
        o.ToString().ShouldBe("  FAIL  a.rh:4: expect S. — no answer\n          tcp.ack: expected 1 (0x1) vs actual 2 (0x2)\nwarning: kernel interference\n");
    }

    [Fact]
    public void UnusualFieldsNameTheDataOffsetTheOptionsDoNotNeed()
    {
        var frame = Convert.FromHexString(CliRunner.Run("craft", "--flags", "S", "--data-offset", "6", "--hex-only").Out.Trim());
        UnusualFields.Suffix(frame, FrameParser.Parse(frame)).ShouldContain("[data offset 6 (24 bytes), the options need 20]");
    }
}

/// <summary>The probe's table by state: the colours, and nothing else changed.</summary>
public class ProbeColorsTests
{
    [Fact]
    public void PortLinesAreColouredByStateAndOtherLinesAreLeftAlone()
    {
        const string table = "PORT        STATE         REASON\n80/tcp      open          syn-ack\n20099/tcp   closed        reset\n20010/tcp   filtered      no-response\n  |_ DF, IP ID 0\n";
        var painted = Output.ProbeColors.Paint(table);
        painted.ShouldContain(Output.ProbeColors.Open + "80/tcp      open          syn-ack" + Output.ProbeColors.Reset);
        painted.ShouldContain(Output.ProbeColors.Closed + "20099/tcp");
        painted.ShouldContain(Output.ProbeColors.Filtered + "20010/tcp");
        painted.ShouldContain("\n  |_ DF, IP ID 0\n");
        painted.ShouldStartWith("PORT ");
        painted.Replace(Output.ProbeColors.Open, "").Replace(Output.ProbeColors.Closed, "").Replace(Output.ProbeColors.Filtered, "").Replace(Output.ProbeColors.Reset, "").ShouldBe(table);
    }
}
