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
        f.IPv4 is { } ip ? ip.Source.ToString() : f.Arp is { } a ? a.SenderMac.ToString() : f.Ethernet is { } e ? e.Source.ToString() : "?";

    public static string Destination(in ParsedFrame f) =>
        f.IPv4 is { } ip ? ip.Destination.ToString() : f.Ethernet is { } e ? (e.Destination.IsBroadcast ? "Broadcast" : e.Destination.ToString()) : "?";

    public static string Protocol(in ParsedFrame f) =>
        f.Tcp is not null ? "TCP"
        : f.Udp is not null ? "UDP"
        : f.Icmp is not null ? "ICMP"
        : f.Arp is not null ? "ARP"
        : f.IPv4 is { } ip ? Describe.IpProtocolName(ip.Protocol ?? 0) is var n && n != "Unknown" ? n : "IPv4"
        : Describe.EtherTypeName(f.EtherType) is var t && t != "Unknown" ? t : $"0x{f.EtherType:x4}";

    /// <summary>Wireshark's Info column. <paramref name="rel"/> gives relative numbers; default shows absolute ones.</summary>
    public static string Info(in ParsedFrame f, ReadOnlySpan<byte> frame, RelativeSeq? rel = null)
    {
        var sb = new StringBuilder();
        if (f.Tcp is { } tcp)
        {
            TcpInfo(sb, f, tcp, frame, rel);
        }
        else if (f.Udp is { } udp)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{udp.SourcePort} → {udp.DestinationPort} Len={f.PayloadLength}");
        }
        else if (f.Icmp is { } icmp)
        {
            if (icmp.Type is IcmpHeader.EchoRequest or IcmpHeader.EchoReply)
            {
                // Wireshark pads the name to 21 columns: "Echo (ping) request  id=…", "Echo (ping) reply    id=…".
                sb.Append(Describe.IcmpType(icmp.Type, icmp.Code).PadRight(21));
                sb.Append(CultureInfo.InvariantCulture, $"id=0x{icmp.Identifier:x4}, seq={icmp.SequenceNumber}/{BinaryReverse(icmp.SequenceNumber)}, ttl={f.IPv4!.Value.Ttl}");
            }
            else
            {
                sb.Append(Describe.IcmpType(icmp.Type, icmp.Code));
            }
        }
        else if (f.Arp is { } arp)
        {
            sb.Append(arp.Operation switch
            {
                ArpPacket.Request when arp.SenderIp == arp.TargetIp => $"Gratuitous ARP for {arp.SenderIp} (Request)",
                ArpPacket.Request => $"Who has {arp.TargetIp}? Tell {arp.SenderIp}",
                ArpPacket.Reply => $"{arp.SenderIp} is at {arp.SenderMac}",
                _ => $"ARP opcode {arp.Operation}",
            });
        }
        else if (f.IPv4 is { } ip)
        {
            sb.Append(CultureInfo.InvariantCulture, $"IPv4 protocol {ip.Protocol}, {f.IpPayloadLength} bytes");
            if (ip.FragmentOffset != 0 || ip.MoreFragments)
            {
                sb.Append(CultureInfo.InvariantCulture, $" (fragment offset {ip.FragmentOffset * 8}{(ip.MoreFragments ? ", more fragments" : "")})");
            }
        }
        else
        {
            sb.Append(CultureInfo.InvariantCulture, $"EtherType 0x{f.EtherType:x4}, {f.PayloadLength} bytes");
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

        sb.Append(CultureInfo.InvariantCulture, $"{tcp.Flags.ToWireshark()} Seq={seq}");
        if (tcp.Has(TcpFlags.Ack))
        {
            var ack = rel is { AckKnown: true } r ? r.Ack : tcp.Ack.Value;
            sb.Append(CultureInfo.InvariantCulture, $" Ack={ack}");
        }

        sb.Append(CultureInfo.InvariantCulture, $" Win={rel?.Window(tcp.Window, tcp.Has(TcpFlags.Syn)) ?? tcp.Window} Len={f.PayloadLength}");
        if (tcp.Has(TcpFlags.Urg))
        {
            sb.Append(CultureInfo.InvariantCulture, $" Urg={tcp.Urgent}");
        }

        AppendOptions(sb, f.TcpOptions(frame), rel is null ? null : tcp.Ack - (int)(rel.Value.Ack));
    }

    /// <summary>Options as Wireshark's Info column shows them: <c>MSS=1460 SACK_PERM TSval=1 TSecr=0 WS=128</c>.</summary>
    public static void AppendOptions(StringBuilder sb, ReadOnlySpan<byte> options, SeqNum? sackBase = null)
    {
        foreach (var o in new TcpOptionReader(options))
        {
            switch (o.Kind)
            {
                case TcpOptionKind.Mss: sb.Append(CultureInfo.InvariantCulture, $" MSS={o.Mss}"); break;
                case TcpOptionKind.WindowScale: sb.Append(CultureInfo.InvariantCulture, $" WS={1L << Math.Min((int)o.WindowScale, 30)}"); break;
                case TcpOptionKind.SackPermitted: sb.Append(" SACK_PERM"); break;
                case TcpOptionKind.Timestamps: sb.Append(CultureInfo.InvariantCulture, $" TSval={o.TsVal} TSecr={o.TsEcr}"); break;
                case TcpOptionKind.Sack:
                    for (var i = 0; i < o.SackBlockCount; i++)
                    {
                        var (l, r) = o.SackBlock(i);
                        var b = sackBase?.Value ?? 0;
                        sb.Append(CultureInfo.InvariantCulture, $" SLE={unchecked(l - b)} SRE={unchecked(r - b)}");
                    }

                    break;
                case TcpOptionKind.Nop:
                case TcpOptionKind.EndOfOptions:
                    break;
                default: sb.Append(CultureInfo.InvariantCulture, $" Opt{(byte)o.Kind}"); break;
            }
        }
    }
}
