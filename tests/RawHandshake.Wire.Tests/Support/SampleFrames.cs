using System.Buffers.Binary;
using RawHandshake.Wire.Building;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Wire.Tests.Support;

/// <summary>Hand-built sample frames of each kind, and re-encapsulation of an Ethernet frame for the other link types.</summary>
internal static class SampleFrames
{
    public static readonly MacAddress ClientMac = MacAddress.Parse("02:00:00:00:00:01");
    public static readonly MacAddress ServerMac = MacAddress.Parse("02:00:00:00:00:02");
    public static readonly IPv4Address Client = IPv4Address.Parse("198.18.0.77");
    public static readonly IPv4Address Server = IPv4Address.Parse("198.18.0.1");
    public static readonly IPv4Address Router = IPv4Address.Parse("198.18.0.254");

    public static IPv4Header Ip(IPv4Address src, IPv4Address dst) => new() { Source = src, Destination = dst, Id = 0x4d2, DontFragment = true };

    /// <summary>A Linux-style SYN with MSS, SACK_PERM, TS, NOP, WS (74 bytes).</summary>
    public static byte[] LinuxSyn(ushort? vlan = null, byte ttl = 64)
    {
        Span<byte> o = stackalloc byte[40];
        var n = TcpOptionLayout.Write(o, new TcpOptionSet(1460, 7, true, (0x0A0B0C0D, 0)));
        var eth = new EthernetHeader(ServerMac, ClientMac) { VlanTci = vlan };
        var ip = Ip(Client, Server) with { Ttl = ttl };
        var tcp = new TcpHeader(40000, 8080, new SeqNum(0xFFFFFFF0), default, TcpFlags.Syn, 64240);
        var buf = new byte[FrameBuilder.TcpFrameLength(eth, ip, n, 0)];
        FrameBuilder.BuildTcp(buf, eth, ip, tcp, o[..n], default);
        return buf;
    }

    /// <summary>A data segment with a payload and IP options.</summary>
    public static byte[] DataSegment()
    {
        var eth = new EthernetHeader(ServerMac, ClientMac);
        var ip = Ip(Client, Server) with { Options = new byte[] { 1, 1, 1, 0 } };
        var tcp = new TcpHeader(40000, 8080, new SeqNum(1), new SeqNum(2), TcpFlags.Psh | TcpFlags.Ack, 502);
        var payload = "GET / HTTP/1.0\r\n\r\n"u8.ToArray();
        Span<byte> o = stackalloc byte[12];
        var n = new TcpOptionWriter(o).Nop().Nop().Timestamps(5, 6).Length;
        var buf = new byte[FrameBuilder.TcpFrameLength(eth, ip, n, payload.Length)];
        FrameBuilder.BuildTcp(buf, eth, ip, tcp, o[..n], payload);
        return buf;
    }

    /// <summary>A UDP datagram, as a whole Ethernet frame (the UDP header written by hand).</summary>
    public static byte[] Udp(IPv4Address src, IPv4Address dst, ushort sport, ushort dport, byte[] data)
    {
        var udp = new byte[8 + data.Length];
        BinaryPrimitives.WriteUInt16BigEndian(udp, sport);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(2), dport);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(4), (ushort)udp.Length);
        data.CopyTo(udp, 8);
        BinaryPrimitives.WriteUInt16BigEndian(udp.AsSpan(6), Checksum.ComputeTransport(src, dst, 17, udp));
        var eth = new EthernetHeader(ServerMac, ClientMac);
        var buf = new byte[14 + 20 + udp.Length];
        FrameBuilder.BuildIPv4(buf, eth, Ip(src, dst), 17, udp);
        return buf;
    }

    /// <summary>ICMP port unreachable from the server, quoting the client's UDP datagram (IP header + 8 bytes).</summary>
    public static byte[] PortUnreachable()
    {
        var udp = Udp(Client, Server, 51000, 33434, "probe"u8.ToArray());
        var quote = udp.AsSpan(14, 28).ToArray();
        var buf = new byte[14 + 20 + 8 + quote.Length];
        FrameBuilder.BuildIcmp(buf, new EthernetHeader(ClientMac, ServerMac), Ip(Server, Client) with { DontFragment = false }, new IcmpHeader(IcmpHeader.DestinationUnreachable, 3, 0), quote);
        return buf;
    }

    /// <summary>ICMP time exceeded from a router, quoting the client's TTL-1 SYN in full (as Linux does, up to 576 bytes).</summary>
    public static byte[] TimeExceeded()
    {
        var syn = LinuxSyn(ttl: 1);
        var quote = syn.AsSpan(14).ToArray();
        quote[8] = 0; // TTL as the router saw it expire (the quoted header's checksum is left as is)
        var buf = new byte[14 + 20 + 8 + quote.Length];
        FrameBuilder.BuildIcmp(buf, new EthernetHeader(ClientMac, ServerMac), Ip(Router, Client) with { DontFragment = false, Ttl = 255 }, new IcmpHeader(IcmpHeader.TimeExceeded, 0, 0), quote);
        return buf;
    }

    public static byte[] EchoRequest()
    {
        var data = Enumerable.Range(0, 56).Select(i => (byte)i).ToArray();
        var buf = new byte[14 + 20 + 8 + data.Length];
        FrameBuilder.BuildIcmp(buf, new EthernetHeader(ServerMac, ClientMac), Ip(Client, Server), IcmpHeader.Echo(true, 0x1234, 1), data);
        return buf;
    }

    public static byte[] ArpRequest()
    {
        var buf = new byte[42];
        FrameBuilder.BuildArpRequest(buf, ClientMac, Client, Server);
        return buf;
    }

    /// <summary>The sample frames by name: every kind of layer the parser decodes.</summary>
    public static IEnumerable<(string Name, byte[] Frame)> All()
    {
        yield return ("linux SYN", LinuxSyn());
        yield return ("VLAN SYN", LinuxSyn(vlan: 0x2064));
        yield return ("data segment", DataSegment());
        yield return ("UDP", Udp(Client, Server, 5353, 53, [1, 2, 3]));
        yield return ("port unreachable", PortUnreachable());
        yield return ("time exceeded", TimeExceeded());
        yield return ("echo request", EchoRequest());
        yield return ("ARP request", ArpRequest());
        var padded = new byte[60];
        ArpRequest().CopyTo(padded, 0);
        yield return ("ARP padded to 60", padded);
    }

    public static readonly LinkType[] LinkTypes = [LinkType.Ethernet, LinkType.LinuxSll, LinkType.LinuxSll2, LinkType.Raw, LinkType.Ipv4, LinkType.Null];

    /// <summary>The same network-layer bytes under another link header; null when that link cannot carry them.</summary>
    public static byte[]? Reencapsulate(byte[] ethernetFrame, LinkType link)
    {
        var f = FrameParser.Parse(ethernetFrame);
        var network = ethernetFrame.AsSpan(f.NetworkOffset);
        var type = f.EtherType;
        byte[] header;
        switch (link)
        {
            case LinkType.Ethernet:
                return ethernetFrame.ToArray();
            case LinkType.LinuxSll:
                header = new byte[16];
                BinaryPrimitives.WriteUInt16BigEndian(header, 4);        // sent by us
                BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), 1); // ARPHRD_ETHER
                BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(4), 6);
                ethernetFrame.AsSpan(6, 6).CopyTo(header.AsSpan(6));
                BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(14), type);
                break;
            case LinkType.LinuxSll2:
                header = new byte[20];
                BinaryPrimitives.WriteUInt16BigEndian(header, type);
                BinaryPrimitives.WriteInt32BigEndian(header.AsSpan(4), 7);
                BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(8), 1);
                header[10] = 0;
                header[11] = 6;
                ethernetFrame.AsSpan(6, 6).CopyTo(header.AsSpan(12));
                break;
            case LinkType.Raw:
            case LinkType.Ipv4:
            case LinkType.Ipv6:
                if (type != (link == LinkType.Ipv6 ? 0x86DD : 0x0800) && !(link == LinkType.Raw && type == 0x86DD))
                {
                    return null;
                }

                header = [];
                break;
            case LinkType.Null:
                if (type is not (0x0800 or 0x86DD))
                {
                    return null;
                }

                header = [type == 0x0800 ? (byte)2 : (byte)10, 0, 0, 0];
                break;
            default:
                return null;
        }

        return [.. header, .. network];
    }

    /// <summary>Calls every accessor of a parsed frame (they must never throw) and returns something to keep them alive.</summary>
    public static int TouchAccessors(in ParsedFrame f, ReadOnlySpan<byte> frame)
    {
        var n = f.Payload(frame).Length + f.TcpOptions(frame).Length + f.IpOptions(frame).Length + f.Ipv6Extensions(frame).Length;
        n += (int)f.IpChecksum(frame) + (int)f.TransportChecksum(frame);
        var s = f.TcpOptionsSummary(frame);
        n += s.SackBlocks + (s.Mss ?? 0);
        return n;
    }
}
