namespace RawHandshake.Cli.Tests;

public class ExplainTests
{
    /// <summary>Frame 4 of the echo fixture: 'A' pushed by the client (IPv4 header, then TCP with the pseudo-header).</summary>
    [Fact]
    public void Checksum_works_both_sums_through_to_their_verdicts()
    {
        var r = CliRunner.Run("explain", "checksum", "-r", CliRunner.Fixture("echo-session.pcap"), "--frame", "4");
        r.Code.ShouldBe(0, r.Err);
        r.Err.ShouldBeEmpty();
        var text = r.Out;
        text.ShouldContain("IPv4 header checksum (field at byte 24: 0x1839)");
        text.ShouldContain("      22  0x4006  0x1990    + 0x4006 =  0x5996          TTL 64, protocol 6 (TCP)");
        text.ShouldContain("      20  0x4000  0xd98f    + 0x4000 =  0x1990 (carry)  flags DF, fragment offset 0");
        text.ShouldContain("  sum of 10 words, 2 carries folded back in: 0xe7c6");
        text.ShouldContain("  one's complement: ~0xe7c6 = 0x1839, the value the field should hold");
        text.ShouldContain("TCP checksum (field at byte 50: 0xb267)");
        text.ShouldContain("  pseudo  0x0006  0x8e30    + 0x0006 =  0x8e36          zero byte, protocol 6 (TCP)");
        text.ShouldContain("      66  0x4100  0x0c98    + 0x4100 =  0x4d98          data (last byte, padded with 0x00)");
        text.ShouldContain("  the field holds 0xb267: correct");
    }

    [Fact]
    public void A_wrong_checksum_from_hex_says_what_it_should_be()
    {
        // craft's deliberately wrong checksum, then explain: the verdict names the right value.
        var crafted = CliRunner.Run("craft", "--flags", "S", "--seq", "1", "--tcp-checksum", "0xdead", "--hex-only");
        crafted.Code.ShouldBe(0, crafted.Err);
        var r = CliRunner.Run("explain", "checksum", crafted.Out.Trim());
        r.Code.ShouldBe(0, r.Err);
        r.Out.ShouldMatch(@"the field holds 0xdead: incorrect, should be 0x[0-9a-f]{4}: a receiving stack drops it without a word");
        r.Out.ShouldContain("  the field holds 0x"); // the IPv4 header's verdict too
    }

    /// <summary>tshark is the judge of the value a wrong checksum should have had: IPv4 header, TCP, UDP and ICMP.</summary>
    [Theory]
    [InlineData("--flags", "S", "--tcp-checksum", "0xdead", "--ip-checksum", "0xbeef")]
    [InlineData("--flags", "PA", "--data", "odd", "--tcp-checksum", "0x0001")]
    [InlineData("--icmp-type", "8", "--icmp-checksum", "0x1234")]
    public void The_should_be_values_are_tsharks(params string[] craft)
    {
        var dir = Directory.CreateTempSubdirectory("rawhandshake-explain-");
        try
        {
            var pcap = Path.Combine(dir.FullName, "bad.pcap");
            var built = CliRunner.Run(["craft", .. craft, "-w", pcap]);
            built.Code.ShouldBe(0, built.Err);
            var tshark = DissectTests.Tshark("-r", pcap, "-V", "-o", "ip.check_checksum:TRUE", "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE");
            var theirs = System.Text.RegularExpressions.Regex.Matches(tshark, @"Checksum: (0x[0-9a-f]{4}) incorrect, should be (0x[0-9a-f]{4})")
                .Select(m => $"{m.Groups[1].Value} should be {m.Groups[2].Value}").ToList();
            var r = CliRunner.Run("explain", "checksum", "-r", pcap);
            r.Code.ShouldBe(0, r.Err);
            var ours = System.Text.RegularExpressions.Regex.Matches(r.Out, @"the field holds (0x[0-9a-f]{4}): incorrect, should be (0x[0-9a-f]{4})")
                .Select(m => $"{m.Groups[1].Value} should be {m.Groups[2].Value}").ToList();
            theirs.ShouldNotBeEmpty(tshark);
            ours.ShouldBe(theirs);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Offload_is_explained()
    {
        var r = CliRunner.Run("explain", "checksum", "-r", CliRunner.Fixture("offload-server-side.pcap"), "--frame", "2");
        r.Code.ShouldBe(0, r.Err);
        r.Out.ShouldContain("offload — the field holds 0x");
        r.Out.ShouldContain("transmit checksum offload");
    }

    [Fact]
    public void Long_data_is_summed_in_one_line_unless_all_words_are_asked_for()
    {
        var shortened = CliRunner.Run("explain", "checksum", "-r", CliRunner.Fixture("http-get.pcap"), "--frame", "4");
        shortened.Code.ShouldBe(0, shortened.Err);
        shortened.Out.ShouldContain("more data words (--all shows them)");
        var all = CliRunner.Run("explain", "checksum", "-r", CliRunner.Fixture("http-get.pcap"), "--frame", "4", "--all");
        all.Out.ShouldNotContain("more data words");
        all.Out.Split('\n').Length.ShouldBeGreaterThan(shortened.Out.Split('\n').Length);
    }

    [Fact]
    public void Hex_text_on_stdin_is_read_as_dissect_reads_it()
    {
        var hex = CliRunner.Run("craft", "--flags", "S", "--hex-only").Out.Trim();
        var r = CliRunner.RunWithInput(hex + "\n", "explain", "checksum", "-");
        r.Code.ShouldBe(0, r.Err);
        r.Out.ShouldContain("TCP checksum");
    }

    [Theory]
    [InlineData("rawhandshake: explain: unknown topic 'window' (topics: checksum)", "explain", "window", "00")]
    [InlineData("rawhandshake: explain checksum: give the frame as hex, '-' to read hex text from stdin, or -r FILE [--frame N]", "explain", "checksum")]
    [InlineData("rawhandshake: --frame: frames are numbered from 1", "explain", "checksum", "--frame", "0", "-r", "FIXTURE")]
    [InlineData("rawhandshake: --frame: there are only 6 frames", "explain", "checksum", "--frame", "7", "-r", "FIXTURE")]
    [InlineData("rawhandshake: explain checksum: frame 1 carries no IPv4 checksum to work through (ARP has no checksum)", "explain", "checksum",
        "ffffffffffff0200000000010806000108000604000102000000000 1c6120001000000000000c6120002")]
    public void Errors_are_one_line_and_exit_2(string message, params string[] args)
    {
        args = [.. args.Select(a => a == "FIXTURE" ? CliRunner.Fixture("icmp.pcap") : a)];
        var r = CliRunner.Run(args);
        r.Code.ShouldBe(2);
        r.Err.TrimEnd().ShouldBe(message);
        r.Out.ShouldBeEmpty();
    }
}
