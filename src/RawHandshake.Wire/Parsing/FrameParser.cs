using System.Buffers.Binary;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Wire.Parsing;

/// <summary>
/// Parses a captured frame layer by layer. Never throws: truncation anywhere, IHL &lt; 5, a data offset past the end,
/// option lengths of 0/1 or past the header yield a <see cref="ParsedFrame"/> whose <see cref="ParsedFrame.Malformed"/>
/// says what. Allocation-free for well-formed frames (a message string is made only for malformed ones).
/// </summary>
public static class FrameParser
{
    public static ParsedFrame Parse(ReadOnlySpan<byte> frame, LinkType link = LinkType.Ethernet)
    {
        var f = new ParsedFrame { Link = link, Length = frame.Length };
        switch (link)
        {
            case LinkType.Ethernet:
                return ParseEthernet(frame, f);
            case LinkType.LinuxSll:
                return ParseSll(frame, f);
            case LinkType.LinuxSll2:
                return ParseSll2(frame, f);
            case LinkType.Raw:
            case LinkType.Ipv4:
                return ParseNetwork(frame, f with { EtherType = frame.Length > 0 && frame[0] >> 4 == 6 ? (ushort)Protocols.EtherType.IPv6 : (ushort)Protocols.EtherType.IPv4 }, 0);
            case LinkType.Null:
                if (frame.Length < 4)
                {
                    return Bad(f, $"null/loopback header needs 4 bytes, frame has {frame.Length}");
                }

                var family = BinaryPrimitives.ReadUInt32LittleEndian(frame);
                family = family > 0xFFFF ? BinaryPrimitives.ReverseEndianness(family) : family;
                return ParseNetwork(frame, f with { EtherType = family == 2 ? (ushort)Protocols.EtherType.IPv4 : (ushort)0 }, 4);
            default:
                return Bad(f, $"link type {(uint)link} is not supported");
        }
    }

    private static ParsedFrame ParseEthernet(ReadOnlySpan<byte> s, ParsedFrame f)
    {
        if (s.Length < EthernetHeader.Length)
        {
            return Bad(f, $"Ethernet header needs 14 bytes, frame has {s.Length}");
        }

        var type = BinaryPrimitives.ReadUInt16BigEndian(s[12..]);
        var at = 14;
        ushort? tci = null;
        var tags = 0;
        while (type is (ushort)Protocols.EtherType.Vlan or (ushort)Protocols.EtherType.QinQ or 0x9100)
        {
            if (s.Length < at + 4)
            {
                return Bad(f, $"802.1Q tag at byte {at - 2} is cut off (frame has {s.Length} bytes)");
            }

            tci ??= BinaryPrimitives.ReadUInt16BigEndian(s[at..]);
            type = BinaryPrimitives.ReadUInt16BigEndian(s[(at + 2)..]);
            at += 4;
            tags++;
        }

        var eth = new EthernetHeader(MacAddress.Read(s), MacAddress.Read(s[6..]), type) { VlanTci = tci, VlanTags = tags };
        return ParseNetwork(s, f with { Ethernet = eth, EtherType = type }, at);
    }

    private static ParsedFrame ParseSll(ReadOnlySpan<byte> s, ParsedFrame f)
    {
        if (s.Length < 16)
        {
            return Bad(f, $"Linux cooked (SLL) header needs 16 bytes, frame has {s.Length}");
        }

        var alen = BinaryPrimitives.ReadUInt16BigEndian(s[4..]);
        var proto = BinaryPrimitives.ReadUInt16BigEndian(s[14..]);
        var sll = new SllHeader(1, BinaryPrimitives.ReadUInt16BigEndian(s), BinaryPrimitives.ReadUInt16BigEndian(s[2..]), ReadLinkAddress(s.Slice(6, 8), alen), alen, proto, 0);
        return ParseNetwork(s, f with { Sll = sll, EtherType = proto }, 16);
    }

    private static ParsedFrame ParseSll2(ReadOnlySpan<byte> s, ParsedFrame f)
    {
        if (s.Length < 20)
        {
            return Bad(f, $"Linux cooked (SLL2) header needs 20 bytes, frame has {s.Length}");
        }

        var proto = BinaryPrimitives.ReadUInt16BigEndian(s);
        var sll = new SllHeader(2, s[10], BinaryPrimitives.ReadUInt16BigEndian(s[8..]), ReadLinkAddress(s.Slice(12, 8), s[11]), s[11], proto, BinaryPrimitives.ReadInt32BigEndian(s[4..]));
        return ParseNetwork(s, f with { Sll = sll, EtherType = proto }, 20);
    }

    private static ulong ReadLinkAddress(ReadOnlySpan<byte> bytes, int length)
    {
        ulong v = 0;
        for (var i = 0; i < Math.Min(length, 8); i++)
        {
            v = (v << 8) | bytes[i];
        }

        return v;
    }

    private static ParsedFrame ParseNetwork(ReadOnlySpan<byte> s, ParsedFrame f, int at)
    {
        f = f with { NetworkOffset = at, PayloadOffset = at, PayloadLength = s.Length - at };
        return f.EtherType switch
        {
            (ushort)Protocols.EtherType.IPv4 => ParseIPv4(s, f, at),
            (ushort)Protocols.EtherType.Arp => ParseArp(s, f, at),
            _ => f,
        };
    }

    private static ParsedFrame ParseArp(ReadOnlySpan<byte> s, ParsedFrame f, int at)
    {
        if (s.Length < at + 8)
        {
            return Bad(f, $"ARP header at byte {at} is cut off ({s.Length - at} of 8 bytes)");
        }

        if (s[at + 4] != 6 || s[at + 5] != 4)
        {
            return Bad(f, $"ARP with hardware length {s[at + 4]} and protocol length {s[at + 5]} is not Ethernet/IPv4");
        }

        if (s.Length < at + ArpPacket.Length)
        {
            return Bad(f, $"ARP packet at byte {at} is cut off ({s.Length - at} of 28 bytes)");
        }

        return f with { Arp = ArpPacket.Read(s[at..]), PayloadOffset = at + ArpPacket.Length, PayloadLength = 0, TrailerLength = s.Length - at - ArpPacket.Length };
    }

    private static ParsedFrame ParseIPv4(ReadOnlySpan<byte> s, ParsedFrame f, int at)
    {
        var avail = s.Length - at;
        if (avail < IPv4Header.MinLength)
        {
            return Bad(f, $"IPv4 header at byte {at} is cut off ({avail} of 20 bytes)");
        }

        var ip = IPv4Header.ReadFixed(s[at..]);
        if (ip.Version != 4)
        {
            return Bad(f with { IPv4 = ip }, $"IPv4 version field is {ip.Version}, expected 4");
        }

        var hlen = ip.Ihl!.Value * 4;
        if (hlen < IPv4Header.MinLength)
        {
            return Bad(f with { IPv4 = ip }, $"IPv4 IHL is {ip.Ihl} ({hlen} bytes), less than 5 (20 bytes)");
        }

        if (hlen > avail)
        {
            return Bad(f with { IPv4 = ip }, $"IPv4 IHL is {ip.Ihl} ({hlen} bytes), past the end of the frame ({avail} bytes left)");
        }

        var total = ip.TotalLength!.Value;
        if (total < hlen)
        {
            return Bad(f with { IPv4 = ip, IpOptionsOffset = at + 20, IpOptionsLength = hlen - 20 }, $"IPv4 total length {total} is less than the header length {hlen}");
        }

        var truncated = total > avail;
        var end = at + Math.Min(total, avail);
        f = f with
        {
            IPv4 = ip,
            IpOptionsOffset = at + IPv4Header.MinLength,
            IpOptionsLength = hlen - IPv4Header.MinLength,
            IpPayloadOffset = at + hlen,
            IpPayloadLength = end - at - hlen,
            IpTruncated = truncated,
            TrailerLength = s.Length - end,
            PayloadOffset = at + hlen,
            PayloadLength = end - at - hlen,
        };

        if (ip.FragmentOffset != 0)
        {
            return f; // a later fragment: no transport header here
        }

        var seg = s[(at + hlen)..end];
        var segAt = at + hlen;
        return ip.Protocol switch
        {
            (byte)IpProtocol.Tcp => ParseTcp(seg, f, segAt),
            (byte)IpProtocol.Udp => ParseUdp(seg, f, segAt),
            (byte)IpProtocol.Icmp => ParseIcmp(seg, f, segAt),
            _ => f,
        };
    }

    private static ParsedFrame ParseTcp(ReadOnlySpan<byte> seg, ParsedFrame f, int at)
    {
        f = f with { TransportOffset = at };
        if (seg.Length < TcpHeader.MinLength)
        {
            return Bad(f, $"TCP header at byte {at} is cut off ({seg.Length} of 20 bytes)");
        }

        var tcp = TcpHeader.ReadFixed(seg);
        var hlen = tcp.DataOffset!.Value * 4;
        f = f with { Tcp = tcp, TcpOptionsOffset = at + 20, PayloadOffset = at + 20, PayloadLength = 0 };
        if (hlen < TcpHeader.MinLength)
        {
            return Bad(f, $"TCP data offset is {tcp.DataOffset} ({hlen} bytes), less than 5 (20 bytes)");
        }

        if (hlen > seg.Length)
        {
            return Bad(f, $"TCP data offset is {tcp.DataOffset} ({hlen} bytes), past the end of the segment ({seg.Length} bytes)");
        }

        f = f with { TcpOptionsLength = hlen - 20, PayloadOffset = at + hlen, PayloadLength = seg.Length - hlen };
        var e = new TcpOptionReader(seg[20..hlen]).GetEnumerator();
        while (e.MoveNext())
        {
        }

        return e.Malformed is { } why ? Bad(f, why) : f;
    }

    private static ParsedFrame ParseUdp(ReadOnlySpan<byte> seg, ParsedFrame f, int at)
    {
        f = f with { TransportOffset = at };
        if (seg.Length < UdpHeader.HeaderLength)
        {
            return Bad(f, $"UDP header at byte {at} is cut off ({seg.Length} of 8 bytes)");
        }

        var udp = UdpHeader.Read(seg);
        var len = Math.Clamp(udp.Length - 8, 0, seg.Length - 8);
        f = f with { Udp = udp, PayloadOffset = at + 8, PayloadLength = len };
        return udp.Length < 8 ? Bad(f, $"UDP length {udp.Length} is less than 8") : f;
    }

    private static ParsedFrame ParseIcmp(ReadOnlySpan<byte> seg, ParsedFrame f, int at)
    {
        f = f with { TransportOffset = at };
        if (seg.Length < IcmpHeader.HeaderLength)
        {
            return Bad(f, $"ICMP header at byte {at} is cut off ({seg.Length} of 8 bytes)");
        }

        var icmp = IcmpHeader.Read(seg);
        f = f with { Icmp = icmp, PayloadOffset = at + 8, PayloadLength = seg.Length - 8 };
        if (!icmp.QuotesDatagram)
        {
            return f;
        }

        var q = seg[8..];
        if (q.Length < IPv4Header.MinLength)
        {
            return f; // nothing quoted worth decoding; not an error in itself
        }

        var inner = IPv4Header.ReadFixed(q);
        var ihl = inner.Ihl!.Value * 4;
        if (inner.Version != 4 || ihl < 20 || ihl > q.Length)
        {
            return f with { IcmpQuote = new IcmpQuote(inner, at + 8, null, null, null) };
        }

        var t = q[ihl..];
        ushort? sp = t.Length >= 4 ? BinaryPrimitives.ReadUInt16BigEndian(t) : null;
        ushort? dp = t.Length >= 4 ? BinaryPrimitives.ReadUInt16BigEndian(t[2..]) : null;
        SeqNum? seq = t.Length >= 8 && inner.Protocol == (byte)IpProtocol.Tcp ? new SeqNum(BinaryPrimitives.ReadUInt32BigEndian(t[4..])) : null;
        return f with { IcmpQuote = new IcmpQuote(inner, at + 8, inner.Protocol is 6 or 17 ? sp : null, inner.Protocol is 6 or 17 ? dp : null, seq) };
    }

    private static ParsedFrame Bad(ParsedFrame f, string why) => f with { Malformed = "malformed: " + why };
}
