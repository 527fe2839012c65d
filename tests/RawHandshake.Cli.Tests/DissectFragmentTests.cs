namespace RawHandshake.Cli.Tests;

/// <summary>craft --fragment writes IPv4 or IPv6 fragments; dissect shows each and, in the last, the datagram they make up.</summary>
public class DissectFragmentTests
{
    [Fact]
    public void Crafted_fragments_dissect_as_fragments_then_the_reassembled_segment()
    {
        var dir = Directory.CreateTempSubdirectory("rawhandshake-fragment-");
        try
        {
            var path = Path.Combine(dir.FullName, "frag.pcap");
            var craft = CliRunner.Run("craft", "--flags", "PA", "--seq", "1", "--ack", "1", "--id", "0x1234", "--data", new string('x', 100), "--fragment", "40", "-w", path);
            craft.Code.ShouldBe(0, craft.Err);
            craft.Out.ShouldEndWith("wrote 3 frames to " + path + "\n");
            var r = CliRunner.Run("dissect", "-r", path, "-s");
            r.Code.ShouldBe(0, r.Err);
            var lines = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            lines.Length.ShouldBe(3);
            lines[0].ShouldEndWith("IPv4 74 Fragmented IP protocol (proto=TCP 6, off=0, ID=1234)");
            lines[1].ShouldEndWith("IPv4 74 Fragmented IP protocol (proto=TCP 6, off=40, ID=1234)");
            lines[2].ShouldEndWith("40000 → 20000 [PSH, ACK] Seq=1 Ack=1 Win=64240 Len=100");
            var tree = CliRunner.Run("dissect", "-r", path, "--frame", "3").Out;
            tree.ShouldContain("[3 IPv4 Fragments (120 bytes): #1(40), #2(40), #3(40)]");
            tree.ShouldContain("Reassembled: Transmission Control Protocol, Src Port: 40000, Dst Port: 20000, Seq: 1, Ack: 1, Len: 100");
            var json = System.Text.Json.JsonDocument.Parse(CliRunner.Run("dissect", "-r", path, "--json", "--frame", "3").Out).RootElement;
            json.GetProperty("reassembled").GetProperty("len").GetInt32().ShouldBe(120);
            json.GetProperty("reassembled").GetProperty("fragments").EnumerateArray().Select(e => e.GetInt32()).ShouldBe([1, 2, 3]);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    /// <summary>tshark -r on the same file: <c>IPv6 fragment (off=0 more=y ident=0x0000cafe nxt=6)</c>, the same at off=32
    /// and off=64, then the reassembled segment (TCP, checksum good).</summary>
    [Fact]
    public void Crafted_ipv6_fragments_dissect_as_fragments_then_the_reassembled_segment()
    {
        var dir = Directory.CreateTempSubdirectory("rawhandshake-fragment6-");
        try
        {
            var path = Path.Combine(dir.FullName, "frag6.pcap");
            var craft = CliRunner.Run("craft", "--dst", "2001:db8::2", "--flags", "PA", "--seq", "1", "--ack", "1", "--ext", "hbh", "--ext", "frag=0:0:0xcafe",
                "--data", new string('x', 60), "--fragment", "32", "-w", path);
            craft.Code.ShouldBe(0, craft.Err);
            craft.Out.ShouldEndWith("wrote 3 frames to " + path + "\n");
            var lines = CliRunner.Run("dissect", "-r", path, "-s").Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            lines.Length.ShouldBe(3);
            lines[0].ShouldEndWith("IPv6 102 IPv6 fragment (off=0 more=y ident=0x0000cafe nxt=6)");
            lines[1].ShouldEndWith("IPv6 102 IPv6 fragment (off=32 more=y ident=0x0000cafe nxt=6)");
            lines[2].ShouldEndWith("TCP 86 40000 → 20000 [PSH, ACK] Seq=1 Ack=1 Win=64240 Len=60");
            var tree = CliRunner.Run("dissect", "-r", path, "--frame", "3").Out;
            tree.ShouldContain("[3 IPv6 Fragments (80 bytes): #1(32), #2(32), #3(16)]");
            tree.ShouldContain("Reassembled: Transmission Control Protocol, Src Port: 40000, Dst Port: 20000, Seq: 1, Ack: 1, Len: 60");
            tree.ShouldNotContain("Reassembled: Internet Protocol");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Fact]
    public void Hex_output_gives_one_line_per_fragment()
    {
        var r = CliRunner.Run("craft", "--data", new string('y', 30), "--fragment", "16", "--hex-only");
        r.Code.ShouldBe(0, r.Err);
        r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(4); // 20 + 30 bytes in 16s: 16, 16, 16, 2
    }

    [Theory]
    [InlineData(new[] { "--fragment", "4" }, "rawhandshake: --fragment 4: fragment size 4 is below 8 bytes (offsets count in 8-byte units)")]
    [InlineData(new[] { "--fragment", "4", "--send" }, "rawhandshake: --fragment 4: fragment size 4 is below 8 bytes (offsets count in 8-byte units)")] // before any set-up
    [InlineData(new[] { "--fragment", "16", "--arp", "request", "--send" }, "rawhandshake: --fragment 16: only an IPv4 datagram or an IPv6 packet can be fragmented")]
    [InlineData(new[] { "--fragment", "x" }, null)]
    [InlineData(new[] { "--fragment", "16", "--arp", "request" }, "rawhandshake: --fragment 16: only an IPv4 datagram or an IPv6 packet can be fragmented")]
    [InlineData(new[] { "--fragment", "16", "--dst", "2001:db8::2", "--id", "7" }, "rawhandshake: --id: an IPv4 field, and this frame is IPv6 (use --ext frag=OFFSET:M:ID)")]
    public void Bad_fragment_options_are_one_line_and_exit_2(string[] extra, string? expected)
    {
        var r = CliRunner.Run(["craft", "--data", "abc", .. extra]);
        r.Code.ShouldBe(2);
        r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries).ShouldHaveSingleItem().ShouldStartWith(expected ?? "rawhandshake: --fragment");
    }
}
