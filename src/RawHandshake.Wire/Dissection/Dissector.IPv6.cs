using System.Buffers.Binary;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Wire.Dissection;

/// <summary>The IPv6 and ICMPv6 layers of the field tree.</summary>
public static partial class Dissector
{
    /// <summary>The name tshark gives an extension header.</summary>
    public static string ExtensionName(byte type) => type switch
    {
        IPv6ExtensionHeader.HopByHop => "Hop-by-Hop Options",
        IPv6ExtensionHeader.Routing => "Routing Header",
        IPv6ExtensionHeader.Fragment => "Fragment Header",
        IPv6ExtensionHeader.AuthenticationHeader => "Authentication Header",
        IPv6ExtensionHeader.DestinationOptions => "Destination Options",
        IPv6ExtensionHeader.Mobility => "Mobility Header",
        IPv6ExtensionHeader.Hip => "Host Identity Protocol",
        IPv6ExtensionHeader.Shim6 => "Shim6",
        _ => $"Extension header {type}",
    };

    private static DissectionLayer IPv6(ReadOnlySpan<byte> frame, in ParsedFrame f, IPv6Header ip)
    {
        var at = f.NetworkOffset;
        var l = new DissectionLayer("ipv6", at, Math.Min(IPv6Header.Length + f.Ipv6ExtensionsLength, frame.Length - at), $"Internet Protocol Version 6, Src: {ip.Source}, Dst: {ip.Destination}");
        var r = l.Root;
        var w = BinaryPrimitives.ReadUInt32BigEndian(frame[at..]);
        r.Add(at, 1, Describe.Bits(w >> 24, 8, 0, 4) + $"Version: {ip.Version}");
        var tc = r.Add(at, 2, $"Traffic Class: 0x{ip.TrafficClass:x2} (DSCP: {Describe.Dscp(ip.Dscp)}, ECN: {Describe.Ecn(ip.Ecn)})");
        tc.Add(at, 2, Describe.Bits(w >> 16, 16, 4, 6) + $"Differentiated Services Codepoint: {Describe.Dscp(ip.Dscp)} ({ip.Dscp})");
        tc.Add(at, 2, Describe.Bits(w >> 16, 16, 10, 2) + $"Explicit Congestion Notification: {Describe.Ecn(ip.Ecn)} ({ip.Ecn})");
        r.Add(at + 1, 3, $"Flow Label: 0x{ip.FlowLabel:x5}");
        r.Add(at + 4, 2, $"Payload Length: {ip.PayloadLength}" + (f.IpTruncated ? $" [only {frame.Length - at - IPv6Header.Length} bytes captured]" : ""));
        r.Add(at + 6, 1, $"Next Header: {NextHeaderName(ip.NextHeader ?? 0)} ({ip.NextHeader})");
        r.Add(at + 7, 1, $"Hop Limit: {ip.HopLimit}");
        r.Add(at + 8, 16, $"Source Address: {ip.Source}");
        r.Add(at + 24, 16, $"Destination Address: {ip.Destination}");
        if (f.Ipv6PseudoDestination != ip.Destination)
        {
            r.Note($"Final destination (routing header): {f.Ipv6PseudoDestination}");
        }

        if (f.Ipv6ExtensionsLength > 0)
        {
            foreach (var x in new IPv6ExtensionReader(f.Ipv6Extensions(frame), ip.NextHeader ?? 0, f.Ipv6ExtensionsOffset))
            {
                var body = frame.Slice(x.Offset, x.Length);
                var n = r.Add(x.Offset, x.Length, $"IPv6 {ExtensionName(x.Type)}");
                n.Add(x.Offset, 1, $"Next Header: {NextHeaderName(x.NextHeader)} ({x.NextHeader})");
                if (x.Type == IPv6ExtensionHeader.Fragment)
                {
                    var fw = BinaryPrimitives.ReadUInt16BigEndian(body[2..]);
                    n.Add(x.Offset + 2, 2, Describe.Bits(fw, 16, 0, 13) + $"Offset: {fw >> 3} ({(fw >> 3) * 8} bytes)");
                    n.Add(x.Offset + 2, 2, Describe.Bits(fw, 16, 15, 1) + $"More Fragments: {((fw & 1) != 0 ? "Yes" : "No")}");
                    n.Add(x.Offset + 4, 4, $"Identification: 0x{BinaryPrimitives.ReadUInt32BigEndian(body[4..]):x8}");
                    continue;
                }

                n.Add(x.Offset + 1, 1, $"Length: {body[1]} ({x.Length} bytes)");
                if (x.Type == IPv6ExtensionHeader.Routing)
                {
                    n.Add(x.Offset + 2, 1, $"Type: {body[2]}");
                    n.Add(x.Offset + 3, 1, $"Segments Left: {body[3]}");
                }

                if (x.Type is IPv6ExtensionHeader.HopByHop or IPv6ExtensionHeader.DestinationOptions)
                {
                    Ipv6Options(n, body[2..], x.Offset + 2);
                }
                else
                {
                    n.Add(x.Offset + 2, x.Length - 2, "Data: " + Describe.Hex(body[2..]));
                }

                if (x.Offset + x.Length >= f.IpPayloadOffset)
                {
                    break; // a later fragment: nothing after its fragment header is a header
                }
            }
        }

        return l;
    }

    private static void Ipv6Options(DissectionNode n, ReadOnlySpan<byte> opts, int at)
    {
        for (var i = 0; i < opts.Length;)
        {
            if (opts[i] == 0)
            {
                n.Add(at + i, 1, "Pad1");
                i++;
                continue;
            }

            var len = i + 1 < opts.Length ? opts[i + 1] : 0;
            var size = Math.Min(2 + len, opts.Length - i);
            var name = opts[i] switch
            {
                1 => "PadN",
                5 => "Router Alert",
                0xC2 => "Jumbo Payload",
                0x1E or 0x3E or 0x5E or 0x7E or 0x9E or 0xBE or 0xDE or 0xFE => "Experimental",
                var t => $"Option type 0x{t:x2}",
            };
            n.Add(at + i, size, $"{name} (length {len}){(size > 2 ? ": " + Describe.Hex(opts.Slice(i + 2, size - 2)) : "")}");
            i += size;
        }
    }

    /// <summary>An IPv6 next-header value by name: an extension header, an upper layer, or "no next header".</summary>
    public static string NextHeaderName(byte nh) =>
        nh == IPv6ExtensionHeader.NoNextHeader ? "No Next Header for IPv6"
        : IPv6ExtensionHeader.IsExtension(nh) ? "IPv6 " + ExtensionName(nh)
        : Describe.IpProtocolName(nh);

    private static DissectionLayer Icmpv6(ReadOnlySpan<byte> frame, in ParsedFrame f, Icmpv6Header icmp)
    {
        var at = f.TransportOffset;
        var l = new DissectionLayer("icmpv6", at, frame.Length - at - f.TrailerLength, "Internet Control Message Protocol v6");
        var r = l.Root;
        var code = Icmpv6InfoText.CodeName(icmp.Type, icmp.Code, icmp.RestOfHeader);
        r.Add(at, 1, $"Type: {Icmpv6InfoText.TypeName(icmp.Type)} ({icmp.Type})");
        r.Add(at + 1, 1, $"Code: {icmp.Code}{(code is null ? "" : $" ({code})")}");
        r.Add(at + 2, 2, $"Checksum: 0x{icmp.Checksum:x4} [{Verdict(f.TransportChecksum(frame))}]");
        switch (icmp.Type)
        {
            case Icmpv6Header.EchoRequest or Icmpv6Header.EchoReply:
                r.Add(at + 4, 2, $"Identifier: 0x{icmp.Identifier:x4}");
                r.Add(at + 6, 2, $"Sequence: {icmp.SequenceNumber}");
                if (f.PayloadLength > 0)
                {
                    r.Add(f.PayloadOffset, f.PayloadLength, $"Data ({f.PayloadLength} bytes): {Describe.Hex(f.Payload(frame)[..Math.Min(f.PayloadLength, 32)])}{(f.PayloadLength > 32 ? "…" : "")}");
                }

                break;
            case Icmpv6Header.PacketTooBig:
                r.Add(at + 4, 4, $"MTU: {icmp.RestOfHeader}");
                break;
            case Icmpv6Header.ParameterProblem:
                r.Add(at + 4, 4, $"Pointer: {icmp.RestOfHeader}");
                break;
            default:
                r.Add(at + 4, 4, $"Reserved / flags: 0x{icmp.RestOfHeader:x8}");
                break;
        }

        if (f.Icmpv6Quote is { } q)
        {
            var qn = r.Add(q.Offset, frame.Length - q.Offset - f.TrailerLength, $"Quoted packet: Internet Protocol Version 6, Src: {q.Ip.Source}, Dst: {q.Ip.Destination}");
            qn.Add(q.Offset + 4, 2, $"Payload Length: {q.Ip.PayloadLength}");
            qn.Add(q.Offset + 7, 1, $"Hop Limit: {q.Ip.HopLimit}");
            if (q.Protocol is { } p)
            {
                qn.Note($"Upper layer: {Describe.IpProtocolName(p)} ({p})");
            }

            if (q.SourcePort is { } sp && q.DestinationPort is { } dp)
            {
                qn.Note($"Source Port: {sp}, Destination Port: {dp}" + (q.TcpSeq is { } s ? $", Sequence Number (raw): {s}" : ""));
            }
        }

        if (f.Ndp is { } m)
        {
            if (m.Target is { } target)
            {
                r.Add(at + 8, 16, $"Target Address: {target}");
            }

            if (m.Type == Icmpv6Header.NeighborAdvertisement)
            {
                r.Add(at + 4, 4, $"Flags: Router {Set(m.Router)}, Solicited {Set(m.Solicited)}, Override {Set(m.Override)}");
            }

            if (m.Type == Icmpv6Header.RouterAdvertisement)
            {
                r.Add(at + 4, 1, $"Cur hop limit: {m.CurHopLimit}");
                r.Add(at + 5, 1, $"Flags: Managed {Set(m.Managed)}, Other {Set(m.OtherConfig)}");
                r.Add(at + 6, 2, $"Router lifetime (s): {m.RouterLifetime}");
                r.Add(at + 8, 4, $"Reachable time (ms): {m.ReachableTime}");
                r.Add(at + 12, 4, $"Retrans timer (ms): {m.RetransTimer}");
            }

            foreach (var o in new NdpOptionReader(frame.Slice(m.OptionsOffset, Math.Min(m.OptionsLength, frame.Length - m.OptionsOffset)), m.OptionsOffset))
            {
                var opt = frame.Slice(o.Offset, o.Length);
                var text = o.Type switch
                {
                    NdpOption.SourceLinkAddress => $"Source link-layer address: {MacAddress.Read(opt[2..])}",
                    NdpOption.TargetLinkAddress => $"Target link-layer address: {MacAddress.Read(opt[2..])}",
                    NdpOption.Mtu => $"MTU: {BinaryPrimitives.ReadUInt32BigEndian(opt[4..])}",
                    NdpOption.PrefixInformation when o.Length >= 32 => NdpPrefix.Read(opt) is var p
                        ? $"Prefix information: {p.Prefix}/{p.PrefixLength}, on-link {Set(p.OnLink)}, autonomous {Set(p.Autonomous)}, valid {p.ValidLifetime} s, preferred {p.PreferredLifetime} s"
                        : "",
                    _ => $"Option {o.Type} ({o.Length} bytes): {Describe.Hex(opt[2..])}",
                };
                r.Add(o.Offset, o.Length, "ICMPv6 Option (" + text + ")");
            }
        }

        return l;
    }
}
