using System.Globalization;
using System.Text.RegularExpressions;

using static RawHandshake.EndToEnd.Tests.ProbeOutput;

namespace RawHandshake.EndToEnd.Tests;

/// <summary><c>craft --send</c> over IPv6 against the real Linux stack in a dual-stack lab: neighbour discovery for the
/// next hop, the source port (TCP, UDP) or the echo sequence (ICMPv6) going up per frame, replies matched to their frame,
/// ICMPv6 errors through their quote, the nft guard in its ip6 set; tshark judges the pcaps.</summary>
[Trait("Category", "Live")]
public sealed partial class CraftSendIpv6Tests(DualStackLabFixture lab) : IClassFixture<DualStackLabFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    /// <summary>tshark's fields of the frames <paramref name="filter"/> keeps, one row per frame, '|' between fields.</summary>
    private static List<string> Tshark(string file, string filter, params string[] fields)
    {
        string[] args = ["-o", "tcp.check_checksum:TRUE", "-r", file, "-Y", filter, "-T", "fields", "-E", "separator=|", .. fields.SelectMany(f => new[] { "-e", f })];
        return Sh.Run("tshark", args).Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("Running as", StringComparison.Ordinal)).ToList();
    }

    [Fact]
    public void FiveSynsToAListenerThroughTheRouterEachSynAckMapsToItsFrameAndTsharkRatesEveryChecksumGood()
    {
        var file = Path.Combine(Path.GetTempPath(), $"rh-craft6-{Guid.NewGuid():N}.pcapng");
        try
        {
            var r = Cli.Run(Bound, "craft", "--send", "--netns", lab.Client, "--dst", "2001:db8:2::10", "--dport", "20000", "--count", "5", "--interval", "10ms", "-w", file);
            r.Code.ShouldBe(0, r.ToString());
            r.Out.ShouldContain("5 frames to 2001:db8:2::10 via eth0 and gateway 2001:db8::fe, guard nft, one every 10 ms, source port from ");
            r.Out.ShouldNotContain("kernel ", Case.Sensitive, "the guard kept our kernel's RSTs off the wire");
            var first = int.Parse(BasePort().Match(r.Out).Groups[1].Value, CultureInfo.InvariantCulture);

            // One line per SYN-ACK, each on the port of the frame it names.
            var replies = ReplyLine().Matches(r.Out).ToList();
            replies.Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).Order().ToList().ShouldBe([1, 2, 3, 4, 5], r.ToString());
            foreach (var m in replies)
            {
                var frame = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
                m.Groups[3].Value.ShouldContain($"2001:db8:2::10 → 2001:db8::1 TCP 78 20000 → {first + frame - 1} [SYN, ACK]");
            }

            var rtts = replies.Select(m => Number(m.Groups[2])).ToList();
            var s = Statistics().Match(r.Out);
            s.Success.ShouldBeTrue(r.ToString());
            (s.Groups[1].Value, s.Groups[2].Value).ShouldBe(("5", "5"));
            Number(s.Groups[3]).ShouldBe(rtts.Min(), 0.0005);
            Number(s.Groups[5]).ShouldBe(rtts.Max(), 0.0005);

            // The capture: our 5 SYNs, the server's 5 SYN-ACKs and our 5 RSTs, all IPv6, every TCP checksum good (1);
            // the neighbour solicitation for the router and its advertisement are valid ICMPv6 too.
            var tcp = Tshark(file, "tcp", "ipv6.src", "tcp.flags.str", "tcp.checksum.status");
            tcp.Count(row => row.StartsWith("2001:db8::1|", StringComparison.Ordinal) && row.Contains("S·|", StringComparison.Ordinal)).ShouldBe(5, string.Join('\n', tcp));
            tcp.Count(row => row.StartsWith("2001:db8:2::10|", StringComparison.Ordinal) && row.Contains("A··S·|", StringComparison.Ordinal)).ShouldBe(5, string.Join('\n', tcp));
            tcp.Count(row => row.StartsWith("2001:db8::1|", StringComparison.Ordinal) && row.Contains("R··|", StringComparison.Ordinal)).ShouldBe(5, string.Join('\n', tcp));
            tcp.Count.ShouldBe(15, string.Join('\n', tcp));
            tcp.ShouldAllBe(row => row.EndsWith("|1", StringComparison.Ordinal));
            Tshark(file, "icmpv6.type == 135 || icmpv6.type == 136", "icmpv6.checksum.status").ShouldBe(["1", "1"]);

            // Our RSTs closed what each SYN-ACK opened; the guard's table is gone.
            ServerHolds(lab.Server, first, first + 4).ShouldBeEmpty();
            Sh.InNs(lab.Client, "nft", "list", "tables").ShouldNotContain("rawhandshake_");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void AClosedPortOnLinkAnswersEverySynWithARst()
    {
        var r = Cli.Run(Bound, "craft", "--send", "--netns", lab.Client, "--dst", "2001:db8:1::10", "--dport", "20099", "--count", "3", "--interval", "10ms", "--json");
        r.Code.ShouldBe(0, r.ToString());
        var lines = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
        var replies = lines.Where(e => e.GetProperty("event").GetString() == "reply").ToList();
        replies.Select(e => e.GetProperty("probe").GetInt32()).Order().ToList().ShouldBe([1, 2, 3], r.ToString());
        replies.ShouldAllBe(e => e.GetProperty("summary").GetString()!.Contains("[RST, ACK]") && e.GetProperty("kind").GetString() == "answer");
        var stats = lines[^1];
        (stats.GetProperty("sent").GetInt32(), stats.GetProperty("answered").GetInt32(), stats.GetProperty("loss").GetDouble()).ShouldBe((3, 3, 0.0));
    }

    [Fact]
    public void FiveEchoRequestsGetFiveEchoRepliesByTheirSequence()
    {
        var file = Path.Combine(Path.GetTempPath(), $"rh-craft6-{Guid.NewGuid():N}.pcapng");
        try
        {
            var r = Cli.Run(Bound, "craft", "--send", "--netns", lab.Client, "--dst", "2001:db8:2::10", "--icmp-type", "128", "--icmp-id", "0x385e",
                "--count", "5", "--interval", "10ms", "-w", file);
            r.Code.ShouldBe(0, r.ToString());
            r.Out.ShouldContain("5 frames to 2001:db8:2::10 via eth0 and gateway 2001:db8::fe, one every 10 ms, ICMP sequence from 1 +1 per frame");
            var replies = ReplyLine().Matches(r.Out).ToList();
            replies.Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).Order().ToList().ShouldBe([1, 2, 3, 4, 5], r.ToString());
            replies.ShouldAllBe(m => m.Groups[3].Value.Contains($"Echo (ping) reply id=0x385e, seq={m.Groups[1].Value},"));
            Statistics().Match(r.Out).Groups[2].Value.ShouldBe("5", r.ToString());

            // tshark pairs each request with its reply and rates every ICMPv6 checksum good.
            var echo = Tshark(file, "icmpv6.type == 128 || icmpv6.type == 129", "icmpv6.type", "icmpv6.echo.sequence_number", "icmpv6.checksum.status");
            echo.Order(StringComparer.Ordinal).ShouldBe(["128|1|1", "128|2|1", "128|3|1", "128|4|1", "128|5|1", "129|1|1", "129|2|1", "129|3|1", "129|4|1", "129|5|1"]);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void AHopLimitOfOneGetsTheRoutersTimeExceededMatchedThroughItsQuote()
    {
        var r = Cli.Run(Bound, "craft", "--send", "--netns", lab.Client, "--dst", "2001:db8:2::10", "--dport", "20000", "--hop-limit", "1", "--timeout", "500ms");
        r.Code.ShouldBe(1, r.ToString());
        r.Out.ShouldContain("2001:db8::fe → 2001:db8::1 ICMPv6 122 Time Exceeded (hop limit exceeded in transit)");
        r.Out.ShouldContain("1 sent, 0 answered, +1 error, 100% loss");
        r.Out.ShouldContain("why: it died on the way: 2001:db8::fe sent time exceeded (its hop limit ran out before the target; raise --hop-limit)");
    }

    [Fact]
    public void AClosedUdpPortAnswersWithPortUnreachable()
    {
        var r = Cli.Run(Bound, "craft", "--send", "--netns", lab.Client, "--dst", "2001:db8:1::10", "--udp", "--dport", "33434", "--data", "hi", "--timeout", "500ms");
        r.Code.ShouldBe(1, r.ToString());
        r.Out.ShouldContain("2001:db8:1::10 → 2001:db8:1::1 ICMPv6 112 Destination Unreachable (Port unreachable)");
        r.Out.ShouldContain("why: 2001:db8:1::10 says port unreachable: nothing listens on that UDP port");
    }
}
