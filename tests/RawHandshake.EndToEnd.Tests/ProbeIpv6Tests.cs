using System.Text.Json;
using RawHandshake.Lab.Servers;
using RawHandshake.Lab.Topology;

namespace RawHandshake.EndToEnd.Tests;

/// <summary>A dual-stack lab for <c>probe</c> over IPv6: echo on 20000 and chargen on 19 (for the deep checks' request),
/// listening on <c>::</c>; torn down at the end even when tests fail.</summary>
public sealed class ProbeIpv6LabFixture : IDisposable
{
    public ProbeIpv6LabFixture()
    {
        Name = "p" + Guid.NewGuid().ToString("N")[..5];
        Info = LabTopology.Up(Name, new LabUpOptions
        {
            ServeCommand = [.. Cli.Command, "serve"],
            Servers = [new LabServerSpec(ServerMode.Echo, LabPorts.Echo), new LabServerSpec(ServerMode.Chargen, LabPorts.Chargen)],
            Slirp = false,
            Ipv6 = true,
            ReadyTimeout = TimeSpan.FromMinutes(2),
        });
    }

    public string Name { get; }
    public LabInfo Info { get; }
    public string Client => Info.ClientNamespace;
    public string Server => Info.ServerNamespace;
    public string Router => Info.RouterNamespace;

    public void Dispose() => LabTopology.Down(Name);
}

/// <summary><c>probe</c> over IPv6 against the real Linux stack: SYN scan states, the fingerprint with the hop limit and
/// flow label (DF and IP ID not applicable), ICMPv6 errors matched through their quote, UDP probes, and the deep checks
/// with IPv6's header overhead; tshark rates every checksum of the capture good.</summary>
[Trait("Category", "Live")]
public sealed class ProbeIpv6Tests(ProbeIpv6LabFixture lab) : IClassFixture<ProbeIpv6LabFixture>
{
    private const string Server = "2001:db8:2::10";
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(40);

    [Fact]
    public void OpenClosedDroppedAndRejectedPortsOverIPv6AndTsharkRatesTheCaptureGood()
    {
        // nft in the server: 20010 dropped (silence), 20011 rejected with ICMPv6 administratively prohibited (type 1, code 1).
        var table = "rhp6" + Guid.NewGuid().ToString("N")[..6];
        Sh.InNs(lab.Server, "nft", "add", "table", "inet", table);
        Sh.InNs(lab.Server, "nft", "add", "chain", "inet", table, "in", "{ type filter hook input priority 0; }");
        Sh.InNs(lab.Server, "nft", "add", "rule", "inet", table, "in", "tcp", "dport", "20010", "drop");
        Sh.InNs(lab.Server, "nft", "add", "rule", "inet", table, "in", "tcp", "dport", "20011", "reject", "with", "icmpv6", "type", "admin-prohibited");
        var file = Path.Combine(Path.GetTempPath(), $"rh-probe6-{Guid.NewGuid():N}.pcap");
        try
        {
            var r = Cli.Run(Bound, "probe", "--netns", lab.Client, Server, "-p", "20000,20010,20011,20099", "--json", "--timeout", "300ms", "--rate", "1000", "-w", file);
            r.Code.ShouldBe(0, r.ToString());
            var ports = ProbeTests.Ports(r.Out);
            ports.Keys.ShouldBe([20000, 20010, 20011, 20099], ignoreOrder: false, r.ToString());

            var open = ports[20000];
            (ProbeTests.Str(open, "host"), ProbeTests.Str(open, "state"), ProbeTests.Str(open, "reason")).ShouldBe((Server, "open", "syn-ack"), r.Out);
            (open.GetProperty("ttl").GetInt32(), open.GetProperty("initial_ttl").GetInt32(), open.GetProperty("hops").GetInt32()).ShouldBe((63, 64, 1), "hop limit 64, one router");
            (open.GetProperty("df").ValueKind, open.GetProperty("id").ValueKind).ShouldBe((JsonValueKind.Null, JsonValueKind.Null), "IPv6 has neither DF nor an IP ID");
            open.GetProperty("flow_label").GetInt32().ShouldBeInRange(0, 0xFFFFF);
            open.GetProperty("traffic_class").GetInt32().ShouldBe(0);
            open.GetProperty("mss").GetInt32().ShouldBe(1440, "the server's MTU 1500 − 40 IPv6 − 20 TCP");
            ProbeTests.Str(open, "options_order").ShouldBe("mss,sack_perm,timestamps,nop,wscale");
            ProbeTests.WindowRoundedTo(open.GetProperty("win").GetInt32(), 1428).ShouldBeTrue("the window is rounded down to the MSS less the 12 timestamp bytes (or capped at 65535)");

            (ProbeTests.Str(ports[20099], "state"), ProbeTests.Str(ports[20099], "reason"), ProbeTests.Str(ports[20099], "flags"), ports[20099].GetProperty("ttl").GetInt32()).ShouldBe(("closed", "reset", "RA", 63));
            (ProbeTests.Str(ports[20010], "state"), ProbeTests.Str(ports[20010], "reason"), ports[20010].GetProperty("sent").GetInt32()).ShouldBe(("filtered", "no-response", 2));
            var rejected = ports[20011];
            (ProbeTests.Str(rejected, "state"), ProbeTests.Str(rejected, "reason"), rejected.GetProperty("sent").GetInt32()).ShouldBe(("filtered", "admin-prohibited", 1));
            var icmp = rejected.GetProperty("icmp");
            (icmp.GetProperty("type").GetInt32(), icmp.GetProperty("code").GetInt32(), ProbeTests.Str(icmp, "from"), ProbeTests.Str(icmp, "name"))
                .ShouldBe((1, 1, Server, "Destination Unreachable (Administratively prohibited)"));

            // Every TCP segment (our SYNs and RSTs, the server's answers) and every ICMPv6 message of the capture is
            // IPv6 with a checksum tshark rates good (1); the ICMPv6 error quotes our SYN to 20011.
            var tcp = Tshark(file, "tcp && !icmpv6", "ipv6.src", "tcp.checksum.status");
            tcp.Count.ShouldBeGreaterThanOrEqualTo(7, string.Join('\n', tcp)); // 5 SYNs, a SYN-ACK, our RST, the server's RST
            tcp.ShouldAllBe(row => row.EndsWith("|1", StringComparison.Ordinal) && row.Contains(':'));
            Tshark(file, "icmpv6.type == 1", "icmpv6.checksum.status", "tcp.dstport").ShouldBe(["1|20011"]);

            ServerHoldsNothing().ShouldBeEmpty();
            Sh.InNs(lab.Client, "nft", "list", "tables").ShouldNotContain("rawhandshake_");

            // The table, with TARGET written as handshake's --target is: the fingerprint says what IPv6 has and has not.
            var t = Cli.Run(Bound, "probe", "--netns", lab.Client, $"[{Server}]:20000", "--timeout", "300ms");
            t.Code.ShouldBe(0, t.ToString());
            t.Out.ShouldStartWith($"probe {Server}: 1 port, 1 SYN each, 200 probes/s, retries 1, via eth0 and gateway 2001:db8::fe, guard nft\n");
            t.Out.ShouldContain("20000/tcp   open          syn-ack ");
            t.Out.ShouldContain(" 63 (64-1) ");
            t.Out.ShouldContain("  |_ DF n/a, IP ID n/a, flow label 0x");
        }
        finally
        {
            File.Delete(file);
            Sh.RunAllowingFailure("ip", "netns", "exec", lab.Server, "nft", "delete", "table", "inet", table);
        }
    }

    [Fact]
    public void AUdpPortIsOpenWhenItAnswersAndClosedByIcmpv6PortUnreachable()
    {
        Sh.InNs(lab.Server, "sysctl", "-qw", "net.ipv6.icmp.ratelimit=0");
        var start = new System.Diagnostics.ProcessStartInfo("ip") { RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var a in new[] { "netns", "exec", lab.Server, "timeout", "30", "python3", "-c", "import socket;s=socket.socket(socket.AF_INET6,socket.SOCK_DGRAM);s.bind(('::',5003));print('ready',flush=True);d,a=s.recvfrom(100);s.sendto(d,a)" })
        {
            start.ArgumentList.Add(a);
        }

        using var echo = System.Diagnostics.Process.Start(start)!;
        try
        {
            echo.StandardOutput.ReadLine().ShouldBe("ready");
            var r = Cli.Run(Bound, "probe", "--netns", lab.Client, Server, "-p", "5000,5003", "--udp", "--json", "--timeout", "500ms", "--rate", "1000");
            r.Code.ShouldBe(0, r.ToString());
            var ports = ProbeTests.Ports(r.Out);
            var open = ports[5003];
            (ProbeTests.Str(open, "proto"), ProbeTests.Str(open, "state"), ProbeTests.Str(open, "reason"), open.GetProperty("answered").GetInt32()).ShouldBe(("udp", "open", "udp-response", 1), r.Out);
            var closed = ports[5000];
            (ProbeTests.Str(closed, "state"), ProbeTests.Str(closed, "reason")).ShouldBe(("closed", "port-unreach"), r.Out);
            (closed.GetProperty("icmp").GetProperty("type").GetInt32(), closed.GetProperty("icmp").GetProperty("code").GetInt32()).ShouldBe((1, 4));
        }
        finally
        {
            if (!echo.HasExited)
            {
                echo.Kill(entireProcessTree: true);
            }
        }
    }

    [Fact]
    public void DeepChecksOverIPv6ChallengeAcksTheFirstFlightAndAnMssClampWithIPv6sOverhead()
    {
        // The router clamps the MSS of SYNs toward the server's chargen to 1200 (the SYN-ACK's 1440 passes).
        var table = "rhd6" + Guid.NewGuid().ToString("N")[..6];
        Sh.InNs(lab.Router, "nft", "add", "table", "inet", table);
        Sh.InNs(lab.Router, "nft", "add", "chain", "inet", table, "mss", "{ type filter hook forward priority mangle; }");
        Sh.InNs(lab.Router, "nft", "add", "rule", "inet", table, "mss", "ip6", "daddr", Server, "tcp", "dport", "19", "tcp", "flags", "&", "(syn|ack)", "==", "syn", "tcp", "option", "maxseg", "size", "set", "1200");
        try
        {
            var r = Cli.Run(Bound, "probe", "--netns", lab.Client, Server, "-p", "19", "--deep", "--deep-timeout", "1200ms", "--request", "hello\\r\\n", "--json", "--timeout", "300ms");
            r.Code.ShouldBe(0, r.ToString());
            var p = ProbeTests.Ports(r.Out)[19];
            p.GetProperty("mss").GetInt32().ShouldBe(1440, "the clamp is on the SYN toward the server only");
            var deep = p.GetProperty("deep");
            deep.GetProperty("synack_retransmissions_ms").EnumerateArray().Select(e => e.GetDouble()).ShouldHaveSingleItem().ShouldBeInRange(800, 1250, "Linux's first SYN-ACK retransmission after 1 s");
            (ProbeTests.Str(deep, "isn"), deep.GetProperty("ip_id").ValueKind).ShouldBe(("one sample", JsonValueKind.Null), r.Out);
            ProbeTests.Str(deep.GetProperty("rst_in_window"), "verdict").ShouldBe("challenge-ack", "RFC 5961 §3.2");
            ProbeTests.Str(deep.GetProperty("syn_in_established"), "verdict").ShouldBe("challenge-ack", "RFC 5961 §4.2");
            var iw = deep.GetProperty("initial_window");
            (iw.GetProperty("first_flight_segments").GetInt32(), iw.GetProperty("largest").GetInt32(), ProbeTests.Str(iw, "ended_by")).ShouldBe((10, 1188, "retransmission"), r.Out);
            var mss = deep.GetProperty("path_mss");
            (mss.GetProperty("offered").GetInt32(), mss.GetProperty("synack").GetInt32(), mss.GetProperty("used").GetInt32(), mss.GetProperty("clamped").GetBoolean())
                .ShouldBe((1440, 1440, 1200, true), "we offer 1500 − 60 over IPv6; the server applies the clamped 1200");
            ServerHoldsNothing().ShouldBeEmpty();
        }
        finally
        {
            Sh.RunAllowingFailure("ip", "netns", "exec", lab.Router, "nft", "delete", "table", "inet", table);
        }
    }

    private string ServerHoldsNothing() => Sh.SocketsBesidesListeners(lab.Server);

    /// <summary>tshark's fields of the frames <paramref name="filter"/> selects, one row per frame, joined by '|'.</summary>
    private static List<string> Tshark(string file, string filter, params string[] fields)
    {
        var output = Sh.Run("tshark", ["-o", "tcp.check_checksum:TRUE", "-r", file, "-Y", filter, "-T", "fields", "-E", "separator=|", .. fields.SelectMany(f => new[] { "-e", f })]);
        return output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("Running as", StringComparison.Ordinal)).ToList();
    }
}
