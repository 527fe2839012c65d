using RawHandshake.Lab.Topology;

namespace RawHandshake.EndToEnd.Tests;

/// <summary>A private lab with the far path: a second router (rh-NAME-far) and the server address 198.18.4.10 behind it.</summary>
public sealed class FarLabFixture : IDisposable
{
    public FarLabFixture()
    {
        Name = "t" + Guid.NewGuid().ToString("N")[..5];
        Info = LabTopology.Up(Name, new LabUpOptions
        {
            ServeCommand = [.. Cli.Command, "serve"],
            Servers = [LabServerSpec.Defaults.First(s => s.Port == 20000)],
            Slirp = false,
            FarPath = true,
            ReadyTimeout = TimeSpan.FromMinutes(2),
        });

        // Linux lets a router send a peer about six ICMP errors at once, then one a second: the tests of this class
        // ask for more time-exceeded messages than that within seconds, so both routers send every one.
        foreach (var router in new[] { Router, FarRouter })
        {
            Sh.Run("ip", "netns", "exec", router, "sysctl", "-qw", "net.ipv4.icmp_ratelimit=0");
        }
    }

    public string Name { get; }
    public LabInfo Info { get; }
    public string Client => Info.ClientNamespace;
    public string Server => Info.ServerNamespace;
    public string Router => Info.RouterNamespace;
    public string FarRouter => LabPlan.Namespace(Name, LabRole.FarRouter);

    public void Dispose() => LabTopology.Down(Name);
}

/// <summary><c>traceroute</c> through one and two routers of a private lab, and past a router that sends no ICMP.</summary>
[Trait("Category", "Live")]
public sealed class TracerouteTests(FarLabFixture lab) : IClassFixture<FarLabFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(40);

    [Fact]
    public void TheFarAddressIsThreeHopsAwayAndAnswersFromTheThird()
    {
        var r = Cli.Run(Bound, "traceroute", "--netns", lab.Client, "198.18.4.10", "-p", "20000");
        r.Code.ShouldBe(0, r.ToString());
        var lines = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines[0].ShouldBe("traceroute to 198.18.4.10, port 20000, 30 hops max, 3 probes per hop, TCP SYN, via eth0 and gateway 198.18.0.254, guard nft");
        lines.Length.ShouldBe(4, r.ToString());
        lines[1].ShouldMatch(@"^ 1  198\.18\.0\.254  \d+\.\d{3} ms  \d+\.\d{3} ms  \d+\.\d{3} ms$");
        lines[2].ShouldMatch(@"^ 2  198\.18\.3\.1  \d+\.\d{3} ms  \d+\.\d{3} ms  \d+\.\d{3} ms$");
        lines[3].ShouldMatch(@"^ 3  198\.18\.4\.10  \d+\.\d{3} ms  \d+\.\d{3} ms  \d+\.\d{3} ms  \[open\]$");
        ServerHoldsNothing().ShouldBeEmpty();

        // probe agrees: the SYN-ACK from the far address crossed both routers (TTL 64 − 2).
        var p = Cli.Run(Bound, "probe", "--netns", lab.Client, "198.18.4.10", "-p", "20000", "--json", "--timeout", "300ms");
        var port = ProbeTests.Ports(p.Out)[20000];
        (port.GetProperty("ttl").GetInt32(), port.GetProperty("hops").GetInt32()).ShouldBe((62, 2), p.ToString());
    }

    [Fact]
    public void TheUsualAddressIsTwoHopsAwayAndAClosedPortEndsThePathWithItsRst()
    {
        var r = Cli.Run(Bound, "traceroute", "--netns", lab.Client, "198.18.2.10", "-p", "20099", "-q", "2", "--json");
        r.Code.ShouldBe(0, r.ToString());
        var hops = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
        hops.Count.ShouldBe(2, r.ToString());
        var first = hops[0].GetProperty("replies").EnumerateArray().ToList();
        first.Count.ShouldBe(2);
        first.ShouldAllBe(e => e.GetProperty("from").GetString() == "198.18.0.254" && e.GetProperty("icmp").GetProperty("type").GetInt32() == 11);
        hops[0].GetProperty("reached").GetBoolean().ShouldBeFalse();
        hops[1].GetProperty("replies").EnumerateArray().ShouldAllBe(e => e.GetProperty("from").GetString() == "198.18.2.10" && e.GetProperty("flags").GetString() == "RA");
        hops[1].GetProperty("reached").GetBoolean().ShouldBeTrue();
    }

    [Fact]
    public void ARouterThatSendsNoTimeExceededIsAHopOfStars()
    {
        // The far router drops the time-exceeded messages it makes itself (output hook): its hop shows * * *.
        Sh.InNs(lab.FarRouter, "nft", "add", "table", "inet", "rhquiet");
        Sh.InNs(lab.FarRouter, "nft", "add", "chain", "inet", "rhquiet", "out", "{ type filter hook output priority 0; }");
        Sh.InNs(lab.FarRouter, "nft", "add", "rule", "inet", "rhquiet", "out", "icmp", "type", "time-exceeded", "drop");
        try
        {
            var r = Cli.Run(Bound, "traceroute", "--netns", lab.Client, "198.18.4.10", "-p", "20000", "--timeout", "300ms");
            r.Code.ShouldBe(0, r.ToString());
            var lines = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            lines.Length.ShouldBe(4, r.ToString());
            lines[1].ShouldStartWith(" 1  198.18.0.254  ");
            lines[2].ShouldBe(" 2  * * *");
            lines[3].ShouldEndWith("  [open]");

            // A path that ends before the target: max hops 2 never reaches it (exit 1).
            var shortPath = Cli.Run(Bound, "traceroute", "--netns", lab.Client, "198.18.4.10", "-p", "20000", "-m", "2", "-q", "1", "--timeout", "300ms");
            shortPath.Code.ShouldBe(1, shortPath.ToString());
            var tail = shortPath.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)[^3..];
            tail[0].ShouldBe(" 2  *");
            tail[1].ShouldBe("why: 198.18.4.10 did not answer within 2 hops");
            tail[2].ShouldBe("why: no time exceeded came back from hop 2: the router there drops or rate-limits its ICMP, or a firewall drops our SYNs before it");
        }
        finally
        {
            Sh.RunAllowingFailure("ip", "netns", "exec", lab.FarRouter, "nft", "delete", "table", "inet", "rhquiet");
        }
    }

    [Fact]
    public void CraftSendSaysWhyNothingAnswered()
    {
        // A TTL below the hop count: the far router's time exceeded is named.
        var ttl = Cli.Run(Bound, "craft", "--send", "--netns", lab.Client, "--dst", "198.18.4.10", "--dport", "20000", "--ttl", "2", "--timeout", "300ms");
        ttl.Code.ShouldBe(1, ttl.ToString());
        ttl.Out.ShouldContain("why: it died on the way: 198.18.3.1 sent time exceeded (its TTL ran out before the target; raise --ttl)");

        // A wrong TCP checksum: nothing at all comes back, and the checksum is named as the likely cause.
        var sum = Cli.Run(Bound, "craft", "--send", "--netns", lab.Client, "--dst", "198.18.4.10", "--dport", "20000", "--tcp-checksum", "0x1234", "--timeout", "300ms");
        sum.Code.ShouldBe(1, sum.ToString());
        sum.Out.ShouldContain("1 sent, 0 answered, 100% loss");
        sum.Out.ShouldContain("why: the TCP checksum is wrong: routers do not check it, the receiving stack drops the segment silently (TcpInCsumErrors), no RST and no ICMP");
    }

    [Fact]
    public void ACidrRangeIsProbedHostByHostAndAHostWithoutArpIsDown()
    {
        // On the client's on-link path: 198.18.1.9 answers no ARP (down), 198.18.1.10 is the server, zero hops away.
        var r = Cli.Run(Bound, "probe", "--netns", lab.Client, "198.18.1.8/30", "-p", "20000", "--json", "--timeout", "300ms", "--retries", "0");
        r.Code.ShouldBe(0, r.ToString());
        var lines = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Length.ShouldBe(2, r.ToString());
        lines[0].ShouldBe("{\"event\":\"host\",\"host\":\"198.18.1.9\",\"state\":\"down\",\"reason\":\"no-arp-reply\"}");
        var port = ProbeTests.Ports(r.Out)[20000];
        (ProbeTests.Str(port, "host"), ProbeTests.Str(port, "state"), port.GetProperty("ttl").GetInt32(), port.GetProperty("hops").GetInt32()).ShouldBe(("198.18.1.10", "open", 64, 0));
    }

    private string ServerHoldsNothing() => Sh.SocketsBesidesListeners(lab.Server);
}
