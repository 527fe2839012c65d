using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using RawHandshake.Link;
using RawHandshake.Wire.Building;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Link.Tests;

public class NftGuardTests
{
    [Fact]
    public void The_rule_matches_only_RSTs_of_one_flow()
    {
        new GuardedFlow(IPv4Address.Parse("198.18.0.1"), 40000, IPv4Address.Parse("198.18.0.2"), 80).Rule
            .ShouldBe("ip saddr 198.18.0.1 ip daddr 198.18.0.2 tcp sport 40000 tcp dport 80 tcp flags & rst == rst drop");
        NftGuard.TableNameForThisProcess.ShouldBe($"rawhandshake_{Environment.ProcessId}_{StartTimeOf(Environment.ProcessId)}");
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
    public void Install_adds_exactly_one_scoped_rule_AddFlow_more_and_Dispose_from_another_thread_removes_the_table()
    {
        using var net = TestNetwork.Create();
        NftGuard.Available(out var why).ShouldBeTrue(why);
        var guard = net.InA(() => NftGuard.Install(net.AddrA, 40000, net.AddrB, 80));
        try
        {
            guard.TableName.ShouldBe(NftGuard.TableNameForThisProcess);
            var rules = DropRules(net.NsA, guard.TableName);
            rules.ShouldBe([$"ip saddr {net.AddrA} ip daddr {net.AddrB} tcp sport 40000 tcp dport 80 tcp flags & rst == rst drop"]);
            TestNetwork.Exec(net.NsA, "nft", "list", "ruleset").ShouldContain("hook output priority filter; policy accept;");

            // From this (host-namespace) thread: the guard acts in the namespace it was installed in.
            guard.AddFlow(net.AddrA, 40001, net.AddrB, 80);
            guard.AddFlow(net.AddrA, 40001, net.AddrB, 80); // already there: no duplicate
            DropRules(net.NsA, guard.TableName).Count.ShouldBe(2);
            guard.Flows.Count.ShouldBe(2);
            TestNetwork.Run("nft", "list", "tables").ShouldNotContain(guard.TableName); // nothing leaked into the host

            var second = Should.Throw<LinkException>(() => net.InA(() => NftGuard.Install(net.AddrA, 1, net.AddrB, 2)));
            second.Message.ShouldContain("already exists in this network namespace");
        }
        finally
        {
            guard.Dispose();
        }

        guard.IsRemoved.ShouldBeTrue();
        guard.RemovalError.ShouldBeNull();
        TestNetwork.Exec(net.NsA, "nft", "list", "tables").ShouldNotContain(guard.TableName);
        guard.Dispose(); // idempotent
        Should.Throw<ObjectDisposedException>(() => guard.AddFlow(net.AddrA, 1, net.AddrB, 2));
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
    [Trait("Category", "Live")]
    public void RemoveStale_deletes_tables_of_dead_or_reused_processes_and_nothing_else()
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
        string[] kept = [$"rawhandshake_{self}_{selfStart}", $"rawhandshake_1_{StartTimeOf(1)}", "rawhandshake_other", "filter"];
        var script = string.Join("; ", stale.Concat(kept).Select(t => $"add table inet {t}")) + "; add table ip rawhandshake_99999998_5";
        TestNetwork.Exec(net.NsA, "nft", script);

        net.InA(NftGuard.RemoveStale).ShouldBe(4);

        var left = TestNetwork.Exec(net.NsA, "nft", "list", "tables").Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        left.Order().ShouldBe(kept.Select(t => $"table inet {t}").Order());
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

    private static List<string> DropRules(string ns, string table) =>
        TestNetwork.Exec(ns, "nft", "list", "table", "inet", table)
            .Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)
            .Where(l => l.EndsWith(" drop", StringComparison.Ordinal))
            .ToList();

    private static ulong StartTimeOf(int pid)
    {
        var stat = File.ReadAllText($"/proc/{pid}/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return ulong.Parse(fields[19], CultureInfo.InvariantCulture);
    }
}
