using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using RawHandshake.Link;
using RawHandshake.Wire.Building;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Link.Tests;

public class NftGuardTests
{
    [Fact]
    public void One_table_its_sets_and_rules_that_drop_the_servers_segments_in_and_RSTs_out()
    {
        new GuardedFlow(IPv4Address.Parse("198.18.0.1"), 40000, IPv4Address.Parse("198.18.0.2"), 80).Element
            .ShouldBe("198.18.0.1 . 40000 . 198.18.0.2 . 80");
        NftGuard.TableNameForThisProcess.ShouldBe($"rawhandshake_{Environment.ProcessId}_{StartTimeOf(Environment.ProcessId)}");
        NftGuard.TableCommand("t").ShouldBe(string.Join("; ", (string[])
        [
            "create table inet t",
            "add set inet t flows { type ipv4_addr . inet_service . ipv4_addr . inet_service; }",
            "add set inet t ranges { type ipv4_addr . inet_service . ipv4_addr . inet_service; flags interval; }",
            "add chain inet t output { type filter hook output priority 0; policy accept; }",
            "add rule inet t output tcp flags & rst == rst ip saddr . tcp sport . ip daddr . tcp dport @flows drop",
            "add rule inet t output tcp flags & rst == rst ip saddr . tcp sport . ip daddr . tcp dport @ranges drop",
            "add set inet t flows6 { type ipv6_addr . inet_service . ipv6_addr . inet_service; }",
            "add set inet t ranges6 { type ipv6_addr . inet_service . ipv6_addr . inet_service; flags interval; }",
            "add rule inet t output tcp flags & rst == rst ip6 saddr . tcp sport . ip6 daddr . tcp dport @flows6 drop",
            "add rule inet t output tcp flags & rst == rst ip6 saddr . tcp sport . ip6 daddr . tcp dport @ranges6 drop",
            "add chain inet t prerouting { type filter hook prerouting priority -300; policy accept; }",
            "add rule inet t prerouting ip daddr . tcp dport . ip saddr . tcp sport @flows drop",
            "add rule inet t prerouting ip daddr . tcp dport . ip saddr . tcp sport @ranges drop",
            "add rule inet t prerouting ip6 daddr . tcp dport . ip6 saddr . tcp sport @flows6 drop",
            "add rule inet t prerouting ip6 daddr . tcp dport . ip6 saddr . tcp sport @ranges6 drop",
            "add chain inet t sync",
        ]));
        NftGuard.SyncCommand("t").ShouldBe("list chain inet t sync");
    }

    [Fact]
    public void Elements_go_in_batches_of_at_most_BatchSize_one_line_each()
    {
        var a = IPv4Address.Parse("198.18.0.1");
        var b = IPv4Address.Parse("198.18.0.2");
        var flows = Enumerable.Range(0, 1100).Select(i => new GuardedFlow(a, (ushort)(20000 + i), b, 80).Element).ToList();
        var lines = NftGuard.ElementCommands("add", "t", NftGuard.FlowSet, flows).ToList();
        lines.Count.ShouldBe(3);
        lines.ShouldAllBe(l => l.StartsWith("add element inet t flows { ", StringComparison.Ordinal) && l.EndsWith(" }", StringComparison.Ordinal) && !l.Contains('\n', StringComparison.Ordinal));
        lines.Select(l => l.Split(", ").Length).ShouldBe([NftGuard.BatchSize, NftGuard.BatchSize, 1100 - (2 * NftGuard.BatchSize)]);
        lines[0].ShouldStartWith("add element inet t flows { 198.18.0.1 . 20000 . 198.18.0.2 . 80, 198.18.0.1 . 20001 . 198.18.0.2 . 80, ");
        NftGuard.ElementCommands("delete", "t", NftGuard.FlowSet, flows.Take(2), batch: 1)
            .ShouldBe(["delete element inet t flows { 198.18.0.1 . 20000 . 198.18.0.2 . 80 }", "delete element inet t flows { 198.18.0.1 . 20001 . 198.18.0.2 . 80 }"]);
        NftGuard.ElementCommands("add", "t", NftGuard.FlowSet, []).ShouldBeEmpty();
    }

    [Fact]
    public void A_port_block_is_one_interval_element_toward_one_port_or_all()
    {
        var a = IPv4Address.Parse("198.18.0.1");
        var b = IPv4Address.Parse("198.18.0.2");
        GuardedPorts.Toward(a, 61000, 61999, b, 80).Element.ShouldBe("198.18.0.1 . 61000-61999 . 198.18.0.2 . 80");
        GuardedPorts.Toward(a, 61000, 61000, b, null).Element.ShouldBe("198.18.0.1 . 61000 . 198.18.0.2 . 0-65535");
        GuardedPorts.Toward(a, 61000, 61999, b, 80).Covers(new GuardedFlow(a, 61500, b, 80)).ShouldBeTrue();
        GuardedPorts.Toward(a, 61000, 61999, b, 80).Covers(new GuardedFlow(a, 61500, b, 81)).ShouldBeFalse();
        GuardedPorts.Toward(a, 61000, 61999, b, 80).Covers(new GuardedFlow(b, 61500, a, 80)).ShouldBeFalse();
        Should.Throw<ArgumentOutOfRangeException>(() => GuardedPorts.Toward(a, 2, 1, b, 80));
    }

    [Fact]
    public void A_block_minus_another_is_what_the_other_leaves_in_at_most_four_disjoint_pieces()
    {
        // Every pair of blocks on a 6 x 6 grid of ports, point by point: the pieces cover exactly this minus the other.
        var a = IPv4Address.Parse("198.18.0.1");
        var b = IPv4Address.Parse("198.18.0.2");
        var blocks = (from s1 in Enumerable.Range(0, 6)
                      from s2 in Enumerable.Range(s1, 6 - s1)
                      from d1 in Enumerable.Range(0, 6)
                      from d2 in Enumerable.Range(d1, 6 - d1)
                      where (s1 + s2 + d1 + d2) % 3 == 0 // a third of them, still every shape
                      select new GuardedPorts(a, (ushort)s1, (ushort)s2, b, (ushort)d1, (ushort)d2)).ToList();
        foreach (var x in blocks)
        {
            foreach (var y in blocks)
            {
                var pieces = x.Minus(y).ToList();
                pieces.Count.ShouldBeLessThanOrEqualTo(4);
                for (var sp = 0; sp < 6; sp++)
                {
                    for (var dp = 0; dp < 6; dp++)
                    {
                        var f = new GuardedFlow(a, (ushort)sp, b, (ushort)dp);
                        pieces.Count(p => p.Covers(f)).ShouldBe(x.Covers(f) && !y.Covers(f) ? 1 : 0, $"{x} minus {y} at {f}");
                    }
                }
            }
        }

        var other = new GuardedPorts(b, 0, 5, a, 0, 5);
        new GuardedPorts(a, 0, 5, b, 0, 5).Minus(other).ShouldBe([new GuardedPorts(a, 0, 5, b, 0, 5)]); // other addresses: no overlap
    }

    [Fact]
    public void Only_tables_named_for_a_dead_or_reused_process_are_stale()
    {
        var self = Environment.ProcessId;
        var start = StartTimeOf(self);
        NftGuard.IsStale($"rawhandshake_{self}_{start}").ShouldBeFalse();
        NftGuard.IsStale($"rawhandshake_{self}_{start + 1}").ShouldBeTrue();
        NftGuard.IsStale("rawhandshake_99999999_1").ShouldBeTrue();
        NftGuard.IsStale("rawhandshake_other").ShouldBeFalse();
        NftGuard.IsStale("rawhandshake_12_34_x").ShouldBeFalse();
        NftGuard.IsStale("filter").ShouldBeFalse();

        NftGuard.ParseTables("""{"nftables": [{"metainfo": {"version": "1.0.6"}}, {"table": {"family": "inet", "name": "t1", "handle": 1}}, {"table": {"family": "ip", "name": "t2", "handle": 2}}]}""")
            .ShouldBe([("inet", "t1"), ("ip", "t2")]);
    }

    [Fact]
    public void ProcessIdentity_reads_field_22_even_when_the_command_has_spaces_and_parens()
    {
        ProcessIdentity.ParseStartTime("4242 (we ird) (cmd)) S 1 4242 4242 0 -1 4194560 100 0 0 0 1 2 0 0 20 0 1 0 987654 1000 10")
            .ShouldBe(987654UL);
        ProcessIdentity.ParseStartTime("garbage").ShouldBeNull();
    }

    [Fact]
    [Trait("Category", "Live")]
    public void A_thousand_flows_are_elements_of_one_table_through_one_nft_process_and_Dispose_from_another_thread_removes_both()
    {
        using var net = TestNetwork.Create();
        NftGuard.Available(out var why).ShouldBeTrue(why);
        var guard = net.InA(() => NftGuard.Install(net.AddrA, 40000, net.AddrB, 80));
        var nft = guard.NftPid;
        try
        {
            guard.TableName.ShouldBe(NftGuard.TableNameForThisProcess);
            Elements(net.NsA, guard.TableName, NftGuard.FlowSet).ShouldBe([$"{net.AddrA} . 40000 . {net.AddrB} . 80"]);
            var listing = TestNetwork.Exec(net.NsA, "nft", "list", "table", "inet", guard.TableName);
            listing.ShouldContain("hook output priority filter; policy accept;");
            listing.ShouldContain("tcp flags & rst == rst ip saddr . tcp sport . ip daddr . tcp dport @flows drop");
            listing.ShouldContain("tcp flags & rst == rst ip saddr . tcp sport . ip daddr . tcp dport @ranges drop");
            listing.ShouldContain("hook prerouting priority raw; policy accept;");
            listing.ShouldContain("ip daddr . tcp dport . ip saddr . tcp sport @flows drop");

            // From this (host-namespace) thread: the guard acts in the namespace it was installed in, through the same nft.
            var many = Enumerable.Range(1, 1000).Select(i => new GuardedFlow(net.AddrA, (ushort)(40000 + i), net.AddrB, 80)).ToList();
            guard.AddFlows(many).ShouldBe(1000);
            guard.AddFlows(many.Take(10)).ShouldBe(0); // already there: no duplicate
            guard.Flows.Count.ShouldBe(1001);
            Elements(net.NsA, guard.TableName, NftGuard.FlowSet).Count.ShouldBe(1001);
            guard.NftPid.ShouldBe(nft);
            ChildrenNamed("nft").ShouldBe([nft]);
            TestNetwork.Run("nft", "list", "tables").ShouldNotContain(guard.TableName); // nothing leaked into the host

            guard.RemoveFlows(many.Take(600)).ShouldBe(600);
            guard.RemoveFlows(many.Take(600)).ShouldBe(0); // gone already: nothing asked of nft
            Elements(net.NsA, guard.TableName, NftGuard.FlowSet).Count.ShouldBe(401);

            // Blocks of ports: overlapping ones go in as the pieces not yet covered (the interval set refuses overlaps).
            guard.AddPorts(GuardedPorts.Toward(net.AddrA, 50000, 50999, net.AddrB, 80));
            guard.AddPorts(GuardedPorts.Toward(net.AddrA, 50500, 51499, net.AddrB, 80));
            guard.AddPorts(GuardedPorts.Toward(net.AddrA, 50100, 50200, net.AddrB, 80)); // covered: nothing to add
            Elements(net.NsA, guard.TableName, NftGuard.RangeSet).Order().ShouldBe(
                [$"{net.AddrA} . 50000-50999 . {net.AddrB} . 80", $"{net.AddrA} . 51000-51499 . {net.AddrB} . 80"]);

            var second = Should.Throw<LinkException>(() => net.InA(() => NftGuard.Install(net.AddrA, 1, net.AddrB, 2)));
            second.Message.ShouldContain("already exists in this network namespace");
            ChildrenNamed("nft").ShouldBe([nft]); // the refused one's nft is gone
        }
        finally
        {
            guard.Dispose();
        }

        guard.IsRemoved.ShouldBeTrue();
        guard.RemovalError.ShouldBeNull();
        TestNetwork.Exec(net.NsA, "nft", "list", "tables").ShouldNotContain(guard.TableName);
        ChildrenNamed("nft").ShouldBeEmpty();
        guard.Dispose(); // idempotent
        Should.Throw<ObjectDisposedException>(() => guard.AddFlow(net.AddrA, 1, net.AddrB, 2));
    }

    [Fact]
    [Trait("Category", "Live")]
    public void A_refused_element_is_a_one_line_error_and_the_guard_goes_on()
    {
        using var net = TestNetwork.Create();
        using var guard = net.InA(NftGuard.Install);

        // Someone else's element in our set, where the block we add starts: nft refuses the batch, in one line.
        TestNetwork.Exec(net.NsA, "nft", "add", "element", "inet", guard.TableName, NftGuard.RangeSet, $"{{ {net.AddrA} . 60000 . {net.AddrB} . 80 }}");
        var e = Should.Throw<LinkException>(() => guard.AddPorts(GuardedPorts.Toward(net.AddrA, 60000, 60010, net.AddrB, 80)));
        e.Message.ShouldBe($"adding ports {net.AddrA}:60000-60010 -> {net.AddrB}:80 to the RST guard failed: nft: Error: Could not process rule: File exists");
        guard.Ports.ShouldBeEmpty();

        guard.AddFlow(net.AddrA, 40000, net.AddrB, 80);
        Elements(net.NsA, guard.TableName, NftGuard.FlowSet).ShouldBe([$"{net.AddrA} . 40000 . {net.AddrB} . 80"]);
    }

    [Fact]
    [Trait("Category", "Live")]
    public void The_exit_hook_path_removes_every_live_guard()
    {
        using var net = TestNetwork.Create();
        var guard = net.InA(() => NftGuard.Install(net.AddrA, 40000, net.AddrB, 80));
        TestNetwork.Exec(net.NsA, "nft", "list", "tables").ShouldContain(guard.TableName);

        NftGuard.RemoveAllLive(); // what ProcessExit runs (signals go through Interrupts and the verb disposes the guard)

        guard.IsRemoved.ShouldBeTrue();
        TestNetwork.Exec(net.NsA, "nft", "list", "tables").ShouldNotContain(guard.TableName);
    }

    [Fact]
    public void A_plain_table_list_gives_each_table_and_not_a_listings_opening_line()
    {
        NftGuard.ParseTableList("table inet rawhandshake_1_2\ntable ip filter\ntable inet rawhandshake_3_4 {\n\tchain sync {\n\t}\n}\n")
            .ShouldBe([("inet", "rawhandshake_1_2"), ("ip", "filter")]);
        NftGuard.ParseTableList(string.Empty).ShouldBeEmpty();
    }

    [Theory]
    [Trait("Category", "Live")]
    [InlineData(false)]
    [InlineData(true)]
    public void RemoveStale_deletes_tables_of_dead_or_reused_processes_and_nothing_else(bool throughTheGuardsOwnNft)
    {
        using var net = TestNetwork.Create();
        var self = Environment.ProcessId;
        var selfStart = StartTimeOf(self);
        using var sleeper = Process.Start("sleep", "30");
        var deadPid = sleeper.Id;
        var deadStart = StartTimeOf(deadPid);
        sleeper.Kill();
        sleeper.WaitForExit(5000).ShouldBeTrue();

        string[] stale =
        [
            "rawhandshake_99999999_1", // no such process
            $"rawhandshake_{deadPid}_{deadStart}", // exited
            $"rawhandshake_{self}_{selfStart + 1}", // PID reused by a process that started later
        ];
        // This process's own table: made beforehand, or (through the guard's nft) the guard's own.
        string[] kept = [.. throughTheGuardsOwnNft ? [] : new[] { $"rawhandshake_{self}_{selfStart}" }, $"rawhandshake_1_{StartTimeOf(1)}", "rawhandshake_other", "filter"];
        var script = string.Join("; ", stale.Concat(kept).Select(t => $"add table inet {t}")) + "; add table ip rawhandshake_99999998_5";
        TestNetwork.Exec(net.NsA, "nft", script);

        NftGuard? guard = null;
        try
        {
            if (throughTheGuardsOwnNft)
            {
                // What a live run does: the table and the stale tables' removal through one nft process.
                guard = net.InA(() => NftGuard.Install([], removeStale: true));
                guard.TableName.ShouldBe($"rawhandshake_{self}_{selfStart}");
                kept = [.. kept, guard.TableName];
            }
            else
            {
                net.InA(NftGuard.RemoveStale).ShouldBe(4);
            }

            var left = TestNetwork.Exec(net.NsA, "nft", "list", "tables").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            left.Order().ShouldBe(kept.Select(t => $"table inet {t}").Order());
        }
        finally
        {
            guard?.Dispose();
        }
    }

    /// <summary>The trap the guard exists for: our kernel owns A's address, has no socket for the hand-made flow, and RSTs B's SYN-ACK.</summary>
    [Fact]
    [Trait("Category", "Live")]
    public void Without_the_guard_As_kernel_resets_the_SYN_ACK_with_it_no_RST_leaves()
    {
        using var net = TestNetwork.Create();
        using var listener = net.InB(() =>
        {
            var l = new TcpListener(net.AddrB.ToIPAddress(), 0);
            l.Start();
            return l;
        });
        var port = (ushort)((IPEndPoint)listener.LocalEndpoint).Port;
        using var link = net.InA(() => LiveLink.Open(net.IfA, $"tcp and host {net.AddrB} and port {port}"));

        var unguarded = Handshake(net, link, 41000, port);
        unguarded.SynAck.ShouldBeTrue("B answers the SYN");
        unguarded.KernelRst.ShouldBeTrue("A's kernel resets a flow it has no socket for");

        using var guard = net.InA(() => NftGuard.Install(net.AddrA, 41001, net.AddrB, port));
        var guarded = Handshake(net, link, 41001, port);
        guarded.SynAck.ShouldBeTrue();
        guarded.KernelRst.ShouldBeFalse("the guard drops the kernel's RST for this flow");

        guard.AddPorts(GuardedPorts.Toward(net.AddrA, 41010, 41019, net.AddrB, port));
        var inBlock = Handshake(net, link, 41015, port);
        inBlock.SynAck.ShouldBeTrue();
        inBlock.KernelRst.ShouldBeFalse("a block of ports guards each of its flows");

        // Precision: a flow the guard does not hold still gets its kernel RST.
        var outside = Handshake(net, link, 41020, port);
        outside.SynAck.ShouldBeTrue();
        outside.KernelRst.ShouldBeTrue("only our flows' RSTs are dropped");
    }

    private static (bool SynAck, bool KernelRst) Handshake(TestNetwork net, LiveLink link, ushort sport, ushort dport)
    {
        var frame = new byte[128];
        var n = FrameBuilder.BuildTcp(
            frame,
            new EthernetHeader(net.MacB, net.MacA),
            new IPv4Header { Source = net.AddrA, Destination = net.AddrB, Ttl = 64, DontFragment = true, Id = 1 },
            new TcpHeader(sport, dport, new SeqNum(1000), new SeqNum(0), TcpFlags.Syn, 64240),
            ReadOnlySpan<byte>.Empty,
            ReadOnlySpan<byte>.Empty);
        link.Send(frame.AsSpan(0, n));

        bool synAck = false, rst = false;
        var sw = Stopwatch.StartNew();
        var window = TimeSpan.FromMilliseconds(400);
        for (var i = 0; i < 100 && sw.Elapsed < window; i++)
        {
            if (!link.WaitReadable(window - sw.Elapsed))
            {
                break;
            }

            link.Poll((f, _) =>
            {
                var p = FrameParser.Parse(f);
                if (p.Tcp is not { } tcp || p.IPv4 is not { } ip)
                {
                    return;
                }

                if (ip.Source == net.AddrB && tcp.DestinationPort == sport && tcp.Has(TcpFlags.Syn | TcpFlags.Ack))
                {
                    synAck = true;
                }

                if (ip.Source == net.AddrA && tcp.SourcePort == sport && tcp.Has(TcpFlags.Rst))
                {
                    rst = true;
                }
            });
        }

        return (synAck, rst);
    }

    /// <summary>The elements of a set, as <c>nft -j</c> lists them, in nft's own text form.</summary>
    private static List<string> Elements(string ns, string table, string set)
    {
        using var doc = JsonDocument.Parse(TestNetwork.Exec(ns, "nft", "-j", "list", "set", "inet", table, set));
        var result = new List<string>();
        foreach (var item in doc.RootElement.GetProperty("nftables").EnumerateArray())
        {
            if (!item.TryGetProperty("set", out var s) || !s.TryGetProperty("elem", out var elems))
            {
                continue;
            }

            foreach (var e in elems.EnumerateArray())
            {
                var concat = e.GetProperty("concat").EnumerateArray().Select(Part);
                result.Add(string.Join(" . ", concat));
            }
        }

        return result;
    }

    private static string Part(JsonElement p) => p.ValueKind switch
    {
        JsonValueKind.String => p.GetString()!,
        JsonValueKind.Number => p.GetInt32().ToString(CultureInfo.InvariantCulture),
        _ when p.TryGetProperty("range", out var r) => $"{Part(r[0])}-{Part(r[1])}",
        _ => p.ToString(),
    };

    /// <summary>PIDs of this process's children running <paramref name="comm"/>.</summary>
    private static List<int> ChildrenNamed(string comm)
    {
        var self = Environment.ProcessId;
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            try
            {
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var name = stat[(stat.IndexOf('(') + 1)..stat.LastIndexOf(')')];
                var ppid = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1], CultureInfo.InvariantCulture);
                if (ppid == self && name == comm && stat[stat.LastIndexOf(')') + 2] != 'Z')
                {
                    found.Add(pid);
                }
            }
            catch (IOException)
            {
            }
        }

        return found;
    }

    private static ulong StartTimeOf(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return ulong.Parse(fields[19], CultureInfo.InvariantCulture);
    }
}
