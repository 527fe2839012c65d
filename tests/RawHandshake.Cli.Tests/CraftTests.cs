using RawHandshake.Wire.Capture;

namespace RawHandshake.Cli.Tests;

public class CraftTests
{
    private static readonly string[] Seed004 =
    [
        "craft", "--src-mac", "10:63:c8:ff:ff:ff", "--dst-mac", "b0:95:8e:0b:15:38", "--src", "192.168.0.101", "--dst", "180.101.49.12",
        "--sport", "59006", "--dport", "80", "--flags", "S", "--seq", "0x5c4e1a2b", "--win", "64240", "--mss", "1460", "--wscale", "8", "--sackok",
        "--id", "0x1d2f", "--df",
    ];

    [Fact]
    public void Seed004SynPrintsWiresharkSummaryTreeAndDump()
    {
        var r = CliRunner.Run(Seed004);
        r.Code.ShouldBe(0, r.Err);
        var lines = r.Out.Split('\n');
        lines[0].ShouldBe("    1   0.000000 192.168.0.101 → 180.101.49.12 TCP 66 59006 → 80 [SYN] Seq=1548622379 Win=64240 Len=0 MSS=1460 WS=256 SACK_PERM");
        r.Out.ShouldContain("0000  Destination: b0:95:8e:0b:15:38");
        r.Out.ShouldContain("0006  Source: 10:63:c8:ff:ff:ff");
        r.Out.ShouldContain("000c  Type: IPv4 (0x0800)");
        r.Out.ShouldContain("001a  Source Address: 192.168.0.101  (c0 a8 00 65)");
        r.Out.ShouldContain("001e  Destination Address: 180.101.49.12  (b4 65 31 0c)");
        r.Out.ShouldContain("Header Checksum: 0x7716 [correct]");
        r.Out.ShouldContain("Checksum: 0x7058 [correct]");
        r.Out.ShouldContain(".... .... ..1. = Syn: Set");
        r.Out.ShouldContain("Ethernet  0000  b0 95 8e 0b 15 38 10 63  c8 ff ff ff 08 00");
    }

    [Fact]
    public void HexOnlyGivesTheExactFrameBytes()
    {
        var r = CliRunner.Run([.. Seed004, "--hex-only"]);
        r.Code.ShouldBe(0);
        r.Out.Trim().ShouldBe(
            "b0958e0b15381063c8ffffff0800" + "450000341d2f400040067716c0a80065b465310c" +
            "e67e00505c4e1a2b000000008002faf070580000" + "020405b401030308" + "01010402");
    }

    [Fact]
    public void WrongChecksumIsSentAsSetAndDissectedAsIncorrect()
    {
        var hex = CliRunner.Run("craft", "--flags", "PA", "--seq", "1", "--ack", "1", "--data", "AB", "--tcp-checksum", "0xdead", "--hex-only").Out.Trim();
        hex.ShouldContain("dead");
        var d = CliRunner.Run("dissect", hex);
        d.Code.ShouldBe(0);
        d.Out.ShouldContain("Checksum: 0xdead [incorrect]");
        d.Out.ShouldContain("Header Checksum: 0x");
        d.Out.ShouldContain("[correct]");
    }

    [Fact]
    public void DataUnderstandsCEscapes()
    {
        var r = CliRunner.Run("craft", "--flags", "PA", "--data", "Hello World!\\x04\\r\\n", "--json");
        r.Code.ShouldBe(0, r.Err);
        r.Out.ShouldContain("\"payload_hex\":\"48656c6c6f20576f726c6421040d0a\"");
        r.Out.ShouldContain("\"len\":15");
    }

    [Fact]
    public void ImpossibleLengthsAreSentAsSet()
    {
        var r = CliRunner.Run("craft", "--ihl", "4", "--ip-len", "9999", "--data-offset", "15", "--hex-only");
        r.Code.ShouldBe(0, r.Err);
        var bytes = Convert.FromHexString(r.Out.Trim());
        bytes[14].ShouldBe((byte)0x44);
        (bytes[16] << 8 | bytes[17]).ShouldBe(9999);
        (bytes[46] >> 4).ShouldBe(15);
        var d = CliRunner.Run("dissect", r.Out.Trim());
        d.Out.ShouldContain("malformed: IPv4 IHL is 4 (16 bytes), less than 5 (20 bytes)");
    }

    [Fact]
    public void WritesPcapngThatTsharkAndWeReadBack()
    {
        var path = Path.Combine(Path.GetTempPath(), $"rh-craft-{Guid.NewGuid():N}.pcapng");
        try
        {
            var r = CliRunner.Run([.. Seed004, "-w", path]);
            r.Code.ShouldBe(0, r.Err);
            var read = RawHandshake.Link.CaptureFiles.Read(path);
            read.Error.ShouldBeNull();
            read.Format.ShouldBe(CaptureFormat.PcapNg);
            read.Frames.Count.ShouldBe(1);
            read.Frames[0].Comment.ShouldBe("crafted by rawhandshake craft");
            read.Frames[0].Data.Length.ShouldBe(66);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void IcmpEchoAndArpCanBeCrafted()
    {
        var icmp = CliRunner.Run("craft", "--icmp-type", "8", "--icmp-id", "0x385e", "--icmp-seq", "1", "--data", "hi");
        icmp.Code.ShouldBe(0, icmp.Err);
        icmp.Out.ShouldContain("Echo (ping) request  id=0x385e, seq=1/256, ttl=64");
        icmp.Out.ShouldContain("[correct]");
        var arp = CliRunner.Run("craft", "--arp", "request", "--src", "198.18.0.1", "--dst", "198.18.0.254");
        arp.Code.ShouldBe(0, arp.Err);
        arp.Out.ShouldContain("Who has 198.18.0.254? Tell 198.18.0.1");
    }

    [Theory]
    [InlineData(new[] { "craft", "--flags", "Q" }, "rawhandshake: --flags: unknown flag 'Q' (expected S . P F R U E W C N A)")]
    [InlineData(new[] { "craft", "--seq", "abc" }, "rawhandshake: --seq: 'abc' is not a number (decimal, 0x-hex or 0b-binary)")]
    [InlineData(new[] { "craft", "--sport", "70000" }, "rawhandshake: --sport: 70000 is out of range (0 to 65535, 0xffff)")]
    [InlineData(new[] { "craft", "--src", "1.2.3" }, "rawhandshake: --source: '1.2.3' is not an IPv4 address")]
    [InlineData(new[] { "craft", "--src-mac", "zz:00" }, "rawhandshake: --src-mac: 'zz:00' is not a MAC address (expected aa:bb:cc:dd:ee:ff)")]
    [InlineData(new[] { "craft", "--data", "a", "--data-hex", "41" }, "rawhandshake: --data and --data-hex: give one or the other")]
    [InlineData(new[] { "craft", "--data", "bad\\q" }, "rawhandshake: --data: unknown escape '\\q' (known: \\r \\n \\t \\0 \\\\ \\\" \\xHH \\NNN)")]
    [InlineData(new[] { "craft", "--data-hex", "4" }, "rawhandshake: --data-hex: line 1, column 1: odd number of hex digits")]
    [InlineData(new[] { "craft", "--ts", "5" }, "rawhandshake: --ts: '5' should be VAL:ECR, e.g. 12345:0")]
    [InlineData(new[] { "craft", "--sack", "1-2,3" }, "rawhandshake: --sack: '3' should be LEFT-RIGHT, e.g. 1001-2001")]
    [InlineData(new[] { "craft", "--ttl", "256" }, "rawhandshake: --ttl: 256 is out of range (0 to 255, 0xff)")]
    [InlineData(new[] { "craft", "--timeout", "1s" }, "rawhandshake: --timeout, --iface, --netns, --count, --interval, --rate and --rst-guard go with --send")]
    [InlineData(new[] { "craft", "--bogus" }, "rawhandshake: craft: unknown option '--bogus' (see rawhandshake craft --help)")]
    public void BadInputGivesOneLineAndExit2(string[] args, string expected)
    {
        var r = CliRunner.Run(args);
        r.Code.ShouldBe(2);
        r.Err.TrimEnd('\n').ShouldBe(expected);
        r.Err.Trim().Split('\n').Length.ShouldBe(1);
        r.Out.ShouldBeEmpty();
    }

    [Fact]
    public void UnknownVerbListsTheVerbs()
    {
        var r = CliRunner.Run("frob");
        r.Code.ShouldBe(2);
        var names = string.Join(", ", CliApp.Verbs.Select(t => ((CommandLine.VerbAttribute)Attribute.GetCustomAttribute(t, typeof(CommandLine.VerbAttribute))!).Name));
        names.ShouldStartWith("craft, dissect, handshake");
        r.Err.TrimEnd('\n').ShouldBe($"rawhandshake: unknown verb 'frob'; verbs: {names} (see rawhandshake --help)");
    }

    [Fact]
    public void HelpAndVersionExitZero()
    {
        var help = CliRunner.Run("--help");
        help.Code.ShouldBe(0);
        help.Out.ShouldContain("craft");
        help.Out.ShouldContain("dissect");
        CliRunner.Run("craft", "--help").Out.ShouldContain("--tcp-checksum");
        CliRunner.Run("--version").Code.ShouldBe(0);
    }
}
