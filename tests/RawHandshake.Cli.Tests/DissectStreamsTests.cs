namespace RawHandshake.Cli.Tests;

/// <summary>dissect -f (tcpdump filters through libpcap), --follow and --conversations, and their one-line errors.</summary>
public class DissectStreamsTests
{
    private static readonly string Echo = CliRunner.Fixture("echo-session.pcap");

    [Fact]
    public void A_bpf_filter_keeps_frame_numbers_and_relative_numbers()
    {
        var r = CliRunner.Run("dissect", "-r", Echo, "-s", "-f", "tcp[tcpflags] & tcp-fin != 0");
        r.Code.ShouldBe(0, r.Err);
        var lines = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Length.ShouldBe(2);
        lines[0].ShouldStartWith("   10 ");
        lines[0].ShouldContain("[FIN, ACK] Seq=4 Ack=4");
        lines[1].ShouldStartWith("   11 ");
    }

    [Fact]
    public void A_bpf_filter_works_on_linux_cooked_captures_and_hex_text()
    {
        CliRunner.Run("dissect", "-r", CliRunner.Fixture("echo-session-sll2.pcap"), "-s", "-f", "src host 198.18.2.10 and greater 70")
            .Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(5); // as many as tcpdump -r with the same filter
        var text = File.ReadAllText(CliRunner.Fixture("tcpdump-text/icmp.x-tt.txt"));
        CliRunner.RunWithInput(text, "dissect", "-", "-s", "-f", "icmp").Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(4);
    }

    /// <summary>Frames and bytes as tshark -z conv,tcp counts them: 7 frames / 473 bytes one way, 5 / 341 the other.</summary>
    [Fact]
    public void Conversations_are_one_line_each()
    {
        var r = CliRunner.Run("dissect", "-r", Echo, "--conversations");
        r.Code.ShouldBe(0, r.Err);
        r.Out.ShouldBe("  0  198.18.0.1:35834 ↔ 198.18.2.10:20000  frames 12 (7 →, 5 ←)  bytes 814 (473 →, 341 ←)  start 0.000000  duration 0.000711  analysis: none\n");
    }

    [Fact]
    public void Follow_by_number_or_by_endpoints_gives_the_same_stream()
    {
        var byNumber = CliRunner.Run("dissect", "-r", Echo, "--follow", "0");
        var byEnds = CliRunner.Run("dissect", "-r", Echo, "--follow", "198.18.2.10:20000,198.18.0.1:35834");
        byNumber.Code.ShouldBe(0, byNumber.Err);
        byEnds.Out.ShouldBe(byNumber.Out);
        byNumber.Out.ShouldContain("Node 0: 198.18.0.1:35834\nNode 1: 198.18.2.10:20000\n1\nA\n\t1\nA\n2\nAB\n\t2\nAB\n");
    }

    /// <summary>tshark -z follow,tcp,ascii,0 on the same capture prints these Node lines (IPv6 in brackets); -z conv,tcp
    /// counts 6 frames / 539 bytes from the client and 4 / 367 back.</summary>
    [Fact]
    public void Ipv6_conversations_follow_by_number_or_by_bracketed_endpoints()
    {
        var capture = CliRunner.Fixture("corpus/live-ipv6.pcap");
        var conv = CliRunner.Run("dissect", "-r", capture, "--conversations");
        conv.Code.ShouldBe(0, conv.Err);
        conv.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).ShouldBe(
        [
            "  0  [2001:db8:6::1]:40652 ↔ [2001:db8:6::2]:7001  frames 10 (6 →, 4 ←)  bytes 906 (539 →, 367 ←)  start 0.497932  duration 0.002316  analysis: none",
            "  1  [2001:db8:6::1]:32780 ↔ [2001:db8:6::2]:7999  frames 2 (1 →, 1 ←)  bytes 168 (94 →, 74 ←)  start 0.721375  duration 0.000014  analysis: none",
        ]);
        var byNumber = CliRunner.Run("dissect", "-r", capture, "--follow", "0");
        var byEnds = CliRunner.Run("dissect", "-r", capture, "--follow", "[2001:db8:6::2]:7001, [2001:db8:6::1]:40652");
        byEnds.Code.ShouldBe(0, byEnds.Err);
        byEnds.Out.ShouldBe(byNumber.Out);
        byNumber.Out.ShouldContain("Node 0: [2001:db8:6::1]:40652\nNode 1: [2001:db8:6::2]:7001\n15\nhello over ipv6\n\t15\nHELLO OVER IPV6\n");
    }

    [Theory]
    [InlineData(new[] { "--follow", "3" }, "rawhandshake: --follow 3: there is 1 TCP stream (0)")]
    [InlineData(new[] { "--follow", "x" }, "rawhandshake: --follow x: give a stream number (0, 1, …) or ADDR:PORT,ADDR:PORT ([ADDR]:PORT for IPv6)")]
    [InlineData(new[] { "--follow", "198.18.0.1:1,198.18.0.2" }, "rawhandshake: --follow 198.18.0.1:1,198.18.0.2: '198.18.0.2' should be ADDRESS:PORT, e.g. 198.18.2.10:20000 or [2001:db8::10]:20000")]
    [InlineData(new[] { "--follow", "2001:db8::1:80,198.18.0.2:2" }, "rawhandshake: --follow 2001:db8::1:80,198.18.0.2:2: '2001:db8::1:80' is IPv6 without brackets: write [ADDRESS]:PORT, e.g. [2001:db8::10]:20000")]
    [InlineData(new[] { "--follow", "[2001:db8::1]:80,198.18.0.2:2" }, "rawhandshake: --follow [2001:db8::1]:80,198.18.0.2:2: [2001:db8::1]:80 and 198.18.0.2:2 are of two address families; a TCP conversation is IPv4 or IPv6")]
    [InlineData(new[] { "--follow", "[2001:db8::1]:80,[2001:db8::2]:99999" }, "rawhandshake: --follow [2001:db8::1]:80,[2001:db8::2]:99999: '[2001:db8::2]:99999' has port '99999', not a number from 0 to 65535")]
    [InlineData(new[] { "--follow", "[2001:db8::1]:80,[2001:db8::2]:9" }, "rawhandshake: --follow [2001:db8::1]:80,[2001:db8::2]:9: no TCP conversation between [2001:db8::1]:80 and [2001:db8::2]:9")]
    [InlineData(new[] { "--follow", "198.18.0.1:1,198.18.0.2:2" }, "rawhandshake: --follow 198.18.0.1:1,198.18.0.2:2: no TCP conversation between 198.18.0.1:1 and 198.18.0.2:2")]
    [InlineData(new[] { "--follow", "0", "--conversations" }, "rawhandshake: --follow and --conversations: give one of them")]
    [InlineData(new[] { "--hex" }, "rawhandshake: --hex: only with --follow")]
    [InlineData(new[] { "-f", "tcp port 80 and" }, "rawhandshake: -f 'tcp port 80 and': can't parse filter expression: syntax error")]
    [InlineData(new[] { "-f", "tcp port 99999" }, "rawhandshake: -f 'tcp port 99999': illegal port number 99999 > 65535")]
    public void Bad_stream_options_are_one_line_and_exit_2(string[] extra, string expected)
    {
        var r = CliRunner.Run(["dissect", "-r", Echo, .. extra]);
        r.Code.ShouldBe(2);
        r.Err.TrimEnd('\n').ShouldBe(expected);
    }
}
