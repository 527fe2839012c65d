using System.Globalization;
using RawHandshake.Cli.Args;
using RawHandshake.Wire.Building;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Cli.Verbs;

/// <summary>The IPv6 part of <see cref="FrameSpec"/>: the IPv6 header, extension headers, ICMPv6 and NDP a <c>craft</c> line gives.</summary>
public static class Ipv6FrameSpec
{
    public static readonly IPv6Address DefaultSource = IPv6Address.Parse("2001:db8::1");
    public static readonly IPv6Address DefaultDestination = IPv6Address.Parse("2001:db8:2::10");

    /// <summary>Whether the line asks for IPv6: an IPv6 address or an option only IPv6 has.</summary>
    public static bool Wanted(CraftOptions o) =>
        IsV6(o.Src) || IsV6(o.Dst) || o.HopLimit is not null || o.FlowLabel is not null || o.TrafficClass is not null
        || o.PayloadLength is not null || o.Ext?.Any() == true || o.Ndp is not null;

    private static bool IsV6(string? text) => text is not null && text.Contains(':', StringComparison.Ordinal);

    /// <summary>Fills <paramref name="spec"/>'s IPv6 header (and ICMPv6/NDP message) when the line asks for IPv6; false otherwise.</summary>
    public static bool Fill(FrameSpec spec, CraftOptions o)
    {
        if (!Wanted(o))
        {
            return false;
        }

        foreach (var (value, name, instead) in new (object?, string, string)[]
        {
            (o.Ihl, "--ihl", ""), (o.Tos, "--tos", "--traffic-class"), (o.IpLength, "--ip-len", "--payload-len"), (o.Id, "--id", "--ext frag=OFFSET:M:ID"),
            (o.Evil ? "" : null, "--evil", ""), (o.Df ? "" : null, "--df", ""), (o.Mf ? "" : null, "--mf", "--ext frag=OFFSET:M:ID"),
            (o.FragOffset, "--frag-offset", "--ext frag=OFFSET:M:ID"), (o.Ttl, "--ttl", "--hop-limit"), (o.IpChecksum, "--ip-checksum", ""),
            (o.IpOptions, "--ip-options", "--ext hbh=HEX or --ext dstopt=HEX"),
            (o.Arp, "--arp", "--ndp"), (o.ArpTargetMac, "--arp-target-mac", "--ndp"),
        })
        {
            if (value is not null)
            {
                throw new UsageException($"{name}: an IPv4 field, and this frame is IPv6{(instead.Length > 0 ? $" (use {instead})" : "")}");
            }
        }

        var src = Address(o.Src, "--src") ?? DefaultSource;
        var ndp = o.Ndp?.ToLowerInvariant();
        if (ndp is not (null or "ns" or "na" or "rs" or "ra"))
        {
            throw new UsageException($"--ndp: '{o.Ndp}' is not ns, na, rs or ra");
        }

        if (ndp is not null && (o.IcmpType is not null || o.Udp))
        {
            throw new UsageException($"--ndp and {(o.Udp ? "--udp" : "--icmp-type")}: a frame is one message, not both");
        }

        var target = Address(o.Target, "--target");
        var dst = Address(o.Dst, "--dst") ?? ndp switch
        {
            "ns" => (target ?? throw new UsageException("--ndp ns: give --target (or --dst) to ask about")).SolicitedNode,
            "rs" => IPv6Address.AllRouters,
            "ra" or "na" => IPv6Address.AllNodes,
            _ => DefaultDestination,
        };
        var ext = Extensions(o.Ext);
        spec.IPv6 = new IPv6Header
        {
            Source = src,
            Destination = dst,
            Version = ArgParse.U8(o.IpVersion, "--ip-version", 15),
            TrafficClass = ArgParse.U8(o.TrafficClass, "--traffic-class") ?? 0,
            FlowLabel = ArgParse.Optional(o.FlowLabel, "--flow-label", 0xF_FFFF, v => (uint)v) ?? 0,
            PayloadLength = ArgParse.U16(o.PayloadLength, "--payload-len"),
            NextHeader = ArgParse.U8(o.Protocol, "--protocol"),
            HopLimit = ArgParse.U8(o.HopLimit, "--hop-limit") ?? (ndp is null ? (byte)64 : (byte)255),
            Extensions = ext.Count == 0 ? null : ext,
        };

        if (dst.IsMulticast && !spec.DestinationMacGiven)
        {
            spec.Ethernet = spec.Ethernet with { Destination = dst.MulticastMac };
        }

        var srcMac = spec.Ethernet.Source;
        MacAddress? lladdr = o.LinkAddress is null ? srcMac
            : o.LinkAddress.Equals("none", StringComparison.OrdinalIgnoreCase) ? null : ArgParse.Mac(o.LinkAddress, "--lladdr");
        var body = new byte[128];
        int n;
        switch (ndp)
        {
            case "ns":
                n = NdpWriter.Neighbor(body, Icmpv6Header.NeighborSolicitation, target ?? dst, src.IsUnspecified ? null : lladdr);
                spec.Icmpv6 = new Icmpv6Header(Icmpv6Header.NeighborSolicitation, 0, 0);
                break;
            case "na":
                n = NdpWriter.Neighbor(body, Icmpv6Header.NeighborAdvertisement, target ?? src, lladdr);
                var flags = (o.NaFlags ?? "so").ToLowerInvariant();
                if (flags != "none" && flags.Any(c => c is not ('r' or 's' or 'o')))
                {
                    throw new UsageException($"--na-flags: '{o.NaFlags}' should be letters of r, s, o (or none)");
                }

                spec.Icmpv6 = new Icmpv6Header(Icmpv6Header.NeighborAdvertisement, 0, NdpMessage.AdvertisementFlags(flags.Contains('r'), flags.Contains('s'), flags.Contains('o')));
                break;
            case "rs":
                n = NdpWriter.RouterSolicitation(body, src.IsUnspecified ? null : lladdr);
                spec.Icmpv6 = new Icmpv6Header(Icmpv6Header.RouterSolicitation, 0, 0);
                break;
            case "ra":
                NdpPrefix[] prefixes = o.Prefix is null ? [] : [Prefix(o.Prefix)];
                n = NdpWriter.RouterAdvertisement(body, 0, 0, lladdr, ArgParse.U32(o.Mtu, "--mtu"), prefixes);
                spec.Icmpv6 = new Icmpv6Header(Icmpv6Header.RouterAdvertisement, 0, NdpWriter.AdvertisementWord(64, false, false, 1800));
                break;
            default:
                n = 0;
                break;
        }

        if (spec.Icmpv6 is { } ndpHeader)
        {
            spec.Icmpv6 = ndpHeader with { Checksum = ArgParse.U16(o.IcmpChecksum, "--icmp-checksum") };
            spec.Payload = [.. body.AsSpan(0, n), .. spec.Payload];
        }
        else if (o.IcmpType is not null && !o.Udp)
        {
            var type = ArgParse.U8(o.IcmpType, "--icmp-type")!.Value;
            var id = ArgParse.U16(o.IcmpId, "--icmp-id") ?? 1;
            var seq = ArgParse.U16(o.IcmpSeq, "--icmp-seq") ?? 1;
            var rest = type switch
            {
                Icmpv6Header.EchoRequest or Icmpv6Header.EchoReply => ((uint)id << 16) | seq,
                Icmpv6Header.PacketTooBig => ArgParse.U32(o.Mtu, "--mtu") ?? 1280,
                _ => 0u,
            };
            spec.Icmpv6 = new Icmpv6Header(type, ArgParse.U8(o.IcmpCode, "--icmp-code") ?? 0, rest) { Checksum = ArgParse.U16(o.IcmpChecksum, "--icmp-checksum") };
        }

        return true;
    }

    /// <summary>The frame's bytes: Ethernet + IPv6 (+ extension headers) + TCP, UDP or ICMPv6.</summary>
    public static int Build(FrameSpec spec, IPv6Header ip, Span<byte> buffer) =>
        spec.Udp is { } udp ? FrameBuilder.BuildUdp(buffer, spec.Ethernet, ip, udp, spec.Payload)
        : spec.Icmpv6 is { } icmp ? FrameBuilder.BuildIcmpv6(buffer, spec.Ethernet, ip, icmp, spec.Payload)
        : FrameBuilder.BuildTcp(buffer, spec.Ethernet, ip, spec.Tcp, spec.TcpOptions, spec.Payload);

    private static IPv6Address? Address(string? text, string option)
    {
        if (text is null)
        {
            return null;
        }

        if (IPv6Address.TryParse(text, out var a))
        {
            return a.Value;
        }

        throw new UsageException(IPv4Address.TryParse(text, out _)
            ? $"{option}: '{text}' is an IPv4 address, and this frame is IPv6 (give both addresses in one family)"
            : $"{option}: '{text}' is not an IPv6 address");
    }

    private static NdpPrefix Prefix(string text)
    {
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !IPv6Address.TryParse(text[..slash], out var p) || !byte.TryParse(text[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var len) || len > 128)
        {
            throw new UsageException($"--prefix: '{text}' should be PREFIX/LEN, e.g. 2001:db8::/64");
        }

        return new NdpPrefix(p.Value, len, true, true, 2_592_000, 604_800);
    }

    private static List<IPv6ExtensionHeader> Extensions(IEnumerable<string>? items)
    {
        var list = new List<IPv6ExtensionHeader>();
        foreach (var item in items ?? [])
        {
            var eq = item.IndexOf('=', StringComparison.Ordinal);
            var (kind, arg) = eq < 0 ? (item.ToLowerInvariant(), "") : (item[..eq].ToLowerInvariant(), item[(eq + 1)..]);
            list.Add(kind switch
            {
                "hbh" => IPv6ExtensionHeader.Options(IPv6ExtensionHeader.HopByHop, arg.Length == 0 ? Array.Empty<byte>() : ArgParse.Hex(arg, "--ext hbh")),
                "dstopt" => IPv6ExtensionHeader.Options(IPv6ExtensionHeader.DestinationOptions, arg.Length == 0 ? Array.Empty<byte>() : ArgParse.Hex(arg, "--ext dstopt")),
                "rt" => Routing(arg),
                "frag" => Fragment(arg),
                _ when byte.TryParse(kind, NumberStyles.None, CultureInfo.InvariantCulture, out var type) =>
                    new IPv6ExtensionHeader(type, arg.Length == 0 ? Array.Empty<byte>() : ArgParse.Hex(arg, $"--ext {kind}")),
                _ => throw new UsageException($"--ext: '{item}' is not hbh, dstopt, rt=…, frag=… or NUMBER=HEX"),
            });
        }

        return list;
    }

    private static IPv6ExtensionHeader Routing(string arg)
    {
        var parts = arg.Split(':', 3);
        if (parts.Length < 2)
        {
            throw new UsageException($"--ext rt={arg}: should be TYPE:SEGLEFT[:ADDR,ADDR…], e.g. rt=0:1:2001:db8::2");
        }

        var addresses = parts.Length == 3
            ? parts[2].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(a => Address(a, "--ext rt")!.Value).ToList()
            : [];
        return IPv6ExtensionHeader.RoutingHeader((byte)ArgParse.Number(parts[0], "--ext rt", 255), (byte)ArgParse.Number(parts[1], "--ext rt", 255), addresses);
    }

    private static IPv6ExtensionHeader Fragment(string arg)
    {
        var parts = arg.Split(':');
        if (parts.Length != 3)
        {
            throw new UsageException($"--ext frag={arg}: should be OFFSET:M:ID (offset in 8-byte units, M 0 or 1), e.g. frag=0:1:1234");
        }

        return IPv6ExtensionHeader.FragmentHeader((ushort)ArgParse.Number(parts[0], "--ext frag", 8191), ArgParse.Number(parts[1], "--ext frag", 1) == 1, (uint)ArgParse.Number(parts[2], "--ext frag", uint.MaxValue));
    }
}
