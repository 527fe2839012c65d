using System.Buffers.Binary;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Wire.Building;

/// <summary>
/// Emits whole frames into a caller's buffer, allocation-free. Lengths, header lengths and checksums left unset are
/// computed; values that are set are sent exactly as set (a wrong checksum, an impossible length). Every method returns
/// the number of bytes written, and throws <see cref="ArgumentException"/> when the buffer is too small — before any
/// byte could be sent.
/// </summary>
public static class FrameBuilder
{
    /// <summary>Large enough for any IPv4 datagram in an Ethernet frame with one VLAN tag.</summary>
    public const int MaxFrameLength = 65535 + EthernetHeader.Length + EthernetHeader.VlanTagLength;

    public static int TcpFrameLength(in EthernetHeader eth, in IPv4Header ip, int optionsLength, int payloadLength) =>
        eth.HeaderLength + IpLength(ip) + TcpHeader.MinLength + Pad4(optionsLength) + payloadLength;

    /// <summary>Ethernet + IPv4 + TCP (with <paramref name="options"/>, zero-padded to a multiple of 4) + payload.</summary>
    public static int BuildTcp(Span<byte> destination, in EthernetHeader eth, in IPv4Header ip, in TcpHeader tcp, ReadOnlySpan<byte> options, ReadOnlySpan<byte> payload) =>
        BuildTcp(destination, eth, ip, tcp, options, payload, out _);

    /// <summary>As <see cref="BuildTcp(Span{byte}, in EthernetHeader, in IPv4Header, in TcpHeader, ReadOnlySpan{byte}, ReadOnlySpan{byte})"/>,
    /// reporting what was computed and what was sent as set, so that nobody parses the frame again to learn it.</summary>
    public static int BuildTcp(Span<byte> destination, in EthernetHeader eth, in IPv4Header ip, in TcpHeader tcp, ReadOnlySpan<byte> options, ReadOnlySpan<byte> payload, out TcpBuildReport report)
    {
        Check(destination, TcpFrameLength(eth, ip, options.Length, payload.Length));
        var l3 = eth.Write(destination, (ushort)EtherType.IPv4);
        var n = l3 + BuildTcpPacket(destination[l3..], ip, tcp, options, payload, out report);
        report = report.BehindLinkHeader(l3, n);
        return n;
    }

    /// <summary>IPv4 + TCP without a link header (for raw-IP links and checksum tests).</summary>
    public static int BuildTcpPacket(Span<byte> destination, in IPv4Header ip, in TcpHeader tcp, ReadOnlySpan<byte> options, ReadOnlySpan<byte> payload) =>
        BuildTcpPacket(destination, ip, tcp, options, payload, out _);

    /// <summary>IPv4 + TCP without a link header, with the report of what was computed and what was sent as set.</summary>
    public static int BuildTcpPacket(Span<byte> destination, in IPv4Header ip, in TcpHeader tcp, ReadOnlySpan<byte> options, ReadOnlySpan<byte> payload, out TcpBuildReport report)
    {
        var ipLength = IpLength(ip);
        var optionsPadded = TcpOptionsPadded(tcp, options);
        var tcpLength = TcpHeader.MinLength + optionsPadded + payload.Length;
        Check(destination, ipLength + tcpLength);
        var tcpSum = WriteTcpSegment(destination.Slice(ipLength, tcpLength), tcp, options, payload, Checksum.PseudoHeader(ip.Source, ip.Destination, (byte)IpProtocol.Tcp, tcpLength));
        var written = ip.Write(destination, tcpLength, (byte)IpProtocol.Tcp);
        var ipSum = ChecksumOrigin.Computed;
        if (ip.Checksum is { } givenIp)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination[10..], 0);
            var right = Checksum.Compute(destination[..written]);
            BinaryPrimitives.WriteUInt16BigEndian(destination[10..], givenIp);
            ipSum = givenIp == right ? ChecksumOrigin.SetRight : ChecksumOrigin.SetWrong;
        }

        report = TcpBuildReport.OfPacket(ipLength, optionsPadded, payload.Length, ipSum, tcpSum);
        return ipLength + tcpLength;
    }

    /// <summary>Ethernet + IPv4 + UDP header + payload; the UDP length and checksum computed unless set (a computed
    /// checksum of 0 is sent as 0xFFFF: 0 means "none", RFC 768).</summary>
    public static int BuildUdp(Span<byte> destination, in EthernetHeader eth, in IPv4Header ip, in UdpFields udp, ReadOnlySpan<byte> payload)
    {
        Check(destination, eth.HeaderLength + IpLength(ip) + UdpHeader.HeaderLength + payload.Length);
        var l3 = eth.Write(destination, (ushort)EtherType.IPv4);
        return l3 + BuildUdpPacket(destination[l3..], ip, udp, payload);
    }

    /// <summary>IPv4 + UDP without a link header.</summary>
    public static int BuildUdpPacket(Span<byte> destination, in IPv4Header ip, in UdpFields udp, ReadOnlySpan<byte> payload)
    {
        var ipLength = IpLength(ip);
        var udpLength = UdpLength(payload);
        Check(destination, ipLength + udpLength);
        WriteUdpDatagram(destination.Slice(ipLength, udpLength), udp, payload, Checksum.PseudoHeader(ip.Source, ip.Destination, (byte)IpProtocol.Udp, udpLength));
        ip.Write(destination, udpLength, (byte)IpProtocol.Udp);
        return ipLength + udpLength;
    }

    /// <summary>Ethernet + IPv4 + ICMP header + payload (for an error message, the payload is the quoted datagram).</summary>
    public static int BuildIcmp(Span<byte> destination, in EthernetHeader eth, in IPv4Header ip, in IcmpHeader icmp, ReadOnlySpan<byte> payload)
    {
        var ipLength = IpLength(ip);
        var icmpLength = IcmpHeader.HeaderLength + payload.Length;
        Check(destination, eth.HeaderLength + ipLength + icmpLength);
        var l3 = eth.Write(destination, (ushort)EtherType.IPv4);
        var msg = destination.Slice(l3 + ipLength, icmpLength);
        payload.CopyTo(msg[IcmpHeader.HeaderLength..]);
        icmp.WriteFixed(msg);
        if (icmp.Checksum is null)
        {
            BinaryPrimitives.WriteUInt16BigEndian(msg[2..], Checksum.Compute(msg));
        }

        ip.Write(destination[l3..], icmpLength, (byte)IpProtocol.Icmp);
        return l3 + ipLength + icmpLength;
    }

    /// <summary>Ethernet + IPv4 carrying <paramref name="transport"/> as given (any protocol, nothing computed inside it).</summary>
    public static int BuildIPv4(Span<byte> destination, in EthernetHeader eth, in IPv4Header ip, byte protocol, ReadOnlySpan<byte> transport)
    {
        var ipLength = IpLength(ip);
        Check(destination, eth.HeaderLength + ipLength + transport.Length);
        var l3 = eth.Write(destination, (ushort)EtherType.IPv4);
        transport.CopyTo(destination[(l3 + ipLength)..]);
        ip.Write(destination[l3..], transport.Length, protocol);
        return l3 + ipLength + transport.Length;
    }

    /// <summary>Ethernet + ARP (28 bytes; not padded to 60: the device pads when it must).</summary>
    public static int BuildArp(Span<byte> destination, in EthernetHeader eth, in ArpPacket arp)
    {
        Check(destination, eth.HeaderLength + ArpPacket.Length);
        var l3 = eth.Write(destination, (ushort)EtherType.Arp);
        arp.Write(destination[l3..]);
        return l3 + ArpPacket.Length;
    }

    /// <summary>An ARP request "who has <paramref name="targetIp"/>? tell <paramref name="senderIp"/>", broadcast.</summary>
    public static int BuildArpRequest(Span<byte> destination, MacAddress senderMac, IPv4Address senderIp, IPv4Address targetIp) =>
        BuildArp(destination, new EthernetHeader(MacAddress.Broadcast, senderMac), new ArpPacket(ArpPacket.Request, senderMac, senderIp, MacAddress.Zero, targetIp));

    /// <summary>An ARP reply "<paramref name="senderIp"/> is at <paramref name="senderMac"/>", unicast to the asker.</summary>
    public static int BuildArpReply(Span<byte> destination, MacAddress senderMac, IPv4Address senderIp, MacAddress targetMac, IPv4Address targetIp) =>
        BuildArp(destination, new EthernetHeader(targetMac, senderMac), new ArpPacket(ArpPacket.Reply, senderMac, senderIp, targetMac, targetIp));

    /// <summary>Ethernet + IPv6 (with its extension headers) + TCP (options zero-padded to a multiple of 4) + payload.</summary>
    public static int BuildTcp(Span<byte> destination, in EthernetHeader eth, in IPv6Header ip, in TcpHeader tcp, ReadOnlySpan<byte> options, ReadOnlySpan<byte> payload) =>
        BuildTcp(destination, eth, ip, tcp, options, payload, out _);

    /// <summary>As the IPv4 <see cref="BuildTcp(Span{byte}, in EthernetHeader, in IPv4Header, in TcpHeader, ReadOnlySpan{byte}, ReadOnlySpan{byte}, out TcpBuildReport)"/>,
    /// with the report (IPv6 has no header checksum: the report's IP checksum is always computed).</summary>
    public static int BuildTcp(Span<byte> destination, in EthernetHeader eth, in IPv6Header ip, in TcpHeader tcp, ReadOnlySpan<byte> options, ReadOnlySpan<byte> payload, out TcpBuildReport report)
    {
        Check(destination, eth.HeaderLength + ip.HeaderLength + TcpHeader.MinLength + Pad4(options.Length) + payload.Length);
        var l3 = eth.Write(destination, (ushort)EtherType.IPv6);
        var n = l3 + BuildTcpPacket(destination[l3..], ip, tcp, options, payload, out report);
        report = report.BehindLinkHeader(l3, n);
        return n;
    }

    /// <summary>IPv6 + TCP without a link header; the checksum covers the IPv6 pseudo-header (RFC 8200 §8.1).</summary>
    public static int BuildTcpPacket(Span<byte> destination, in IPv6Header ip, in TcpHeader tcp, ReadOnlySpan<byte> options, ReadOnlySpan<byte> payload) =>
        BuildTcpPacket(destination, ip, tcp, options, payload, out _);

    /// <summary>IPv6 + TCP without a link header, with the report of what was computed and what was sent as set.</summary>
    public static int BuildTcpPacket(Span<byte> destination, in IPv6Header ip, in TcpHeader tcp, ReadOnlySpan<byte> options, ReadOnlySpan<byte> payload, out TcpBuildReport report)
    {
        var ipLength = ip.HeaderLength;
        var optionsPadded = TcpOptionsPadded(tcp, options);
        var tcpLength = TcpHeader.MinLength + optionsPadded + payload.Length;
        Check(destination, ipLength + tcpLength);
        var tcpSum = WriteTcpSegment(destination.Slice(ipLength, tcpLength), tcp, options, payload, Checksum.PseudoHeader(ip.Source, ip.PseudoDestination, (byte)IpProtocol.Tcp, tcpLength));
        ip.Write(destination, tcpLength, (byte)IpProtocol.Tcp);
        report = TcpBuildReport.OfPacket(ipLength, optionsPadded, payload.Length, ChecksumOrigin.Computed, tcpSum);
        return ipLength + tcpLength;
    }

    /// <summary>Ethernet + IPv6 + UDP + payload (a computed checksum of 0 is sent as 0xFFFF: IPv6 requires one).</summary>
    public static int BuildUdp(Span<byte> destination, in EthernetHeader eth, in IPv6Header ip, in UdpFields udp, ReadOnlySpan<byte> payload)
    {
        Check(destination, eth.HeaderLength + ip.HeaderLength + UdpHeader.HeaderLength + payload.Length);
        var l3 = eth.Write(destination, (ushort)EtherType.IPv6);
        return l3 + BuildUdpPacket(destination[l3..], ip, udp, payload);
    }

    /// <summary>IPv6 + UDP without a link header.</summary>
    public static int BuildUdpPacket(Span<byte> destination, in IPv6Header ip, in UdpFields udp, ReadOnlySpan<byte> payload)
    {
        var ipLength = ip.HeaderLength;
        var udpLength = UdpLength(payload);
        Check(destination, ipLength + udpLength);
        WriteUdpDatagram(destination.Slice(ipLength, udpLength), udp, payload, Checksum.PseudoHeader(ip.Source, ip.PseudoDestination, (byte)IpProtocol.Udp, udpLength));
        ip.Write(destination, udpLength, (byte)IpProtocol.Udp);
        return ipLength + udpLength;
    }

    /// <summary>Ethernet + IPv6 + ICMPv6 header + <paramref name="body"/> (echo data, the quoted packet of an error, or
    /// a neighbour discovery body written by <see cref="NdpWriter"/>); the checksum covers the pseudo-header.</summary>
    public static int BuildIcmpv6(Span<byte> destination, in EthernetHeader eth, in IPv6Header ip, in Icmpv6Header icmp, ReadOnlySpan<byte> body)
    {
        Check(destination, eth.HeaderLength + ip.HeaderLength + Icmpv6Header.HeaderLength + body.Length);
        var l3 = eth.Write(destination, (ushort)EtherType.IPv6);
        return l3 + BuildIcmpv6Packet(destination[l3..], ip, icmp, body);
    }

    /// <summary>IPv6 + ICMPv6 without a link header.</summary>
    public static int BuildIcmpv6Packet(Span<byte> destination, in IPv6Header ip, in Icmpv6Header icmp, ReadOnlySpan<byte> body)
    {
        var ipLength = ip.HeaderLength;
        var length = Icmpv6Header.HeaderLength + body.Length;
        Check(destination, ipLength + length);
        var msg = destination.Slice(ipLength, length);
        body.CopyTo(msg[Icmpv6Header.HeaderLength..]);
        icmp.WriteFixed(msg);
        if (icmp.Checksum is null)
        {
            BinaryPrimitives.WriteUInt16BigEndian(msg[2..], Checksum.ComputeTransport(ip.Source, ip.PseudoDestination, (byte)IpProtocol.Icmpv6, msg));
        }

        ip.Write(destination, length, (byte)IpProtocol.Icmpv6);
        return ipLength + length;
    }

    /// <summary>Ethernet + IPv6 carrying <paramref name="upper"/> as given after the extension headers (nothing computed inside it).</summary>
    public static int BuildIPv6(Span<byte> destination, in EthernetHeader eth, in IPv6Header ip, byte nextHeader, ReadOnlySpan<byte> upper)
    {
        Check(destination, eth.HeaderLength + ip.HeaderLength + upper.Length);
        var l3 = eth.Write(destination, (ushort)EtherType.IPv6);
        upper.CopyTo(destination[(l3 + ip.HeaderLength)..]);
        ip.Write(destination[l3..], upper.Length, nextHeader);
        return l3 + ip.HeaderLength + upper.Length;
    }

    /// <summary>A neighbour solicitation for <paramref name="target"/> (RFC 4861 §7.2.2): to its solicited-node multicast
    /// address, hop limit 255, with the source link-layer address option unless the source is :: (duplicate address detection).</summary>
    public static int BuildNeighborSolicitation(Span<byte> destination, MacAddress senderMac, IPv6Address senderIp, IPv6Address target)
    {
        Span<byte> body = stackalloc byte[24];
        var n = NdpWriter.Neighbor(body, Icmpv6Header.NeighborSolicitation, target, senderIp.IsUnspecified ? null : senderMac);
        var dst = target.SolicitedNode;
        var ip = new IPv6Header { Source = senderIp, Destination = dst, HopLimit = 255 };
        return BuildIcmpv6(destination, new EthernetHeader(dst.MulticastMac, senderMac), ip, new Icmpv6Header(Icmpv6Header.NeighborSolicitation, 0, 0), body[..n]);
    }

    /// <summary>A neighbour advertisement "<paramref name="target"/> is at <paramref name="senderMac"/>" (RFC 4861 §7.2.4),
    /// hop limit 255, with the target link-layer address option and the override flag.</summary>
    public static int BuildNeighborAdvertisement(Span<byte> destination, MacAddress senderMac, IPv6Address senderIp, MacAddress targetMac, IPv6Address targetIp, IPv6Address target, bool solicited, bool router = false)
    {
        Span<byte> body = stackalloc byte[24];
        var n = NdpWriter.Neighbor(body, Icmpv6Header.NeighborAdvertisement, target, senderMac);
        var ip = new IPv6Header { Source = senderIp, Destination = targetIp, HopLimit = 255 };
        var icmp = new Icmpv6Header(Icmpv6Header.NeighborAdvertisement, 0, NdpMessage.AdvertisementFlags(router, solicited, true));
        return BuildIcmpv6(destination, new EthernetHeader(targetMac, senderMac), ip, icmp, body[..n]);
    }

    /// <summary>A router solicitation to ff02::2 (RFC 4861 §6.3.7), with the source link-layer address unless the source is ::.</summary>
    public static int BuildRouterSolicitation(Span<byte> destination, MacAddress senderMac, IPv6Address senderIp)
    {
        Span<byte> body = stackalloc byte[8];
        var n = NdpWriter.RouterSolicitation(body, senderIp.IsUnspecified ? null : senderMac);
        var ip = new IPv6Header { Source = senderIp, Destination = IPv6Address.AllRouters, HopLimit = 255 };
        return BuildIcmpv6(destination, new EthernetHeader(IPv6Address.AllRouters.MulticastMac, senderMac), ip, new Icmpv6Header(Icmpv6Header.RouterSolicitation, 0, 0), body[..n]);
    }

    private static int TcpOptionsPadded(in TcpHeader tcp, ReadOnlySpan<byte> options)
    {
        var optionsPadded = Pad4(options.Length);
        if (optionsPadded > 40 && tcp.DataOffset is null)
        {
            throw new ArgumentException($"TCP options take {optionsPadded} bytes; at most 40 fit in a header (set the data offset to send them anyway)");
        }

        return optionsPadded;
    }

    /// <summary>Inside out: payload, options, fixed header, then the checksum over <paramref name="pseudo"/>. A checksum
    /// that is set is sent as set; the right value is worked out too, so the caller knows whether the receiver will take it.</summary>
    private static ChecksumOrigin WriteTcpSegment(Span<byte> seg, in TcpHeader tcp, ReadOnlySpan<byte> options, ReadOnlySpan<byte> payload, ulong pseudo)
    {
        var optionsPadded = seg.Length - TcpHeader.MinLength - payload.Length;
        payload.CopyTo(seg[(TcpHeader.MinLength + optionsPadded)..]);
        options.CopyTo(seg[TcpHeader.MinLength..]);
        seg.Slice(TcpHeader.MinLength + options.Length, optionsPadded - options.Length).Clear();
        tcp.WriteFixed(seg, optionsPadded);
        BinaryPrimitives.WriteUInt16BigEndian(seg[16..], 0);
        var right = (ushort)~Checksum.Fold(Checksum.Add(pseudo, seg));
        BinaryPrimitives.WriteUInt16BigEndian(seg[16..], tcp.Checksum ?? right);
        return tcp.Checksum is not { } given ? ChecksumOrigin.Computed : given == right ? ChecksumOrigin.SetRight : ChecksumOrigin.SetWrong;
    }

    private static int UdpLength(ReadOnlySpan<byte> payload)
    {
        var udpLength = UdpHeader.HeaderLength + payload.Length;
        return udpLength > ushort.MaxValue
            ? throw new ArgumentException($"a UDP datagram of {udpLength} bytes does not fit its 16-bit length field")
            : udpLength;
    }

    private static void WriteUdpDatagram(Span<byte> d, in UdpFields udp, ReadOnlySpan<byte> payload, ulong pseudo)
    {
        payload.CopyTo(d[UdpHeader.HeaderLength..]);
        BinaryPrimitives.WriteUInt16BigEndian(d, udp.SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(d[2..], udp.DestinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(d[4..], udp.Length ?? (ushort)d.Length);
        BinaryPrimitives.WriteUInt16BigEndian(d[6..], 0);
        if (udp.Checksum is { } given)
        {
            BinaryPrimitives.WriteUInt16BigEndian(d[6..], given);
        }
        else
        {
            var sum = (ushort)~Checksum.Fold(Checksum.Add(pseudo, d));
            BinaryPrimitives.WriteUInt16BigEndian(d[6..], sum == 0 ? (ushort)0xFFFF : sum);
        }
    }

    private static int IpLength(in IPv4Header ip) =>
        ip.OptionsPaddedLength > 40 && ip.Ihl is null
            ? throw new ArgumentException($"IP options take {ip.OptionsPaddedLength} bytes; at most 40 fit in a header (set the IHL to send them anyway)")
            : IPv4Header.MinLength + ip.OptionsPaddedLength;

    private static int Pad4(int n) => (n + 3) & ~3;

    private static void Check(Span<byte> destination, int needed)
    {
        if (destination.Length < needed)
        {
            throw new ArgumentException($"frame needs {needed} bytes, buffer has {destination.Length}");
        }
    }
}

/// <summary>Where a checksum in a built frame came from.</summary>
public enum ChecksumOrigin
{
    /// <summary>Computed by the builder: right.</summary>
    Computed,

    /// <summary>Sent as set, and it is the right value.</summary>
    SetRight,

    /// <summary>Sent as set, and it is wrong: the receiver drops the frame.</summary>
    SetWrong,
}

/// <summary>
/// What <see cref="FrameBuilder.BuildTcp(Span{byte}, in EthernetHeader, in IPv4Header, in TcpHeader, ReadOnlySpan{byte}, ReadOnlySpan{byte}, out TcpBuildReport)"/>
/// wrote: where each part lies in the frame (offsets from its start), the option bytes as sent (padded) and each checksum's origin.
/// </summary>
public readonly record struct TcpBuildReport(int NetworkOffset, int Length, int TransportOffset, int OptionsOffset, int OptionsLength, int PayloadLength, ChecksumOrigin IpChecksum, ChecksumOrigin TcpChecksum)
{
    /// <summary>True unless a checksum was set to a wrong value.</summary>
    public bool ChecksumsRight => IpChecksum != ChecksumOrigin.SetWrong && TcpChecksum != ChecksumOrigin.SetWrong;

    /// <summary>The TCP option bytes as they went out (padding included), from the frame that was built.</summary>
    public ReadOnlySpan<byte> Options(ReadOnlySpan<byte> frame) => frame.Slice(OptionsOffset, OptionsLength);

    /// <summary>An IP packet's report: the IP header of <paramref name="ipLength"/> bytes at 0, TCP after it.</summary>
    internal static TcpBuildReport OfPacket(int ipLength, int optionsPadded, int payloadLength, ChecksumOrigin ip, ChecksumOrigin tcp) =>
        new(0, ipLength + TcpHeader.MinLength + optionsPadded + payloadLength, ipLength, ipLength + TcpHeader.MinLength, optionsPadded, payloadLength, ip, tcp);

    /// <summary>The same packet behind a link header of <paramref name="networkOffset"/> bytes, in a frame of <paramref name="length"/>.</summary>
    internal TcpBuildReport BehindLinkHeader(int networkOffset, int length) =>
        this with { NetworkOffset = networkOffset, TransportOffset = TransportOffset + networkOffset, OptionsOffset = OptionsOffset + networkOffset, Length = length };
}
