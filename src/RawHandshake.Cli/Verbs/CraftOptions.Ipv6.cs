using CommandLine;

namespace RawHandshake.Cli.Verbs;

/// <summary>The IPv6 fields of <c>craft</c>: an IPv6 --src/--dst, or any of these options, makes an IPv6 frame.</summary>
public sealed partial class CraftOptions
{
    [Option("hop-limit", HelpText = "IPv6 hop limit (default 64; 255 for neighbour discovery).")]
    public string? HopLimit { get; set; }

    [Option("flow-label", HelpText = "IPv6 flow label (20 bits, default 0).")]
    public string? FlowLabel { get; set; }

    [Option("traffic-class", HelpText = "IPv6 traffic class: DSCP << 2 | ECN (default 0).")]
    public string? TrafficClass { get; set; }

    [Option("payload-len", HelpText = "IPv6 payload length as sent (default: computed).")]
    public string? PayloadLength { get; set; }

    [Option("ext", HelpText = "IPv6 extension headers in order: hbh[=HEX], dstopt[=HEX] (option TLVs, padded), rt=TYPE:SEGLEFT[:ADDR,ADDR…], frag=OFFSET:M:ID, or N=HEX (any type, body as given).")]
    public IEnumerable<string>? Ext { get; set; }

    [Option("ndp", HelpText = "Make an IPv6 neighbour discovery message: ns, na, rs or ra (hop limit 255).")]
    public string? Ndp { get; set; }

    [Option("target", HelpText = "NS/NA target address (NS default: --dst; the NS goes to the target's solicited-node address).")]
    public string? Target { get; set; }

    [Option("lladdr", HelpText = "NDP link-layer address option (default: the source MAC; none to leave it out).")]
    public string? LinkAddress { get; set; }

    [Option("na-flags", HelpText = "NA flags: letters r (router), s (solicited), o (override); default so; none for no flag.")]
    public string? NaFlags { get; set; }

    [Option("prefix", HelpText = "RA prefix information option: PREFIX/LEN, e.g. 2001:db8::/64 (on-link, autonomous).")]
    public string? Prefix { get; set; }

    [Option("mtu", HelpText = "ICMPv6 packet too big: the MTU (default 1280); RA: an MTU option.")]
    public string? Mtu { get; set; }
}
