using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Win32.SafeHandles;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Link;

/// <summary>
/// The kernel-RST guard: an nftables table of this process, <c>inet rawhandshake_PID_STARTTIME</c>, that keeps the local
/// kernel out of our hand-made flows, and only those: it owns the source address but has no socket for them, so it
/// would answer every segment of the server with a RST. The prerouting chain drops the server's segments of our flows
/// before the kernel's TCP sees them (the capture, which taps the interface before netfilter, still gets them), so no
/// RST is even made; the output chain drops any RST of the kernel on them that still comes (a segment that came in by a
/// way the first chain does not see). Frames injected through pcap bypass netfilter, so our own RSTs still leave.
/// </summary>
/// <remarks>
/// <para>Dropping on the way in rather than only the RSTs on the way out saves the kernel a socket lookup and a RST
/// built, routed and dropped for every segment the server sends: work that ran inside our send calls or the server's
/// (on veth the receiver's work runs in the sender's system call), a few per cent of a whole session.</para>
/// <para>One table per process and namespace, whatever the number of flows: two sets of (source address, source port,
/// destination address, destination port) that the rules of both chains look up. <c>flows</c> holds single flows
/// (added and removed as flows start and end), <c>ranges</c> blocks of ports (a bench's or a probe's source ports, see
/// <see cref="GuardedPorts"/>). Elements go in and out in batches through one long-lived <c>nft -i</c> (<see
/// cref="NftShell"/>), so a thousand flows are a few pipe writes, not a thousand nft processes; and a kernel packet
/// costs at most two set lookups (a TCP segment coming in, a RST going out) whatever the number of flows.</para>
/// <para>The table and that nft process live in the network namespace of the thread that called <see cref="Install()"/>,
/// so <see cref="AddFlows"/>, <see cref="Dispose"/> and the exit hooks act there from any thread. The table is removed on
/// <see cref="Dispose"/> and at process exit. Signals are not its business: the program handles them in one place
/// (<see cref="Interrupts"/>), stops the session, resets the server and then disposes the guard, so the kernel's RST
/// cannot slip out while the session still runs. A crash (SIGKILL) leaves the table behind (its nft process reads
/// end-of-file and exits): <see cref="RemoveStale"/> deletes tables whose process is gone, and only those.</para>
/// </remarks>
public sealed class NftGuard : IDisposable
{
    public const string TablePrefix = "rawhandshake_";
    public const string Family = "inet";
    public const string ChainName = "output";
    public const string InputChain = "prerouting";
    public const string FlowSet = "flows";
    public const string RangeSet = "ranges";
    public const string FlowSet6 = "flows6";
    public const string RangeSet6 = "ranges6";
    public const string SyncChain = "sync";

    /// <summary>Elements per <c>add element</c> line (one nft transaction each).</summary>
    public const int BatchSize = 512;

    private const string Key = "ip saddr . tcp sport . ip daddr . tcp dport";
    private const string KeyType = "ipv4_addr . inet_service . ipv4_addr . inet_service";
    private const string Key6 = "ip6 saddr . tcp sport . ip6 daddr . tcp dport";
    private const string KeyType6 = "ipv6_addr . inet_service . ipv6_addr . inet_service";

    // The same elements, looked up by a segment coming in from the server (its destination is our side).
    private const string KeyIn = "ip daddr . tcp dport . ip saddr . tcp sport";
    private const string KeyIn6 = "ip6 daddr . tcp dport . ip6 saddr . tcp sport";

    private static readonly Regex OwnedTable = new(@"^rawhandshake_(\d+)_(\d+)$", RegexOptions.CultureInvariant);
    private static readonly object RegistryGate = new();
    private static readonly HashSet<NftGuard> Live = [];
    private static bool hooksInstalled;

    private readonly object gate = new();
    private readonly HashSet<GuardedFlow> flows = [];
    private readonly List<GuardedPorts> ranges = [];
    private readonly NftShell shell;
    private readonly SafeFileHandle netns;
    private readonly string netnsId;
    private bool removed;

    private NftGuard(string tableName, NftShell shell, SafeFileHandle netns, string netnsId)
    {
        TableName = tableName;
        this.shell = shell;
        this.netns = netns;
        this.netnsId = netnsId;
    }

    /// <summary><c>rawhandshake_PID_STARTTIME</c> for this process.</summary>
    public static string TableNameForThisProcess =>
        string.Create(CultureInfo.InvariantCulture, $"{TablePrefix}{ProcessIdentity.Current.Pid}_{ProcessIdentity.Current.StartTime}");

    public string TableName { get; }

    /// <summary>The namespace the table lives in (e.g. <c>net:[4026531840]</c>).</summary>
    public string NamespaceId => netnsId;

    /// <summary>The PID of the guard's <c>nft -i</c> process.</summary>
    public int NftPid => shell.Pid;

    /// <summary>The single flows guarded now.</summary>
    public IReadOnlyList<GuardedFlow> Flows
    {
        get
        {
            lock (gate)
            {
                return [.. flows];
            }
        }
    }

    /// <summary>The blocks of ports guarded now (as added: the pieces no earlier block covered).</summary>
    public IReadOnlyList<GuardedPorts> Ports
    {
        get
        {
            lock (gate)
            {
                return [.. ranges];
            }
        }
    }

    public bool IsRemoved
    {
        get
        {
            lock (gate)
            {
                return removed;
            }
        }
    }

    /// <summary>Why <see cref="Dispose"/> could not delete the table, if it could not.</summary>
    public string? RemovalError { get; private set; }

    /// <summary>The nft command that creates the table: the sets of both families, the output chain (RSTs out) and the
    /// prerouting chain (the server's segments in) with a rule per set each, the sync chain.</summary>
    public static string TableCommand(string table) =>
        $"create table {Family} {table}; " +
        $"add set {Family} {table} {FlowSet} {{ type {KeyType}; }}; " +
        $"add set {Family} {table} {RangeSet} {{ type {KeyType}; flags interval; }}; " +
        $"add chain {Family} {table} {ChainName} {{ type filter hook output priority 0; policy accept; }}; " +
        $"add rule {Family} {table} {ChainName} tcp flags & rst == rst {Key} @{FlowSet} drop; " +
        $"add rule {Family} {table} {ChainName} tcp flags & rst == rst {Key} @{RangeSet} drop; " +
        $"add set {Family} {table} {FlowSet6} {{ type {KeyType6}; }}; " +
        $"add set {Family} {table} {RangeSet6} {{ type {KeyType6}; flags interval; }}; " +
        $"add rule {Family} {table} {ChainName} tcp flags & rst == rst {Key6} @{FlowSet6} drop; " +
        $"add rule {Family} {table} {ChainName} tcp flags & rst == rst {Key6} @{RangeSet6} drop; " +
        $"add chain {Family} {table} {InputChain} {{ type filter hook prerouting priority -300; policy accept; }}; " +
        $"add rule {Family} {table} {InputChain} {KeyIn} @{FlowSet} drop; " +
        $"add rule {Family} {table} {InputChain} {KeyIn} @{RangeSet} drop; " +
        $"add rule {Family} {table} {InputChain} {KeyIn6} @{FlowSet6} drop; " +
        $"add rule {Family} {table} {InputChain} {KeyIn6} @{RangeSet6} drop; " +
        $"add chain {Family} {table} {SyncChain}";

    /// <summary><c>add element</c> or <c>delete element</c> lines, <see cref="BatchSize"/> elements each.</summary>
    public static IEnumerable<string> ElementCommands(string verb, string table, string set, IEnumerable<string> elements, int batch = BatchSize)
    {
        ArgumentNullException.ThrowIfNull(elements);
        ArgumentOutOfRangeException.ThrowIfLessThan(batch, 1);
        foreach (var chunk in elements.Chunk(batch))
        {
            yield return $"{verb} element {Family} {table} {set} {{ {string.Join(", ", chunk)} }}";
        }
    }

    /// <summary>The set a flow of <paramref name="local"/>'s family goes to: <c>flows</c> (IPv4) or <c>flows6</c>.</summary>
    public static string FlowSetOf(IpAddress local) => local.IsV6 ? FlowSet6 : FlowSet;

    /// <summary>The set a block of ports of <paramref name="local"/>'s family goes to: <c>ranges</c> (IPv4) or <c>ranges6</c>.</summary>
    public static string RangeSetOf(IpAddress local) => local.IsV6 ? RangeSet6 : RangeSet;

    private static IEnumerable<string> ByFamily<T>(string verb, string table, IEnumerable<T> items, Func<T, IpAddress> local, Func<IpAddress, string> set, Func<T, string> element) =>
        items.GroupBy(i => set(local(i))).SelectMany(g => ElementCommands(verb, table, g.Key, g.Select(element)));

    /// <summary>The command whose listing tells a batch is done (see <see cref="NftShell"/>).</summary>
    public static string SyncCommand(string table) => $"list chain {Family} {table} {SyncChain}";

    /// <summary>Installs the table, empty, in the calling thread's network namespace.</summary>
    public static NftGuard Install() => Install([]);

    /// <summary>Installs the table with one flow, in the calling thread's network namespace.</summary>
    public static NftGuard Install(IpAddress local, ushort localPort, IpAddress remote, ushort remotePort) =>
        Install([new GuardedFlow(local, localPort, remote, remotePort)]);

    /// <summary>
    /// Installs the table with these flows, in the calling thread's network namespace, in one batch. With
    /// <paramref name="removeStale"/> the same nft process first lists the namespace's tables and afterwards deletes those
    /// <see cref="RemoveStale"/> would (tables of dead processes): one nft process and, with no stale table, one round trip.
    /// </summary>
    public static NftGuard Install(IReadOnlyCollection<GuardedFlow> flows, bool removeStale = false)
    {
        ArgumentNullException.ThrowIfNull(flows);
        if (!Available(out var why))
        {
            throw new LinkException(why);
        }

        var name = TableNameForThisProcess;
        var netns = NetNs.OpenCurrent();
        NftShell shell;
        try
        {
            shell = NftShell.Start();
        }
        catch
        {
            netns.Dispose();
            throw;
        }

        var guard = new NftGuard(name, shell, netns, NetNs.CurrentId);

        // Registered before the table exists, so an exit signal arriving meanwhile still removes it.
        Register(guard);
        // One batch: the listing first (it shows the tables before ours was made), the table, then the flows' elements.
        var fresh = flows.Distinct().ToList();
        IEnumerable<string> batch = [.. removeStale ? ["list tables"] : Array.Empty<string>(), TableCommand(name), .. ByFamily("add", name, fresh, f => f.Local, FlowSetOf, f => f.Element)];
        NftResult result;
        try
        {
            result = shell.Run(batch, SyncCommand(name));
        }
        catch (LinkException)
        {
            guard.Abandon();
            throw;
        }

        if (!result.Ok)
        {
            if (result.StdErr.Contains("File exists", StringComparison.Ordinal))
            {
                guard.Abandon(); // the table is another guard's of this process: not ours to delete
                throw new LinkException($"nft table {Family} {name} already exists in this network namespace (one guard per process and namespace: use AddFlows)");
            }

            guard.Dispose(); // a line after the table's failed: the table goes (a table never made counts as removed)
            throw new LinkException(Failure("installing the RST guard", result));
        }

        guard.flows.UnionWith(fresh);
        try
        {
            if (removeStale)
            {
                guard.DeleteStale(ParseTableList(result.StdOut));
            }
        }
        catch
        {
            guard.Dispose();
            throw;
        }

        return guard;
    }

    /// <summary>Deletes, through this guard's nft, the tables of <paramref name="tables"/> that <see cref="IsStale"/> says are
    /// stale: all in one transaction (nft reads its whole cache again for every line, so a line each costs a second per
    /// hundred tables); when that fails because another process removed one meanwhile, one line each, where a table
    /// already gone is no failure.</summary>
    private void DeleteStale(IEnumerable<(string Family, string Name)> tables)
    {
        var stale = tables.Where(t => IsStale(t.Name)).Select(t => $"delete table {t.Family} {t.Name}").ToList();
        if (stale.Count == 0)
        {
            return;
        }

        var result = shell.Run([string.Join("; ", stale)], SyncCommand(TableName));
        if (result.Ok)
        {
            return;
        }

        if (OnlyNoSuchObject(result))
        {
            result = shell.Run(stale, SyncCommand(TableName));
        }

        if (!result.Ok && !OnlyNoSuchObject(result))
        {
            throw new LinkException(Failure("removing stale nft tables", result));
        }
    }

    private static bool OnlyNoSuchObject(NftResult result) =>
        result.StdErr.Split('\n').Where(l => l.StartsWith("Error:", StringComparison.Ordinal))
            .All(l => l.Contains("No such file or directory", StringComparison.Ordinal));

    /// <summary>(family, name) of each table in plain <c>list tables</c> output (<c>table inet NAME</c>, one a line; a
    /// listing's <c>table inet NAME {</c> lines are not tables of the list).</summary>
    internal static IReadOnlyList<(string Family, string Name)> ParseTableList(string text)
    {
        var tables = new List<(string, string)>();
        foreach (var line in text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var parts = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (parts is ["table", var family, var name])
            {
                tables.Add((family, name));
            }
        }

        return tables;
    }

    public void AddFlow(IpAddress local, ushort localPort, IpAddress remote, ushort remotePort) =>
        AddFlows([new GuardedFlow(local, localPort, remote, remotePort)]);

    /// <summary>Adds flows to the <c>flows</c> set, in batches (flows already guarded are skipped); returns how many were new.</summary>
    public int AddFlows(IEnumerable<GuardedFlow> more)
    {
        ArgumentNullException.ThrowIfNull(more);
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(removed, this);
            var fresh = more.Distinct().Where(f => !flows.Contains(f)).ToList();
            if (fresh.Count == 0)
            {
                return 0;
            }

            var result = shell.Run(ByFamily("add", TableName, fresh, f => f.Local, FlowSetOf, f => f.Element), SyncCommand(TableName));
            if (!result.Ok)
            {
                throw new LinkException(Failure("adding flows to the RST guard", result));
            }

            flows.UnionWith(fresh);
            return fresh.Count;
        }
    }

    /// <summary>Takes flows out of the <c>flows</c> set, in batches (flows not guarded are skipped); returns how many went.</summary>
    public int RemoveFlows(IEnumerable<GuardedFlow> gone)
    {
        ArgumentNullException.ThrowIfNull(gone);
        lock (gate)
        {
            if (removed)
            {
                return 0;
            }

            var known = gone.Distinct().Where(flows.Contains).ToList();
            if (known.Count == 0)
            {
                return 0;
            }

            var result = shell.Run(ByFamily("delete", TableName, known, f => f.Local, FlowSetOf, f => f.Element), SyncCommand(TableName));
            if (!result.Ok)
            {
                throw new LinkException(Failure("removing flows from the RST guard", result));
            }

            flows.ExceptWith(known);
            return known.Count;
        }
    }

    /// <summary>
    /// Adds a block of ports to the <c>ranges</c> set: the pieces of it that no block already there covers (the set
    /// refuses overlapping elements). Blocks stay until the table goes.
    /// </summary>
    public void AddPorts(GuardedPorts block)
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(removed, this);
            var pieces = new List<GuardedPorts> { block };
            foreach (var r in ranges)
            {
                pieces = [.. pieces.SelectMany(p => p.Minus(r))];
            }

            if (pieces.Count == 0)
            {
                return;
            }

            var result = shell.Run(ByFamily("add", TableName, pieces, p => p.Local, RangeSetOf, p => p.Element), SyncCommand(TableName));
            if (!result.Ok)
            {
                throw new LinkException(Failure($"adding ports {block} to the RST guard", result));
            }

            ranges.AddRange(pieces);
        }
    }

    /// <summary>Deletes the table and ends its nft process; throws <see cref="LinkException"/> when nft fails. A table already gone counts as removed.</summary>
    public void Remove()
    {
        lock (gate)
        {
            if (removed)
            {
                return;
            }

            var deleteTable = $"delete table {Family} {TableName}";
            var result = shell.Close(deleteTable);
            if (!result.Ok && !result.NoSuchObject)
            {
                // the long-lived nft did not do it (gone, or hung): one nft of its own, in the table's namespace
                result = NetNs.RunIn(netns, netnsId, () => Nft.Run(["delete", "table", Family, TableName]));
            }

            if (!result.Ok && !result.NoSuchObject)
            {
                throw new LinkException(Failure($"removing nft table {TableName}", result));
            }

            MarkRemoved();
        }

        Unregister(this);
    }

    /// <summary>Removes the table (idempotent, never throws; see <see cref="RemovalError"/>).</summary>
    public void Dispose()
    {
        try
        {
            Remove();
        }
        catch (Exception e) when (e is LinkException or TimeoutException or IOException)
        {
            RemovalError = e.Message;
            lock (gate)
            {
                MarkRemoved();
            }

            Unregister(this);
        }
    }

    private void MarkRemoved()
    {
        removed = true;
        flows.Clear();
        ranges.Clear();
        shell.Dispose();
        netns.Dispose();
    }

    /// <summary>Install failed: nothing of ours is left (no table made, or it is deleted now) and the nft process ends.</summary>
    private void Abandon()
    {
        Unregister(this);
        lock (gate)
        {
            MarkRemoved();
        }
    }

    /// <summary>
    /// Deletes, in the calling thread's namespace, every <c>rawhandshake_PID_START</c> table whose process is gone or
    /// whose PID now belongs to a process that started at another time. Other tables are never touched. Returns how many.
    /// </summary>
    public static int RemoveStale()
    {
        if (!Available(out var why))
        {
            throw new LinkException(why);
        }

        var listing = Nft.Run(["-j", "list", "tables"]);
        if (!listing.Ok)
        {
            throw new LinkException(Failure("listing nft tables", listing));
        }

        var count = 0;
        foreach (var (family, name) in ParseTables(listing.StdOut))
        {
            if (!IsStale(name))
            {
                continue;
            }

            var result = Nft.Run(["delete", "table", family, name]);
            if (result.Ok)
            {
                count++;
            }
            else if (!result.NoSuchObject)
            {
                throw new LinkException(Failure($"removing stale nft table {name}", result));
            }
        }

        return count;
    }

    /// <summary>True when nft is installed and the thread has CAP_NET_ADMIN; else <paramref name="why"/> says what to do.</summary>
    public static bool Available(out string why)
    {
        if (Nft.FindExecutable() is null || !Privileges.HasNetAdmin)
        {
            why = LinkErrors.NftMissing;
            return false;
        }

        why = string.Empty;
        return true;
    }

    /// <summary>Whether <paramref name="tableName"/> is one of ours whose process is no longer running.</summary>
    internal static bool IsStale(string tableName)
    {
        var m = OwnedTable.Match(tableName);
        if (!m.Success ||
            !int.TryParse(m.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ||
            !ulong.TryParse(m.Groups[2].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var start))
        {
            return false;
        }

        return !new ProcessIdentity(pid, start).IsAlive;
    }

    /// <summary>(family, name) of each table in <c>nft -j list tables</c> output.</summary>
    internal static IReadOnlyList<(string Family, string Name)> ParseTables(string json)
    {
        var tables = new List<(string, string)>();
        using var doc = JsonDocument.Parse(json);
        if (!doc.RootElement.TryGetProperty("nftables", out var items) || items.ValueKind != JsonValueKind.Array)
        {
            return tables;
        }

        foreach (var item in items.EnumerateArray())
        {
            if (item.TryGetProperty("table", out var t) &&
                t.TryGetProperty("family", out var family) && t.TryGetProperty("name", out var name) &&
                family.GetString() is { } f && name.GetString() is { } n)
            {
                tables.Add((f, n));
            }
        }

        return tables;
    }

    /// <summary>Removes every live guard of this process (the exit hook).</summary>
    internal static void RemoveAllLive()
    {
        NftGuard[] all;
        lock (RegistryGate)
        {
            all = [.. Live];
        }

        foreach (var g in all)
        {
            g.Dispose();
        }
    }

    private static string Failure(string doing, NftResult r) =>
        r.PermissionDenied ? LinkErrors.NftMissing : $"{doing} failed: nft: {r.FirstError}";

    private static void Register(NftGuard guard)
    {
        lock (RegistryGate)
        {
            Live.Add(guard);
            if (hooksInstalled)
            {
                return;
            }

            hooksInstalled = true;

            // From the main thread's namespace: the exit hook may run on a runtime thread, and threads inherit the
            // namespace of the thread that creates them.
            try
            {
                NetNs.RunInProcessNamespace(InstallExitHooks);
            }
            catch (LinkException)
            {
                InstallExitHooks(); // cannot go back (no CAP_SYS_ADMIN): hooks from here still work
            }
        }
    }

    private static bool InstallExitHooks()
    {
        // Only at exit: a signal goes through Interrupts, and the verb removes its guard itself after it has stopped the
        // session and reset the server (removing it earlier lets our kernel's RST out while the session still runs).
        AppDomain.CurrentDomain.ProcessExit += (_, _) => RemoveAllLive();
        return true;
    }

    private static void Unregister(NftGuard guard)
    {
        lock (RegistryGate)
        {
            Live.Remove(guard);
        }
    }
}
