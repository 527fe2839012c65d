using System.Net.NetworkInformation;
using System.Net.Sockets;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Link;

/// <summary>Addresses that cannot be a TCP server: refused by the TCP verbs before anything is sent (a crafted ARP or
/// ICMP frame may still go to them).</summary>
public static class TcpTargets
{
    /// <summary>Why <paramref name="target"/> cannot be a TCP server, by its address alone; null when it can be.</summary>
    public static string? WhyNot(IpAddress target) => target.IsV6 ? WhyNot6(target) : WhyNot4(target.V4);

    private static string? WhyNot6(IpAddress target) =>
        target.IsUnspecified ? $"{target} is the unspecified address: not an address a TCP server has"
        : target.IsMulticast ? $"{target} is a multicast address (ff00::/8): TCP connects to one host"
        : null;

    private static string? WhyNot4(IPv4Address target) => (target.Value >> 24) switch
    {
        0 => $"{target} is 'this network' (0.0.0.0/8): not an address a TCP server has",
        _ when target == IPv4Address.Broadcast => $"{target} is the broadcast address: TCP connects to one host",
        >= 224 and <= 239 => $"{target} is a multicast address (224.0.0.0/4): TCP connects to one host",
        >= 240 => $"{target} is reserved (240.0.0.0/4): not an address a TCP server has",
        _ => null,
    };

    /// <summary>Why <paramref name="target"/> cannot be a TCP server, also the broadcast address of a subnet of this host's
    /// interfaces (in the current network namespace); null when it can be.</summary>
    public static string? WhyNotHere(IpAddress target)
    {
        if (WhyNot(target) is { } why)
        {
            return why;
        }

        if (target.IsV6)
        {
            return null; // IPv6 has no broadcast address
        }

        foreach (var a in NetworkInterface.GetAllNetworkInterfaces().SelectMany(i => i.GetIPProperties().UnicastAddresses))
        {
            if (a.Address.AddressFamily != AddressFamily.InterNetwork || a.PrefixLength is <= 0 or >= 31)
            {
                continue;
            }

            var mask = uint.MaxValue << (32 - a.PrefixLength);
            var address = IPv4Address.FromIPAddress(a.Address).Value;
            if (target.V4.Value == ((address & mask) | ~mask))
            {
                return $"{target} is the broadcast address of {new IPv4Address(address & mask)}/{a.PrefixLength}: TCP connects to one host";
            }
        }

        return null;
    }
}
