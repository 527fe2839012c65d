using System.Net.Sockets;
using RawHandshake.Wire.Primitives;
using SharpPcap;
using SharpPcap.LibPcap;

namespace RawHandshake.Link;

/// <summary>One capture device as <c>tcpdump -D</c> lists it, with the kernel's view of it where there is one.</summary>
/// <param name="Index">1-based position in libpcap's list (the number <c>tcpdump -D</c> prints).</param>
/// <param name="Description">libpcap's description (set for pseudo-devices such as <c>any</c>), else null.</param>
/// <param name="Connection">"Connected", "Disconnected", "Loopback"-style status as libpcap reports it, or null when unknown.</param>
/// <param name="Mtu">The kernel's MTU, null for pseudo-devices.</param>
public sealed record InterfaceInfo(
    int Index,
    string Name,
    string? Description,
    bool Up,
    bool Running,
    bool Loopback,
    bool Wireless,
    string? Connection,
    MacAddress? Mac,
    IReadOnlyList<InterfaceAddress> Addresses,
    int? Mtu)
{
    /// <summary>The bracketed flags of <c>tcpdump -D</c>, e.g. <c>Up, Running, Connected</c>.</summary>
    public string FlagsText
    {
        get
        {
            var flags = new List<string>(4);
            if (Up)
            {
                flags.Add("Up");
            }

            if (Running)
            {
                flags.Add("Running");
            }

            if (Wireless)
            {
                flags.Add("Wireless");
            }

            if (Loopback)
            {
                flags.Add("Loopback");
            }
            else if (Connection is not null)
            {
                flags.Add(Connection);
            }

            return string.Join(", ", flags);
        }
    }

    /// <summary><c>1.veth0 [Up, Running, Connected] fe:60:c8:fb:24:a2 198.18.0.1/24 mtu 1500</c>.</summary>
    public override string ToString()
    {
        var text = new System.Text.StringBuilder();
        text.Append(Index).Append('.').Append(Name);
        if (!string.IsNullOrEmpty(Description))
        {
            text.Append(" (").Append(Description).Append(')');
        }

        var flags = FlagsText;
        if (flags.Length > 0)
        {
            text.Append(" [").Append(flags).Append(']');
        }

        if (Mac is { } mac)
        {
            text.Append(' ').Append(mac);
        }

        foreach (var a in Addresses)
        {
            text.Append(' ').Append(a);
        }

        if (Mtu is { } mtu)
        {
            text.Append(" mtu ").Append(mtu);
        }

        return text.ToString();
    }
}

/// <summary>The capture devices of the calling thread's network namespace, like <c>tcpdump -D</c>.</summary>
public static class InterfaceList
{
    private const uint IfLoopback = 0x1;
    private const uint IfUp = 0x2;
    private const uint IfRunning = 0x4;
    private const uint IfWireless = 0x8;
    private const uint ConnectionMask = 0x30;

    public static IReadOnlyList<InterfaceInfo> List()
    {
        IReadOnlyList<LibPcapLiveDevice> devices;
        try
        {
            devices = LibPcapLiveDeviceList.New();
        }
        catch (Exception e) when (LinkErrors.IsLibpcapMissing(e))
        {
            throw new LinkException(LinkErrors.LibpcapMissing, e);
        }
        catch (PcapException e)
        {
            throw new LinkException($"cannot list capture devices: {e.Message.ReplaceLineEndings(" ")}", e);
        }

        var kernel = HostInterfaces.Snapshot().GroupBy(i => i.Name).ToDictionary(g => g.Key, g => g.First(), StringComparer.Ordinal);
        var list = new List<InterfaceInfo>(devices.Count);
        for (var i = 0; i < devices.Count; i++)
        {
            var d = devices[i];
            kernel.TryGetValue(d.Name, out var k);
            var flags = d.Flags;
            var addresses = k?.AddressesOf(IpFamily.V4) ?? PcapAddresses(d);
            list.Add(new InterfaceInfo(
                i + 1,
                d.Name,
                string.IsNullOrWhiteSpace(d.Description) ? null : d.Description,
                (flags & IfUp) != 0,
                (flags & IfRunning) != 0,
                (flags & IfLoopback) != 0,
                (flags & IfWireless) != 0,
                (flags & ConnectionMask) switch
                {
                    0x10 => "Connected",
                    0x20 => "Disconnected",
                    _ => null,
                },
                k?.Mac ?? LiveLink.ToMac(d.MacAddress?.GetAddressBytes()),
                addresses,
                k?.Mtu));
        }

        return list;
    }

    private static List<InterfaceAddress> PcapAddresses(LibPcapLiveDevice d)
    {
        var result = new List<InterfaceAddress>();
        foreach (var a in d.Addresses)
        {
            if (a.Addr?.ipAddress is { AddressFamily: AddressFamily.InterNetwork } ip)
            {
                var prefix = a.Netmask?.ipAddress is { AddressFamily: AddressFamily.InterNetwork } mask
                    ? InterfaceAddress.PrefixFromMask(IPv4Address.FromIPAddress(mask).Value)
                    : 32;
                result.Add(new InterfaceAddress(IPv4Address.FromIPAddress(ip), prefix));
            }
        }

        return result;
    }
}
