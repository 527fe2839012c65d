namespace RawHandshake.EndToEnd.Tests;

/// <summary>Issue 15 over IPv6 in a dual-stack lab of its own: <c>traceroute</c> with rising hop limits, hops from the
/// router's ICMPv6 time exceeded quoting our SYN, the end from the server's SYN-ACK or RST or the router's
/// unreachable; and ICMPv6 errors on a live flow (a rejected SYN, a packet too big lowering the path MTU), as the IPv4
/// tests show them (<see cref="TracerouteTests"/>, <see cref="SenderFaultTests"/>).</summary>
[Trait("Category", "Live")]
public sealed class Traceroute6Tests : IClassFixture<DualStackLabFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(40);
    private readonly DualStackLabFixture lab;

    public Traceroute6Tests(DualStackLabFixture lab)
    {
        this.lab = lab;

        // A Linux router sends a destination about six ICMPv6 errors at once, then one a second (net.ipv6.icmp.ratelimit
        // = 1000 ms by default): the router of this lab sends every one, so that each probe gets its answer.
        Sh.InNs(Router, "sysctl", "-qw", "net.ipv6.icmp.ratelimit=0");
    }

    private string Router => lab.Router;

    private static string TempFile(string ext) => Path.Combine(Path.GetTempPath(), $"rh-tr6-{Guid.NewGuid():N}{ext}");

    private static List<string> Lines(string text) => [.. text.Split('\n', StringSplitOptions.RemoveEmptyEntries)];

    private static List<string> Tshark(string file, string filter, params string[] fields) =>
        [.. Sh.Run("tshark", ["-o", "tcp.check_checksum:TRUE", "-r", file, "-Y", filter, "-T", "fields", "-E", "separator=|", .. fields.SelectMany(f => new[] { "-e", f })])
            .Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("Running as", StringComparison.Ordinal))];

    /// <summary>Runs <paramref name="body"/> with one nft rule in an ip6 table of the router (forward or output hook), then removes it.</summary>
    private void WithRouterRule(string table, string hook, string[] rule, Action body)
    {
        Sh.InNs(Router, "nft", "add", "table", "ip6", table);
        Sh.InNs(Router, "nft", "add", "chain", "ip6", table, "c", $"{{ type filter hook {hook} priority 0; policy accept; }}");
        Sh.InNs(Router, "nft", ["add", "rule", "ip6", table, "c", .. rule]);
        try
        {
            body();
        }
        finally
        {
            Sh.RunAllowingFailure("ip", "netns", "exec", Router, "nft", "delete", "table", "ip6", table);
        }
    }

    [Fact]
    public void TheServerIsTwoHopsAwayTheRouterAnswersWithTimeExceededAndTsharkRatesEveryChecksumGood()
    {
        var file = TempFile(".pcap");
        try
        {
            var r = Cli.Run(Bound, "traceroute", "--netns", lab.Client, "2001:db8:2::10", "-p", "20000", "-w", file);
            r.Code.ShouldBe(0, r.ToString());
            var lines = Lines(r.Out);
            lines[0].ShouldBe("traceroute to 2001:db8:2::10, port 20000, 30 hops max, 3 probes per hop, TCP SYN, via eth0 and gateway 2001:db8::fe, guard nft");
            lines.Count.ShouldBe(3, r.ToString());
            lines[1].ShouldMatch(@"^ 1  2001:db8::fe  \d+\.\d{3} ms  \d+\.\d{3} ms  \d+\.\d{3} ms$");
            lines[2].ShouldMatch(@"^ 2  2001:db8:2::10  \d+\.\d{3} ms  \d+\.\d{3} ms  \d+\.\d{3} ms  \[open\]$");
            Sh.SocketsBesidesListeners(lab.Server).ShouldBeEmpty();

            // Our SYNs: hop limits 1 and 2, three of each, checksums good; the SYN-ACKs' RSTs too.
            var syns = Tshark(file, "!icmpv6 && ipv6.src == 2001:db8::1 && tcp.flags.syn == 1", "ipv6.hlim", "tcp.checksum.status");
            syns.ShouldBe(["1|1", "1|1", "1|1", "2|1", "2|1", "2|1"], string.Join('\n', syns));
            Tshark(file, "!icmpv6 && tcp.flags.reset == 1 && ipv6.src == 2001:db8::1", "tcp.checksum.status").ShouldBe(["1", "1", "1"]);

            // The router's three time exceeded (ICMPv6 type 3) with good checksums, each quoting one of our SYNs (tshark
            // lists the outer source, then the quoted one).
            var errors = Tshark(file, "icmpv6.type == 3", "ipv6.src", "icmpv6.checksum.status", "tcp.srcport");
            errors.Count.ShouldBe(3, string.Join('\n', errors));
            errors.ShouldAllBe(e => e.StartsWith("2001:db8::fe,2001:db8::1|1|", StringComparison.Ordinal));
            errors.Select(e => e.Split('|')[2]).Distinct().Count().ShouldBe(3, "each error quotes its own probe's source port");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void AClosedPortEndsThePathWithItsRstInJson()
    {
        var r = Cli.Run(Bound, "traceroute", "--netns", lab.Client, "2001:db8:2::10", "-p", "20099", "-q", "2", "--json");
        r.Code.ShouldBe(0, r.ToString());
        var hops = Lines(r.Out).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
        hops.Count.ShouldBe(2, r.ToString());
        var first = hops[0].GetProperty("replies").EnumerateArray().ToList();
        first.Count.ShouldBe(2);
        first.ShouldAllBe(e => e.GetProperty("from").GetString() == "2001:db8::fe" && e.GetProperty("icmp").GetProperty("type").GetInt32() == 3
            && e.GetProperty("icmp").GetProperty("name").GetString() == "Time Exceeded (hop limit exceeded in transit)");
        hops[0].GetProperty("reached").GetBoolean().ShouldBeFalse();
        hops[1].GetProperty("replies").EnumerateArray().ShouldAllBe(e => e.GetProperty("from").GetString() == "2001:db8:2::10" && e.GetProperty("flags").GetString() == "RA");
        hops[1].GetProperty("reached").GetBoolean().ShouldBeTrue();
    }

    [Fact]
    public void ARouterThatSendsNoTimeExceededIsAHopOfStars()
    {
        WithRouterRule("rh6quiet", "output", ["icmpv6", "type", "time-exceeded", "drop"], () =>
        {
            var r = Cli.Run(Bound, "traceroute", "--netns", lab.Client, "2001:db8:2::10", "-p", "20000", "--timeout", "300ms");
            r.Code.ShouldBe(0, r.ToString());
            var lines = Lines(r.Out);
            lines.Count.ShouldBe(3, r.ToString());
            lines[1].ShouldBe(" 1  * * *");
            lines[2].ShouldEndWith("  [open]");
        });
    }

    [Fact]
    public void AnAdminProhibitedRejectEndsThePathAndFailsAHandshakeAsAnIcmpUnreachableDoes()
    {
        // The router rejects SYNs to port 20001 with ICMPv6 destination unreachable, administratively prohibited (1/1).
        WithRouterRule("rh6rej", "forward", ["ip6", "daddr", "2001:db8:2::10", "tcp", "dport", "20001", "reject", "with", "icmpv6", "type", "admin-prohibited"], () =>
        {
            var t = Cli.Run(Bound, "traceroute", "--netns", lab.Client, "2001:db8:2::10", "-p", "20001", "-q", "2", "--timeout", "300ms");
            t.Code.ShouldBe(1, t.ToString());
            var lines = Lines(t.Out);
            lines[2].ShouldMatch(@"^ 2  2001:db8::fe  \d+\.\d{3} ms !X  \d+\.\d{3} ms !X$", t.ToString());
            lines[3].ShouldBe("why: 2001:db8:2::10 did not answer within 30 hops (the path ended at hop 2 with an unreachable)");

            // handshake: the error quotes our SYN, so the session ends at once as unreachable (RFC 5927), not by its timer.
            var h = Cli.Run(Bound, "handshake", "--netns", lab.Client, "--target", "[2001:db8:2::10]:20001", "--timeout", "5s");
            h.Code.ShouldBe(1, h.ToString());
            h.Out.ShouldContain("ICMPv6 destination unreachable (administratively prohibited) from 2001:db8::fe");
            h.Out.ShouldContain("unreachable (ICMP)");
            h.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(4), "the error ends the handshake, not the 5 s time limit");

            // run: a recipe's connect fails on the same error, named in its failure.
            var recipe = TempFile(".rh");
            File.WriteAllText(recipe, "target [2001:db8:2::10]:20001\nconnect\n");
            try
            {
                var run = Cli.Run(Bound, "run", "--netns", lab.Client, recipe);
                run.Code.ShouldBe(1, run.ToString());
                run.Out.ShouldContain(":2: connect — ICMPv6 destination unreachable (administratively prohibited) from 2001:db8::fe");
            }
            finally
            {
                File.Delete(recipe);
            }
        });
    }

    [Fact]
    public void PacketTooBigFromTheRouterLowersThePathMtuAndTheEchoStillArrives()
    {
        // As SenderFaultTests' fragmentation needed: the router's route to the server takes 1280-byte packets ("lock":
        // a forwarding IPv6 router honours a route MTU only when locked), our 1500-byte segments earn ICMPv6 packet too big.
        var got = TempFile(".out");
        Sh.InNs(Router, "ip", "-6", "route", "replace", "2001:db8:2::/64", "dev", "eth1", "proto", "kernel", "metric", "256", "mtu", "lock", "1280");
        try
        {
            var text = new string('m', 20000);
            var r = Cli.Run(Bound, "handshake", "--netns", lab.Client, "--target", "[2001:db8:2::10]:20000", "--data", text, "--expect-echo",
                "--received-file", got, "--sport", "45302");
            r.Code.ShouldBe(0, r.ToString()[..Math.Min(3000, r.ToString().Length)]);
            File.ReadAllText(got).ShouldBe(text);
            r.Out.ShouldContain("ICMPv6 packet too big (MTU 1280) from 2001:db8::fe");
            r.Out.ShouldContain("the path MTU is now 1280 (RFC 8201)");
            r.Out.ShouldContain("the path MTU fell to 1280: sent again in smaller segments");
            r.Out.ShouldContain("Len=1220");
        }
        finally
        {
            Sh.InNs(Router, "ip", "-6", "route", "replace", "2001:db8:2::/64", "dev", "eth1", "proto", "kernel", "metric", "256");
            File.Delete(got);
        }
    }
}
