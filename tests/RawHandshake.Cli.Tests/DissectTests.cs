using System.Diagnostics;
using System.Text.Json;

namespace RawHandshake.Cli.Tests;

public class DissectTests
{
    private static readonly string[] Fixtures =
    [
        "echo-session.pcap", "echo-session.pcapng", "closed-port.pcap", "icmp.pcap", "vlan.pcap", "echo-session-sll.pcap",
        "echo-session-sll2.pcap", "echo-session-any.pcap", "offload-server-side.pcap", "http-get.pcap",
    ];

    public static TheoryData<string> FixtureNames() => [.. Fixtures];

    /// <summary>Our summary (Info column) equals tshark's for every frame of every real capture, relative numbers and calculated windows included.</summary>
    [Theory]
    [MemberData(nameof(FixtureNames))]
    public void InfoColumnMatchesTshark(string fixture)
    {
        var path = CliRunner.Fixture(fixture);
        var tshark = Tshark("-r", path, "-T", "fields", "-e", "_ws.col.Info").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var ours = CliRunner.Run("dissect", "-r", path, "--json");
        ours.Code.ShouldBe(0, ours.Err);
        var summaries = ours.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement.GetProperty("summary").GetString()!).ToList();
        summaries.Count.ShouldBe(tshark.Length);
        for (var i = 0; i < tshark.Length; i++)
        {
            var expected = System.Text.RegularExpressions.Regex.Replace(tshark[i], @" \(reply in \d+\)", ""); // an echo reply names its request, as tshark does
            if (!char.IsAsciiDigit(expected[0]) && fixture == "http-get.pcap")
            {
                continue; // tshark shows the HTTP layer there; we stop at TCP
            }

            summaries[i].ShouldBe(expected, $"frame {i + 1} of {fixture}");
        }
    }

    [Fact]
    public void RelativeSequenceNumbersFollowTheConversationAcrossTheFile()
    {
        var r = CliRunner.Run("dissect", "-r", CliRunner.Fixture("echo-session.pcap"), "--json");
        var frames = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        frames[0].GetProperty("flags").GetString().ShouldBe("S");
        frames[0].GetProperty("rel_seq").GetUInt32().ShouldBe(0u);
        frames[1].GetProperty("flags").GetString().ShouldBe("SA");
        frames[1].GetProperty("rel_ack").GetUInt32().ShouldBe(1u);
        frames[3].GetProperty("len").GetInt32().ShouldBe(1);
        frames[3].GetProperty("payload_hex").GetString().ShouldBe("41");
        frames[8].GetProperty("rel_ack").GetUInt32().ShouldBe(4u); // seed 000: the server's Ack rises by 2 after "AB"
        frames[0].GetProperty("options").GetProperty("mss").GetInt32().ShouldBe(1460);
        frames[0].GetProperty("tcp_checksum_status").GetString().ShouldBe("good");
    }

    [Fact]
    public void OffloadChecksumsAreNamedAsSuch()
    {
        var r = CliRunner.Run("dissect", "-r", CliRunner.Fixture("offload-server-side.pcap"), "--frame", "2");
        r.Code.ShouldBe(0);
        r.Out.ShouldContain("[offload: partial pseudo-header sum, filled in by the device]");
        r.Out.ShouldContain("Header Checksum: 0x");
    }

    [Fact]
    public void ReadsTcpdumpXxTextAndStdin()
    {
        var text = File.ReadAllText(CliRunner.Fixture("echo-session.txt"));
        var r = CliRunner.RunWithInput(text, "dissect", "-", "--summary");
        r.Code.ShouldBe(0, r.Err);
        var lines = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Length.ShouldBe(12);
        lines[0].ShouldContain("[SYN] Seq=0 Win=64240 Len=0 MSS=1460 SACK_PERM TSval=631758080 TSecr=0 WS=1024");
        lines[1].ShouldContain("[SYN, ACK] Seq=0 Ack=1 Win=65160");
        lines[2].ShouldContain("Win=64512"); // 63 × 1024: the calculated window
    }

    [Fact]
    public void ReadsTcpdumpXTextThatStartsAtTheIPHeader()
    {
        // tcpdump -X (without -e) of the fixture's first frame: no Ethernet header. The good IPv4 header checksum at
        // offset 0 tells it apart from an Ethernet frame; --link-type ethernet forces the old reading.
        const string text = """
            14:50:18.299173 IP 198.18.0.1.35834 > 198.18.2.10.20000: Flags [S], seq 3559285449, win 64240, options [mss 1460,sackOK,TS val 631758080 ecr 0,nop,wscale 10], length 0
            	0x0000:  4500 003c 9458 4000 4006 1834 c612 0001  E..<.X@.@..4....
            	0x0010:  c612 020a 8bfa 4e20 d426 62c9 0000 0000  ......N..&b.....
            	0x0020:  a002 faf0 ab29 0000 0204 05b4 0402 080a  .....)..........
            	0x0030:  25a7 dd00 0000 0000 0103 030a            %...........
            """;
        var r = CliRunner.RunWithInput(text, "dissect", "-", "--summary");
        r.Code.ShouldBe(0, r.Err);
        r.Out.ShouldContain("198.18.0.1 → 198.18.2.10 TCP 60 35834 → 20000 [SYN] Seq=0 Win=64240 Len=0 MSS=1460 SACK_PERM TSval=631758080 TSecr=0 WS=1024");

        var forced = CliRunner.RunWithInput(text, "dissect", "-", "--summary", "--link-type", "ethernet");
        forced.Out.ShouldNotContain("[SYN]");
    }

    [Fact]
    public void ReadsPlainAndSeparatedHex()
    {
        var plain = CliRunner.Run("craft", "--hex-only").Out.Trim();
        var spaced = string.Join(" ", Enumerable.Range(0, plain.Length / 2).Select(i => plain.Substring(i * 2, 2)));
        var colons = spaced.Replace(' ', ':');
        var a = CliRunner.Run("dissect", plain).Out;
        CliRunner.Run("dissect", spaced).Out.ShouldBe(a);
        CliRunner.Run("dissect", colons).Out.ShouldBe(a);
        CliRunner.Run(["dissect", .. spaced.Split(' ')]).Out.ShouldBe(a);
    }

    [Fact]
    public void CountAndFrameSelectFrames()
    {
        var path = CliRunner.Fixture("echo-session.pcap");
        CliRunner.Run("dissect", "-r", path, "--summary", "-c", "3").Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(3);
        var one = CliRunner.Run("dissect", "-r", path, "--summary", "--frame", "9");
        one.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).ShouldHaveSingleItem().ShouldContain("Seq=2 Ack=4");
    }

    [Fact]
    public void PacketDotNetDecodesWhatWeDoNot()
    {
        // IGMP over IPv4: our decoder stops at the IP header, PacketDotNet takes over.
        const string igmp = "01005e000001020000000001" + "0800" + "4500001c000100000102" + "0000" + "c6120001" + "e0000001" + "1164ee9b00000000";
        var r = CliRunner.Run("dissect", igmp);
        r.Code.ShouldBe(0, r.Err);
        r.Out.ShouldContain("(decoded by PacketDotNet)");

        // IPv6 and ICMPv6 are ours now.
        const string ipv6 = "333300000001020000000001" + "86dd" + "6000000000083a01" + "fe800000000000000000000000000001" + "ff020000000000000000000000000001" + "8000000000000000";
        var v6 = CliRunner.Run("dissect", ipv6);
        v6.Code.ShouldBe(0, v6.Err);
        v6.Out.ShouldContain("Internet Control Message Protocol v6");
        v6.Out.ShouldNotContain("PacketDotNet");
    }

    [Fact]
    public void TruncatedFramesAreMalformedNotFatal()
    {
        var r = CliRunner.Run("dissect", "0200000000fe0200000000010800450000");
        r.Code.ShouldBe(0);
        r.Out.ShouldContain("malformed: IPv4 header at byte 14 is cut off (3 of 20 bytes)");
    }

    [Theory]
    [InlineData(new[] { "dissect" }, "rawhandshake: dissect: give frame bytes as hex, '-' to read hex from stdin, or -r FILE")]
    [InlineData(new[] { "dissect", "zz" }, "rawhandshake: dissect: hex: line 1, column 1: 'z' is not a hex digit")]
    [InlineData(new[] { "dissect", "abc" }, "rawhandshake: dissect: hex: line 1, column 3: odd number of hex digits")]
    [InlineData(new[] { "dissect", "-r", "/nonexistent/x.pcap" }, "rawhandshake: -r /nonexistent/x.pcap: no such file")]
    [InlineData(new[] { "dissect", "00", "-r", "x.pcap" }, "rawhandshake: dissect: give hex bytes or -r FILE, not both")]
    [InlineData(new[] { "dissect", "0000", "--frame", "0" }, "rawhandshake: --frame: frames are numbered from 1")]
    [InlineData(new[] { "dissect", "0000", "--frame", "5" }, "rawhandshake: --frame: there is only 1 frame")]
    [InlineData(new[] { "dissect", "0000", "--link-type", "ppp" }, "rawhandshake: --link-type: 'ppp' is not one of ethernet, raw, sll, sll2")]
    public void BadInputGivesOneLineAndExit2(string[] args, string expected)
    {
        var r = CliRunner.Run(args);
        r.Code.ShouldBe(2);
        r.Err.TrimEnd('\n').ShouldBe(expected);
    }

    [Fact]
    public void NotACaptureFileIsAOneLineError()
    {
        var path = Path.GetTempFileName();
        try
        {
            File.WriteAllText(path, "hello, not a pcap");
            var r = CliRunner.Run("dissect", "-r", path);
            r.Code.ShouldBe(2);
            r.Err.ShouldStartWith($"rawhandshake: -r {path}: not a pcap or pcapng file");
            r.Err.Trim().Split('\n').Length.ShouldBe(1);
        }
        finally
        {
            File.Delete(path);
        }
    }

    internal static string Tshark(params string[] args)
    {
        var psi = new ProcessStartInfo("tshark") { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException("tshark not installed");
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit(60_000).ShouldBeTrue("tshark took too long");
        return output;
    }
}
