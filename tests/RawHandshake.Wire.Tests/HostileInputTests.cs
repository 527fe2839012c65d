using System.Buffers.Binary;
using RawHandshake.Wire.Building;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;
using RawHandshake.Wire.Tests.Support;

namespace RawHandshake.Wire.Tests;

/// <summary>The parser never throws, and says "malformed: …" exactly when a header is cut or impossible.</summary>
public class HostileInputTests
{
    private static ParsedFrame ParseChecked(byte[] frame, LinkType link, string context)
    {
        ParsedFrame f = default;
        try
        {
            f = FrameParser.Parse(frame, link);
            SampleFrames.TouchAccessors(f, frame);
        }
        catch (Exception ex)
        {
            throw new ShouldAssertException($"{context}: {ex.GetType().Name}: {ex.Message} on {Convert.ToHexString(frame)}", ex);
        }

        if (f.Malformed is not null)
        {
            f.Malformed.ShouldStartWith("malformed: ", Case.Sensitive, context);
        }

        return f;
    }

    /// <summary>Every prefix of <paramref name="frame"/>: malformed exactly when the cut is inside a header.</summary>
    internal static void AssertEveryTruncation(string name, byte[] frame, LinkType link)
    {
        var full = FrameParser.Parse(frame, link);
        full.Malformed.ShouldBeNull($"{name} over {link} must parse whole");
        var headersEnd = full.PayloadOffset; // where the last header the parser decodes ends
        for (var len = 0; len <= frame.Length; len++)
        {
            var context = $"{name} over {link}, first {len} of {frame.Length} bytes";
            var f = ParseChecked(frame[..len], link, context);
            if (len < headersEnd)
            {
                f.Malformed.ShouldNotBeNull(context);
            }
            else
            {
                f.Malformed.ShouldBeNull(context);
                f.Tcp.ShouldBe(full.Tcp, context);
                f.IcmpQuote?.Ip.ShouldBe(full.IcmpQuote?.Ip ?? default, context);
                f.Arp.ShouldBe(full.Arp, context);
                f.IpTruncated.ShouldBe(
                    (full.IPv4 is { } ip && len - full.NetworkOffset < ip.TotalLength) || (full.IPv6 is { } ip6 && len - full.NetworkOffset < IPv6Header.Length + ip6.PayloadLength), context);
                f.Icmpv6.ShouldBe(full.Icmpv6, context);
            }
        }
    }

    [Fact]
    public void Every_truncation_of_every_sample_over_every_link_type()
    {
        var checkedCount = 0;
        foreach (var (name, frame) in SampleFrames.All())
        {
            foreach (var link in SampleFrames.LinkTypes)
            {
                if (SampleFrames.Reencapsulate(frame, link) is { } bytes)
                {
                    AssertEveryTruncation(name, bytes, link);
                    checkedCount++;
                }
            }
        }

        checkedCount.ShouldBe((7 * 6) + (2 * 3)); // the two ARP frames have no raw-IP/null form
    }

    [Fact]
    public void Re_encapsulated_frames_parse_to_the_same_network_layer()
    {
        foreach (var (name, frame) in SampleFrames.All())
        {
            var eth = FrameParser.Parse(frame);
            foreach (var link in SampleFrames.LinkTypes)
            {
                if (SampleFrames.Reencapsulate(frame, link) is not { } bytes)
                {
                    continue;
                }

                var f = FrameParser.Parse(bytes, link);
                f.Link.ShouldBe(link);
                f.EtherType.ShouldBe(eth.EtherType, $"{name} {link}");
                f.IPv4.ShouldBe(eth.IPv4, $"{name} {link}");
                f.Tcp.ShouldBe(eth.Tcp, $"{name} {link}");
                f.Udp.ShouldBe(eth.Udp, $"{name} {link}");
                f.Icmp.ShouldBe(eth.Icmp, $"{name} {link}");
                f.Arp.ShouldBe(eth.Arp, $"{name} {link}");
                f.Payload(bytes).ToArray().ShouldBe(eth.Payload(frame).ToArray(), $"{name} {link}");
                f.TransportChecksum(bytes).ShouldBe(eth.TransportChecksum(frame), $"{name} {link}");
                if (link is LinkType.LinuxSll or LinkType.LinuxSll2)
                {
                    var sll = f.Sll.ShouldNotBeNull();
                    sll.Protocol.ShouldBe(eth.EtherType);
                    sll.LinkAddress.ShouldBe(MacAddress.Read(frame.AsSpan(6)).Value);
                    sll.LinkAddressLength.ShouldBe(6);
                    sll.Version.ShouldBe(link == LinkType.LinuxSll ? 1 : 2);
                }
            }
        }
    }

    private static byte[] Build(IPv4Header? ip = null, TcpHeader? tcp = null, byte[]? options = null, byte[]? payload = null)
    {
        var eth = new EthernetHeader(SampleFrames.ServerMac, SampleFrames.ClientMac);
        var i = ip ?? SampleFrames.Ip(SampleFrames.Client, SampleFrames.Server);
        var t = tcp ?? new TcpHeader(1000, 80, new SeqNum(1), new SeqNum(0), TcpFlags.Syn, 1024);
        var buf = new byte[FrameBuilder.TcpFrameLength(eth, i, options?.Length ?? 0, payload?.Length ?? 0)];
        FrameBuilder.BuildTcp(buf, eth, i, t, options, payload);
        return buf;
    }

    private static readonly IPv4Header BaseIp = SampleFrames.Ip(SampleFrames.Client, SampleFrames.Server);
    private static readonly TcpHeader BaseTcp = new(1000, 80, new SeqNum(1), new SeqNum(0), TcpFlags.Syn, 1024);

    public static TheoryData<string, byte[], string> MalformedCases => new()
    {
        { "IHL 4", Build(ip: BaseIp with { Ihl = 4 }), "malformed: IPv4 IHL is 4 (16 bytes), less than 5 (20 bytes)" },
        { "IHL 0", Build(ip: BaseIp with { Ihl = 0 }), "IPv4 IHL is 0 (0 bytes), less than 5" },
        { "IHL 15 past the end", Build(ip: BaseIp with { Ihl = 15 }), "malformed: IPv4 IHL is 15 (60 bytes), past the end of the frame (40 bytes left)" },
        { "total length 19", Build(ip: BaseIp with { TotalLength = 19 }), "malformed: IPv4 total length 19 is less than the header length 20" },
        { "total length 23 with options", Build(ip: BaseIp with { TotalLength = 23, Options = new byte[4] }), "IPv4 total length 23 is less than the header length 24" },
        { "version 6 in an IPv4 frame", Build(ip: BaseIp with { Version = 6 }), "malformed: IPv4 version field is 6, expected 4" },
        { "data offset 4", Build(tcp: BaseTcp with { DataOffset = 4 }), "malformed: TCP data offset is 4 (16 bytes), less than 5 (20 bytes)" },
        { "data offset 0", Build(tcp: BaseTcp with { DataOffset = 0 }), "TCP data offset is 0 (0 bytes), less than 5" },
        { "data offset past the end", Build(tcp: BaseTcp with { DataOffset = 15 }, payload: new byte[10]), "malformed: TCP data offset is 15 (60 bytes), past the end of the segment (30 bytes)" },
        { "data offset past a short total length", Build(ip: BaseIp with { TotalLength = 44 }, tcp: BaseTcp with { DataOffset = 7 }, options: new byte[8]), "TCP data offset is 7 (28 bytes), past the end of the segment (24 bytes)" },
        { "option length 0", Build(options: [0x02, 0x00, 0x00, 0x00]), "malformed: TCP option kind 2 at offset 0 has length 0 (minimum 2)" },
        { "option length 1", Build(options: [0x01, 0x08, 0x01, 0x00]), "malformed: TCP option kind 8 at offset 1 has length 1 (minimum 2)" },
        { "option past the header", Build(options: [0x01, 0x01, 0x08, 0x0a, 0, 0, 0, 0]), "malformed: TCP option kind 8 at offset 2 has length 10, past the end of the header (6 bytes left)" },
        { "MSS length 3", Build(options: [0x02, 0x03, 0x05, 0x01]), "malformed: TCP option kind 2 at offset 0 has length 3, expected 4" },
        { "no length byte", Build(options: [0x01, 0x01, 0x01, 0x1e]), "malformed: TCP option kind 30 at offset 3 has no length byte" },
    };

    [Theory]
    [MemberData(nameof(MalformedCases))]
    public void Impossible_headers_are_reported_with_what_and_where(string name, byte[] frame, string expected)
    {
        var f = ParseChecked(frame, LinkType.Ethernet, name);
        f.Malformed.ShouldNotBeNull(name).ShouldContain(expected, Case.Sensitive, name);
        f.Malformed.ShouldStartWith("malformed: ");

        // The layers before the bad one are still there.
        f.Ethernet.ShouldNotBeNull();
        f.IPv4.ShouldNotBeNull().Source.ShouldBe(SampleFrames.Client);
        if (expected.Contains("TCP", StringComparison.Ordinal))
        {
            var tcp = f.Tcp.ShouldNotBeNull();
            tcp.SourcePort.ShouldBe((ushort)1000);
            tcp.Seq.ShouldBe(new SeqNum(1));
        }
    }

    [Fact]
    public void Link_layer_problems_are_reported()
    {
        ParseChecked(new byte[13], LinkType.Ethernet, "short").Malformed.ShouldBe("malformed: Ethernet header needs 14 bytes, frame has 13");
        var vlan = SampleFrames.LinuxSyn(vlan: 5);
        ParseChecked(vlan[..16], LinkType.Ethernet, "cut tag").Malformed.ShouldNotBeNull().ShouldContain("802.1Q tag at byte 12 is cut off (frame has 16 bytes)");
        ParseChecked(new byte[15], LinkType.LinuxSll, "sll").Malformed.ShouldBe("malformed: Linux cooked (SLL) header needs 16 bytes, frame has 15");
        ParseChecked(new byte[19], LinkType.LinuxSll2, "sll2").Malformed.ShouldBe("malformed: Linux cooked (SLL2) header needs 20 bytes, frame has 19");
        ParseChecked([2, 0, 0], LinkType.Null, "null").Malformed.ShouldBe("malformed: null/loopback header needs 4 bytes, frame has 3");
        ParseChecked([], LinkType.Raw, "raw").Malformed.ShouldBe("malformed: IPv4 header at byte 0 is cut off (0 of 20 bytes)");
        ParseChecked(new byte[64], (LinkType)147, "user link").Malformed.ShouldBe("malformed: link type 147 is not supported");

        var arp = SampleFrames.ArpRequest();
        arp[14 + 4] = 8;
        ParseChecked(arp, LinkType.Ethernet, "arp").Malformed.ShouldBe("malformed: ARP with hardware length 8 and protocol length 4 is not Ethernet/IPv4");
    }

    [Fact]
    public void Double_tagged_frames_skip_both_tags_and_keep_the_outer_tci()
    {
        var single = SampleFrames.LinuxSyn(vlan: 0x0064);
        byte[] qinq = [.. single[..12], 0x88, 0xa8, 0x00, 0xc8, .. single[12..]];
        var f = ParseChecked(qinq, LinkType.Ethernet, "QinQ");
        f.Malformed.ShouldBeNull();
        f.Ethernet!.Value.VlanTags.ShouldBe(2);
        f.Ethernet!.Value.VlanTci.ShouldBe((ushort)0x00c8);
        f.NetworkOffset.ShouldBe(22);
        f.Tcp.ShouldBe(FrameParser.Parse(single).Tcp);
    }

    [Fact]
    public void Hundred_thousand_random_byte_arrays_per_link_type_never_throw()
    {
        var rng = new Random(20240601);
        LinkType[] links = [.. SampleFrames.LinkTypes, (LinkType)147];
        var malformed = 0;
        foreach (var link in links)
        {
            for (var i = 0; i < 100_000; i++)
            {
                var bytes = new byte[rng.Next(0, 201)];
                rng.NextBytes(bytes);
                if (i % 4 == 0 && bytes.Length > 24)
                {
                    // Steer a quarter towards the interesting paths: an IPv4 EtherType/version where each link puts it.
                    bytes[12] = 0x08;
                    bytes[13] = 0x00;
                    bytes[14] = (byte)(0x40 | (bytes[14] & 0x0F));
                    bytes[0] = link is LinkType.Raw or LinkType.Ipv4 ? (byte)(0x40 | (bytes[0] & 0x0F)) : bytes[0];
                }

                if (ParseChecked(bytes, link, $"random #{i} over {link}").Malformed is not null)
                {
                    malformed++;
                }
            }
        }

        malformed.ShouldBeGreaterThan(100_000); // the inputs did reach the error paths
    }

    [Fact]
    public void Mutated_real_frames_never_throw()
    {
        var rng = new Random(77);
        var samples = SampleFrames.All().ToArray();
        var stillTcp = 0;
        for (var i = 0; i < 60_000; i++)
        {
            var (name, frame) = samples[i % samples.Length];
            var link = SampleFrames.LinkTypes[rng.Next(SampleFrames.LinkTypes.Length)];
            var bytes = SampleFrames.Reencapsulate(frame, link);
            if (bytes is null)
            {
                continue;
            }

            var flips = rng.Next(1, 5);
            for (var k = 0; k < flips; k++)
            {
                bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
            }

            if (rng.Next(4) == 0)
            {
                bytes = bytes[..rng.Next(bytes.Length + 1)];
            }

            if (ParseChecked(bytes, link, $"mutated {name} #{i} over {link}").IsTcp)
            {
                stillTcp++;
            }
        }

        stillTcp.ShouldBeGreaterThan(5_000);
    }
}
