using System.Net.NetworkInformation;
using System.Net.Sockets;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Link;

/// <summary>An interface as the kernel reports it to the calling thread (netlink through System.Net.NetworkInformation, so namespace-correct).</summary>
/// <remarks><see cref="Addresses"/> holds both families; <see cref="AddressesOf"/> picks one.</remarks>
internal sealed record HostInterface(string Name, int Index, bool Up, bool Loopback, MacAddress? Mac, int? Mtu, IReadOnlyList<InterfaceAddress> Addresses)
{
    public IReadOnlyList<InterfaceAddress> AddressesOf(IpFamily family) => Addresses.Where(a => a.Address.Family == family).ToList();
}

internal static class HostInterfaces
{
    public static IReadOnlyList<HostInterface> Snapshot()
    {
        NetworkInterface[] all;
        try
        {
            all = NetworkInterface.GetAllNetworkInterfaces();
        }
        catch (NetworkInformationException e)
        {
            throw new LinkException($"cannot list network interfaces: {e.Message}", e);
        }

        return all.Select(From).ToList();
    }

    public static HostInterface From(NetworkInterface ni)
    {
        var props = ni.GetIPProperties();
        int? mtu = null;
        var index = -1;
        try
        {
            var v4 = props.GetIPv4Properties();
            mtu = v4.Mtu > 0 ? v4.Mtu : null;
            index = v4.Index;
        }
        catch (NetworkInformationException)
        {
            // no IPv4 on this interface
        }

        var addresses = props.UnicastAddresses
            .Where(a => a.Address.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6)
            .Select(a => new InterfaceAddress(IpAddress.FromIPAddress(a.Address), a.PrefixLength))
            .ToList();
        return new HostInterface(
            ni.Name,
            index,
            ni.OperationalStatus is OperationalStatus.Up or OperationalStatus.Unknown,
            ni.NetworkInterfaceType == NetworkInterfaceType.Loopback,
            LiveLink.ToMac(ni.GetPhysicalAddress().GetAddressBytes()),
            mtu,
            addresses);
    }
}
