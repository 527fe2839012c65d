using System.Buffers.Binary;
using System.Globalization;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Wire.Dissection;

/// <summary>
/// Builds Wireshark's field tree for one frame: every field with its byte offset, raw value and decoded meaning,
/// checksum verdicts, and a note where a layer is malformed. Pure: text in, text out.
/// </summary>
public static partial class Dissector
{
    public static IReadOnlyList<DissectionLayer> Dissect(ReadOnlySpan<byte> frame, in ParsedFrame f, RelativeSeq? rel = null)
    {
        var layers = new List<DissectionLayer>();
        if (f.Ethernet is { } eth)
        {
            layers.Add(Ethernet(frame, eth));
        }
        else if (f.Sll is { } sll)
        {
            layers.Add(Sll(sll, f.NetworkOffset));
        }

        if (f.Arp is { } arp)
        {
            layers.Add(Arp(arp, f.NetworkOffset));
        }

        if (f.IPv4 is { } ip)
        {
            layers.Add(IPv4(frame, f, ip));
        }
        else if (f.IPv6 is { } ip6)
        {
            layers.Add(IPv6(frame, f, ip6));
        }

        if (f.Tcp is { } tcp)
        {
            layers.Add(Tcp(frame, f, tcp, rel));
        }
        else if (f.Udp is { } udp)
        {
            var l = new DissectionLayer("udp", f.TransportOffset, 8 + f.PayloadLength, $"User Datagram Protocol, Src Port: {udp.SourcePort}, Dst Port: {udp.DestinationPort}");
            var at = f.TransportOffset;
            l.Root.Add(at, 2, $"Source Port: {udp.SourcePort}");
            l.Root.Add(at + 2, 2, $"Destination Port: {udp.DestinationPort}");
            l.Root.Add(at + 4, 2, $"Length: {udp.Length}");
            l.Root.Add(at + 6, 2, $"Checksum: 0x{udp.Checksum:x4} [{Verdict(f.TransportChecksum(frame))}]");
            layers.Add(l);
        }
        else if (f.Icmp is { } icmp)
        {
            layers.Add(Icmp(frame, f, icmp));
        }
        else if (f.Icmpv6 is { } icmp6)
        {
            layers.Add(Icmpv6(frame, f, icmp6));
        }

        var ipDataOnly = (f.IPv4 is not null && f.Icmp is null) || (f.IPv6 is not null && f.Icmpv6 is null);
        if (f.PayloadLength > 0 && (f.Tcp is not null || f.Udp is not null || ipDataOnly || f.EtherType is not ((ushort)EtherType.IPv4 or (ushort)EtherType.Arp or (ushort)EtherType.IPv6)))
        {
            var data = f.Payload(frame);
            var l = new DissectionLayer("data", f.PayloadOffset, data.Length, $"Data ({data.Length} bytes)");
            l.Root.Add(f.PayloadOffset, data.Length, "Data: " + Describe.Hex(data[..Math.Min(data.Length, 64)]) + (data.Length > 64 ? "…" : ""));
            l.Root.Add(f.PayloadOffset, data.Length, "Text: " + Printable(data[..Math.Min(data.Length, 64)]) + (data.Length > 64 ? "…" : ""));
            l.Root.Note($"Length: {data.Length}");
            layers.Add(l);
        }

        if (f.TrailerLength > 0)
        {
            var at = frame.Length - f.TrailerLength;
            var l = new DissectionLayer("trailer", at, f.TrailerLength, $"Padding ({f.TrailerLength} bytes)");
            l.Root.Add(at, f.TrailerLength, "Padding: " + Describe.Hex(frame[at..]));
            layers.Add(l);
        }

        if (f.Malformed is { } m)
        {
            var l = new DissectionLayer("malformed", -1, 0, "[" + m + "]");
            layers.Add(l);
        }

        return layers;
    }

    public static string Verdict(ChecksumVerdict v) => v switch
    {
        ChecksumVerdict.Good => "correct",
        ChecksumVerdict.Bad => "incorrect",
        ChecksumVerdict.Offload => "offload: partial pseudo-header sum, filled in by the device",
        _ => "unverified",
    };

    public static string Printable(ReadOnlySpan<byte> data)
    {
        var chars = new char[data.Length];
        for (var i = 0; i < data.Length; i++)
        {
            chars[i] = data[i] is >= 0x20 and < 0x7F ? (char)data[i] : '.';
        }

        return new string(chars);
    }

    private static DissectionLayer Ethernet(ReadOnlySpan<byte> frame, EthernetHeader eth)
    {
        var l = new DissectionLayer("eth", 0, eth.HeaderLength, $"Ethernet II, Src: {eth.Source}, Dst: {eth.Destination}");
        l.Root.Add(0, 6, $"Destination: {eth.Destination}{(eth.Destination.IsBroadcast ? " (Broadcast)" : "")}");
        l.Root.Add(6, 6, $"Source: {eth.Source}");
        var at = 12;
        if (eth.VlanTci is { } tci)
        {
            var v = l.Root.Add(12, 4, $"802.1Q Virtual LAN, PRI: {tci >> 13}, DEI: {(tci >> 12) & 1}, ID: {tci & 0xFFF}");
            v.Add(14, 2, Describe.Bits(tci, 16, 0, 3) + $"Priority: {tci >> 13}");
            v.Add(14, 2, Describe.Bits(tci, 16, 3, 1) + $"DEI: {(tci >> 12) & 1}");
            v.Add(14, 2, Describe.Bits(tci, 16, 4, 12) + $"ID: {tci & 0xFFF}");
            at = 12 + (4 * eth.VlanTags);
        }

        var type = eth.EtherType ?? 0;
        l.Root.Add(at, 2, $"Type: {Describe.EtherTypeName(type)} (0x{type:x4})");
        return l;
    }

    private static DissectionLayer Sll(SllHeader sll, int length)
    {
        var l = new DissectionLayer("sll", 0, length, sll.Version == 2 ? "Linux cooked capture v2" : "Linux cooked capture v1");
        if (sll.Version == 2)
        {
            l.Root.Add(0, 2, $"Protocol: {Describe.EtherTypeName(sll.Protocol)} (0x{sll.Protocol:x4})");
            l.Root.Add(4, 4, $"Interface index: {sll.InterfaceIndex}");
            l.Root.Add(8, 2, $"Link-layer address type: {sll.ArphrdType}");
            l.Root.Add(10, 1, $"Packet type: {sll.PacketTypeName} ({sll.PacketType})");
            l.Root.Add(11, 1, $"Link-layer address length: {sll.LinkAddressLength}");
            l.Root.Add(12, 8, $"Source: {LinkAddress(sll)}");
        }
        else
        {
            l.Root.Add(0, 2, $"Packet type: {sll.PacketTypeName} ({sll.PacketType})");
            l.Root.Add(2, 2, $"Link-layer address type: {sll.ArphrdType}");
            l.Root.Add(4, 2, $"Link-layer address length: {sll.LinkAddressLength}");
            l.Root.Add(6, 8, $"Source: {LinkAddress(sll)}");
            l.Root.Add(14, 2, $"Protocol: {Describe.EtherTypeName(sll.Protocol)} (0x{sll.Protocol:x4})");
        }

        return l;
    }

    private static string LinkAddress(SllHeader sll) =>
        sll.LinkAddressLength == 6 ? new MacAddress(sll.LinkAddress).ToString() : $"0x{sll.LinkAddress:x} ({sll.LinkAddressLength} bytes)";

    private static DissectionLayer Arp(ArpPacket a, int at)
    {
        var op = a.Operation switch { 1 => "request", 2 => "reply", _ => a.Operation.ToString(CultureInfo.InvariantCulture) };
        var l = new DissectionLayer("arp", at, ArpPacket.Length, $"Address Resolution Protocol ({op})");
        l.Root.Add(at, 2, $"Hardware type: {(a.HardwareType == 1 ? "Ethernet" : "Unknown")} ({a.HardwareType})");
        l.Root.Add(at + 2, 2, $"Protocol type: {Describe.EtherTypeName(a.ProtocolType)} (0x{a.ProtocolType:x4})");
        l.Root.Add(at + 4, 1, $"Hardware size: {a.HardwareLength}");
        l.Root.Add(at + 5, 1, $"Protocol size: {a.ProtocolLength}");
        l.Root.Add(at + 6, 2, $"Opcode: {op} ({a.Operation})");
        l.Root.Add(at + 8, 6, $"Sender MAC address: {a.SenderMac}");
        l.Root.Add(at + 14, 4, $"Sender IP address: {a.SenderIp}");
        l.Root.Add(at + 18, 6, $"Target MAC address: {a.TargetMac}");
        l.Root.Add(at + 24, 4, $"Target IP address: {a.TargetIp}");
        return l;
    }

    private static DissectionLayer IPv4(ReadOnlySpan<byte> frame, in ParsedFrame f, IPv4Header ip)
    {
        var at = f.NetworkOffset;
        var hlen = (ip.Ihl ?? 5) * 4;
        var l = new DissectionLayer("ip", at, Math.Min(hlen, frame.Length - at), $"Internet Protocol Version 4, Src: {ip.Source}, Dst: {ip.Destination}");
        var r = l.Root;
        var b0 = frame[at];
        r.Add(at, 1, Describe.Bits(b0, 8, 0, 4) + $"Version: {ip.Version}");
        r.Add(at, 1, Describe.Bits(b0, 8, 4, 4) + $"Header Length: {hlen} bytes ({ip.Ihl})");
        var ds = r.Add(at + 1, 1, $"Differentiated Services Field: 0x{ip.Tos:x2} (DSCP: {Describe.Dscp(ip.Dscp)}, ECN: {Describe.Ecn(ip.Ecn)})");
        ds.Add(at + 1, 1, Describe.Bits(ip.Tos, 8, 0, 6) + $"Differentiated Services Codepoint: {Describe.Dscp(ip.Dscp)} ({ip.Dscp})");
        ds.Add(at + 1, 1, Describe.Bits(ip.Tos, 8, 6, 2) + $"Explicit Congestion Notification: {Describe.Ecn(ip.Ecn)} ({ip.Ecn})");
        r.Add(at + 2, 2, $"Total Length: {ip.TotalLength}" + (f.IpTruncated ? $" [only {frame.Length - at} bytes captured]" : ""));
        r.Add(at + 4, 2, $"Identification: 0x{ip.Id:x4} ({ip.Id})");
        var fo = ip.FlagsAndOffset;
        var flagNames = new List<string>();
        if (ip.ReservedFlag) { flagNames.Add("Reserved bit"); }
        if (ip.DontFragment) { flagNames.Add("Don't fragment"); }
        if (ip.MoreFragments) { flagNames.Add("More fragments"); }
        var fl = r.Add(at + 6, 2, $"Flags: 0x{fo >> 13:x1}{(flagNames.Count > 0 ? ", " + string.Join(", ", flagNames) : "")}");
        fl.Add(at + 6, 1, Describe.Bits((uint)(fo >> 8), 8, 0, 1) + $"Reserved bit: {Set(ip.ReservedFlag)}");
        fl.Add(at + 6, 1, Describe.Bits((uint)(fo >> 8), 8, 1, 1) + $"Don't fragment: {Set(ip.DontFragment)}");
        fl.Add(at + 6, 1, Describe.Bits((uint)(fo >> 8), 8, 2, 1) + $"More fragments: {Set(ip.MoreFragments)}");
        r.Add(at + 6, 2, Describe.Bits(fo, 16, 3, 13) + $"Fragment Offset: {ip.FragmentOffset * 8} ({ip.FragmentOffset} × 8 bytes)");
        r.Add(at + 8, 1, $"Time to Live: {ip.Ttl}");
        r.Add(at + 9, 1, $"Protocol: {Describe.IpProtocolName(ip.Protocol ?? 0)} ({ip.Protocol})");
        r.Add(at + 10, 2, $"Header Checksum: 0x{ip.Checksum:x4} [{Verdict(f.IpChecksum(frame))}]");
        r.Add(at + 12, 4, $"Source Address: {ip.Source}  ({Describe.Hex(frame.Slice(at + 12, 4), " ")})");
        r.Add(at + 16, 4, $"Destination Address: {ip.Destination}  ({Describe.Hex(frame.Slice(at + 16, 4), " ")})");
        if (f.IpOptionsLength > 0)
        {
            var opts = r.Add(f.IpOptionsOffset, f.IpOptionsLength, IpOptionsTitle(f.IpOptions(frame)));
            IpOptions(opts, f.IpOptions(frame), f.IpOptionsOffset);
        }

        return l;
    }

    /// <summary>The options as Wireshark's IP dissector shows them: each option's type bits, length, pointer and contents.</summary>
    private static void IpOptions(DissectionNode n, ReadOnlySpan<byte> o, int at)
    {
        foreach (var opt in IPv4Options.Read(o))
        {
            var b = opt.Bytes(o);
            var start = at + opt.Offset;
            var name = IPv4Options.Name(opt.Type);
            if (opt.Truncated)
            {
                var size = opt.Offset + 1 < o.Length ? o[opt.Offset + 1] : 0;
                var what = name ?? $"Unknown (0x{opt.Type:x2})";
                n.Add(start, opt.Length, size < 2
                    ? $"{what} (with option length = {size} byte{(size == 1 ? "" : "s")}; should be >= 2)"
                    : $"{what} (option length = {size} bytes says option goes past end of options)");
                break;
            }

            if (name is null)
            {
                n.Add(start, opt.Length, $"Unknown (0x{opt.Type:x2}) ({opt.Length} bytes)");
                continue;
            }

            var head = opt.Type is IPv4Options.Eol or IPv4Options.Nop ? $"IP Option - {name}" : $"IP Option - {name} ({opt.Length} bytes)";
            if (opt.Type == IPv4Options.RouterAlert && b.Length == 4)
            {
                head += ": " + RouterAlert(BinaryPrimitives.ReadUInt16BigEndian(b[2..]));
            }

            var node = n.Add(start, opt.Length, head);
            var type = node.Add(start, 1, $"Type: {opt.Type}");
            type.Add(start, 1, Describe.Bits(opt.Type, 8, 0, 1) + $"Copy on fragmentation: {(opt.Copied ? "Yes" : "No")}");
            type.Add(start, 1, Describe.Bits(opt.Type, 8, 1, 2) + $"Class: {IPv4Options.ClassName(opt.Class)} ({opt.Class})");
            type.Add(start, 1, Describe.Bits(opt.Type, 8, 3, 5) + $"Number: {IPv4Options.NumberName(opt.Number)} ({opt.Number})");
            if (opt.Type is IPv4Options.Eol or IPv4Options.Nop)
            {
                continue;
            }

            node.Add(start + 1, 1, $"Length: {opt.Length}");
            switch (opt.Type)
            {
                case IPv4Options.RecordRoute or IPv4Options.Lsrr or IPv4Options.Ssrr when b.Length >= 3:
                    node.Add(start + 2, 1, $"Pointer: {b[2]}");
                    foreach (var slot in IPv4Options.Route(opt, o))
                    {
                        node.Add(start + slot.Offset, 4, $"{slot.Label}: {slot.Address}{(slot.Next ? " <- (next)" : "")}");
                    }

                    break;
                case IPv4Options.Timestamp when b.Length >= 4:
                    node.Add(start + 2, 1, $"Pointer: {b[2]}");
                    node.Add(start + 3, 1, Describe.Bits(b[3], 8, 0, 4) + $"Overflow: {b[3] >> 4}");
                    node.Add(start + 3, 1, Describe.Bits(b[3], 8, 4, 4) + $"Flag: {IPv4Options.TimestampFlagName(b[3] & 0xF)} (0x{b[3] & 0xF:x1})");
                    var entries = IPv4Options.Timestamps(opt, o, out var overrun);
                    foreach (var entry in entries)
                    {
                        if (entry.Address is { } address)
                        {
                            node.Add(start + entry.Offset, 4, $"Address: {address}");
                            node.Add(start + entry.Offset + 4, 4, $"Time stamp: {entry.Stamp}");
                        }
                        else
                        {
                            node.Add(start + entry.Offset, 4, $"Time stamp: {entry.Stamp}");
                        }
                    }

                    if (overrun)
                    {
                        node.Add(start, opt.Length, "Suboption would go past end of option");
                    }

                    break;
                case IPv4Options.RouterAlert when b.Length == 4:
                    node.Add(start + 2, 2, "Router Alert: " + RouterAlert(BinaryPrimitives.ReadUInt16BigEndian(b[2..])));
                    break;
                case IPv4Options.Security when b.Length == 11:
                    var level = BinaryPrimitives.ReadUInt16BigEndian(b[2..]);
                    node.Add(start + 2, 2, $"Security: {IPv4Options.SecurityLevelName(level)} (0x{level:x4})");
                    node.Add(start + 4, 2, $"Compartments: {BinaryPrimitives.ReadUInt16BigEndian(b[4..])}");
                    node.Add(start + 6, 2, $"Handling Restrictions: {Printable(b.Slice(6, 2)).Replace(".", "", StringComparison.Ordinal)}");
                    node.Add(start + 8, 3, $"Transmission Control Code: {Printable(b.Slice(8, 3)).Replace(".", "", StringComparison.Ordinal)}");
                    break;
                case IPv4Options.Security when b.Length >= 3:
                    node.Add(start + 2, 1, $"Classification Level: {IPv4Options.ClassificationName(b[2])} (0x{b[2]:x2})");
                    break;
            }
        }
    }

    /// <summary>The option names after <c>Options: (N bytes)</c>, as Wireshark lists them (no NOP or EOL).</summary>
    public static string IpOptionsTitle(ReadOnlySpan<byte> o)
    {
        var names = new List<string>();
        foreach (var opt in IPv4Options.Read(o))
        {
            if (opt.Type is not (IPv4Options.Eol or IPv4Options.Nop) && !opt.Truncated && IPv4Options.Name(opt.Type) is { } name)
            {
                names.Add(name);
            }
        }

        return $"Options: ({o.Length} bytes)" + string.Concat(names.Select(x => ", " + x));
    }

    private static string RouterAlert(ushort value) => value == 0 ? "Router shall examine packet (0)" : $"Unknown ({value})";

    private static DissectionLayer Tcp(ReadOnlySpan<byte> frame, in ParsedFrame f, TcpHeader t, RelativeSeq? rel)
    {
        var at = f.TransportOffset;
        var hlen = (t.DataOffset ?? 5) * 4;
        var relSeq = rel?.Seq;
        var l = new DissectionLayer("tcp", at, Math.Min(hlen, frame.Length - at),
            $"Transmission Control Protocol, Src Port: {t.SourcePort}, Dst Port: {t.DestinationPort}, Seq: {relSeq ?? t.Seq.Value}{(t.Has(TcpFlags.Ack) ? $", Ack: {(rel is { AckKnown: true } ra ? ra.Ack : t.Ack.Value)}" : "")}, Len: {f.SegmentLength}");
        var r = l.Root;
        r.Add(at, 2, $"Source Port: {t.SourcePort}");
        r.Add(at + 2, 2, $"Destination Port: {t.DestinationPort}");
        r.Note($"TCP Segment Len: {f.SegmentLength}" + (f.SegmentLength > f.PayloadLength ? $" ({f.PayloadLength} captured)" : ""));
        r.Add(at + 4, 4, relSeq is { } rs ? $"Sequence Number: {rs}    (relative sequence number)" : $"Sequence Number: {t.Seq}");
        r.Add(at + 4, 4, $"Sequence Number (raw): {t.Seq}");
        r.Note($"Next Sequence Number: {(relSeq ?? t.Seq.Value) + (uint)SequenceSpace.Of(t.Flags, f.SegmentLength)}");
        r.Add(at + 8, 4, rel is { AckKnown: true } rr ? $"Acknowledgment Number: {rr.Ack}    (relative ack number)" : $"Acknowledgment Number: {(t.Has(TcpFlags.Ack) ? t.Ack.Value.ToString(CultureInfo.InvariantCulture) : "0")}");
        r.Add(at + 8, 4, $"Acknowledgment number (raw): {t.Ack}");
        var word = BinaryPrimitives.ReadUInt16BigEndian(frame[(at + 12)..]);
        r.Add(at + 12, 1, Describe.Bits((uint)(word >> 8), 8, 0, 4) + $"Header Length: {hlen} bytes ({t.DataOffset})");
        var fl = r.Add(at + 12, 2, $"Flags: 0x{word & 0xFFF:x3} ({FlagWords(t.Flags)})");
        fl.Add(at + 12, 2, Describe.Bits(word, 12, 0, 3) + $"Reserved: {(t.Reserved == 0 ? "Not set" : t.Reserved.ToString(CultureInfo.InvariantCulture))}");
        (TcpFlags Flag, string Name)[] bits =
        [
            (TcpFlags.Ns, "Accurate ECN (NS)"), (TcpFlags.Cwr, "Congestion Window Reduced"), (TcpFlags.Ece, "ECN-Echo"),
            (TcpFlags.Urg, "Urgent"), (TcpFlags.Ack, "Acknowledgment"), (TcpFlags.Psh, "Push"), (TcpFlags.Rst, "Reset"),
            (TcpFlags.Syn, "Syn"), (TcpFlags.Fin, "Fin"),
        ];
        for (var i = 0; i < bits.Length; i++)
        {
            fl.Add(at + 12, 2, Describe.Bits((uint)(word & 0xFFF), 12, 3 + i, 1) + $"{bits[i].Name}: {Set(t.Has(bits[i].Flag))}");
        }

        fl.Note($"TCP Flags: {TcpFlagString(t.Flags)}");
        r.Add(at + 14, 2, $"Window: {t.Window}");
        if (rel is { WindowShift: >= 0 } ws && !t.Has(TcpFlags.Syn))
        {
            r.Note($"Calculated window size: {ws.Window(t.Window, false)} (window size scaling factor: {1 << ws.WindowShift})");
        }
        r.Add(at + 16, 2, $"Checksum: 0x{t.Checksum:x4} [{Verdict(f.TransportChecksum(frame))}]");
        r.Add(at + 18, 2, $"Urgent Pointer: {t.Urgent}");
        if (f.TcpOptionsLength > 0)
        {
            var opts = r.Add(f.TcpOptionsOffset, f.TcpOptionsLength, $"Options: ({f.TcpOptionsLength} bytes){OptionList(f.TcpOptions(frame))}");
            var e = new TcpOptionReader(f.TcpOptions(frame)).GetEnumerator();
            var last = 0;
            while (e.MoveNext())
            {
                var o = e.Current;
                var oat = f.TcpOptionsOffset + o.Offset;
                last = o.Offset + o.Length;
                var text = o.Kind switch
                {
                    TcpOptionKind.Mss => $"Maximum segment size: {o.Mss} bytes",
                    TcpOptionKind.WindowScale => $"Window scale: {o.WindowScale} (multiply by {1L << Math.Min((int)o.WindowScale, 30)})",
                    TcpOptionKind.SackPermitted => "SACK permitted",
                    TcpOptionKind.Timestamps => $"Timestamps: TSval {o.TsVal}, TSecr {o.TsEcr}",
                    TcpOptionKind.Sack => "SACK " + SackText(o),
                    TcpOptionKind.Nop or TcpOptionKind.EndOfOptions => Describe.TcpOptionName(o.Kind),
                    _ => $"{Describe.TcpOptionName(o.Kind)}, length {o.Length}: {Describe.Hex(o.Data, " ")}",
                };
                var on = opts.Add(oat, o.Length, "TCP Option - " + text);
                if (o.Length > 1)
                {
                    on.Add(oat, 1, $"Kind: {Describe.TcpOptionName(o.Kind)} ({(byte)o.Kind})");
                    on.Add(oat + 1, 1, $"Length: {o.Length}");
                }
            }

            if (e.Malformed is { } bad)
            {
                opts.Add(f.TcpOptionsOffset + last, f.TcpOptionsLength - last, "[malformed: " + bad + "]");
            }
            else if (last < f.TcpOptionsLength)
            {
                opts.Add(f.TcpOptionsOffset + last, f.TcpOptionsLength - last, $"Padding after EOL ({f.TcpOptionsLength - last} bytes)");
            }
        }

        return l;
    }

    private static string SackText(TcpOption o)
    {
        var parts = new List<string>();
        for (var i = 0; i < o.SackBlockCount; i++)
        {
            var (left, right) = o.SackBlock(i);
            parts.Add($"left edge {left} right edge {right}");
        }

        return string.Join(", ", parts);
    }

    private static string OptionList(ReadOnlySpan<byte> options)
    {
        var names = new List<string>();
        foreach (var o in new TcpOptionReader(options))
        {
            names.Add(o.Kind switch
            {
                TcpOptionKind.Mss => "Maximum segment size",
                TcpOptionKind.WindowScale => "Window scale",
                TcpOptionKind.SackPermitted => "SACK permitted",
                TcpOptionKind.Timestamps => "Timestamps",
                TcpOptionKind.Sack => "SACK",
                TcpOptionKind.Nop => "No-Operation (NOP)",
                TcpOptionKind.EndOfOptions => "End of Option List (EOL)",
                _ => $"Kind {(byte)o.Kind}",
            });
        }

        return names.Count == 0 ? "" : ", " + string.Join(", ", names);
    }

    private static DissectionLayer Icmp(ReadOnlySpan<byte> frame, in ParsedFrame f, IcmpHeader icmp)
    {
        var at = f.TransportOffset;
        var l = new DissectionLayer("icmp", at, frame.Length - at - f.TrailerLength, "Internet Control Message Protocol");
        var r = l.Root;
        r.Add(at, 1, $"Type: {icmp.Type} ({Describe.IcmpType(icmp.Type, icmp.Code)})");
        r.Add(at + 1, 1, $"Code: {icmp.Code}");
        r.Add(at + 2, 2, $"Checksum: 0x{icmp.Checksum:x4} [{Verdict(f.TransportChecksum(frame))}]");
        if (icmp.Type is IcmpHeader.EchoRequest or IcmpHeader.EchoReply)
        {
            r.Add(at + 4, 2, $"Identifier (BE): {icmp.Identifier} (0x{icmp.Identifier:x4})");
            r.Add(at + 6, 2, $"Sequence Number (BE): {icmp.SequenceNumber} (0x{icmp.SequenceNumber:x4})");
            if (f.PayloadLength > 0)
            {
                r.Add(f.PayloadOffset, f.PayloadLength, $"Data ({f.PayloadLength} bytes): {Describe.Hex(f.Payload(frame)[..Math.Min(f.PayloadLength, 32)])}{(f.PayloadLength > 32 ? "…" : "")}");
            }
        }
        else
        {
            r.Add(at + 4, 4, icmp.Type == 3 && icmp.Code == 4 ? $"MTU of next hop: {icmp.RestOfHeader & 0xFFFF}" : $"Unused / rest of header: 0x{icmp.RestOfHeader:x8}");
            if (f.IcmpQuote is { } q)
            {
                var qn = r.Add(q.Offset, f.PayloadLength, $"Quoted datagram: Internet Protocol Version 4, Src: {q.Ip.Source}, Dst: {q.Ip.Destination}");
                qn.Add(q.Offset + 8, 1, $"Time to Live: {q.Ip.Ttl}");
                qn.Add(q.Offset + 9, 1, $"Protocol: {Describe.IpProtocolName(q.Ip.Protocol ?? 0)} ({q.Ip.Protocol})");
                qn.Add(q.Offset + 4, 2, $"Identification: 0x{q.Ip.Id:x4} ({q.Ip.Id})");
                var qt = q.Offset + ((q.Ip.Ihl ?? 5) * 4);
                if (q.SourcePort is { } sp && q.DestinationPort is { } dp)
                {
                    var name = q.Ip.Protocol == (byte)IpProtocol.Tcp ? "Transmission Control Protocol" : "User Datagram Protocol";
                    var tn = qn.Add(qt, Math.Min(8, frame.Length - qt), $"{name}, Src Port: {sp}, Dst Port: {dp}");
                    tn.Add(qt, 2, $"Source Port: {sp}");
                    tn.Add(qt + 2, 2, $"Destination Port: {dp}");
                    if (q.TcpSeq is { } s)
                    {
                        tn.Add(qt + 4, 4, $"Sequence Number (raw): {s}");
                    }
                }
            }
        }

        return l;
    }

    private static string Set(bool b) => b ? "Set" : "Not set";

    private static string FlagWords(TcpFlags flags)
    {
        var w = flags.ToWireshark();
        return w == "[<None>]" ? "<None>" : w[1..^1];
    }

    /// <summary>Wireshark's compact flag string: <c>··········S·</c> (12 positions: 3 reserved, then A C E U A P R S F).</summary>
    public static string TcpFlagString(TcpFlags f)
    {
        Span<char> s = stackalloc char[12];
        s.Fill('·');
        if (f.HasFlag(TcpFlags.Ns)) { s[3] = 'A'; }
        if (f.HasFlag(TcpFlags.Cwr)) { s[4] = 'C'; }
        if (f.HasFlag(TcpFlags.Ece)) { s[5] = 'E'; }
        if (f.HasFlag(TcpFlags.Urg)) { s[6] = 'U'; }
        if (f.HasFlag(TcpFlags.Ack)) { s[7] = 'A'; }
        if (f.HasFlag(TcpFlags.Psh)) { s[8] = 'P'; }
        if (f.HasFlag(TcpFlags.Rst)) { s[9] = 'R'; }
        if (f.HasFlag(TcpFlags.Syn)) { s[10] = 'S'; }
        if (f.HasFlag(TcpFlags.Fin)) { s[11] = 'F'; }
        return new string(s);
    }
}
