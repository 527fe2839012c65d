using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Link;

/// <summary>Where frames for a target leave: the interface, our source address, the next hop to resolve (ARP or NDP), and the MTU.</summary>
/// <param name="Gateway">The router, when the target is not on-link.</param>
/// <param name="NextHop">The address whose MAC the frames go to: the gateway, or the target itself.</param>
public sealed record RouteInfo(string Interface, IpAddress Source, IpAddress? Gateway, IpAddress NextHop, MacAddress? InterfaceMac, int Mtu)
{
    public IpFamily Family => NextHop.Family;
}

/// <summary>A row of <c>/proc/net/route</c> (the main routing table); addresses already in host order.</summary>
internal readonly record struct RouteEntry(string Interface, IPv4Address Destination, IPv4Address Gateway, int Flags, int Metric, uint Mask)
{
    public const int RtfUp = 0x0001;
    public const int RtfGateway = 0x0002;
    public const int RtfReject = 0x0200;

    public int PrefixLength => InterfaceAddress.PrefixFromMask(Mask);

    public bool Matches(IPv4Address target) => (target.Value & Mask) == (Destination.Value & Mask);

    public bool Matches(IpAddress target) => target.IsV4 && Matches(target.V4);
}

/// <summary>A row of <c>/proc/net/ipv6_route</c>.</summary>
internal readonly record struct Route6Entry(string Interface, IpAddress Destination, int PrefixLength, IpAddress NextHop, int Flags, uint Metric);

/// <summary>IPv4 and IPv6 route lookup, as the kernel would do it for the calling thread's network namespace.</summary>
/// <remarks>
/// Reads <c>/proc/thread-self/net/route</c>: <c>/proc/net</c> is <c>/proc/self/net</c>, which follows the thread-group
/// leader, so a thread that entered another namespace (<see cref="NetNs"/>) would otherwise read the main thread's routes.
/// Limits: main table only (no policy routing rules), longest prefix then lowest metric; a route's <c>src</c> hint is not
/// visible there, so the source is the interface address on the next hop's subnet, else its first address.
/// Local and loopback targets go through the loopback interface (the kernel's local table, not listed in the file).
/// </remarks>
public static class Routing
{
    private static readonly string[] RouteFiles = ["/proc/thread-self/net/route", "/proc/net/route"];

    /// <summary>
    /// Resolves how to reach <paramref name="target"/>. <paramref name="interfaceOverride"/> restricts the lookup to one
    /// interface (the target is taken as on-link there when no route through it matches); <paramref name="sourceOverride"/>
    /// replaces the chosen source address.
    /// </summary>
    public static RouteInfo Resolve(IpAddress target, string? interfaceOverride = null, IpAddress? sourceOverride = null)
    {
        if (sourceOverride is { } s && s.Family != target.Family)
        {
            throw new LinkException($"--source {s} and the target {target} are of different address families");
        }

        return target.IsV6
            ? Resolve6(target, interfaceOverride, sourceOverride, ReadRoute6Table(), HostInterfaces.Snapshot())
            : Resolve(target, interfaceOverride, sourceOverride, ReadRouteTable(), HostInterfaces.Snapshot());
    }

    /// <summary>
    /// IPv6 route lookup over <c>/proc/thread-self/net/ipv6_route</c> (every table, as <c>ip -6 route get</c> would find it for
    /// the main one): longest prefix, then lowest metric; routes through <c>lo</c> are the local table's and are skipped
    /// (our own addresses go to loopback as for IPv4). The source is the interface's global address on the next hop's
    /// prefix, else its first global address, else its link-local one for a link-local target.
    /// </summary>
    internal static RouteInfo Resolve6(
        IpAddress target,
        string? interfaceOverride,
        IpAddress? sourceOverride,
        IReadOnlyList<Route6Entry> routes,
        IReadOnlyList<HostInterface> interfaces)
    {
        var forced = Forced(interfaceOverride, interfaces);
        if (forced is null && LocalRoute(target, sourceOverride, interfaces) is { } local)
        {
            return local;
        }

        Route6Entry? best = null;
        foreach (var r in routes)
        {
            // Reject routes (unreachable, prohibit, blackhole) show without RTF_UP, through lo.
            var reject = (r.Flags & RouteEntry.RtfReject) != 0;
            if (((r.Flags & RouteEntry.RtfUp) == 0 && !reject) || !target.InPrefix(r.Destination, r.PrefixLength) ||
                (forced is not null && r.Interface != forced.Name) || (r.Interface == "lo" && !reject))
            {
                continue;
            }

            if (best is not { } b || r.PrefixLength > b.PrefixLength || (r.PrefixLength == b.PrefixLength && r.Metric < b.Metric))
            {
                best = r;
            }
        }

        HostInterface iface;
        IpAddress? gateway = null;
        if (best is { } route)
        {
            if ((route.Flags & RouteEntry.RtfReject) != 0)
            {
                throw new LinkException($"no route to {target} (the route to {route.Destination}/{route.PrefixLength} rejects it)");
            }

            iface = forced ?? interfaces.FirstOrDefault(i => i.Name == route.Interface)
                ?? throw new LinkException($"no route to {target} (its route names interface {route.Interface}, which is gone)");
            if ((route.Flags & RouteEntry.RtfGateway) != 0 && !route.NextHop.IsUnspecified)
            {
                gateway = route.NextHop;
            }
        }
        else
        {
            iface = forced ?? throw new LinkException($"no route to {target}");
        }

        var nextHop = gateway ?? target;
        var v6 = iface.AddressesOf(IpFamily.V6);
        var src = sourceOverride
            ?? First(v6, a => !a.Address.IsLinkLocal && a.Contains(nextHop))
            ?? First(v6, a => !a.Address.IsLinkLocal)
            ?? (target.IsLinkLocal ? First(v6, a => a.Address.IsLinkLocal) : null)
            ?? throw new LinkException($"interface {iface.Name} has no IPv6 address");
        return new RouteInfo(iface.Name, src, gateway, nextHop, iface.Mac, iface.Mtu ?? 1500);
    }

    internal static IReadOnlyList<Route6Entry> ReadRoute6Table() =>
        ReadProcTable(["/proc/thread-self/net/ipv6_route", "/proc/net/ipv6_route"], ParseRoute6Table, "cannot read the IPv6 routing table (/proc/net/ipv6_route): is IPv6 switched off?");

    /// <summary>
    /// Parses <c>/proc/net/ipv6_route</c>: no header; destination (32 hex digits), its prefix length (hex), source and its
    /// prefix length, next hop, metric, reference count, use count, flags (all hex), device.
    /// </summary>
    internal static IReadOnlyList<Route6Entry> ParseRoute6Table(string text)
    {
        var routes = new List<Route6Entry>();
        foreach (var raw in text.Split('\n'))
        {
            var f = raw.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 10 || !TryHex128(f[0], out var dest) || !TryHex128(f[4], out var nextHop) ||
                !int.TryParse(f[1], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var prefix) || prefix > 128 ||
                !uint.TryParse(f[5], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var metric) ||
                !uint.TryParse(f[8], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var flags))
            {
                continue;
            }

            routes.Add(new Route6Entry(f[9], dest, prefix, nextHop, (int)flags, metric));
        }

        return routes;
    }

    private static bool TryHex128(string s, out IpAddress address)
    {
        address = default;
        if (s.Length != 32 ||
            !ulong.TryParse(s.AsSpan(0, 16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var high) ||
            !ulong.TryParse(s.AsSpan(16), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var low))
        {
            return false;
        }

        address = IpAddress.V6(high, low);
        return true;
    }

    /// <summary>The interface <c>--interface</c> names, or null when none is given; an unknown name is an error listing the
    /// interfaces there are.</summary>
    private static HostInterface? Forced(string? interfaceOverride, IReadOnlyList<HostInterface> interfaces) =>
        string.IsNullOrEmpty(interfaceOverride) ? null
        : interfaces.FirstOrDefault(i => i.Name == interfaceOverride)
            ?? throw new LinkException(LinkErrors.UnknownInterface(interfaceOverride, interfaces.Select(i => i.Name)));

    /// <summary>Either family: a loopback target or one of our own addresses goes to the loopback interface. As the kernel
    /// does, the source is lo's own loopback address for a loopback target and the address itself for our own addresses;
    /// null for any other target.</summary>
    private static RouteInfo? LocalRoute(IpAddress target, IpAddress? sourceOverride, IReadOnlyList<HostInterface> interfaces)
    {
        if (!target.IsLoopback && !interfaces.Any(i => i.Addresses.Any(a => a.Address == target)))
        {
            return null;
        }

        var lo = interfaces.FirstOrDefault(i => i.Loopback)
            ?? throw new LinkException($"no route to {target} (a local address, and there is no loopback interface)");
        var source = sourceOverride ?? (target.IsLoopback ? First(lo.Addresses, a => a.Address.IsLoopback && a.Address.Family == target.Family) ?? target : target);
        return new RouteInfo(lo.Name, source, null, target, lo.Mac, lo.Mtu ?? 65536);
    }

    internal static RouteInfo Resolve(
        IpAddress target,
        string? interfaceOverride,
        IpAddress? sourceOverride,
        IReadOnlyList<RouteEntry> routes,
        IReadOnlyList<HostInterface> interfaces)
    {
        var forced = Forced(interfaceOverride, interfaces);
        if (forced is null && LocalRoute(target, sourceOverride, interfaces) is { } local)
        {
            return local;
        }

        RouteEntry? best = null;
        foreach (var r in routes)
        {
            if ((r.Flags & RouteEntry.RtfUp) == 0 || !r.Matches(target) || (forced is not null && r.Interface != forced.Name))
            {
                continue;
            }

            if (best is not { } b || r.PrefixLength > b.PrefixLength || (r.PrefixLength == b.PrefixLength && r.Metric < b.Metric))
            {
                best = r;
            }
        }

        HostInterface iface;
        IpAddress? gateway = null;
        if (best is { } route)
        {
            if ((route.Flags & RouteEntry.RtfReject) != 0 || route.Interface == "*")
            {
                throw new LinkException($"no route to {target} (the route to {route.Destination}/{route.PrefixLength} rejects it)");
            }

            iface = forced ?? interfaces.FirstOrDefault(i => i.Name == route.Interface)
                ?? throw new LinkException($"no route to {target} (its route names interface {route.Interface}, which is gone)");
            if ((route.Flags & RouteEntry.RtfGateway) != 0 && route.Gateway != IPv4Address.Any)
            {
                gateway = route.Gateway;
            }
        }
        else
        {
            iface = forced ?? throw new LinkException($"no route to {target}");
        }

        var nextHop = gateway ?? target;
        var src = sourceOverride
            ?? First(iface.Addresses, a => a.Contains(nextHop))
            ?? First(iface.Addresses, a => a.Address.Family == target.Family)
            ?? throw new LinkException($"interface {iface.Name} has no {(target.IsV6 ? "IPv6" : "IPv4")} address");
        return new RouteInfo(iface.Name, src, gateway, nextHop, iface.Mac, iface.Mtu ?? 1500);
    }

    /// <summary>
    /// Parses a target given as an IPv4 or IPv6 address (also in brackets) or a host name (resolved to its first IPv4
    /// address, else its first IPv6 one). Throws <see cref="LinkException"/> for zones and unresolvable names.
    /// </summary>
    public static IpAddress ParseTarget(string hostOrIp)
    {
        ArgumentNullException.ThrowIfNull(hostOrIp);
        var text = hostOrIp.Trim();
        if (IPv4Address.TryParse(text, out var v4))
        {
            return v4.Value;
        }

        if (text.Contains(':') && IPAddress.TryParse(text.Trim('[', ']'), out var ip) && ip.AddressFamily == AddressFamily.InterNetworkV6)
        {
            if (ip.IsIPv4MappedToIPv6)
            {
                return IPv4Address.FromIPAddress(ip.MapToIPv4());
            }

            if (ip.ScopeId != 0 || text.Contains('%'))
            {
                throw new LinkException($"'{text}': a zone (%interface) is not supported: give a global IPv6 address, or a link-local one with --interface");
            }

            return IpAddress.FromIPAddress(ip);
        }

        if (text.Length == 0 || text.Contains(':'))
        {
            throw new LinkException($"cannot resolve host '{text}'");
        }

        IPAddress[] found;
        try
        {
            found = Dns.GetHostAddresses(text);
        }
        catch (Exception e) when (e is SocketException or ArgumentException)
        {
            throw new LinkException($"cannot resolve host '{text}'", e);
        }

        if (found.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) is { } first)
        {
            return (IpAddress)IPv4Address.FromIPAddress(first);
        }

        if (found.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetworkV6) is { } six)
        {
            return IpAddress.FromIPAddress(six);
        }

        throw new LinkException($"cannot resolve host '{text}'");
    }

    private static IpAddress? First(IEnumerable<InterfaceAddress> addresses, Func<InterfaceAddress, bool> predicate)
    {
        foreach (var a in addresses)
        {
            if (predicate(a))
            {
                return a.Address;
            }
        }

        return null;
    }

    internal static IReadOnlyList<RouteEntry> ReadRouteTable() =>
        ReadProcTable(RouteFiles, ParseRouteTable, "cannot read the routing table (/proc/net/route)");

    /// <summary>The first of <paramref name="paths"/> that can be read (the thread's own namespace's view first), parsed;
    /// a <see cref="LinkException"/> saying <paramref name="failure"/> when none can.</summary>
    private static T ReadProcTable<T>(IEnumerable<string> paths, Func<string, T> parse, string failure)
    {
        foreach (var path in paths)
        {
            try
            {
                return parse(File.ReadAllText(path));
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        throw new LinkException(failure);
    }

    /// <summary>
    /// Parses <c>/proc/net/route</c>: tab-separated, addresses as the 32-bit network-order value printed with %08X, so the
    /// digits are little-endian on x86 (<c>0012A8C0</c> is 192.168.18.0). Its "MTU" column is advmss+40, not the MTU, and
    /// is ignored; the interface MTU is used instead.
    /// </summary>
    internal static IReadOnlyList<RouteEntry> ParseRouteTable(string text)
    {
        var routes = new List<RouteEntry>();
        var first = true;
        foreach (var raw in text.Split('\n'))
        {
            if (first)
            {
                first = false;
                continue; // header
            }

            var f = raw.Split((char[])['\t', ' '], StringSplitOptions.RemoveEmptyEntries);
            if (f.Length < 8 ||
                !TryHex(f[1], out var dest) || !TryHex(f[2], out var gw) || !TryHex(f[7], out var mask) ||
                !int.TryParse(f[3], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var flags) ||
                !int.TryParse(f[6], NumberStyles.Integer, CultureInfo.InvariantCulture, out var metric))
            {
                continue;
            }

            routes.Add(new RouteEntry(f[0], new IPv4Address(dest), new IPv4Address(gw), flags, metric, mask));
        }

        return routes;
    }

    private static bool TryHex(string s, out uint hostOrder)
    {
        if (!uint.TryParse(s, NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var raw))
        {
            hostOrder = 0;
            return false;
        }

        // The kernel printed the in-memory (network order) bytes as a native integer.
        hostOrder = BitConverter.IsLittleEndian ? BinaryPrimitives.ReverseEndianness(raw) : raw;
        return true;
    }
}
