using System.Buffers.Binary;
using System.Text.Json;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Wire.Dissection;

/// <summary>
/// The JSON fields of one frame, shared by <c>dissect --json</c> and the trace's packet events so the keys never
/// differ: <c>src dst sport dport flags seq ack rel_seq rel_ack win len ttl options …</c> (documented in the README).
/// </summary>
public static class FrameJson
{
    public static void WriteFields(Utf8JsonWriter w, in ParsedFrame f, ReadOnlySpan<byte> frame, RelativeSeq? rel = null)
    {
        if (f.Ethernet is { } eth)
        {
            w.WriteString("eth_src", eth.Source.ToString());
            w.WriteString("eth_dst", eth.Destination.ToString());
            if (eth.VlanTci is { } tci)
            {
                w.WriteNumber("vlan", tci & 0xFFF);
            }
        }

        w.WriteString("ethertype", $"0x{f.EtherType:x4}");
        w.WriteString("proto", PacketSummary.Protocol(f));
        if (f.Arp is { } arp)
        {
            w.WriteStartObject("arp");
            w.WriteNumber("op", arp.Operation);
            w.WriteString("sender_mac", arp.SenderMac.ToString());
            w.WriteString("sender_ip", arp.SenderIp.ToString());
            w.WriteString("target_mac", arp.TargetMac.ToString());
            w.WriteString("target_ip", arp.TargetIp.ToString());
            w.WriteEndObject();
        }

        if (f.IPv4 is { } ip)
        {
            w.WriteString("src", ip.Source.ToString());
            w.WriteString("dst", ip.Destination.ToString());
            w.WriteNumber("ttl", ip.Ttl ?? 0);
            w.WriteNumber("id", ip.Id);
            w.WriteNumber("tos", ip.Tos);
            w.WriteBoolean("df", ip.DontFragment);
            w.WriteBoolean("mf", ip.MoreFragments);
            w.WriteNumber("frag_offset", ip.FragmentOffset);
            w.WriteNumber("ip_len", ip.TotalLength ?? 0);
            w.WriteNumber("ihl", ip.Ihl ?? 0);
            w.WriteNumber("ip_proto", ip.Protocol ?? 0);
            w.WriteString("ip_checksum", $"0x{ip.Checksum:x4}");
            w.WriteString("ip_checksum_status", Status(f.IpChecksum(frame)));
            if (f.IpOptionsLength > 0)
            {
                w.WriteString("ip_options", HexText.ToHex(f.IpOptions(frame)));
                IpOptionsList(w, f.IpOptions(frame));
            }
        }

        if (f.IPv6 is { } ip6)
        {
            WriteIPv6(w, f, frame, ip6);
        }

        if (f.Tcp is { } tcp)
        {
            w.WriteNumber("sport", tcp.SourcePort);
            w.WriteNumber("dport", tcp.DestinationPort);
            w.WriteString("flags", tcp.Flags.ToLetters());
            w.WriteNumber("seq", tcp.Seq.Value);
            w.WriteNumber("ack", tcp.Ack.Value);
            if (rel is { } r)
            {
                w.WriteNumber("rel_seq", r.Seq);
                if (r.AckKnown)
                {
                    w.WriteNumber("rel_ack", r.Ack);
                }
                else
                {
                    w.WriteNull("rel_ack");
                }
            }

            w.WriteNumber("win", tcp.Window);
            if (rel is { WindowShift: >= 0 } rw)
            {
                w.WriteNumber("win_calc", rw.Window(tcp.Window, tcp.Has(TcpFlags.Syn)));
            }
            else
            {
                w.WriteNull("win_calc"); // the sender's window scale is not known
            }

            w.WriteNumber("len", f.SegmentLength);
            w.WriteNumber("urg", tcp.Urgent);
            w.WriteNumber("data_offset", tcp.DataOffset ?? 0);
            w.WriteString("tcp_checksum", $"0x{tcp.Checksum:x4}");
            w.WriteString("tcp_checksum_status", Status(f.TransportChecksum(frame)));
            WriteOptions(w, f.TcpOptions(frame));
            WriteOptionsList(w, f.TcpOptions(frame));
        }
        else if (f.Udp is { } udp)
        {
            w.WriteNumber("sport", udp.SourcePort);
            w.WriteNumber("dport", udp.DestinationPort);
            w.WriteNumber("len", f.PayloadLength);
            w.WriteString("udp_checksum_status", Status(f.TransportChecksum(frame)));
        }
        else if (f.Icmp is { } icmp)
        {
            w.WriteStartObject("icmp");
            w.WriteNumber("type", icmp.Type);
            w.WriteNumber("code", icmp.Code);
            w.WriteString("name", Describe.IcmpType(icmp.Type, icmp.Code));
            w.WriteString("checksum_status", Status(f.TransportChecksum(frame)));
            if (icmp.Type is IcmpHeader.EchoRequest or IcmpHeader.EchoReply)
            {
                w.WriteNumber("id", icmp.Identifier);
                w.WriteNumber("seq", icmp.SequenceNumber);
            }

            if (f.IcmpQuote is { } q)
            {
                Quoted(w, q.Ip.Source.ToString(), q.Ip.Destination.ToString(), q.Ip.Protocol ?? 0, q.SourcePort, q.DestinationPort, q.TcpSeq);
            }

            w.WriteEndObject();
        }

        if (f.Icmpv6 is { } icmp6)
        {
            WriteIcmpv6(w, f, frame, icmp6);
        }

        if (f.PayloadLength > 0 && f.Arp is null)
        {
            w.WriteString("payload_hex", HexText.ToHex(f.Payload(frame)));
        }

        if (f.Malformed is { } m)
        {
            w.WriteString("malformed", m);
        }
    }

    /// <summary>IPv6: <c>src dst hop_limit traffic_class flow_label payload_len next_header ip_proto ext_headers frag</c>.</summary>
    private static void WriteIPv6(Utf8JsonWriter w, in ParsedFrame f, ReadOnlySpan<byte> frame, IPv6Header ip)
    {
        w.WriteString("src", ip.Source.ToString());
        w.WriteString("dst", ip.Destination.ToString());
        w.WriteNumber("hop_limit", ip.HopLimit ?? 0);
        w.WriteNumber("traffic_class", ip.TrafficClass);
        w.WriteNumber("flow_label", ip.FlowLabel);
        w.WriteNumber("payload_len", ip.PayloadLength ?? 0);
        w.WriteNumber("next_header", ip.NextHeader ?? 0);
        w.WriteNumber("ip_proto", f.UpperProtocol ?? 0);
        if (f.Ipv6PseudoDestination != ip.Destination)
        {
            w.WriteString("final_dst", f.Ipv6PseudoDestination.ToString());
        }

        if (f.Ipv6ExtensionsLength > 0)
        {
            w.WriteStartArray("ext_headers");
            foreach (var x in new IPv6ExtensionReader(f.Ipv6Extensions(frame), ip.NextHeader ?? 0, f.Ipv6ExtensionsOffset))
            {
                w.WriteStartObject();
                w.WriteNumber("type", x.Type);
                w.WriteString("name", Dissector.ExtensionName(x.Type));
                w.WriteNumber("len", x.Length);
                if (x.Type != IPv6ExtensionHeader.Fragment)
                {
                    w.WriteString("data", HexText.ToHex(frame.Slice(x.Offset + 2, x.Length - 2)));
                }

                w.WriteEndObject();
                if (x.Offset + x.Length >= f.IpPayloadOffset)
                {
                    break;
                }
            }

            w.WriteEndArray();
        }

        if (f.Ipv6Fragment is { } frag)
        {
            w.WriteStartObject("frag");
            w.WriteNumber("offset", frag.Offset * 8);
            w.WriteBoolean("more", frag.More);
            w.WriteNumber("id", frag.Identification);
            w.WriteNumber("next_header", frag.NextHeader);
            w.WriteEndObject();
        }
    }

    /// <summary>ICMPv6: <c>{"type","code","name","checksum_status","id","seq","mtu","pointer","quoted":{…},"ndp":{…}}</c>.</summary>
    /// <summary>The header an ICMP or ICMPv6 error quotes: its addresses, protocol (when known), ports and TCP sequence number.</summary>
    private static void Quoted(Utf8JsonWriter w, string source, string destination, int? protocol, ushort? sourcePort, ushort? destinationPort, SeqNum? tcpSeq)
    {
        w.WriteStartObject("quoted");
        w.WriteString("src", source);
        w.WriteString("dst", destination);
        if (protocol is { } p)
        {
            w.WriteNumber("proto", p);
        }

        if (sourcePort is { } sp)
        {
            w.WriteNumber("sport", sp);
        }

        if (destinationPort is { } dp)
        {
            w.WriteNumber("dport", dp);
        }

        if (tcpSeq is { } s)
        {
            w.WriteNumber("seq", s.Value);
        }

        w.WriteEndObject();
    }

    private static void WriteIcmpv6(Utf8JsonWriter w, in ParsedFrame f, ReadOnlySpan<byte> frame, Icmpv6Header icmp)
    {
        w.WriteStartObject("icmpv6");
        w.WriteNumber("type", icmp.Type);
        w.WriteNumber("code", icmp.Code);
        w.WriteString("name", Icmpv6InfoText.TypeName(icmp.Type) + (Icmpv6InfoText.CodeName(icmp.Type, icmp.Code, icmp.RestOfHeader) is { } c ? $" ({c})" : ""));
        w.WriteString("checksum_status", Status(f.TransportChecksum(frame)));
        if (icmp.Type is Icmpv6Header.EchoRequest or Icmpv6Header.EchoReply)
        {
            w.WriteNumber("id", icmp.Identifier);
            w.WriteNumber("seq", icmp.SequenceNumber);
        }
        else if (icmp.Type == Icmpv6Header.PacketTooBig)
        {
            w.WriteNumber("mtu", icmp.RestOfHeader);
        }
        else if (icmp.Type == Icmpv6Header.ParameterProblem)
        {
            w.WriteNumber("pointer", icmp.RestOfHeader);
        }

        if (f.Icmpv6Quote is { } q)
        {
            Quoted(w, q.Ip.Source.ToString(), q.Ip.Destination.ToString(), q.Protocol, q.SourcePort, q.DestinationPort, q.TcpSeq);
        }

        if (f.Ndp is { } m)
        {
            w.WriteStartObject("ndp");
            if (m.Target is { } t)
            {
                w.WriteString("target", t.ToString());
            }

            if (m.Type == Icmpv6Header.NeighborAdvertisement)
            {
                w.WriteBoolean("router", m.Router);
                w.WriteBoolean("solicited", m.Solicited);
                w.WriteBoolean("override", m.Override);
            }

            if (m.Type == Icmpv6Header.RouterAdvertisement)
            {
                w.WriteNumber("cur_hop_limit", m.CurHopLimit);
                w.WriteBoolean("managed", m.Managed);
                w.WriteBoolean("other", m.OtherConfig);
                w.WriteNumber("router_lifetime", m.RouterLifetime);
                w.WriteNumber("reachable_time", m.ReachableTime);
                w.WriteNumber("retrans_timer", m.RetransTimer);
            }

            if (m.SourceLinkAddress is { } sll)
            {
                w.WriteString("src_lladdr", sll.ToString());
            }

            if (m.TargetLinkAddress is { } tll)
            {
                w.WriteString("target_lladdr", tll.ToString());
            }

            if (m.Mtu is { } mtu)
            {
                w.WriteNumber("mtu", mtu);
            }

            w.WriteStartArray("prefixes");
            foreach (var o in new NdpOptionReader(frame.Slice(m.OptionsOffset, Math.Min(m.OptionsLength, frame.Length - m.OptionsOffset)), m.OptionsOffset))
            {
                if (o.Type == NdpOption.PrefixInformation && o.Length >= 32)
                {
                    var p = NdpPrefix.Read(frame.Slice(o.Offset, o.Length));
                    w.WriteStringValue($"{p.Prefix}/{p.PrefixLength}");
                }
            }

            w.WriteEndArray();
            w.WriteEndObject();
        }

        w.WriteEndObject();
    }

    /// <summary>Options as an object: <c>{"mss":1460,"wscale":7,"sack_perm":true,"tsval":1,"tsecr":0,"sack":[[l,r]],"unknown":[{"kind":N,"data":"hex"}]}</c>.</summary>
    public static void WriteOptions(Utf8JsonWriter w, ReadOnlySpan<byte> options)
    {
        w.WriteStartObject("options");
        var e = new TcpOptionReader(options).GetEnumerator();
        var sackOpen = false;
        while (e.MoveNext())
        {
            var o = e.Current;
            switch (o.Kind)
            {
                case TcpOptionKind.Mss: w.WriteNumber(OptionName(o.Kind), o.Mss); break;
                case TcpOptionKind.WindowScale: w.WriteNumber(OptionName(o.Kind), o.WindowScale); break;
                case TcpOptionKind.SackPermitted: w.WriteBoolean(OptionName(o.Kind), true); break;
                case TcpOptionKind.Timestamps:
                    w.WriteNumber("tsval", o.TsVal);
                    w.WriteNumber("tsecr", o.TsEcr);
                    break;
                case TcpOptionKind.Sack:
                    sackOpen = true; // written after the walk, as one array over all SACK options
                    break;
                case TcpOptionKind.Nop:
                case TcpOptionKind.EndOfOptions:
                    break;
                default:
                    w.WriteString(OptionName(o.Kind), HexText.ToHex(o.Data));
                    break;
            }
        }

        if (sackOpen)
        {
            w.WriteStartArray(OptionName(TcpOptionKind.Sack));
            foreach (var o in new TcpOptionReader(options))
            {
                if (o.Kind == TcpOptionKind.Sack)
                {
                    WriteSackBlocks(w, o);
                }
            }

            w.WriteEndArray();
        }

        if (e.Malformed is { } m)
        {
            w.WriteString("malformed", m);
        }

        w.WriteEndObject();
    }

    /// <summary>
    /// Options in wire order, each once, repeated kinds and NOPs included (exact comparisons need them; MPTCP repeats
    /// kind 30): <c>[{"kind":2,"name":"mss","value":1460},{"kind":1,"name":"nop"},{"kind":8,"name":"timestamps",
    /// "tsval":1,"tsecr":0},{"kind":5,"name":"sack","blocks":[[l,r]]},{"kind":30,"name":"kind_30","data":"hex"}]</c>.
    /// An entry's name is the key the same option has in the <c>options</c> object (<see cref="OptionName"/>).
    /// </summary>
    public static void WriteOptionsList(Utf8JsonWriter w, ReadOnlySpan<byte> options)
    {
        w.WriteStartArray("options_list");
        foreach (var o in new TcpOptionReader(options))
        {
            w.WriteStartObject();
            w.WriteNumber("kind", (byte)o.Kind);
            w.WriteString("name", OptionName(o.Kind));
            switch (o.Kind)
            {
                case TcpOptionKind.Mss: w.WriteNumber("value", o.Mss); break;
                case TcpOptionKind.WindowScale: w.WriteNumber("value", o.WindowScale); break;
                case TcpOptionKind.Timestamps:
                    w.WriteNumber("tsval", o.TsVal);
                    w.WriteNumber("tsecr", o.TsEcr);
                    break;
                case TcpOptionKind.Sack:
                    w.WriteStartArray("blocks");
                    WriteSackBlocks(w, o);
                    w.WriteEndArray();
                    break;
                case TcpOptionKind.Nop or TcpOptionKind.EndOfOptions or TcpOptionKind.SackPermitted:
                    break;
                default:
                    w.WriteString("data", HexText.ToHex(o.Data));
                    break;
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
    }

    /// <summary>Each block of one SACK option as <c>[left,right]</c>, into the array being written.</summary>
    private static void WriteSackBlocks(Utf8JsonWriter w, TcpOption o)
    {
        for (var i = 0; i < o.SackBlockCount; i++)
        {
            var (l, r) = o.SackBlock(i);
            w.WriteStartArray();
            w.WriteNumberValue(l);
            w.WriteNumberValue(r);
            w.WriteEndArray();
        }
    }

    /// <summary>The one JSON name of an option kind, in <c>options</c> and <c>options_list</c> alike: <c>eol nop mss
    /// wscale sack_perm sack timestamps kind_N</c>.</summary>
    public static string OptionName(TcpOptionKind kind) => kind switch
    {
        TcpOptionKind.EndOfOptions => "eol",
        TcpOptionKind.Nop => "nop",
        TcpOptionKind.Mss => "mss",
        TcpOptionKind.WindowScale => "wscale",
        TcpOptionKind.SackPermitted => "sack_perm",
        TcpOptionKind.Sack => "sack",
        TcpOptionKind.Timestamps => "timestamps",
        _ => $"kind_{(byte)kind}",
    };

    public static string Status(ChecksumVerdict v) => v switch
    {
        ChecksumVerdict.Good => "good",
        ChecksumVerdict.Bad => "bad",
        ChecksumVerdict.Offload => "offload",
        _ => "unverified",
    };

    /// <summary><c>ip_options_list</c>: each IPv4 option decoded, in wire order (NOP and EOL included).</summary>
    private static void IpOptionsList(Utf8JsonWriter w, ReadOnlySpan<byte> o)
    {
        w.WriteStartArray("ip_options_list");
        foreach (var opt in IPv4Options.Read(o))
        {
            var b = opt.Bytes(o);
            w.WriteStartObject();
            w.WriteNumber("type", opt.Type);
            w.WriteString("name", IPv4Options.Abbreviation(opt.Type));
            w.WriteNumber("length", opt.Length);
            if (opt.Truncated)
            {
                w.WriteBoolean("malformed", true);
                w.WriteString("data", HexText.ToHex(b));
            }
            else if (opt.Type is IPv4Options.RecordRoute or IPv4Options.Lsrr or IPv4Options.Ssrr && b.Length >= 3)
            {
                w.WriteNumber("pointer", b[2]);
                var slots = IPv4Options.Route(opt, o);
                w.WriteNumber("recorded", slots.Count(s => s.Label == "Recorded Route"));
                w.WriteStartArray("addresses");
                foreach (var slot in slots)
                {
                    w.WriteStringValue(slot.Address.ToString());
                }

                w.WriteEndArray();
            }
            else if (opt.Type == IPv4Options.Timestamp && b.Length >= 4)
            {
                w.WriteNumber("pointer", b[2]);
                w.WriteNumber("overflow", b[3] >> 4);
                w.WriteNumber("flag", b[3] & 0xF);
                w.WriteStartArray("entries");
                foreach (var e in IPv4Options.Timestamps(opt, o, out _))
                {
                    w.WriteStartObject();
                    if (e.Address is { } a)
                    {
                        w.WriteString("address", a.ToString());
                    }

                    w.WriteNumber("stamp", e.Stamp);
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            }
            else if (opt.Type == IPv4Options.RouterAlert && b.Length == 4)
            {
                w.WriteNumber("value", BinaryPrimitives.ReadUInt16BigEndian(b[2..]));
            }
            else if (opt.Length > 2)
            {
                w.WriteString("data", HexText.ToHex(b[2..]));
            }

            w.WriteEndObject();
        }

        w.WriteEndArray();
    }
}
