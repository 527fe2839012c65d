using System.Reflection;
using CommandLine;
using RawHandshake.Cli.Args;
using RawHandshake.Engine;
using RawHandshake.Recipes.Syntax;
using RawHandshake.Wire.Building;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Cli.Verbs;

/// <summary>The frame a <c>craft</c> command line describes, validated; <see cref="Build"/> emits its bytes.</summary>
public sealed class FrameSpec
{
    public static readonly MacAddress DefaultSourceMac = new(0x02_00_00_00_00_01);

    public EthernetHeader Ethernet { get; set; }
    public IPv4Header IPv4 { get; set; }
    public TcpHeader Tcp { get; set; }
    public byte[] TcpOptions { get; set; } = [];
    public byte[] Payload { get; set; } = [];
    public IcmpHeader? Icmp { get; set; }
    public UdpFields? Udp { get; set; }
    public ArpPacket? Arp { get; set; }

    /// <summary>Set when the frame is IPv6 (then <see cref="IPv4"/> is unused); see <see cref="Ipv6FrameSpec"/>.</summary>
    public IPv6Header? IPv6 { get; set; }
    public Icmpv6Header? Icmpv6 { get; set; }

    /// <summary>Which of the addresses the user gave (the rest may be filled in from the route when sending).</summary>
    public bool SourceGiven { get; set; }
    public bool SourceMacGiven { get; set; }
    public bool DestinationMacGiven { get; set; }

    public static FrameSpec From(CraftOptions o)
    {
        var spec = new FrameSpec
        {
            SourceGiven = o.Src is not null,
            SourceMacGiven = o.SrcMac is not null,
            DestinationMacGiven = o.DstMac is not null,
        };
        var srcMac = o.SrcMac is null ? DefaultSourceMac : ArgParse.Mac(o.SrcMac, "--src-mac");
        var dstMac = o.DstMac is null ? MacAddress.Broadcast : ArgParse.Mac(o.DstMac, "--dst-mac");
        var vlan = ArgParse.U16(o.Vlan, "--vlan");
        if (vlan > 4095)
        {
            throw new UsageException($"--vlan: {vlan} is out of range (0 to 4095)");
        }

        spec.Ethernet = new EthernetHeader(dstMac, srcMac, ArgParse.U16(o.EtherType, "--ether-type")) { VlanTci = vlan };

        spec.Payload = PayloadOf(o);
        var v6 = Ipv6FrameSpec.Fill(spec, o);
        var src = v6 ? IPv4Address.Any : ArgParse.Address(o.Src ?? "198.18.0.1", "--source");
        var dst = v6 ? IPv4Address.Any : ArgParse.Address(o.Dst ?? "198.18.2.10", "--dst");
        var ipOptions = o.IpOptions is null ? [] : ArgParse.Hex(o.IpOptions, "--ip-options");
        if (ipOptions.Length > 40 && o.Ihl is null)
        {
            throw new UsageException($"--ip-options: {ipOptions.Length} bytes do not fit in an IP header (at most 40; set --ihl to send them anyway)");
        }

        // The header fields a recipe's send can set come from the one field table: its option names, ranges and setters.
        var fields = HeaderFields(o);
        spec.IPv4 = RecipeFields.Apply(fields, new IPv4Header
        {
            Source = src,
            Destination = dst,
            Version = ArgParse.U8(o.IpVersion, "--ip-version", 15),
            Id = 1,
            Ttl = 64,
            Protocol = ArgParse.U8(o.Protocol, "--protocol"),
            Options = ipOptions,
        });

        if (spec.Payload.Length > 65535 - 60 - 60)
        {
            throw new UsageException($"--data: {spec.Payload.Length} bytes do not fit in one IPv4 datagram (at most {65535 - 60 - 60} with full headers)");
        }

        if (o.Arp is not null)
        {
            if (o.IcmpType is not null)
            {
                throw new UsageException("--arp and --icmp-type: a frame is ARP or ICMP, not both");
            }

            if (o.Udp)
            {
                throw new UsageException("--arp and --udp: a frame is ARP or UDP, not both");
            }

            var op = o.Arp.ToLowerInvariant() switch
            {
                "request" or "who-has" => ArpPacket.Request,
                "reply" or "is-at" => ArpPacket.Reply,
                _ => ArgParse.U16(o.Arp, "--arp")!.Value,
            };
            var targetMac = o.ArpTargetMac is null ? MacAddress.Zero : ArgParse.Mac(o.ArpTargetMac, "--arp-target-mac");
            spec.Arp = new ArpPacket(op, srcMac, src, targetMac, dst);
            return spec;
        }

        if (o.Udp)
        {
            if (o.IcmpType is not null)
            {
                throw new UsageException("--udp and --icmp-type: a frame is UDP or ICMP, not both");
            }

            spec.Udp = new UdpFields(ArgParse.U16(o.Sport, "--sport") ?? 40000, ArgParse.U16(o.Dport, "--dport") ?? 20000)
            {
                Length = ArgParse.U16(o.UdpLength, "--udp-len"),
                Checksum = ArgParse.U16(o.UdpChecksum, "--udp-checksum"),
            };
            return spec;
        }

        if (o.IcmpType is not null)
        {
            var type = ArgParse.U8(o.IcmpType, "--icmp-type")!.Value;
            var id = ArgParse.U16(o.IcmpId, "--icmp-id") ?? 1;
            var seq = ArgParse.U16(o.IcmpSeq, "--icmp-seq") ?? 1;
            var rest = type is IcmpHeader.EchoRequest or IcmpHeader.EchoReply ? ((uint)id << 16) | seq : 0u;
            spec.Icmp = new IcmpHeader(type, ArgParse.U8(o.IcmpCode, "--icmp-code") ?? 0, rest) { Checksum = ArgParse.U16(o.IcmpChecksum, "--icmp-checksum") };
            return spec;
        }

        spec.Tcp = new TcpHeader(
            ArgParse.U16(o.Sport, "--sport") ?? 40000,
            ArgParse.U16(o.Dport, "--dport") ?? 20000,
            new SeqNum(ArgParse.U32(o.Seq, "--seq") ?? 0),
            new SeqNum(ArgParse.U32(o.Ack, "--ack") ?? 0),
            o.Flags is null ? TcpFlags.Syn : ArgParse.Flags(o.Flags, "--flags"),
            ArgParse.U16(o.Win, "--window") ?? 64240);
        spec.Tcp = RecipeFields.Apply(fields, spec.Tcp);
        spec.TcpOptions = TcpOptionBytes(o);
        if (spec.TcpOptions.Length > 40 && spec.Tcp.DataOffset is null)
        {
            throw new UsageException($"TCP options take {spec.TcpOptions.Length} bytes; at most 40 fit (set --data-offset to send them anyway)");
        }

        return spec;
    }

    /// <summary>
    /// The craft options of every header field in <see cref="RecipeFields"/> (its <see cref="RecipeField.CraftOption"/>),
    /// each parsed in the field's range and set through the field's setter, as a recipe's send sets it.
    /// </summary>
    internal static FrameOverrides HeaderFields(CraftOptions o)
    {
        var overrides = new FrameOverrides();
        foreach (var field in RecipeFields.All)
        {
            if (field.Set is not { } set || field.CraftOption is not { } option || OptionProperty(option) is not { } property)
            {
                continue;
            }

            long? value = property.GetValue(o) switch
            {
                string text => (long)ArgParse.Number(text, option, (ulong)field.Max),
                true => 1,
                _ => null,
            };
            if (value is { } v)
            {
                overrides = set(overrides, v);
            }
        }

        return overrides;
    }

    private static readonly Dictionary<string, PropertyInfo> CraftProperties = typeof(CraftOptions).GetProperties()
        .Select(p => (p, a: p.GetCustomAttribute<OptionAttribute>()))
        .Where(x => x.a?.LongName is { Length: > 0 })
        .ToDictionary(x => "--" + x.a!.LongName, x => x.p, StringComparer.Ordinal);

    /// <summary>The craft option property named <paramref name="option"/> (<c>--ttl</c>), or null when craft has none.</summary>
    public static PropertyInfo? OptionProperty(string option) => CraftProperties.GetValueOrDefault(option);
    /// <summary>The payload: every <c>--data</c> or every <c>--data-hex</c>, in the order given, joined.</summary>
    private static byte[] PayloadOf(CraftOptions o) =>
        o.Data.Any() && o.DataHex.Any() ? throw new UsageException("--data and --data-hex: give one or the other")
        : [.. Payloads.Read(o.Data, o.DataHex, []).SelectMany(p => p)];

    private static byte[] TcpOptionBytes(CraftOptions o)
    {
        var standard = o.Mss is not null || o.Wscale is not null || o.SackOk || o.Sack is not null || o.Ts is not null;
        if (o.TcpOptions is not null)
        {
            return standard
                ? throw new UsageException("--tcp-options gives the raw option bytes: leave out --mss, --wscale, --sackok, --sack and --ts")
                : ArgParse.Hex(o.TcpOptions, "--tcp-options");
        }

        if (!standard)
        {
            return [];
        }

        (uint, uint)? ts = null;
        if (o.Ts is not null)
        {
            var parts = o.Ts.Split(':');
            if (parts.Length != 2)
            {
                throw new UsageException($"--ts: '{o.Ts}' should be VAL:ECR, e.g. 12345:0");
            }

            ts = ((uint)ArgParse.Number(parts[0], "--ts", uint.MaxValue), (uint)ArgParse.Number(parts[1], "--ts", uint.MaxValue));
        }

        var blocks = new List<(uint, uint)>();
        if (o.Sack is not null)
        {
            foreach (var b in o.Sack.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var lr = b.Split('-');
                if (lr.Length != 2)
                {
                    throw new UsageException($"--sack: '{b}' should be LEFT-RIGHT, e.g. 1001-2001");
                }

                blocks.Add(((uint)ArgParse.Number(lr[0], "--sack", uint.MaxValue), (uint)ArgParse.Number(lr[1], "--sack", uint.MaxValue)));
            }

            if (blocks.Count is 0 or > 4)
            {
                throw new UsageException($"--sack: {blocks.Count} blocks given; 1 to 4 fit in the options");
            }
        }

        var set = new TcpOptionSet(ArgParse.U16(o.Mss, "--mss"), ArgParse.U8(o.Wscale, "--wscale"), o.SackOk, ts);
        Span<byte> buffer = stackalloc byte[64];
        var n = TcpOptionLayout.Write(buffer, set, blocks.ToArray());
        return buffer[..n].ToArray();
    }

    public byte[] Build()
    {
        var buffer = new byte[FrameBuilder.MaxFrameLength];
        var eth = Ethernet;
        int n;
        if (IPv6 is { } ip6)
        {
            n = Ipv6FrameSpec.Build(this, ip6, buffer);
        }
        else if (Arp is { } arp)
        {
            n = FrameBuilder.BuildArp(buffer, eth, arp);
        }
        else if (Udp is { } udp)
        {
            n = FrameBuilder.BuildUdp(buffer, eth, IPv4, udp, Payload);
        }
        else if (Icmp is { } icmp)
        {
            n = FrameBuilder.BuildIcmp(buffer, eth, IPv4, icmp, Payload);
        }
        else
        {
            n = FrameBuilder.BuildTcp(buffer, eth, IPv4, Tcp, TcpOptions, Payload);
        }

        return buffer[..n];
    }
}
