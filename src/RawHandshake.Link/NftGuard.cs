using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Win32.SafeHandles;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Link;

/// <summary>One TCP flow whose kernel-generated RSTs the guard drops (from <see cref="Local"/> to <see cref="Remote"/>).</summary>
public readonly record struct GuardedFlow(IpAddress Local, ushort LocalPort, IpAddress Remote, ushort RemotePort)
{
    /// <summary>The nft rule: only RSTs, only this 4-tuple, only outgoing.</summary>
    public string Rule => string.Create(
        CultureInfo.InvariantCulture,
        $"{AddressMatch(Local, Remote)} tcp sport {LocalPort} tcp dport {RemotePort} tcp flags & rst == rst drop");

    /// <summary>The address part of a rule in the <c>inet</c> table: <c>ip saddr A ip daddr B</c>, or <c>ip6 …</c> for IPv6.</summary>
    public static string AddressMatch(IpAddress local, IpAddress remote)
    {
        var family = local.IsV6 ? "ip6" : "ip";
        return $"{family} saddr {local} {family} daddr {remote}";
    }

    public override string ToString() => $"{new IpEndpoint(Local, LocalPort)} -> {new IpEndpoint(Remote, RemotePort)}";
}

/// <summary>
/// The kernel-RST guard: an nftables table of this process, <c>inet rawhandshake_PID_STARTTIME</c>, whose output chain
/// drops the RSTs the local kernel would send for our hand-made flows (it owns the source address but has no socket for
/// them), and only those. Frames injected through pcap bypass netfilter, so our own RSTs still leave.
/// </summary>
/// <remarks>
/// The table lives in the network namespace of the thread that called <see cref="Install(IpAddress, ushort, IpAddress, ushort)"/>; the
/// guard keeps a handle on that namespace, so <see cref="AddFlow"/>, <see cref="Dispose"/> and the exit hooks act there
/// from any thread. It is removed on <see cref="Dispose"/> and at process exit. Signals are not its business: the program
/// handles them in one place (<see cref="Interrupts"/>), stops the session, resets the server and then disposes the
/// guard, so the kernel's RST cannot slip out while the session still runs. A crash
/// (SIGKILL) leaves the table behind: <see cref="RemoveStale"/> deletes tables whose process is gone, and only those.
/// One guard per process and namespace (the name is per process): add flows to it rather than installing another.
/// </remarks>
public sealed class NftGuard : IDisposable
{
    public const string TablePrefix = "rawhandshake_";
    public const string Family = "inet";
    public const string ChainName = "output";

    private static readonly Regex OwnedTable = new(@"^rawhandshake_(\d+)_(\d+)$", RegexOptions.CultureInvariant);
    private static readonly object RegistryGate = new();
    private static readonly HashSet<NftGuard> Live = [];
    private static bool hooksInstalled;

    private readonly object gate = new();
    private readonly List<GuardedFlow> flows = [];
    private readonly SafeFileHandle netns;
    private readonly string netnsId;
    private bool removed;

    private NftGuard(string tableName, SafeFileHandle netns, string netnsId)
    {
        TableName = tableName;
        this.netns = netns;
        this.netnsId = netnsId;
    }

    /// <summary><c>rawhandshake_PID_STARTTIME</c> for this process.</summary>
    public static string TableNameForThisProcess =>
        string.Create(CultureInfo.InvariantCulture, $"{TablePrefix}{ProcessIdentity.Current.Pid}_{ProcessIdentity.Current.StartTime}");

    public string TableName { get; }

    /// <summary>The namespace the table lives in (e.g. <c>net:[4026531840]</c>).</summary>
    public string NamespaceId => netnsId;

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

    /// <summary>Installs the table with one flow, in the calling thread's network namespace.</summary>
    public static NftGuard Install(IpAddress local, ushort localPort, IpAddress remote, ushort remotePort) =>
        Install([new GuardedFlow(local, localPort, remote, remotePort)]);

    /// <summary>Installs the table with these flows (one nft transaction), in the calling thread's network namespace.</summary>
    public static NftGuard Install(IReadOnlyCollection<GuardedFlow> flows)
    {
        ArgumentNullException.ThrowIfNull(flows);
        if (!Available(out var why))
        {
            throw new LinkException(why);
        }

        var name = TableNameForThisProcess;
        var guard = new NftGuard(name, NetNs.OpenCurrent(), NetNs.CurrentId);
        var script = new StringBuilder()
            .Append("create table ").Append(Family).Append(' ').Append(name).Append('\n')
            .Append("add chain ").Append(Family).Append(' ').Append(name).Append(' ').Append(ChainName)
            .Append(" { type filter hook output priority 0; policy accept; }\n");
        foreach (var f in flows)
        {
            script.Append(RuleLine(name, f));
        }

        // Registered before the table exists, so an exit signal arriving meanwhile still removes it.
        Register(guard);
        var result = Nft.Run(["-f", "-"], script.ToString());
        if (!result.Ok)
        {
            Unregister(guard);
            guard.removed = true;
            guard.netns.Dispose();
            throw new LinkException(result.StdErr.Contains("File exists", StringComparison.Ordinal)
                ? $"nft table {Family} {name} already exists in this network namespace (one guard per process and namespace: use AddFlow)"
                : Failure("installing the RST guard", result));
        }

        guard.flows.AddRange(flows);
        return guard;
    }

    public void AddFlow(IpAddress local, ushort localPort, IpAddress remote, ushort remotePort) =>
        AddFlows([new GuardedFlow(local, localPort, remote, remotePort)]);

    /// <summary>Adds rules for more flows in one nft transaction (flows already guarded are skipped).</summary>
    public void AddFlows(IEnumerable<GuardedFlow> more)
    {
        ArgumentNullException.ThrowIfNull(more);
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(removed, this);
            var fresh = more.Distinct().Where(f => !flows.Contains(f)).ToList();
            if (fresh.Count == 0)
            {
                return;
            }

            var script = string.Concat(fresh.Select(f => RuleLine(TableName, f)));
            var result = NetNs.RunIn(netns, netnsId, () => Nft.Run(["-f", "-"], script));
            if (!result.Ok)
            {
                throw new LinkException(Failure("adding a flow to the RST guard", result));
            }

            flows.AddRange(fresh);
        }
    }

    /// <summary>Deletes the table; throws <see cref="LinkException"/> when nft fails. A table already gone counts as removed.</summary>
    public void Remove()
    {
        lock (gate)
        {
            if (removed)
            {
                return;
            }

            var result = NetNs.RunIn(netns, netnsId, () => Nft.Run(["delete", "table", Family, TableName]));
            if (!result.Ok && !result.NoSuchObject)
            {
                throw new LinkException(Failure($"removing nft table {TableName}", result));
            }

            removed = true;
            netns.Dispose();
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
                removed = true;
                netns.Dispose();
            }

            Unregister(this);
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

    private static string RuleLine(string table, GuardedFlow f) => $"add rule {Family} {table} {ChainName} {f.Rule}\n";

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
