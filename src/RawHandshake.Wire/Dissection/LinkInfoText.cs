using System.Globalization;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Wire.Dissection;

/// <summary>The Info and Protocol columns for ARP, ICMP and 802.2 LLC as tshark 4.0 writes them (packet-arp.c, packet-icmp.c, packet-llc.c).</summary>
public static class LinkInfoText
{
    /// <summary>ARP's protocol column: RARP, DRARP, Inverse ARP, MARS and MAPOS by opcode, else ARP.</summary>
    public static string ArpProtocol(ushort op) => op switch
    {
        3 or 4 => "RARP",
        5 or 6 or 7 => "DRARP",
        8 or 9 => "Inverse ARP",
        >= 11 and <= 22 => "MARS",
        23 => "MAPOS",
        _ => "ARP",
    };

    /// <summary>
    /// ARP's Info column. A request or reply whose sender and target IP are the same is gratuitous; such a request with
    /// an all-zero target MAC is an announcement; a request from 0.0.0.0 with an all-zero target MAC is a probe (RFC 5227).
    /// </summary>
    public static string Arp(ArpPacket a)
    {
        var gratuitous = a.Operation is ArpPacket.Request or ArpPacket.Reply && a.SenderIp == a.TargetIp;
        var zeroTarget = a.TargetMac.Value == 0;
        return a.Operation switch
        {
            ArpPacket.Request when gratuitous && zeroTarget => $"ARP Announcement for {a.TargetIp}",
            ArpPacket.Request when gratuitous => $"Gratuitous ARP for {a.TargetIp} (Request)",
            ArpPacket.Request when zeroTarget && a.SenderIp.Value == 0 => $"Who has {a.TargetIp}? (ARP Probe)",
            ArpPacket.Request => $"Who has {a.TargetIp}? Tell {a.SenderIp}",
            ArpPacket.Reply when gratuitous => $"Gratuitous ARP for {a.SenderIp} (Reply)",
            ArpPacket.Reply => $"{a.SenderIp} is at {a.SenderMac}",
            3 or 8 or 5 => $"Who is {a.TargetMac}? Tell {a.SenderMac}",
            4 or 6 => $"{a.TargetMac} is at {a.TargetIp}",
            7 => "DRARP Error",
            9 => $"{a.SenderMac} is at {a.SenderIp}",
            10 => "ARP NAK",
            11 => $"MARS request from {a.SenderMac} at {a.SenderIp}",
            12 => $"MARS MULTI request from {a.SenderMac} at {a.SenderIp}",
            13 => $"MARS MSERV request from {a.SenderMac} at {a.SenderIp}",
            14 => $"MARS JOIN request from {a.SenderMac} at {a.SenderIp}",
            15 => $"MARS LEAVE from {a.SenderMac} at {a.SenderIp}",
            16 => $"MARS NAK from {a.SenderMac} at {a.SenderIp}",
            17 => $"MARS UNSERV request from {a.SenderMac} at {a.SenderIp}",
            18 => $"MARS SJOIN request from {a.SenderMac} at {a.SenderIp}",
            19 => $"MARS SLEAVE from {a.SenderMac} at {a.SenderIp}",
            20 => $"MARS grouplist request from {a.SenderMac} at {a.SenderIp}",
            21 => $"MARS grouplist reply from {a.SenderMac} at {a.SenderIp}",
            22 => $"MARS redirect map from {a.SenderMac} at {a.SenderIp}",
            23 => $"MAPOS UNARP request from {a.SenderMac} at {a.SenderIp}",
            24 => "Experimental 1 ( opcode 24 )",
            25 => "Experimental 2 ( opcode 25 )",
            0 or 65535 => string.Create(CultureInfo.InvariantCulture, $"Reserved opcode {a.Operation}"),
            _ => string.Create(CultureInfo.InvariantCulture, $"Unknown ARP opcode 0x{a.Operation:x4}"),
        };
    }

    /// <summary>
    /// ICMP's Info column: the type name padded to 20 columns, the code's meaning in parentheses where the type has
    /// codes, then for the query types <c>id=0x…, seq=n/n, ttl=n</c>; an echo reply names its request's frame.
    /// </summary>
    public static string Icmp(IcmpHeader icmp, byte ttl, int? requestFrame = null)
    {
        var (type, code) = IcmpNames(icmp.Type, icmp.Code);
        var s = type.PadRight(20) + (code is null ? "" : $" ({code})");
        if (icmp.Type is 0 or 8 or 13 or 14 or 15 or 16 or 17 or 18)
        {
            var seq = icmp.SequenceNumber;
            s += string.Create(CultureInfo.InvariantCulture, $" id=0x{icmp.Identifier:x4}, seq={seq}/{(ushort)((seq << 8) | (seq >> 8))}, ttl={ttl}");
        }

        if (requestFrame is { } n)
        {
            s += string.Create(CultureInfo.InvariantCulture, $" (request in {n})");
        }

        return s;
    }

    private static (string Type, string? Code) IcmpNames(byte type, byte code) => type switch
    {
        0 => ("Echo (ping) reply", null),
        3 => ("Destination unreachable", Unknown(code, Unreachable)),
        4 => ("Source quench (flow control)", null),
        5 => ("Redirect", Unknown(code, ["Redirect for network", "Redirect for host", "Redirect for TOS and network", "Redirect for TOS and host"])),
        8 => ("Echo (ping) request", null),
        9 => ("Router advertisement", Unknown(code, ["Normal router advertisement"])),
        10 => ("Router solicitation", null),
        11 => ("Time-to-live exceeded", Unknown(code, ["Time to live exceeded in transit", "Fragment reassembly time exceeded"])),
        12 => ("Parameter problem", Unknown(code, ["Pointer indicates the error", "Required option missing", "Bad length"])),
        13 => ("Timestamp request", null),
        14 => ("Timestamp reply", null),
        15 => ("Information request", null),
        16 => ("Information reply", null),
        17 => ("Address mask request", null),
        18 => ("Address mask reply", null),
        40 => ("Photuris", Unknown(code, ["Bad SPI", "Authentication Failed", "Decompression Failed", "Decryption Failed", "Need Authentication", "Need Authorization"])),
        42 => ("Extended Echo request", Unknown(code, ["No error"])),
        43 => ("Extended Echo reply", Unknown(code, ["No error", "Malformed Query", "No Such Interface", "No Such Table Entry", "Multiple Interfaces Satisfy Query"])),
        _ => ("Unknown ICMP (obsolete or malformed?)", null),
    };

    private static readonly string[] Unreachable =
    [
        "Network unreachable", "Host unreachable", "Protocol unreachable", "Port unreachable", "Fragmentation needed",
        "Source route failed", "Destination network unknown", "Destination host unknown", "Source host isolated",
        "Network administratively prohibited", "Host administratively prohibited", "Network unreachable for TOS",
        "Host unreachable for TOS", "Communication administratively filtered", "Host precedence violation", "Precedence cutoff in effect",
    ];

    private static string Unknown(byte code, string[] names) =>
        code < names.Length ? names[code] : string.Create(CultureInfo.InvariantCulture, $"Unknown code: {code}");

    /// <summary>
    /// 802.2 LLC's Info column: the control field (<c>U, func=UI</c>, <c>I, N(R)=0, N(S)=0</c>, <c>S, func=RR, N(R)=0</c>),
    /// then the SAPs by name: <c>; DSAP Spanning Tree BPDU Individual, SSAP Spanning Tree BPDU Command</c>.
    /// </summary>
    public static string Llc(LlcHeader llc)
    {
        var control = llc.Control;
        string c;
        if ((control & 1) == 0)
        {
            c = string.Create(CultureInfo.InvariantCulture, $"I{PollFinal(llc, (control >> 8) & 1)}, N(R)={control >> 9}, N(S)={(control >> 1) & 0x7F}");
        }
        else if ((control & 3) == 1)
        {
            var func = ((control >> 2) & 3) switch { 0 => "RR", 1 => "RNR", 2 => "REJ", _ => "SREJ" };
            c = string.Create(CultureInfo.InvariantCulture, $"S{PollFinal(llc, (control >> 8) & 1)}, func={func}, N(R)={control >> 9}");
        }
        else
        {
            var func = (control & ~0x10) switch
            {
                0x03 => "UI",
                0x6F => "SABME",
                0x43 => "DISC",
                0x63 => "UA",
                0x0F => "DM",
                0x87 => "FRMR",
                0xAF => "XID",
                0xE3 => "TEST",
                var v => string.Create(CultureInfo.InvariantCulture, $"Unknown 0x{v:x2}"),
            };
            c = $"U{PollFinal(llc, (control >> 4) & 1)}, func={func}";
        }

        return $"{c}; DSAP {Sap(llc.Dsap)} {((llc.Dsap & 1) == 0 ? "Individual" : "Group")}, SSAP {Sap(llc.Ssap)} {((llc.Ssap & 1) == 0 ? "Command" : "Response")}";
    }

    private static string PollFinal(LlcHeader llc, int bit) => bit == 0 ? "" : (llc.Ssap & 1) == 0 ? " P" : " F";

    /// <summary>Service access point names (IEEE 802 numbers, tshark's spelling).</summary>
    public static string Sap(byte sap) => (sap & 0xFE) switch
    {
        0x00 => "NULL LSAP",
        0x02 => "LLC Sub-Layer Management",
        0x06 => "TCP/IP",
        0x42 => "Spanning Tree BPDU",
        0x98 => "ARP",
        0xAA => "SNAP",
        0xE0 => "NetWare",
        0xF0 => "NetBIOS",
        0xFE => "ISO Network Layer",
        var v => string.Create(CultureInfo.InvariantCulture, $"0x{v:x2}"),
    };

    /// <summary>Whether ARP's duplicate-address check looks at this MAC/IP pair: a unicast, non-zero MAC and a non-zero IP.</summary>
    public static bool IsBinding(MacAddress mac, IPv4Address ip) => ((mac.Value >> 40) & 1) == 0 && mac.Value != 0 && ip.Value != 0;
}
