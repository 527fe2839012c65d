using System.Buffers.Binary;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Wire.Parsing;

/// <summary>
/// Parses a captured frame layer by layer. Never throws: truncation anywhere, IHL &lt; 5, a data offset past the end,
/// option lengths of 0/1 or past the header yield a <see cref="ParsedFrame"/> whose <see cref="ParsedFrame.Malformed"/>
/// says what. Allocation-free for well-formed frames (a message string is made only for malformed ones); the result
/// is filled in place, one layer after another.
/// </summary>
public static class FrameParser
{
    public static ParsedFrame Parse(ReadOnlySpan<byte> frame, LinkType link = LinkType.Ethernet)
    {
        var f = new ParsedFrame { Link = link, Length = frame.Length };
        ParseInto(frame, link, ref f);
        return f;
    }

    /// <summary>The same, filling the caller's <paramref name="f"/> in place (no copy of the result on the hot path).</summary>
    public static void Parse(ReadOnlySpan<byte> frame, LinkType link, out ParsedFrame f)
    {
        f = new ParsedFrame { Link = link, Length = frame.Length };
        ParseInto(frame, link, ref f);
    }

    private static void ParseInto(ReadOnlySpan<byte> frame, LinkType link, ref ParsedFrame f)
    {
        switch (link)
        {
            case LinkType.Ethernet:
                ParseEthernet(frame, ref f);
                return;
            case LinkType.LinuxSll:
                ParseSll(frame, ref f);
                return;
            case LinkType.LinuxSll2:
                ParseSll2(frame, ref f);
                return;
            case LinkType.Raw:
            case LinkType.Ipv4:
            case LinkType.Ipv6:
                f.EtherType = frame.Length > 0 && frame[0] >> 4 == 6 ? (ushort)EtherType.IPv6 : (ushort)EtherType.IPv4;
                ParseNetwork(frame, ref f, 0);
                return;
            case LinkType.Null:
                if (frame.Length < 4)
                {
                    Bad(ref f, $"null/loopback header needs 4 bytes, frame has {frame.Length}");
                    return;
                }

                var family = BinaryPrimitives.ReadUInt32LittleEndian(frame);
                family = family > 0xFFFF ? BinaryPrimitives.ReverseEndianness(family) : family;
                f.EtherType = family == 2 ? (ushort)EtherType.IPv4 : family is 10 or 24 or 28 or 30 ? (ushort)EtherType.IPv6 : (ushort)0;
                ParseNetwork(frame, ref f, 4);
                return;
            default:
                Bad(ref f, $"link type {(uint)link} is not supported");
                return;
        }
    }

    private static void ParseEthernet(ReadOnlySpan<byte> s, ref ParsedFrame f)
    {
        if (s.Length < EthernetHeader.Length)
        {
            Bad(ref f, $"Ethernet header needs 14 bytes, frame has {s.Length}");
            return;
        }

        var type = BinaryPrimitives.ReadUInt16BigEndian(s[12..]);
        var at = 14;
        ushort? tci = null;
        var tags = 0;
        while (type is (ushort)EtherType.Vlan or (ushort)EtherType.QinQ or 0x9100)
        {
            if (s.Length < at + 4)
            {
                Bad(ref f, $"802.1Q tag at byte {at - 2} is cut off (frame has {s.Length} bytes)");
                return;
            }

            tci ??= BinaryPrimitives.ReadUInt16BigEndian(s[at..]);
            type = BinaryPrimitives.ReadUInt16BigEndian(s[(at + 2)..]);
            at += 4;
            tags++;
        }

        f.Ethernet = new EthernetHeader(MacAddress.Read(s), MacAddress.Read(s[6..]), type) { VlanTci = tci, VlanTags = tags };
        if (type <= 1500)
        {
            ParseLlc(s, ref f, at, type); // IEEE 802.3: a length, not a type
            return;
        }

        f.EtherType = type;
        ParseNetwork(s, ref f, at);
    }

    /// <summary>An 802.2 LLC header after an 802.3 length; SNAP with OUI 0 carries an EtherType on to the network layer.</summary>
    private static void ParseLlc(ReadOnlySpan<byte> s, ref ParsedFrame f, int at, int length)
    {
        f.NetworkOffset = at;
        f.PayloadOffset = at;
        f.PayloadLength = Math.Max(0, s.Length - at);
        if (s.Length < at + 3 || length < 3)
        {
            Bad(ref f, $"802.2 LLC header at byte {at} is cut off (802.3 length {length}, {Math.Max(0, s.Length - at)} bytes captured)");
            return;
        }

        var end = Math.Min(s.Length, at + length);
        ushort control = s[at + 2];
        var hlen = 3;
        if ((control & 3) != 3)
        {
            if (end < at + 4)
            {
                Bad(ref f, $"802.2 LLC I/S control field at byte {at + 2} is cut off");
                return;
            }

            control |= (ushort)(s[at + 3] << 8);
            hlen = 4;
        }

        f.Llc = new LlcHeader(s[at], s[at + 1], control, hlen);
        f.TrailerLength = s.Length - end;
        if (s[at] == 0xAA && s[at + 1] == 0xAA && control == 3 && end >= at + 8 && s[at + 3] == 0 && s[at + 4] == 0 && s[at + 5] == 0)
        {
            f.EtherType = BinaryPrimitives.ReadUInt16BigEndian(s[(at + 6)..]);
            f.TrailerLength = 0;
            ParseNetwork(s[..end], ref f, at + 8);
            f.TrailerLength += s.Length - end;
            return;
        }

        f.PayloadOffset = at + hlen;
        f.PayloadLength = end - at - hlen;
    }

    private static void ParseSll(ReadOnlySpan<byte> s, ref ParsedFrame f)
    {
        if (s.Length < 16)
        {
            Bad(ref f, $"Linux cooked (SLL) header needs 16 bytes, frame has {s.Length}");
            return;
        }

        var alen = BinaryPrimitives.ReadUInt16BigEndian(s[4..]);
        var proto = BinaryPrimitives.ReadUInt16BigEndian(s[14..]);
        f.Sll = new SllHeader(1, BinaryPrimitives.ReadUInt16BigEndian(s), BinaryPrimitives.ReadUInt16BigEndian(s[2..]), ReadLinkAddress(s.Slice(6, 8), alen), alen, proto, 0);
        f.EtherType = proto;
        ParseNetwork(s, ref f, 16);
    }

    private static void ParseSll2(ReadOnlySpan<byte> s, ref ParsedFrame f)
    {
        if (s.Length < 20)
        {
            Bad(ref f, $"Linux cooked (SLL2) header needs 20 bytes, frame has {s.Length}");
            return;
        }

        var proto = BinaryPrimitives.ReadUInt16BigEndian(s);
        f.Sll = new SllHeader(2, s[10], BinaryPrimitives.ReadUInt16BigEndian(s[8..]), ReadLinkAddress(s.Slice(12, 8), s[11]), s[11], proto, BinaryPrimitives.ReadInt32BigEndian(s[4..]));
        f.EtherType = proto;
        ParseNetwork(s, ref f, 20);
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

    private static void ParseNetwork(ReadOnlySpan<byte> s, ref ParsedFrame f, int at)
    {
        f.NetworkOffset = at;
        f.PayloadOffset = at;
        f.PayloadLength = s.Length - at;
        if (f.EtherType == (ushort)EtherType.IPv4)
        {
            ParseIPv4(s, ref f, at);
        }
        else if (f.EtherType == (ushort)EtherType.IPv6)
        {
            ParseIPv6(s, ref f, at);
        }
        else if (f.EtherType == (ushort)EtherType.Arp)
        {
            ParseArp(s, ref f, at);
        }
    }

    private static void ParseArp(ReadOnlySpan<byte> s, ref ParsedFrame f, int at)
    {
        if (s.Length < at + 8)
        {
            Bad(ref f, $"ARP header at byte {at} is cut off ({s.Length - at} of 8 bytes)");
            return;
        }

        if (s[at + 4] != 6 || s[at + 5] != 4)
        {
            Bad(ref f, $"ARP with hardware length {s[at + 4]} and protocol length {s[at + 5]} is not Ethernet/IPv4");
            return;
        }

        if (s.Length < at + ArpPacket.Length)
        {
            Bad(ref f, $"ARP packet at byte {at} is cut off ({s.Length - at} of 28 bytes)");
            return;
        }

        f.Arp = ArpPacket.Read(s[at..]);
        f.PayloadOffset = at + ArpPacket.Length;
        f.PayloadLength = 0;
        f.TrailerLength = s.Length - at - ArpPacket.Length;
    }

    private static void ParseIPv4(ReadOnlySpan<byte> s, ref ParsedFrame f, int at)
    {
        var avail = s.Length - at;
        if (avail < IPv4Header.MinLength)
        {
            Bad(ref f, $"IPv4 header at byte {at} is cut off ({avail} of 20 bytes)");
            return;
        }

        var ip = IPv4Header.ReadFixed(s[at..]);
        f.IPv4 = ip;
        if (ip.Version != 4)
        {
            Bad(ref f, $"IPv4 version field is {ip.Version}, expected 4");
            return;
        }

        var hlen = ip.Ihl!.Value * 4;
        if (hlen < IPv4Header.MinLength)
        {
            Bad(ref f, $"IPv4 IHL is {ip.Ihl} ({hlen} bytes), less than 5 (20 bytes)");
            return;
        }

        if (hlen > avail)
        {
            Bad(ref f, $"IPv4 IHL is {ip.Ihl} ({hlen} bytes), past the end of the frame ({avail} bytes left)");
            return;
        }

        f.IpOptionsOffset = at + IPv4Header.MinLength;
        f.IpOptionsLength = hlen - IPv4Header.MinLength;
        var total = (int)ip.TotalLength!.Value;
        if (total == 0)
        {
            total = avail; // TSO / BIG TCP captures leave the total length 0: the datagram is what was captured
        }

        if (total < hlen)
        {
            Bad(ref f, $"IPv4 total length {total} is less than the header length {hlen}");
            return;
        }

        var end = at + Math.Min(total, avail);
        UpperLayer(ref f, ip.Protocol, total - hlen, at + hlen, end);
        f.IpTruncated = total > avail;
        f.TrailerLength = s.Length - end;

        if (ip.FragmentOffset != 0)
        {
            return; // a later fragment: no transport header here
        }

        var seg = s[(at + hlen)..end];
        if (ip.MoreFragments && !f.IpTruncated && HeaderGoesOn(ip.Protocol ?? 0, seg))
        {
            return; // a first fragment ending inside the transport header: the rest of it is in the next fragment
        }

        var segAt = at + hlen;
        switch (ip.Protocol)
        {
            case (byte)IpProtocol.Tcp:
                ParseTcp(seg, ref f, segAt);
                break;
            case (byte)IpProtocol.Udp:
                ParseUdp(seg, ref f, segAt);
                break;
            case (byte)IpProtocol.Icmp:
                ParseIcmp(seg, ref f, segAt);
                break;
        }
    }

    private static void ParseIPv6(ReadOnlySpan<byte> s, ref ParsedFrame f, int at)
    {
        var avail = s.Length - at;
        if (avail < IPv6Header.Length)
        {
            Bad(ref f, $"IPv6 header at byte {at} is cut off ({avail} of 40 bytes)");
            return;
        }

        var ip = IPv6Header.ReadFixed(s[at..]);
        f.IPv6 = ip;
        f.Ipv6PseudoDestination = ip.Destination;
        if (ip.Version != 6)
        {
            Bad(ref f, $"IPv6 version field is {ip.Version}, expected 6");
            return;
        }

        var total = IPv6Header.Length + ip.PayloadLength!.Value;
        if (ip.PayloadLength == 0)
        {
            total = avail; // a jumbogram or a TSO capture: the packet is what was captured
        }

        var end = at + Math.Min(total, avail);
        f.IpTruncated = total > avail;
        f.TrailerLength = s.Length - end;
        var packet = s[(at + IPv6Header.Length)..end];
        var e = new IPv6ExtensionReader(packet, ip.NextHeader!.Value, at + IPv6Header.Length).GetEnumerator();
        var fragmentOffset = 0;
        var upperOffset = -1;
        byte upperProtocol = 0;
        while (e.MoveNext())
        {
            var x = e.Current;
            var body = s.Slice(x.Offset + 2, x.Length - 2);
            if (x.Type == IPv6ExtensionHeader.Fragment)
            {
                var w = BinaryPrimitives.ReadUInt16BigEndian(body);
                f.Ipv6Fragment = new IPv6Fragment((ushort)(w >> 3), (w & 1) != 0, BinaryPrimitives.ReadUInt32BigEndian(body[2..]), x.NextHeader, x.Offset);
                fragmentOffset = w >> 3;
                if (fragmentOffset != 0)
                {
                    // A later fragment: what follows is the middle of the fragmentable part, not a header.
                    upperOffset = x.Offset + x.Length - at - IPv6Header.Length;
                    upperProtocol = x.NextHeader;
                    break;
                }
            }
            else if (x.Type == IPv6ExtensionHeader.Routing && IPv6ExtensionHeader.FinalDestination(body) is { } final)
            {
                f.Ipv6PseudoDestination = final;
            }
        }

        if (upperOffset < 0)
        {
            upperOffset = e.UpperOffset;
            upperProtocol = e.UpperProtocol;
        }

        var upper = at + IPv6Header.Length + upperOffset;
        f.Ipv6ExtensionsOffset = at + IPv6Header.Length;
        f.Ipv6ExtensionsLength = upperOffset;
        UpperLayer(ref f, upperProtocol, total - IPv6Header.Length - upperOffset, upper, end);
        if (e.Malformed is { } why)
        {
            Bad(ref f, why);
            return;
        }

        if (fragmentOffset != 0 || upperProtocol is IPv6ExtensionHeader.NoNextHeader or IPv6ExtensionHeader.Esp)
        {
            return; // a later fragment, nothing, or encrypted: no transport header here
        }

        var seg = s[upper..end];
        if (f.Ipv6Fragment is { More: true } && !f.IpTruncated && HeaderGoesOn(upperProtocol, seg))
        {
            return; // a first fragment ending inside the transport header (RFC 8200 §4.5 forbids it, tools make it)
        }

        switch (upperProtocol)
        {
            case (byte)IpProtocol.Tcp:
                ParseTcp(seg, ref f, upper);
                break;
            case (byte)IpProtocol.Udp:
                ParseUdp(seg, ref f, upper);
                break;
            case (byte)IpProtocol.Icmpv6:
                ParseIcmpv6(seg, ref f, upper);
                break;
        }
    }

    private static void ParseIcmpv6(ReadOnlySpan<byte> seg, ref ParsedFrame f, int at)
    {
        if (!IcmpStart(seg, ref f, at, "ICMPv6"))
        {
            return;
        }

        var icmp = Icmpv6Header.Read(seg);
        f.Icmpv6 = icmp;
        if (icmp.IsNdp && icmp.Code == 0)
        {
            f.Ndp = NdpMessage.Read(icmp, seg[8..], at + 8, out var why);
            if (f.Ndp is { } m)
            {
                f.PayloadOffset = m.OptionsOffset; // the options are part of the message, not a payload
                f.PayloadLength = 0;
            }

            if (why is not null && (f.Ndp is null || !f.IpTruncated))
            {
                Bad(ref f, why); // an option cut by the snap length is not malformed
            }

            return;
        }

        if (!icmp.QuotesDatagram)
        {
            return;
        }

        var q = seg[8..];
        if (q.Length < IPv6Header.Length)
        {
            return; // nothing quoted worth decoding; not an error in itself
        }

        var inner = IPv6Header.ReadFixed(q);
        if (inner.Version != 6)
        {
            f.Icmpv6Quote = new Icmpv6Quote(inner, at + 8, null, null, null, null);
            return;
        }

        var e = new IPv6ExtensionReader(q[IPv6Header.Length..], inner.NextHeader!.Value).GetEnumerator();
        var later = false;
        while (e.MoveNext())
        {
            if (e.Current.Type == IPv6ExtensionHeader.Fragment)
            {
                later = (BinaryPrimitives.ReadUInt16BigEndian(q[(IPv6Header.Length + e.Current.Offset + 2)..]) >> 3) != 0;
            }
        }

        if (e.Malformed is not null)
        {
            f.Icmpv6Quote = new Icmpv6Quote(inner, at + 8, null, null, null, null);
            return;
        }

        var proto = e.UpperProtocol;
        var t = later ? [] : q[(IPv6Header.Length + e.UpperOffset)..];
        var (sp, dp, seq) = QuotedTransport(proto, t);
        f.Icmpv6Quote = new Icmpv6Quote(inner, at + 8, proto, sp, dp, seq) { EchoSequence = QuotedEchoSequence(proto, t) };
    }

    /// <summary>Whether <paramref name="seg"/> ends inside the TCP, UDP, ICMP or ICMPv6 header it starts with.</summary>
    private static bool HeaderGoesOn(byte protocol, ReadOnlySpan<byte> seg) => protocol switch
    {
        (byte)IpProtocol.Tcp => seg.Length < TcpHeader.MinLength || (seg[12] >> 4) * 4 > seg.Length,
        (byte)IpProtocol.Udp or (byte)IpProtocol.Icmp or (byte)IpProtocol.Icmpv6 => seg.Length < 8,
        _ => false,
    };

    private static void ParseTcp(ReadOnlySpan<byte> seg, ref ParsedFrame f, int at)
    {
        f.TransportOffset = at;
        if (seg.Length < TcpHeader.MinLength)
        {
            Bad(ref f, $"TCP header at byte {at} is cut off ({seg.Length} of 20 bytes)");
            return;
        }

        var tcp = TcpHeader.ReadFixed(seg);
        var hlen = tcp.DataOffset!.Value * 4;
        f.Tcp = tcp;
        f.TcpOptionsOffset = at + 20;
        f.PayloadOffset = at + 20;
        f.PayloadLength = 0;
        if (hlen < TcpHeader.MinLength)
        {
            Bad(ref f, $"TCP data offset is {tcp.DataOffset} ({hlen} bytes), less than 5 (20 bytes)");
            return;
        }

        if (hlen > seg.Length)
        {
            Bad(ref f, $"TCP data offset is {tcp.DataOffset} ({hlen} bytes), past the end of the segment ({seg.Length} bytes)");
            return;
        }

        f.TcpOptionsLength = hlen - 20;
        f.PayloadOffset = at + hlen;
        f.PayloadLength = seg.Length - hlen;
        f.SegmentLength = f.IpTruncated ? Math.Max(0, f.ClaimedUpperLength - hlen) : f.PayloadLength;
        if (hlen > TcpHeader.MinLength)
        {
            var e = new TcpOptionReader(seg[20..hlen]).GetEnumerator();
            while (e.MoveNext())
            {
            }

            if (e.Malformed is { } why)
            {
                Bad(ref f, why);
            }
        }
    }

    private static void ParseUdp(ReadOnlySpan<byte> seg, ref ParsedFrame f, int at)
    {
        f.TransportOffset = at;
        if (seg.Length < UdpHeader.HeaderLength)
        {
            Bad(ref f, $"UDP header at byte {at} is cut off ({seg.Length} of 8 bytes)");
            return;
        }

        var udp = UdpHeader.Read(seg);
        f.Udp = udp;
        f.PayloadOffset = at + 8;
        f.PayloadLength = Math.Clamp(udp.Length - 8, 0, seg.Length - 8);
        if (udp.Length < 8)
        {
            Bad(ref f, $"UDP length {udp.Length} is less than 8");
        }
    }

    private static void ParseIcmp(ReadOnlySpan<byte> seg, ref ParsedFrame f, int at)
    {
        if (!IcmpStart(seg, ref f, at, "ICMP"))
        {
            return;
        }

        var icmp = IcmpHeader.Read(seg);
        f.Icmp = icmp;
        if (!icmp.QuotesDatagram)
        {
            return;
        }

        var q = seg[8..];
        if (q.Length < IPv4Header.MinLength)
        {
            return; // nothing quoted worth decoding; not an error in itself
        }

        var inner = IPv4Header.ReadFixed(q);
        var ihl = inner.Ihl!.Value * 4;
        if (inner.Version != 4 || ihl < 20 || ihl > q.Length)
        {
            f.IcmpQuote = new IcmpQuote(inner, at + 8, null, null, null);
            return;
        }

        var t = q[ihl..];
        var (sp, dp, seq) = QuotedTransport(inner.Protocol, t);
        f.IcmpQuote = new IcmpQuote(inner, at + 8, sp, dp, seq) { EchoSequence = QuotedEchoSequence(inner.Protocol, t) };
    }

    /// <summary>Where the IP layer's payload lies (from <paramref name="start"/> to <paramref name="end"/>, of
    /// <paramref name="claimed"/> bytes by the header) and what it carries; the payload until a transport header is read.</summary>
    private static void UpperLayer(ref ParsedFrame f, byte? protocol, int claimed, int start, int end)
    {
        f.UpperProtocol = protocol;
        f.ClaimedUpperLength = claimed;
        f.IpPayloadOffset = start;
        f.IpPayloadLength = end - start;
        f.PayloadOffset = start;
        f.PayloadLength = end - start;
    }

    /// <summary>Where an ICMP or ICMPv6 message lies (the same 8-byte header in both); false when it is cut off.</summary>
    private static bool IcmpStart(ReadOnlySpan<byte> seg, ref ParsedFrame f, int at, string protocol)
    {
        f.TransportOffset = at;
        if (seg.Length < IcmpHeader.HeaderLength)
        {
            Bad(ref f, $"{protocol} header at byte {at} is cut off ({seg.Length} of 8 bytes)");
            return false;
        }

        f.PayloadOffset = at + IcmpHeader.HeaderLength;
        f.PayloadLength = seg.Length - IcmpHeader.HeaderLength;
        return true;
    }

    /// <summary>The ports (TCP, UDP) and the TCP sequence number of the transport header an ICMP error quotes, as far as
    /// the quote reaches.</summary>
    private static (ushort? SourcePort, ushort? DestinationPort, SeqNum? TcpSeq) QuotedTransport(byte? protocol, ReadOnlySpan<byte> t)
    {
        var ports = protocol is 6 or 17 && t.Length >= 4;
        return (ports ? BinaryPrimitives.ReadUInt16BigEndian(t) : null,
            ports ? BinaryPrimitives.ReadUInt16BigEndian(t[2..]) : null,
            t.Length >= 8 && protocol == (byte)IpProtocol.Tcp ? new SeqNum(BinaryPrimitives.ReadUInt32BigEndian(t[4..])) : null);
    }

    /// <summary>The sequence number of a quoted ICMP or ICMPv6 echo request (the same 8-byte header in both), as far as
    /// the quote reaches.</summary>
    private static ushort? QuotedEchoSequence(byte? protocol, ReadOnlySpan<byte> t) =>
        t.Length >= IcmpHeader.HeaderLength && ((protocol == (byte)IpProtocol.Icmp && t[0] == IcmpHeader.EchoRequest) || (protocol == (byte)IpProtocol.Icmpv6 && t[0] == Icmpv6Header.EchoRequest))
            ? BinaryPrimitives.ReadUInt16BigEndian(t[6..])
            : null;

    private static void Bad(ref ParsedFrame f, string why) => f.Malformed = "malformed: " + why;
}
