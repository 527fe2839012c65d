using PacketDotNet;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Parsing;

namespace RawHandshake.Cli.Output;

/// <summary>
/// Protocols beyond ours (LLDP, DHCP, IGMP, …) are decoded with PacketDotNet rather than shown as a blob.
/// Used only where our own decoder stops.
/// </summary>
public static class ForeignDecoder
{
    private static readonly HashSet<Type> Ours = [typeof(EthernetPacket), typeof(IPv4Packet), typeof(TcpPacket), typeof(ArpPacket), typeof(IcmpV4Packet), typeof(UdpPacket), typeof(LinuxSllPacket),
        typeof(IPv6Packet), typeof(IcmpV6Packet)];

    public static bool Applies(in ParsedFrame f) =>
        f.Malformed is null && (
            (f.EtherType is not (0x0800 or 0x0806 or 0x86DD) && f.EtherType != 0) ||
            (f.IPv4 is { } ip && f.Tcp is null && f.Udp is null && f.Icmp is null && ip.FragmentOffset == 0) ||
            (f.IPv6 is not null && f.Tcp is null && f.Udp is null && f.Icmpv6 is null && f.Ipv6Fragment is not { Offset: > 0 }) ||
            (f.Udp is not null && f.PayloadLength > 0));

    public static IReadOnlyList<string> Decode(byte[] frame, LinkType link)
    {
        try
        {
            var layer = link switch
            {
                LinkType.Ethernet => LinkLayers.Ethernet,
                LinkType.LinuxSll => LinkLayers.LinuxSll,
                LinkType.Raw or LinkType.Ipv4 or LinkType.Ipv6 => LinkLayers.Raw,
                _ => (LinkLayers?)null,
            };
            if (layer is null)
            {
                return [];
            }

            var lines = new List<string>();
            for (var p = Packet.ParsePacket(layer.Value, frame); p is not null; p = p.PayloadPacket)
            {
                if (Ours.Contains(p.GetType()) || p is NdpPacket)
                {
                    continue;
                }

                var text = p.ToString(StringOutputType.Verbose);
                lines.Add($"{p.GetType().Name.Replace("Packet", "", StringComparison.Ordinal)} (decoded by PacketDotNet)");
                lines.AddRange(text.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => "      " + l.TrimEnd()).Where(l => l.Trim().Length > 0 && !l.Contains("[0m", StringComparison.Ordinal)));
            }

            return lines;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            return [$"[PacketDotNet could not decode the rest: {e.Message.Split('\n')[0]}]"];
        }
    }
}
