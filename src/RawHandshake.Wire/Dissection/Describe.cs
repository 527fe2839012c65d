using System.Globalization;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Wire.Dissection;

/// <summary>Names for numbers, as Wireshark prints them.</summary>
public static class Describe
{
    public static string EtherTypeName(ushort type) => type switch
    {
        0x0800 => "IPv4",
        0x0806 => "ARP",
        0x86DD => "IPv6",
        0x8100 => "802.1Q Virtual LAN",
        0x88A8 => "802.1ad",
        0x88CC => "LLDP",
        0x8864 => "PPPoE Session",
        _ => "Unknown",
    };

    /// <summary>tshark's Info column for an Ethernet frame whose type it does not dissect further: the type's name, or "Ethernet II".</summary>
    public static string EtherTypeInfo(ushort type) => type switch
    {
        0x88CC => "802.1 Link Layer Discovery Protocol (LLDP)",
        0x88B5 => "Local Experimental Ethertype 1",
        0x88B6 => "Local Experimental Ethertype 2",
        0x8863 => "PPPoE Discovery",
        0x8864 => "PPPoE Session",
        0x88E5 => "802.1AE (MACsec)",
        0x888E => "802.1X Authentication",
        0x8847 => "MPLS label switched packet",
        0x8848 => "MPLS multicast label switched packet",
        0x88F7 => "PTPv2 over Ethernet (IEEE1588)",
        0x8809 => "Slow Protocols",
        0x22F0 => "IEEE 1722 Audio Video Transport Protocol",
        _ => "Ethernet II",
    };

    /// <summary>tshark's Info column for an IPv4 payload it does not dissect further: the protocol's long name.</summary>
    public static string IpProtocolInfo(byte p) => p switch
    {
        2 => "IGMP",
        33 => "Datagram Congestion Control Protocol",
        46 => "Reservation Protocol",
        47 => "Generic Routing Encapsulation",
        50 => "Encap Security Payload",
        51 => "Authentication Header",
        89 => "OSPF IGP",
        103 => "PIM",
        112 => "VRRP",
        115 => "Layer 2 Tunneling",
        132 => "SCTP",
        136 => "UDPLite",
        _ => "Unknown",
    };

    public static string IpProtocolName(byte p) => p switch
    {
        1 => "ICMP",
        2 => "IGMP",
        6 => "TCP",
        17 => "UDP",
        41 => "IPv6",
        47 => "GRE",
        50 => "ESP",
        58 => "ICMPv6",
        132 => "SCTP",
        _ => "Unknown",
    };

    public static string Dscp(byte dscp) => dscp switch
    {
        0 => "CS0",
        8 => "CS1",
        16 => "CS2",
        24 => "CS3",
        32 => "CS4",
        40 => "CS5",
        48 => "CS6",
        56 => "CS7",
        46 => "EF",
        44 => "VOICE-ADMIT",
        10 or 12 or 14 or 18 or 20 or 22 or 26 or 28 or 30 or 34 or 36 or 38 => $"AF{dscp / 8}{(dscp % 8) / 2}",
        _ => dscp.ToString(CultureInfo.InvariantCulture),
    };

    public static string Ecn(byte ecn) => ecn switch
    {
        0 => "Not-ECT",
        1 => "ECT(1)",
        2 => "ECT(0)",
        _ => "CE",
    };

    public static string IcmpType(byte type, byte code) => type switch
    {
        0 => "Echo (ping) reply",
        3 => "Destination unreachable (" + UnreachableCode(code) + ")",
        4 => "Source quench",
        5 => "Redirect",
        8 => "Echo (ping) request",
        11 => code == 0 ? "Time-to-live exceeded (Time to live exceeded in transit)" : "Time-to-live exceeded (Fragment reassembly time exceeded)",
        12 => "Parameter problem",
        13 => "Timestamp request",
        14 => "Timestamp reply",
        _ => $"Unknown ICMP (type {type}, code {code})",
    };

    public static string UnreachableCode(byte code) => code switch
    {
        0 => "Network unreachable",
        1 => "Host unreachable",
        2 => "Protocol unreachable",
        3 => "Port unreachable",
        4 => "Fragmentation needed",
        5 => "Source route failed",
        9 or 10 => "Administratively prohibited",
        13 => "Communication administratively filtered",
        _ => $"code {code}",
    };

    public static string TcpOptionName(TcpOptionKind kind) => kind switch
    {
        TcpOptionKind.EndOfOptions => "End of Option List (EOL)",
        TcpOptionKind.Nop => "No-Operation (NOP)",
        TcpOptionKind.Mss => "Maximum segment size",
        TcpOptionKind.WindowScale => "Window scale",
        TcpOptionKind.SackPermitted => "SACK permitted",
        TcpOptionKind.Sack => "SACK",
        TcpOptionKind.Timestamps => "Timestamps",
        TcpOptionKind.Md5 => "MD5 signature",
        TcpOptionKind.UserTimeout => "User Timeout",
        TcpOptionKind.Ao => "TCP-AO",
        TcpOptionKind.Mptcp => "Multipath TCP",
        TcpOptionKind.FastOpen => "TCP Fast Open Cookie",
        _ => $"Unknown (kind {(byte)kind})",
    };

    /// <summary>A bit-field picture such as <c>.... ..1. = </c> for <paramref name="width"/> bits starting at bit <paramref name="high"/> (counted from the top) of a <paramref name="total"/>-bit field.</summary>
    public static string Bits(uint value, int total, int high, int width)
    {
        var chars = new List<char>(total + (total / 4));
        for (var i = 0; i < total; i++)
        {
            if (i > 0 && i % 4 == 0)
            {
                chars.Add(' ');
            }

            var inField = i >= high && i < high + width;
            chars.Add(inField ? (((value >> (total - 1 - i)) & 1) == 1 ? '1' : '0') : '.');
        }

        return new string([.. chars]) + " = ";
    }

    public static string Hex(ReadOnlySpan<byte> bytes, string separator = "")
    {
        return bytes.Length == 0 ? "" : string.Join(separator, bytes.ToArray().Select(b => b.ToString("x2", CultureInfo.InvariantCulture)));
    }
}
