using System.Globalization;
using System.Text.Json;

namespace RawHandshake.EndToEnd.Tests;

/// <summary><c>probe</c> against the real Linux stack of a private lab with the kernel's defaults: every reported field
/// is checked against what the server's sysctls make its kernel do, and the server holds nothing of ours afterwards.</summary>
[Trait("Category", "Live")]
public sealed class ProbeTests(LabFixture lab) : IClassFixture<LabFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(40);

    [Fact]
    public void OpenClosedDroppedAndRejectedPortsEachGetTheirStateAndTheSynAckTheKernelsFingerprint()
    {
        // nft in the server: 20010 dropped (silence), 20011 rejected with ICMP admin-prohibited (type 3, code 13).
        using (new NftScratch(lab.Server, NftScratch.Input, "tcp dport 20010 drop", "tcp dport 20011 reject with icmp type admin-prohibited"))
        {
            var r = Cli.Run(Bound, "probe", "--netns", lab.Client, "198.18.2.10", "-p", "20099,80,20000,20010-20011", "--json", "--timeout", "300ms", "--rate", "1000");
            r.Code.ShouldBe(0, r.ToString());
            var ports = Ports(r.Out);
            ports.Keys.ShouldBe([80, 20000, 20010, 20011, 20099], ignoreOrder: false, r.ToString());

            var sysctl = Sysctls(lab.Server);
            foreach (var open in new[] { 80, 20000 })
            {
                var p = ports[open];
                (Str(p, "state"), Str(p, "reason"), Str(p, "flags")).ShouldBe(("open", "syn-ack", sysctl["net.ipv4.tcp_ecn"] == "0" ? "SA" : "SAE"), r.Out);
                (p.GetProperty("ttl").GetInt32(), p.GetProperty("initial_ttl").GetInt32(), p.GetProperty("hops").GetInt32()).ShouldBe((63, 64, 1)); // ip_default_ttl 64, one router
                p.GetProperty("df").GetBoolean().ShouldBeTrue();
                p.GetProperty("mss").GetInt32().ShouldBe(1460); // the server's MTU 1500 − 40
                p.GetProperty("wscale").GetInt32().ShouldBe(WindowScale(sysctl));
                p.GetProperty("sack_perm").GetBoolean().ShouldBe(sysctl["net.ipv4.tcp_sack"] == "1");
                p.TryGetProperty("tsval", out _).ShouldBe(sysctl["net.ipv4.tcp_timestamps"] != "0");
                p.GetProperty("tsecr").GetInt64().ShouldNotBe(0, "the SYN-ACK echoes our SYN's TSval");
                p.GetProperty("ecn").GetBoolean().ShouldBe(sysctl["net.ipv4.tcp_ecn"] != "0"); // 1 and 2 both accept an ECN-setup SYN
                WindowRoundedTo(p.GetProperty("win").GetInt32(), 1448).ShouldBeTrue("the window is rounded down to the MSS less the 12 timestamp bytes (or capped at 65535)");
                Str(p, "options_order").ShouldBe("mss,sack_perm,timestamps,nop,wscale");
                (p.GetProperty("sent").GetInt32(), p.GetProperty("answered").GetInt32()).ShouldBe((1, 1));
                p.GetProperty("rtt_us").GetDouble().ShouldBeGreaterThan(0);
                p.TryGetProperty("isn", out _).ShouldBeTrue();
            }

            (Str(ports[20099], "state"), Str(ports[20099], "reason"), Str(ports[20099], "flags"), ports[20099].GetProperty("ttl").GetInt32()).ShouldBe(("closed", "reset", "RA", 63));
            (Str(ports[20010], "state"), Str(ports[20010], "reason")).ShouldBe(("filtered", "no-response"));
            ports[20010].GetProperty("sent").GetInt32().ShouldBe(2, "one retry for silence");
            var rejected = ports[20011];
            (Str(rejected, "state"), Str(rejected, "reason")).ShouldBe(("filtered", "admin-prohibited"));
            var icmp = rejected.GetProperty("icmp");
            (icmp.GetProperty("type").GetInt32(), icmp.GetProperty("code").GetInt32(), Str(icmp, "from")).ShouldBe((3, 13, "198.18.2.10"));
            rejected.GetProperty("sent").GetInt32().ShouldBe(1, "an ICMP error is an answer: no retry");

            ServerHoldsNothing().ShouldBeEmpty();
            Sh.InNs(lab.Client, "nft", "list", "tables").ShouldNotContain("rawhandshake_");
        }
    }

    [Fact]
    public void AThousandPortsInATableLikeNmapsAndTheServerHoldsNothingOfOurs()
    {
        var r = Cli.Run(Bound, "probe", "--netns", lab.Client, "198.18.2.10", "-p", "19501-20500", "--rate", "5000", "--timeout", "300ms", "--retries", "0");
        r.Code.ShouldBe(0, r.ToString());
        var lines = r.Out.Split('\n');
        lines[0].ShouldBe("probe 198.18.2.10: 1000 ports, 1 SYN each, 5000 probes/s, retries 0, via eth0 and gateway 198.18.0.254, guard nft");
        lines[1].ShouldBe("Not shown: 996 closed tcp ports (reset)");
        lines[2].ShouldStartWith("PORT        STATE         REASON            RTT         TTL         WIN    MSS   OPTIONS");
        var rows = lines.Where(l => l.Contains("/tcp", StringComparison.Ordinal)).ToList();
        rows.Select(l => l.Split('/')[0]).ShouldBe(["20000", "20001", "20002", "20003"]);
        rows.ShouldAllBe(l => l.Contains(" open          syn-ack ", StringComparison.Ordinal) && l.Contains(" 63 (64-1) ", StringComparison.Ordinal) && l.Contains(" 1460  mss,sack_perm,timestamps,nop,wscale", StringComparison.Ordinal));
        r.Out.ShouldContain("1000 ports: 4 open, 996 closed; 1000 probes sent");
        r.Err.ShouldBeEmpty("no progress line when stderr is not a terminal");
        ServerHoldsNothing().ShouldBeEmpty();
    }

    [Theory]
    [InlineData("ack", "unfiltered", "unfiltered")]   // nmap -sA: a RST either way, nothing filters
    [InlineData("fin", "open|filtered", "closed")]    // -sF: a listener drops a lone FIN (RFC 9293), a closed port resets
    [InlineData("null", "open|filtered", "closed")]   // -sN
    [InlineData("xmas", "open|filtered", "closed")]   // -sX
    [InlineData("window", "closed", "closed")]        // -sW: Linux's RSTs carry window 0 whatever the port
    public void ScanTypesReadAnswersAsNmapDoes(string scan, string listening, string noListener)
    {
        var r = Cli.Run(Bound, "probe", "--netns", lab.Client, "198.18.2.10", "-p", "20000,20099", "--scan", scan, "--json", "--timeout", "200ms", "--rate", "1000");
        r.Code.ShouldBe(0, r.ToString());
        var ports = Ports(r.Out);
        (Str(ports[20000], "state"), Str(ports[20099], "state")).ShouldBe((listening, noListener), r.Out);
        ports[20000].GetProperty("sent").GetInt32().ShouldBe(listening == "open|filtered" ? 2 : 1, "silence is asked again once");
        ServerHoldsNothing().ShouldBeEmpty();
    }

    [Fact]
    public void DeepTimesTheSynAckRetransmissionsTheServerIsToldToMakeAndItsTimestampClock()
    {
        // Linux's default of 5 retries takes 63 s: the server is told 2 (at about 1 s and 3 s), and we listen for 4.5 s.
        Sh.InNs(lab.Server, "sysctl", "-qw", "net.ipv4.tcp_synack_retries=2");
        var r = Cli.Run(Bound, "probe", "--netns", lab.Client, "198.18.2.10", "-p", "20000", "-c", "3", "--deep", "--deep-timeout", "4500ms", "--json", "--timeout", "300ms");
        r.Code.ShouldBe(0, r.ToString());
        var deep = Ports(r.Out)[20000].GetProperty("deep");
        var gaps = deep.GetProperty("synack_retransmissions_ms").EnumerateArray().Select(e => e.GetDouble()).ToList();
        gaps.Count.ShouldBe(2, r.Out);
        gaps[0].ShouldBeInRange(800, 2000, "the first retransmission after the initial RTO of 1 s");
        gaps[1].ShouldBeInRange(1600, 4000, "then the RTO doubles");
        deep.GetProperty("ts_hz").GetDouble().ShouldBeInRange(800, 1200, "Linux's TSval ticks in milliseconds");
        (Str(deep, "isn"), Str(deep, "ip_id")).ShouldBe(("random", "zero"), "RFC 6528 ISNs; IP ID 0 on Linux's DF SYN-ACKs");

        // Our RST after the deep look closed that connection too.
        ServerHoldsNothing().ShouldBeEmpty();
    }

    [Fact]
    public void DeepChecksRfc5961ChallengeAcksTheInitialWindowAndAnMssClampOnThePath()
    {
        // The router clamps the MSS of SYNs toward the server to 1200 (only that way: the SYN-ACK's 1460 passes).
        using (new NftScratch(lab.Router, NftScratch.Mangle, "ip daddr 198.18.2.10 tcp dport 19 tcp flags & (syn|ack) == syn tcp option maxseg size set 1200"))
        {
            // chargen (port 19) has more to send than any initial window; --deep-timeout 1200ms takes the SYN-ACK's first retransmission.
            var r = Cli.Run(Bound, "probe", "--netns", lab.Client, "198.18.2.10", "-p", "19", "--deep", "--deep-timeout", "1200ms", "--request", "hello\\r\\n", "--json", "--timeout", "300ms");
            r.Code.ShouldBe(0, r.ToString());
            var p = Ports(r.Out)[19];
            p.GetProperty("mss").GetInt32().ShouldBe(1460, "the clamp is on the SYN toward the server only");
            var deep = p.GetProperty("deep");
            Str(deep.GetProperty("rst_in_window"), "verdict").ShouldBe("challenge-ack", "RFC 5961 §3.2, Linux since 3.6");
            Str(deep.GetProperty("syn_in_established"), "verdict").ShouldBe("challenge-ack", "RFC 5961 §4.2");
            var iw = deep.GetProperty("initial_window");
            var initcwnd = 10; // RFC 6928, Linux's default (no initcwnd on the server's route)
            Sh.InNs(lab.Server, "ip", "route").ShouldNotContain("initcwnd");
            (iw.GetProperty("first_flight_segments").GetInt32(), iw.GetProperty("largest").GetInt32(), Str(iw, "ended_by")).ShouldBe((initcwnd, 1188, "retransmission"), r.Out);
            iw.GetProperty("first_flight_bytes").GetInt32().ShouldBeInRange((initcwnd - 1) * 1188, initcwnd * 1188, "ten segments of at most 1200 − 12 timestamp bytes (chargen's first write may fill less)");
            var mss = deep.GetProperty("path_mss");
            (mss.GetProperty("offered").GetInt32(), mss.GetProperty("synack").GetInt32(), mss.GetProperty("used").GetInt32(), mss.GetProperty("clamped").GetBoolean()).ShouldBe((1460, 1460, 1200, true));
            ServerHoldsNothing().ShouldBeEmpty();
        }
    }

    [Fact]
    public void AUdpPortIsOpenWhenTheServiceAnswers()
    {
        // A UDP echo service in the server's namespace: it answers our empty datagram with an empty one.
        using (UdpEcho.Start(lab.Server, 5003, ipv6: false))
        {
            var r = Cli.Run(Bound, "probe", "--netns", lab.Client, "198.18.2.10", "-p", "5003", "--udp", "--json", "--timeout", "500ms");
            r.Code.ShouldBe(0, r.ToString());
            var p = Ports(r.Out)[5003];
            (Str(p, "state"), Str(p, "reason"), p.GetProperty("answered").GetInt32()).ShouldBe(("open", "udp-response", 1), r.Out);
        }
    }

    [Fact]
    public void UdpPortsAreClosedByPortUnreachableFilteredByAnotherAndOpenFilteredBySilence()
    {
        // The server's ICMP rate limit off, so that every datagram to a closed port gets its port unreachable.
        Sh.InNs(lab.Server, "sysctl", "-qw", "net.ipv4.icmp_ratelimit=0");
        using (new NftScratch(lab.Server, NftScratch.Input, "udp dport 5001 drop", "udp dport 5002 reject with icmp type host-prohibited"))
        {
            var r = Cli.Run(Bound, "probe", "--netns", lab.Client, "198.18.2.10", "-p", "5000-5002", "--udp", "--json", "--timeout", "200ms", "--rate", "1000");
            r.Code.ShouldBe(0, r.ToString());
            var ports = Ports(r.Out);
            ports.Values.ShouldAllBe(p => p.GetProperty("proto").GetString() == "udp");
            (Str(ports[5000], "state"), Str(ports[5000], "reason")).ShouldBe(("closed", "port-unreach"));
            (Str(ports[5001], "state"), Str(ports[5001], "reason")).ShouldBe(("open|filtered", "no-response"));
            (Str(ports[5002], "state"), Str(ports[5002], "reason")).ShouldBe(("filtered", "host-prohibited"));
            ports[5002].GetProperty("icmp").GetProperty("code").GetInt32().ShouldBe(10);

            // craft --send --udp: the datagram built by the wire layer, answered by the same port unreachable.
            var c = Cli.Run(Bound, "craft", "--send", "--udp", "--netns", lab.Client, "--dst", "198.18.2.10", "--dport", "5000", "--data", "hi", "--timeout", "300ms");
            c.Code.ShouldBe(1, c.ToString());
            c.Out.ShouldContain("198.18.2.10 → 198.18.0.1 ICMP 72 Destination unreachable (Port unreachable)");
        }
    }

    private string ServerHoldsNothing() => Sh.SocketsBesidesListeners(lab.Server);

    internal static SortedDictionary<int, JsonElement> Ports(string output) =>
        new(output.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("event").GetString() == "port")
            .ToDictionary(e => e.GetProperty("port").GetInt32()));

    /// <summary>Linux's tcp_select_initial_window rounds the window down to a multiple of the MSS it will use; the
    /// SYN-ACK's unscaled field then holds at most 65535.</summary>
    internal static bool WindowRoundedTo(int window, int mss) => window > 0 && (window % mss == 0 || window == 65535);

    internal static string? Str(JsonElement e, string key) => e.GetProperty(key).GetString();

    internal static Dictionary<string, string> Sysctls(string ns) =>
        Sh.InNs(ns, "sysctl", "net.ipv4.tcp_ecn", "net.ipv4.tcp_sack", "net.ipv4.tcp_timestamps", "net.ipv4.tcp_rmem", "net.core.rmem_max")
            .Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('=', 2))
            .ToDictionary(kv => kv[0].Trim(), kv => kv[1].Trim());

    /// <summary>Linux's tcp_select_initial_window: the smallest shift that brings the largest receive buffer
    /// (max of tcp_rmem's third value and rmem_max) under 65536, at most 14.</summary>
    private static int WindowScale(Dictionary<string, string> sysctl)
    {
        var rmem = long.Parse(sysctl["net.ipv4.tcp_rmem"].Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries)[2], CultureInfo.InvariantCulture);
        var space = Math.Max(rmem, long.Parse(sysctl["net.core.rmem_max"], CultureInfo.InvariantCulture));
        var shift = 0;
        while (space > 65535 && shift < 14)
        {
            space >>= 1;
            shift++;
        }

        return shift;
    }
}

/// <summary><c>probe</c> against a server whose kernel is told otherwise (a lab of its own, so the other probe tests
/// keep Linux's defaults): no timestamps, no window scaling, no SACK, no ECN, initial TTL 128, and an MSS clamp on the router.</summary>
[Trait("Category", "Live")]
public sealed class ProbeTunedKernelTests(LabFixture lab) : IClassFixture<LabFixture>
{
    [Fact]
    public void TheFingerprintFollowsTheServersSysctlsAndTheRoutersMssClamp()
    {
        Sh.InNs(lab.Server, "sysctl", "-qw", "net.ipv4.tcp_timestamps=0", "net.ipv4.tcp_window_scaling=0", "net.ipv4.tcp_sack=0", "net.ipv4.tcp_ecn=0", "net.ipv4.ip_default_ttl=128");
        var table = "rhclamp";
        Sh.InNs(lab.Router, "nft", "add", "table", "inet", table);
        Sh.InNs(lab.Router, "nft", "add", "chain", "inet", table, "mss", "{ type filter hook forward priority mangle; }");
        Sh.InNs(lab.Router, "nft", "add", "rule", "inet", table, "mss", "ip", "saddr", "198.18.2.10", "tcp", "flags", "&", "(syn|ack)", "==", "(syn|ack)", "tcp", "option", "maxseg", "size", "set", "1200");

        var r = Cli.Run(TimeSpan.FromSeconds(40), "probe", "--netns", lab.Client, "198.18.2.10", "-p", "20000,20099", "-c", "3", "--json", "--rate", "100", "--timeout", "300ms");
        r.Code.ShouldBe(0, r.ToString());
        var ports = ProbeTests.Ports(r.Out);
        var p = ports[20000];
        (ProbeTests.Str(p, "state"), ProbeTests.Str(p, "flags")).ShouldBe(("open", "SA"), r.Out); // tcp_ecn=0: no ECE
        (p.GetProperty("ttl").GetInt32(), p.GetProperty("initial_ttl").GetInt32(), p.GetProperty("hops").GetInt32()).ShouldBe((127, 128, 1));
        p.GetProperty("mss").GetInt32().ShouldBe(1200, "clamped on the router");
        p.TryGetProperty("wscale", out _).ShouldBeFalse();
        p.TryGetProperty("tsval", out _).ShouldBeFalse();
        p.GetProperty("sack_perm").GetBoolean().ShouldBeFalse();
        p.GetProperty("ecn").GetBoolean().ShouldBeFalse();
        ProbeTests.Str(p, "options_order").ShouldBe("mss");
        ProbeTests.WindowRoundedTo(p.GetProperty("win").GetInt32(), 1460).ShouldBeTrue("without timestamps the window is rounded down to the full MSS (or capped at 65535)");

        // -c 3: three SYNs, three SYN-ACKs, ping's statistics over them.
        (p.GetProperty("sent").GetInt32(), p.GetProperty("answered").GetInt32()).ShouldBe((3, 3));
        var (min, avg, max) = (p.GetProperty("rtt_min_us").GetDouble(), p.GetProperty("rtt_avg_us").GetDouble(), p.GetProperty("rtt_max_us").GetDouble());
        min.ShouldBeLessThanOrEqualTo(avg);
        avg.ShouldBeLessThanOrEqualTo(max);
        p.GetProperty("rtt_mdev_us").GetDouble().ShouldBeGreaterThanOrEqualTo(0);

        var closed = ports[20099];
        (ProbeTests.Str(closed, "state"), closed.GetProperty("ttl").GetInt32(), closed.GetProperty("answered").GetInt32()).ShouldBe(("closed", 127, 3));
    }
}

/// <summary>An nft table of a test's own in a lab namespace: one base chain on <see cref="Input"/> or <see cref="Mangle"/>
/// holding the rules given (each as nft reads it after <c>add rule</c>), deleted when disposed, also when the test failed.</summary>
internal sealed class NftScratch : IDisposable
{
    public const string Input = "type filter hook input priority 0;";
    public const string Mangle = "type filter hook forward priority mangle;";

    private readonly string ns;
    private readonly string table = "rht" + Guid.NewGuid().ToString("N")[..8];

    public NftScratch(string ns, string chain, params string[] rules)
    {
        this.ns = ns;
        Sh.InNs(ns, "nft", "add", "table", "inet", table);
        try
        {
            Sh.InNs(ns, "nft", "add", "chain", "inet", table, "c", $"{{ {chain} }}");
            foreach (var rule in rules)
            {
                Sh.InNs(ns, "nft", "add", "rule", "inet", table, "c", rule);
            }
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    public void Dispose() => Sh.RunAllowingFailure("ip", "netns", "exec", ns, "nft", "delete", "table", "inet", table);
}

/// <summary>A UDP echo service in a lab namespace (python, at most 30 s): it answers one datagram with the same bytes.
/// Started listening when <see cref="Start"/> returns; stopped when disposed.</summary>
internal sealed class UdpEcho : IDisposable
{
    private readonly System.Diagnostics.Process process;

    private UdpEcho(System.Diagnostics.Process process) => this.process = process;

    public static UdpEcho Start(string ns, int port, bool ipv6)
    {
        var (family, any) = ipv6 ? ("AF_INET6", "::") : ("AF_INET", "0.0.0.0");
        var start = new System.Diagnostics.ProcessStartInfo("ip") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "netns", "exec", ns, "timeout", "30", "python3", "-c", $"import socket;s=socket.socket(socket.{family},socket.SOCK_DGRAM);s.bind(('{any}',{port}));print('ready',flush=True);d,a=s.recvfrom(100);s.sendto(d,a)" })
        {
            start.ArgumentList.Add(a);
        }

        var echo = new UdpEcho(System.Diagnostics.Process.Start(start)!);
        try
        {
            echo.process.StandardOutput.ReadLine().ShouldBe("ready");
            return echo;
        }
        catch
        {
            echo.Dispose();
            throw;
        }
    }

    public void Dispose()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
        }

        process.Dispose();
    }
}
