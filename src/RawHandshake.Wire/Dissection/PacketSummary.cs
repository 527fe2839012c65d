using System.Globalization;
using System.Text;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Wire.Dissection;

/// <summary>The one-line summary of a frame: Wireshark's Source, Destination, Protocol and Info columns.</summary>
public static class PacketSummary
{
    public static string Source(in ParsedFrame f) =>
        f.IPv4 is { } ip ? ip.Source.ToString() : f.IPv6 is { } ip6 ? ip6.Source.ToString() : f.Arp is { } a ? a.SenderMac.ToString() : f.Ethernet is { } e ? e.Source.ToString() : "?";

    public static string Destination(in ParsedFrame f) =>
        f.IPv4 is { } ip ? ip.Destination.ToString() : f.IPv6 is not null ? f.Ipv6PseudoDestination.ToString() /* tshark: the final one of a routing header */ : f.Ethernet is { } e ? (e.Destination.IsBroadcast ? "Broadcast" : e.Destination.ToString()) : "?";

    public static string Protocol(in ParsedFrame f) =>
        f.IsFragment ? (f.IsIPv6 ? "IPv6" : "IPv4")
        : f.Tcp is not null ? "TCP"
        : f.Udp is not null ? "UDP"
        : f.Icmp is not null ? "ICMP"
        : f.Icmpv6 is not null ? "ICMPv6"
        : f.IPv6 is not null ? "IPv6"
        : f.Arp is { } arp ? LinkInfoText.ArpProtocol(arp.Operation)
        : f.Llc is not null && f.EtherType == 0 ? "LLC"
        : f.IPv4 is { } ip ? Describe.IpProtocolName(ip.Protocol ?? 0) is var n && n != "Unknown" ? n : "IPv4"
        : Describe.EtherTypeName(f.EtherType) is var t && t != "Unknown" ? t : $"0x{f.EtherType:x4}";

    /// <summary>
    /// The Info column of an analyzed frame, as tshark shows it with every dissector above TCP/UDP turned off: the
    /// analysis tags in front, an ARP duplicate-use report and an echo reply's request behind.
    /// </summary>
    public static string Info(AnalyzedFrame a, ReadOnlySpan<byte> frame)
    {
        var sb = new StringBuilder();
        foreach (var t in a.Tags)
        {
            sb.Append('[').Append(t).Append("] ");
        }

        sb.Append(a.Reassembled is { } whole ? Info(whole.Parsed, whole.Bytes, a.Rel, a.EchoRequestFrame) : Info(a.Parsed, frame, a.Rel, a.EchoRequestFrame));
        if (a.ArpDuplicate is { } ip)
        {
            sb.Append(CultureInfo.InvariantCulture, $" (duplicate use of {ip} detected!)");
        }

        return sb.ToString();
    }

    /// <summary>Wireshark's Info column. <paramref name="rel"/> gives relative numbers; default shows absolute ones.</summary>
    public static string Info(in ParsedFrame f, ReadOnlySpan<byte> frame, RelativeSeq? rel = null, int? echoRequestFrame = null)
    {
        var sb = new StringBuilder();
        if (f.IPv4 is { } frag && f.IsFragment)
        {
            var p = frag.Protocol ?? 0;
            sb.Append(CultureInfo.InvariantCulture, $"Fragmented IP protocol (proto={Describe.IpProtocolName(p)} {p}, off={frag.FragmentOffset * 8}, ID={frag.Id:x4})");
        }
        else if (f.Ipv6Fragment is { } frag6 && f.IsFragment)
        {
            sb.Append(CultureInfo.InvariantCulture, $"IPv6 fragment (off={frag6.Offset * 8} more={(frag6.More ? 'y' : 'n')} ident=0x{frag6.Identification:x8} nxt={frag6.NextHeader})");
        }
        else if (f.Tcp is { } tcp)
        {
            TcpInfo(sb, f, tcp, frame, rel);
        }
        else if (f.Udp is { } udp)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{udp.SourcePort} → {udp.DestinationPort} Len={Math.Max(0, udp.Length - 8)}");
            if (udp.Checksum == 0 && f.IsIPv6)
            {
                sb.Append(" [ILLEGAL CHECKSUM (0)]"); // RFC 8200 §8.1: a UDP checksum is mandatory over IPv6
            }
        }
        else if (f.Icmpv6 is not null)
        {
            sb.Append(Icmpv6InfoText.Info(f, frame, echoRequestFrame));
        }
        else if (f.IPv6 is not null && f.Malformed is null)
        {
            var p = f.UpperProtocol ?? 0;
            sb.Append(p == IPv6ExtensionHeader.NoNextHeader ? "IPv6 no next header" : $"Unknown IP Protocol: {Describe.IpProtocolInfo(p)} ({p})");
        }
        else if (f.Icmp is { } icmp)
        {
            sb.Append(LinkInfoText.Icmp(icmp, f.IPv4!.Value.Ttl ?? 0, echoRequestFrame));
        }
        else if (f.Arp is { } arp)
        {
            sb.Append(LinkInfoText.Arp(arp));
        }
        else if (f.IPv4 is { } ip)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{Describe.IpProtocolInfo(ip.Protocol ?? 0)} ({ip.Protocol})"); // tshark: "SCTP (132)"
        }
        else if (f.Llc is { } llc && f.EtherType == 0)
        {
            sb.Append(LinkInfoText.Llc(llc));
        }
        else if (f.EtherType == (ushort)EtherType.IPv6 || f.Ethernet is null)
        {
            sb.Append(CultureInfo.InvariantCulture, $"EtherType 0x{f.EtherType:x4}, {f.PayloadLength} bytes");
        }
        else
        {
            sb.Append(Describe.EtherTypeInfo(f.EtherType)); // tshark: the type's name, or "Ethernet II"
        }

        if (f.Malformed is { } m)
        {
            sb.Append(" [").Append(m).Append(']');
        }

        return sb.ToString();
    }

    private static int BinaryReverse(ushort v) => (ushort)((v << 8) | (v >> 8));

    /// <summary>The TCP part of the Info column after the ports: <c>[SYN, ACK] Seq=0 Ack=1 Win=65160 Len=0 MSS=1460 …</c>.</summary>
    public static string TcpDetails(in ParsedFrame f, ReadOnlySpan<byte> frame, RelativeSeq? rel)
    {
        if (f.Tcp is not { } tcp)
        {
            return Info(f, frame, rel);
        }

        var sb = new StringBuilder();
        TcpInfo(sb, f, tcp, frame, rel, ports: false);
        return sb.ToString();
    }

    private static void TcpInfo(StringBuilder sb, in ParsedFrame f, TcpHeader tcp, ReadOnlySpan<byte> frame, RelativeSeq? rel, bool ports = true)
    {
        var seq = rel?.Seq ?? tcp.Seq.Value;
        if (ports)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{tcp.SourcePort} → {tcp.DestinationPort} ");
        }

        sb.Append(TcpInfoText.Flags(tcp.Flags, tcp.Reserved, rel?.AccEcn ?? false)).Append(CultureInfo.InvariantCulture, $" Seq={seq}");
        if (tcp.Has(TcpFlags.Ack))
        {
            var ack = rel is { AckKnown: true } r ? r.Ack : tcp.Ack.Value;
            sb.Append(CultureInfo.InvariantCulture, $" Ack={ack}");
        }

        sb.Append(CultureInfo.InvariantCulture, $" Win={rel?.Window(tcp.Window, tcp.Has(TcpFlags.Syn)) ?? tcp.Window}");
        if (tcp.Has(TcpFlags.Urg))
        {
            sb.Append(CultureInfo.InvariantCulture, $" Urg={tcp.Urgent}");
        }

        sb.Append(CultureInfo.InvariantCulture, $" Len={f.SegmentLength}");
        TcpInfoText.AppendOptions(sb, f.TcpOptions(frame), rel is null ? null : tcp.Ack - (int)(rel.Value.Ack));
    }
}
