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
        report = report with { NetworkOffset = l3, TransportOffset = report.TransportOffset + l3, OptionsOffset = report.OptionsOffset + l3, Length = n };
        return n;
    }

    /// <summary>IPv4 + TCP without a link header (for raw-IP links and checksum tests).</summary>
    public static int BuildTcpPacket(Span<byte> destination, in IPv4Header ip, in TcpHeader tcp, ReadOnlySpan<byte> options, ReadOnlySpan<byte> payload) =>
        BuildTcpPacket(destination, ip, tcp, options, payload, out _);

    /// <summary>IPv4 + TCP without a link header, with the report of what was computed and what was sent as set.</summary>
    public static int BuildTcpPacket(Span<byte> destination, in IPv4Header ip, in TcpHeader tcp, ReadOnlySpan<byte> options, ReadOnlySpan<byte> payload, out TcpBuildReport report)
    {
        var ipLength = IpLength(ip);
        var optionsPadded = Pad4(options.Length);
        if (optionsPadded > 40 && tcp.DataOffset is null)
        {
            throw new ArgumentException($"TCP options take {optionsPadded} bytes; at most 40 fit in a header (set the data offset to send them anyway)");
        }

        var tcpLength = TcpHeader.MinLength + optionsPadded + payload.Length;
        Check(destination, ipLength + tcpLength);
        var seg = destination.Slice(ipLength, tcpLength);

        // Inside out: payload, options, fixed header, checksum over the pseudo-header; then the IP header around it.
        payload.CopyTo(seg[(TcpHeader.MinLength + optionsPadded)..]);
        options.CopyTo(seg[TcpHeader.MinLength..]);
        seg.Slice(TcpHeader.MinLength + options.Length, optionsPadded - options.Length).Clear();
        tcp.WriteFixed(seg, optionsPadded);
        ChecksumOrigin tcpSum;
        if (tcp.Checksum is { } givenTcp)
        {
            // Sent as set; the right value is worked out too, so the caller knows whether the receiver will take it.
            BinaryPrimitives.WriteUInt16BigEndian(seg[16..], 0);
            var right = Checksum.ComputeTransport(ip.Source, ip.Destination, (byte)IpProtocol.Tcp, seg);
            BinaryPrimitives.WriteUInt16BigEndian(seg[16..], givenTcp);
            tcpSum = givenTcp == right ? ChecksumOrigin.SetRight : ChecksumOrigin.SetWrong;
        }
        else
        {
            BinaryPrimitives.WriteUInt16BigEndian(seg[16..], Checksum.ComputeTransport(ip.Source, ip.Destination, (byte)IpProtocol.Tcp, seg));
            tcpSum = ChecksumOrigin.Computed;
        }

        var written = ip.Write(destination, tcpLength, (byte)IpProtocol.Tcp);
        var ipSum = ChecksumOrigin.Computed;
        if (ip.Checksum is { } givenIp)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination[10..], 0);
            var right = Checksum.Compute(destination[..written]);
            BinaryPrimitives.WriteUInt16BigEndian(destination[10..], givenIp);
            ipSum = givenIp == right ? ChecksumOrigin.SetRight : ChecksumOrigin.SetWrong;
        }

        report = new TcpBuildReport(0, ipLength + tcpLength, ipLength, ipLength + TcpHeader.MinLength, optionsPadded, payload.Length, ipSum, tcpSum);
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
        var udpLength = UdpHeader.HeaderLength + payload.Length;
        if (udpLength > ushort.MaxValue)
        {
            throw new ArgumentException($"a UDP datagram of {udpLength} bytes does not fit its 16-bit length field");
        }

        Check(destination, ipLength + udpLength);
        var d = destination.Slice(ipLength, udpLength);
        payload.CopyTo(d[UdpHeader.HeaderLength..]);
        BinaryPrimitives.WriteUInt16BigEndian(d, udp.SourcePort);
        BinaryPrimitives.WriteUInt16BigEndian(d[2..], udp.DestinationPort);
        BinaryPrimitives.WriteUInt16BigEndian(d[4..], udp.Length ?? (ushort)udpLength);
        BinaryPrimitives.WriteUInt16BigEndian(d[6..], 0);
        if (udp.Checksum is { } given)
        {
            BinaryPrimitives.WriteUInt16BigEndian(d[6..], given);
        }
        else
        {
            var sum = Checksum.ComputeTransport(ip.Source, ip.Destination, (byte)IpProtocol.Udp, d);
            BinaryPrimitives.WriteUInt16BigEndian(d[6..], sum == 0 ? (ushort)0xFFFF : sum);
        }

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
}
