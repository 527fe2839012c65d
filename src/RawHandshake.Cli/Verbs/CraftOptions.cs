using CommandLine;

namespace RawHandshake.Cli.Verbs;

/// <summary>The fields of one frame. Every number takes decimal or 0x-hex; unset lengths and checksums are computed.</summary>
[Verb("craft", HelpText = "Build one Ethernet/IPv4 or IPv6/TCP (or UDP, ICMP, ICMPv6, NDP, ARP) frame field by field; print its summary, field tree and hex dump.")]
public sealed partial class CraftOptions
{
    [Option("src-mac", HelpText = "Source MAC (default 02:00:00:00:00:01).")]
    public string? SrcMac { get; set; }

    [Option("dst-mac", HelpText = "Destination MAC (default ff:ff:ff:ff:ff:ff).")]
    public string? DstMac { get; set; }

    [Option("ether-type", HelpText = "EtherType as sent (default: from the payload, 0x0800 or 0x0806).")]
    public string? EtherType { get; set; }

    [Option("vlan", HelpText = "Add an 802.1Q tag with this VLAN ID (0-4095).")]
    public string? Vlan { get; set; }

    [Option("source", HelpText = "Source IPv4 address (default 198.18.0.1; --src works too).")]
    public string? Src { get; set; }

    [Option("dst", HelpText = "Destination IPv4 address (default 198.18.2.10).")]
    public string? Dst { get; set; }

    [Option("ip-version", HelpText = "IP version nibble as sent (default 4).")]
    public string? IpVersion { get; set; }

    [Option("ihl", HelpText = "IP header length in 32-bit words as sent (default: computed).")]
    public string? Ihl { get; set; }

    [Option("tos", HelpText = "Type of service byte: DSCP << 2 | ECN (default 0).")]
    public string? Tos { get; set; }

    [Option("ip-len", HelpText = "IP total length as sent (default: computed).")]
    public string? IpLength { get; set; }

    [Option("id", HelpText = "IP identification (default 1).")]
    public string? Id { get; set; }

    [Option("evil", HelpText = "Set the reserved IP flag bit (RFC 3514).")]
    public bool Evil { get; set; }

    [Option("df", HelpText = "Set Don't Fragment.")]
    public bool Df { get; set; }

    [Option("mf", HelpText = "Set More Fragments.")]
    public bool Mf { get; set; }

    [Option("frag-offset", HelpText = "Fragment offset in 8-byte units (0-8191).")]
    public string? FragOffset { get; set; }

    [Option("ttl", HelpText = "Time to live (default 64).")]
    public string? Ttl { get; set; }

    [Option("protocol", HelpText = "IP protocol number as sent (default: from the payload).")]
    public string? Protocol { get; set; }

    [Option("ip-checksum", HelpText = "IP header checksum as sent (default: computed).")]
    public string? IpChecksum { get; set; }

    [Option("ip-options", HelpText = "IP option bytes in hex (padded to 32 bits).")]
    public string? IpOptions { get; set; }

    [Option("sport", HelpText = "TCP source port (default 40000; with --send the next one outside the kernel's ephemeral range, from a random start).")]
    public string? Sport { get; set; }

    [Option("dport", HelpText = "TCP destination port (default 20000).")]
    public string? Dport { get; set; }

    [Option("flags", HelpText = "TCP flags: S, S., P., F., R, ., SA, PA, FA, RA, 'syn,ack', 0x12 … (default S).")]
    public string? Flags { get; set; }

    [Option("seq", HelpText = "Sequence number (default 0).")]
    public string? Seq { get; set; }

    [Option("ack", HelpText = "Acknowledgment number (default 0).")]
    public string? Ack { get; set; }

    [Option("data-offset", HelpText = "TCP data offset in 32-bit words as sent (default: computed).")]
    public string? DataOffset { get; set; }

    [Option("reserved", HelpText = "The three reserved TCP header bits (0-7).")]
    public string? Reserved { get; set; }

    [Option("window", HelpText = "Window as sent (default 64240, at most 65535; --win works too).")]
    public string? Win { get; set; }

    [Option("urg", HelpText = "Urgent pointer (default 0).")]
    public string? Urg { get; set; }

    [Option("tcp-checksum", HelpText = "TCP checksum as sent (default: computed).")]
    public string? TcpChecksum { get; set; }

    [Option("mss", HelpText = "MSS option.")]
    public string? Mss { get; set; }

    [Option("wscale", HelpText = "Window scale option (shift count).")]
    public string? Wscale { get; set; }

    [Option("sackok", HelpText = "SACK-permitted option.")]
    public bool SackOk { get; set; }

    [Option("sack", HelpText = "SACK blocks: L-R,L-R (up to 4).")]
    public string? Sack { get; set; }

    [Option("ts", HelpText = "Timestamps option: VAL:ECR.")]
    public string? Ts { get; set; }

    [Option("tcp-options", HelpText = "Raw TCP option bytes in hex, sent as given (replaces --mss/--wscale/--sackok/--sack/--ts).")]
    public string? TcpOptions { get; set; }

    [Option("data", HelpText = "Payload text; C escapes such as \\r\\n and \\x04 are understood. Repeat it: the texts follow each other.")]
    public IEnumerable<string> Data { get; set; } = [];

    [Option("data-hex", HelpText = "Payload as hex bytes. Repeat it: the bytes follow each other.")]
    public IEnumerable<string> DataHex { get; set; } = [];

    [Option("icmp-type", HelpText = "Make an ICMP message of this type instead of TCP (8 echo request, 0 echo reply, 3 unreachable, 11 time exceeded).")]
    public string? IcmpType { get; set; }

    [Option("icmp-code", HelpText = "ICMP code (default 0).")]
    public string? IcmpCode { get; set; }

    [Option("icmp-id", HelpText = "ICMP echo identifier.")]
    public string? IcmpId { get; set; }

    [Option("icmp-seq", HelpText = "ICMP echo sequence number.")]
    public string? IcmpSeq { get; set; }

    [Option("icmp-checksum", HelpText = "ICMP checksum as sent (default: computed).")]
    public string? IcmpChecksum { get; set; }

    [Option("udp", HelpText = "Make a UDP datagram instead of TCP (ports from --sport and --dport, payload from --data).")]
    public bool Udp { get; set; }

    [Option("udp-len", HelpText = "UDP length as sent (default: computed).")]
    public string? UdpLength { get; set; }

    [Option("udp-checksum", HelpText = "UDP checksum as sent (default: computed; 0 means none).")]
    public string? UdpChecksum { get; set; }

    [Option("arp", HelpText = "Make an ARP packet instead: request, reply or an opcode number.")]
    public string? Arp { get; set; }

    [Option("arp-target-mac", HelpText = "ARP target hardware address (default 00:00:00:00:00:00).")]
    public string? ArpTargetMac { get; set; }

    [Option('w', "write", HelpText = "Also write the frame to this capture file (.pcap, or .pcapng with a comment); with --send every frame sent and received.")]
    public string? Write { get; set; }

    [Option("send", HelpText = "Put the frame on the wire and print each reply (the frame it answers, its RTT) and the statistics (needs root or CAP_NET_RAW). Unset source, MACs are filled in from the route and ARP; an unset --sport is the next one outside the kernel's ephemeral range.")]
    public bool Send { get; set; }

    [Option('c', "count", HelpText = "With --send: send the frame this many times (default 1, at most 1000000), like hping3 -c. Unless set, the source port, IP ID and ICMP sequence go up by one per frame, so each reply maps to its frame.")]
    public string? Count { get; set; }

    [Option("interval", HelpText = "With --send: time between two frames (default 1s), e.g. 10ms.")]
    public string? Interval { get; set; }

    [Option("rate", HelpText = "With --send: frames per second instead of --interval, or max (as fast as possible). Above 1000 per second only the statistics are printed.")]
    public string? Rate { get; set; }

    [Option('v', "verbose", HelpText = "With --send: a line per reply at any rate (above 1000 frames per second the default is the statistics line only).")]
    public bool Verbose { get; set; }

    [Option("rst-guard", HelpText = "With --send, for TCP: keep our own kernel from resetting what a SYN opens: nft, phantom (with --src an unused address), none. Default: nft when possible. A SYN-ACK is answered with our own RST.")]
    public string? RstGuard { get; set; }

    [Option("timeout", HelpText = "With --send: how long to wait for replies after the last frame (default 1s).")]
    public string? Timeout { get; set; }

    [Option("iface", HelpText = "With --send: the interface (default: from the route).")]
    public string? Iface { get; set; }

    [Option("netns", HelpText = "With --send: run inside this network namespace.")]
    public string? Netns { get; set; }

    [Option("json", HelpText = "Print the frame as one JSON object; with --send JSON lines: packets, a reply object per reply, the statistics last.")]
    public bool Json { get; set; }

    [Option("color", HelpText = "Colours: auto (default: only when the output is a terminal and NO_COLOR is unset), always, never.")]
    public string? Color { get; set; }

    [Option("hex-only", HelpText = "Print only the frame's bytes as a hex string.")]
    public bool HexOnly { get; set; }
}
