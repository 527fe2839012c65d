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

/// <summary>IPv4 route lookup, as the kernel would do it for the calling thread's network namespace.</summary>
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

        if (target.IsV6)
        {
            throw new LinkException(Ipv6NotSupported);
        }

        return Resolve(target, interfaceOverride, sourceOverride, ReadRouteTable(), HostInterfaces.Snapshot());
    }

    internal static RouteInfo Resolve(
        IpAddress target,
        string? interfaceOverride,
        IpAddress? sourceOverride,
        IReadOnlyList<RouteEntry> routes,
        IReadOnlyList<HostInterface> interfaces)
    {
        HostInterface? forced = null;
        if (!string.IsNullOrEmpty(interfaceOverride))
        {
            forced = interfaces.FirstOrDefault(i => i.Name == interfaceOverride)
                ?? throw new LinkException(LinkErrors.UnknownInterface(interfaceOverride, interfaces.Select(i => i.Name)));
        }

        if (forced is null && (target.IsLoopback || interfaces.Any(i => i.Addresses.Any(a => a.Address == target))))
        {
            var lo = interfaces.FirstOrDefault(i => i.Loopback)
                ?? throw new LinkException($"no route to {target} (a local address, and there is no loopback interface)");
            // As the kernel does: 127.0.0.1 (lo's address) for loopback targets, the address itself for our own addresses.
            var source = sourceOverride ?? (target.IsLoopback ? First(lo.Addresses, a => a.Address.IsLoopback) ?? target : target);
            return new RouteInfo(lo.Name, source, null, target, lo.Mac, lo.Mtu ?? 65536);
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
    /// Parses a target given as an IPv4 address or a host name (resolved to its first IPv4 address). Throws
    /// <see cref="LinkException"/> for IPv6 ("IPv6 targets are not supported (IPv4 only for now)") and unresolvable names.
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

            throw new LinkException(Ipv6NotSupported);
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

        throw new LinkException(found.Length > 0 ? $"host '{text}' has only IPv6 addresses: {Ipv6NotSupported}" : $"cannot resolve host '{text}'");
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

    internal const string Ipv6NotSupported = "IPv6 targets are not supported (IPv4 only for now)";

    internal static IReadOnlyList<RouteEntry> ReadRouteTable()
    {
        foreach (var path in RouteFiles)
        {
            try
            {
                return ParseRouteTable(File.ReadAllText(path));
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        throw new LinkException("cannot read the routing table (/proc/net/route)");
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
