using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Link;

/// <summary>How a doctor check came out.</summary>
public enum CheckLevel
{
    Ok,
    Warn,
    Fail,
}

/// <summary>One line of <c>doctor</c>: what was checked, how it came out, what was found, and how to fix it.</summary>
public sealed record DoctorCheck(string Topic, CheckLevel Level, string Detail, string? Fix = null);

/// <summary>
/// The host facts <c>doctor</c> reports, in the calling thread's network namespace: libpcap and its version,
/// privileges, interfaces, routes, offload settings (<c>ethtool -k</c>), nft, and nft tables left by dead processes
/// (<see cref="NftGuard.RemoveStale"/> removes them).
/// </summary>
public static unsafe class HostDoctor
{
    private static readonly string[] PcapNames = ["libpcap.so", "libpcap.so.0", "libpcap.so.0.8", "libpcap.so.1"];

    /// <summary>The offload features that change what a capture shows (the first name <c>ethtool -k</c> lists wins: its
    /// "tcp-segmentation-offload" says on when only IPv6's part is, so IPv4's "tx-tcp-segmentation" comes first).</summary>
    private static readonly (string[] Features, string Short, string Effect)[] Offloads =
    [
        (["tx-checksumming"], "tx", "frames this host sends are captured with a partial checksum (tagged 'offload')"),
        (["tx-tcp-segmentation", "tcp-segmentation-offload"], "tso", "captures here show segments larger than the MSS"),
        (["generic-segmentation-offload"], "gso", "captures here show segments larger than the MSS"),
        (["generic-receive-offload"], "gro", "received segments may be merged before the capture sees them"),
    ];

    public static IReadOnlyList<DoctorCheck> All()
    {
        var list = new List<DoctorCheck> { Libpcap(), Privileges() };
        list.AddRange(Interfaces());
        list.Add(Routes());
        list.AddRange(OffloadChecks());
        list.Add(Nft());
        list.Add(StaleNftTables());
        return list;
    }

    /// <summary>Whether libpcap loads, and its version (<c>pcap_lib_version</c>).</summary>
    public static DoctorCheck Libpcap()
    {
        foreach (var name in PcapNames)
        {
            if (!NativeLibrary.TryLoad(name, out var handle))
            {
                continue;
            }

            if (!NativeLibrary.TryGetExport(handle, "pcap_lib_version", out var export))
            {
                return new DoctorCheck("libpcap", CheckLevel.Fail, $"{name} has no pcap_lib_version: not libpcap?", "apt-get install libpcap0.8");
            }

            var version = Marshal.PtrToStringUTF8(((delegate* unmanaged<nint>)export)()) ?? "unknown version";
            return new DoctorCheck("libpcap", CheckLevel.Ok, $"{version} ({name})");
        }

        return new DoctorCheck("libpcap", CheckLevel.Fail, $"not found (tried {string.Join(", ", PcapNames)}): nothing can be sent or captured", "apt-get install libpcap0.8");
    }

    /// <summary>CAP_NET_RAW (capture and inject) and CAP_NET_ADMIN (nft RST guard).</summary>
    public static DoctorCheck Privileges()
    {
        var raw = Link.Privileges.HasNetRaw;
        var admin = Link.Privileges.HasNetAdmin;
        var detail = $"CAP_NET_RAW {(raw ? "yes" : "no")}, CAP_NET_ADMIN {(admin ? "yes" : "no")}{(Environment.IsPrivilegedProcess ? " (root)" : "")}";
        return raw && admin
            ? new DoctorCheck("privileges", CheckLevel.Ok, detail)
            : new DoctorCheck("privileges", raw ? CheckLevel.Warn : CheckLevel.Fail,
                detail + (raw ? ": no nft RST guard (use --rst-guard phantom with --source)" : ": cannot capture or send"),
                "run as root (./run-as-root.sh) or: setcap cap_net_raw,cap_net_admin+ep on the program");
    }

    /// <summary>One line per kernel interface (netlink, so pcap's pseudo-devices are not listed): up or down, addresses,
    /// MTU; a warning when no interface but loopback is up.</summary>
    public static IReadOnlyList<DoctorCheck> Interfaces()
    {
        var list = HostInterfaces.Snapshot();
        var result = list.Select(i => new DoctorCheck(
            "interface",
            CheckLevel.Ok,
            $"{i.Name}: {(i.Up ? "up" : "down")}{(i.Loopback ? ", loopback" : "")}" +
            (i.AddressesOf(IpFamily.V4) is { Count: > 0 } v4 ? ", " + string.Join(' ', v4.Select(a => a.ToString())) : ", no IPv4 address") +
            (i.Mac is { } mac && !i.Loopback ? $", {mac}" : "") +
            (i.Mtu is { } mtu ? $", mtu {mtu.ToString(CultureInfo.InvariantCulture)}" : ""))).ToList();
        if (!list.Any(i => i.Up && !i.Loopback))
        {
            result.Add(new DoctorCheck("interfaces", CheckLevel.Warn, "no interface but loopback is up: nothing to send on", "ip link set DEV up (or work in the lab: ./run-as-root.sh lab up)"));
        }

        return result;
    }

    /// <summary>The IPv4 routes, and whether there is a default route.</summary>
    public static DoctorCheck Routes()
    {
        IReadOnlyList<RouteEntry> routes;
        try
        {
            routes = Routing.ReadRouteTable();
        }
        catch (LinkException e)
        {
            return new DoctorCheck("routes", CheckLevel.Fail, e.Message);
        }

        var text = string.Join("; ", routes.Select(r =>
            (r.Mask == 0 ? "default" : $"{r.Destination}/{InterfaceAddress.PrefixFromMask(r.Mask)}") +
            ((r.Flags & RouteEntry.RtfGateway) != 0 ? $" via {r.Gateway}" : "") + $" dev {r.Interface}"));
        if (routes.Count == 0)
        {
            return new DoctorCheck("routes", CheckLevel.Warn, "no IPv4 route: only directly given interfaces can be used", "ip route add … (or work in the lab: ./run-as-root.sh lab up)");
        }

        return routes.Any(r => r.Mask == 0)
            ? new DoctorCheck("routes", CheckLevel.Ok, text)
            : new DoctorCheck("routes", CheckLevel.Warn, text + "; no default route: only these networks are reachable", "ip route add default via GATEWAY (if you need other networks)");
    }

    /// <summary><c>ethtool -k</c> of every interface that is up (loopback aside): offloads that change captures.</summary>
    public static IReadOnlyList<DoctorCheck> OffloadChecks()
    {
        var ethtool = Which("ethtool");
        if (ethtool is null)
        {
            return [new DoctorCheck("offload", CheckLevel.Warn, "ethtool not found: offload settings unknown", "apt-get install ethtool")];
        }

        var list = HostInterfaces.Snapshot();
        var result = new List<DoctorCheck>();
        foreach (var i in list.Where(i => i.Up && !i.Loopback))
        {
            var (code, output) = Run(ethtool, ["-k", i.Name]);
            if (code != 0)
            {
                result.Add(new DoctorCheck("offload", CheckLevel.Warn, $"{i.Name}: ethtool -k failed: {output.Split('\n')[0].Trim()}"));
                continue;
            }

            result.Add(Offload(i.Name, ParseFeatures(output)));
        }

        return result;
    }

    /// <summary>The verdict on one interface's features (<c>name: on|off [fixed]</c> lines of <c>ethtool -k</c>).</summary>
    public static DoctorCheck Offload(string device, IReadOnlyDictionary<string, bool> features)
    {
        ArgumentNullException.ThrowIfNull(features);
        bool? Get(string[] names) => names.Where(features.ContainsKey).Select(n => (bool?)features[n]).FirstOrDefault();
        var on = Offloads.Where(o => Get(o.Features) == true).ToList();
        var state = string.Join(", ", Offloads.Where(o => Get(o.Features) is not null).Select(o => $"{o.Short} {(Get(o.Features) == true ? "on" : "off")}"));
        if (on.Count == 0)
        {
            return new DoctorCheck("offload", CheckLevel.Ok, $"{device}: {state}");
        }

        return new DoctorCheck("offload", CheckLevel.Warn, $"{device}: {state}: {string.Join("; ", on.Select(o => o.Effect).Distinct())}",
            $"ethtool -K {device} {string.Join(' ', on.Select(o => o.Short + " off"))} (only if those captures matter)");
    }

    public static IReadOnlyDictionary<string, bool> ParseFeatures(string ethtoolOutput)
    {
        ArgumentNullException.ThrowIfNull(ethtoolOutput);
        var d = new Dictionary<string, bool>(StringComparer.Ordinal);
        foreach (var line in ethtoolOutput.Split('\n'))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            if (colon <= 0)
            {
                continue;
            }

            var value = line[(colon + 1)..].Trim();
            if (value.StartsWith("on", StringComparison.Ordinal) || value.StartsWith("off", StringComparison.Ordinal))
            {
                d[line[..colon].Trim()] = value.StartsWith("on", StringComparison.Ordinal);
            }
        }

        return d;
    }

    /// <summary>nft installed and usable (the default RST guard needs it).</summary>
    public static DoctorCheck Nft()
    {
        if (!NftGuard.Available(out var why))
        {
            return new DoctorCheck("nft", CheckLevel.Warn, why + " (the default RST guard needs it; --rst-guard phantom works without)", "apt-get install nftables");
        }

        var (code, output) = Run(Link.Nft.FindExecutable()!, ["--version"]);
        return new DoctorCheck("nft", code == 0 ? CheckLevel.Ok : CheckLevel.Warn, code == 0 ? output.Trim() : $"nft --version failed: {output.Split('\n')[0].Trim()}");
    }

    /// <summary>RST-guard tables (<c>rawhandshake_PID_START</c>) whose process is gone; they keep dropping a flow's RSTs.</summary>
    public static DoctorCheck StaleNftTables()
    {
        if (!NftGuard.Available(out _))
        {
            return new DoctorCheck("nft tables", CheckLevel.Ok, "nft unavailable: no RST-guard tables can be left");
        }

        var listing = Link.Nft.Run(["-j", "list", "tables"]);
        if (!listing.Ok)
        {
            return new DoctorCheck("nft tables", CheckLevel.Warn, $"cannot list nft tables: {listing.FirstError}");
        }

        var ours = NftGuard.ParseTables(listing.StdOut).Where(t => t.Name.StartsWith(NftGuard.TablePrefix, StringComparison.Ordinal)).ToList();
        var stale = ours.Where(t => NftGuard.IsStale(t.Name)).Select(t => t.Name).ToList();
        return stale.Count == 0
            ? new DoctorCheck("nft tables", CheckLevel.Ok, ours.Count == 0 ? "no RST-guard table" : $"{ours.Count} RST-guard table(s), all of running processes")
            : new DoctorCheck("nft tables", CheckLevel.Warn, $"{stale.Count} RST-guard table(s) of dead processes: {string.Join(' ', stale)}", "doctor --fix (removes them)");
    }

    internal static string? Which(string program) =>
        new[] { "/usr/sbin", "/usr/bin", "/sbin", "/bin", "/usr/local/sbin", "/usr/local/bin" }.Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);

    private static (int Code, string Output) Run(string file, string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEnd();
        var e = p.StandardError.ReadToEnd();
        if (!p.WaitForExit(10_000))
        {
            p.Kill(true);
            return (-1, $"{file} did not end within 10 s");
        }

        return (p.ExitCode, o + e);
    }
}
