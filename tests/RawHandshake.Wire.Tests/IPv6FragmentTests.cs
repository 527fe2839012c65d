using RawHandshake.Wire.Building;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Dissection;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;
using RawHandshake.Wire.Tests.Support;

namespace RawHandshake.Wire.Tests;

/// <summary>
/// IPv6 fragments we make (RFC 8200 §4.5): exact bytes, the fragment header after the headers routers read, put back by
/// our reassembly into the packet we started from, and read back by tshark with the same Info column and good checksums.
/// </summary>
public sealed class IPv6FragmentTests
{
    private static readonly EthernetHeader Eth = new(SampleFrames.ServerMac, SampleFrames.ClientMac);

    private static byte[] Udp(IPv6Header ip, byte[] data)
    {
        var b = new byte[FrameBuilder.MaxFrameLength];
        return b[..FrameBuilder.BuildUdp(b, Eth, ip, new UdpFields(5353, 53), data)];
    }

    /// <summary>A data segment with MSS and timestamps options (a 32-byte TCP header).</summary>
    private static byte[] Tcp(IPv6Header ip, byte[] data)
    {
        Span<byte> o = stackalloc byte[40];
        var n = TcpOptionLayout.Write(o, new TcpOptionSet(null, null, false, (7, 9)));
        var b = new byte[FrameBuilder.MaxFrameLength];
        var tcp = new TcpHeader(40001, 8080, new SeqNum(1000), new SeqNum(2000), TcpFlags.Psh | TcpFlags.Ack, 500);
        return b[..FrameBuilder.BuildTcp(b, Eth, ip, tcp, o[..n], data)];
    }

    private static IPv6Header Ip(params IPv6ExtensionHeader[] ext) =>
        SampleFrames6.Ip(SampleFrames6.Client, SampleFrames6.Server) with { Extensions = ext.Length == 0 ? null : ext };

    private static IPv6ExtensionHeader RouterAlert => IPv6ExtensionHeader.Options(IPv6ExtensionHeader.HopByHop, new byte[] { 5, 2, 0, 0 });

    private static IPv6ExtensionHeader DestOpts => IPv6ExtensionHeader.Options(IPv6ExtensionHeader.DestinationOptions, new byte[] { 0x1e, 2, 0xAB, 0xCD });

    private static IPv6ExtensionHeader Routing => IPv6ExtensionHeader.RoutingHeader(0, 0, [SampleFrames6.Router]);

    private static List<byte[]> Split(byte[] frame, int size, uint id = 0x1234ABCD) =>
        IPv6Fragmenter.TrySplit(frame, LinkType.Ethernet, size, id, out var error).ShouldNotBeNull(error);

    /// <summary>
    /// A UDP datagram of 12 bytes behind a hop-by-hop header, cut at 8. tshark (ipv6.defragment off) reads each fragment as
    /// <c>Hop-by-Hop Options, Next Header: Fragment Header for IPv6 (44)</c>, then <c>Fragment Header for IPv6, Next
    /// header: UDP (17), Offset: 0|1|2, More Fragments: Yes|Yes|No, Identification: 0x1234abcd</c>; payload length 24
    /// (8 hop-by-hop + 8 fragment header + 8 data) in the first two, 20 in the last.
    /// </summary>
    [Fact]
    public void Fragments_are_these_bytes()
    {
        var frame = Udp(Ip(RouterAlert), "hello, world"u8.ToArray());
        const string Link = "020000000002020000000001" + "86DD";
        const string Head = "60012345"; // version 6, flow label 0x12345
        const string Addresses = "20010DB8000000000000000000000077" + "20010DB8000000000000000000000001";
        const string HopByHop = "2C00" + "05020000" + "0100"; // next: fragment (44); router alert; PadN
        var udp = Convert.ToHexString(frame, 14 + 40 + 8, 20);  // 14E90035 0014 CHECKSUM "hello, world"
        udp[..12].ShouldBe("14E900350014");
        Split(frame, 8).Select(Convert.ToHexString).ShouldBe(
        [
            Link + Head + "0018" + "0040" + Addresses + HopByHop + "11000001" + "1234ABCD" + udp[..16],
            Link + Head + "0018" + "0040" + Addresses + HopByHop + "11000009" + "1234ABCD" + udp[16..32],
            Link + Head + "0014" + "0040" + Addresses + HopByHop + "11000010" + "1234ABCD" + udp[32..],
        ]);
    }

    /// <summary>RFC 8200 §4.5: hop-by-hop, destination options before a routing header and the routing header stay in
    /// every fragment; destination options after the routing header travel in the fragmentable part.</summary>
    [Fact]
    public void The_fragment_header_goes_after_the_headers_routers_read()
    {
        var frame = Udp(Ip(RouterAlert, DestOpts, Routing, DestOpts), new byte[100]);
        var parts = Split(frame, 64);
        parts.Count.ShouldBe(2); // 8 destination options + 8 UDP + 100 bytes = 116: 64 and 52
        var unfragmentable = 40 + 8 + 8 + 24;
        foreach (var p in parts)
        {
            var f = FrameParser.Parse(p);
            var frag = f.Ipv6Fragment.ShouldNotBeNull();
            frag.HeaderOffset.ShouldBe(14 + unfragmentable);
            frag.NextHeader.ShouldBe(IPv6ExtensionHeader.DestinationOptions);
            frag.Identification.ShouldBe(0x1234ABCDu);

            // The unfragmentable part as it was, but for the payload length and the routing header's next header.
            var head = p[..(14 + unfragmentable)];
            head[14 + 40 + 8 + 8].ShouldBe(IPv6ExtensionHeader.Fragment);
            head[14 + 40 + 8 + 8] = IPv6ExtensionHeader.DestinationOptions;
            frame.AsSpan(14 + 4, 2).CopyTo(head.AsSpan(14 + 4));
            head.ShouldBe(frame[..(14 + unfragmentable)]);
        }

        parts.Select(p => FrameParser.Parse(p).Ipv6Fragment!.Value).Select(x => (x.Offset, x.More)).ShouldBe([((ushort)0, true), ((ushort)8, false)]);
        parts.Select(p => p.Length).ShouldBe([14 + unfragmentable + 8 + 64, 14 + unfragmentable + 8 + 52]);

        // Without a routing header, destination options are fragmentable; with nothing but IPv6, the header comes first.
        Split(Udp(Ip(DestOpts), new byte[100]), 64).ShouldAllBe(p => p[14 + 6] == IPv6ExtensionHeader.Fragment && p[14 + 40] == IPv6ExtensionHeader.DestinationOptions);
        Split(Udp(Ip(), new byte[100]), 64).ShouldAllBe(p => p[14 + 6] == IPv6ExtensionHeader.Fragment && p[14 + 40] == (byte)IpProtocol.Udp);
    }

    public static TheoryData<string, int> Packets() => new()
    {
        { "data-ext", 8 }, { "data-ext", 24 }, { "tcp-routing", 8 }, { "tcp-routing", 64 }, { "echo", 16 }, { "echo", 48 },
        { "udp-all-ext", 8 }, { "udp-all-ext", 40 }, { "udp-big", 1232 },
    };

    private static byte[] Packet(string name) => name switch
    {
        "data-ext" => SampleFrames6.DataWithExtensions(),
        "tcp-routing" => Tcp(Ip(Routing) with { Destination = SampleFrames6.Router }, [.. Enumerable.Range(0, 100).Select(i => (byte)('a' + (i % 26)))]),
        "echo" => SampleFrames6.EchoRequest(),
        "udp-all-ext" => Udp(Ip(RouterAlert, DestOpts, Routing, DestOpts), "fragmented behind every header"u8.ToArray()),
        "udp-big" => Udp(Ip(), [.. Enumerable.Range(0, 3000).Select(i => (byte)(i * 7))]),
        _ => throw new ArgumentException(name),
    };

    [Theory]
    [MemberData(nameof(Packets))]
    public void Our_reassembly_puts_back_the_packet_we_cut(string name, int size)
    {
        var frame = Packet(name);
        var parts = Split(frame, size);
        parts.Count.ShouldBeGreaterThan(1);
        parts.ShouldAllBe(p => FrameParser.Parse(p, LinkType.Ethernet).Malformed == null);
        parts[..^1].ShouldAllBe(p => (FrameParser.Parse(p, LinkType.Ethernet).Ipv6Fragment!.Value.HeaderOffset + 8 - p.Length) % 8 == 0);

        foreach (var order in new[] { parts, Enumerable.Reverse(parts).ToList() })
        {
            var analysis = new CaptureAnalysis();
            var results = order.Select(p => analysis.Next(p, LinkType.Ethernet, null)).ToList();
            results[..^1].ShouldAllBe(r => r.Reassembled == null);
            var whole = results[^1].Reassembled.ShouldNotBeNull();
            whole.Bytes.ShouldBe(frame);
            whole.Fragments.Sum(x => x.Length).ShouldBe(frame.Length - FrameParser.Parse(parts[0]).Ipv6Fragment!.Value.HeaderOffset);
        }
    }

    [Fact]
    public void A_packet_with_a_fragment_header_is_cut_after_it_keeping_its_identification_and_offsets()
    {
        // --ext frag=0:0:ID: the header the user placed (here before the destination options) is where the cut goes.
        var frame = Udp(Ip(RouterAlert, IPv6ExtensionHeader.FragmentHeader(0, false, 0xCAFE), DestOpts), new byte[40]);
        var parts = Split(frame, 16, id: 1);
        parts.Count.ShouldBe(4); // 8 + 8 + 40 = 56: 16, 16, 16, 8
        parts.Select(p => FrameParser.Parse(p).Ipv6Fragment!.Value).ShouldAllBe(x => x.Identification == 0xCAFE && x.NextHeader == IPv6ExtensionHeader.DestinationOptions);

        // A middle fragment cut again: offsets continue from its own, and none of its pieces is the last.
        var again = Split(parts[1], 8);
        again.Select(p => FrameParser.Parse(p).Ipv6Fragment!.Value).Select(x => (x.Offset, x.More)).ShouldBe([((ushort)2, true), ((ushort)3, true)]);
        var analysis = new CaptureAnalysis();
        var whole = new[] { parts[0], again[0], again[1], parts[2], parts[3] }.Select(p => analysis.Next(p, LinkType.Ethernet, null)).ToList()[^1].Reassembled.ShouldNotBeNull();
        whole.Bytes.Length.ShouldBe(frame.Length - 8); // the atomic fragment header the user gave is not part of the packet
        FrameParser.Parse(whole.Bytes).TransportChecksum(whole.Bytes).ShouldBe(ChecksumVerdict.Good);
    }

    /// <summary>RFC 8200 §4.5: the first fragment holds every header through the upper-layer one (Linux drops it otherwise).</summary>
    [Fact]
    public void The_first_fragment_holds_the_whole_header_chain()
    {
        var syn = SampleFrames6.Syn(); // 40 bytes of TCP header with options
        Split(syn, 8).Select(p => FrameParser.Parse(p).IpPayloadLength).ShouldBe([40]);
        var data = SampleFrames6.DataWithExtensions(); // destination options (16) + TCP (20) + 18 bytes fragmentable
        var parts = Split(data, 8);
        parts.Select(p => p.Length - FrameParser.Parse(p).Ipv6Fragment!.Value.HeaderOffset - 8).ShouldBe([40, 8, 6]);
        FrameParser.Parse(parts[0]).Malformed.ShouldBeNull();
        FrameParser.Parse(parts[0]).Tcp.ShouldNotBeNull();
    }

    [Fact]
    public void Small_packets_stay_whole_and_bad_input_is_refused()
    {
        var syn = SampleFrames6.Syn();
        Split(syn, 1000).ShouldHaveSingleItem().ShouldBe(syn);
        IPv6Fragmenter.TrySplit(syn, LinkType.Ethernet, 7, 1, out var e1).ShouldBeNull();
        e1.ShouldBe("fragment size 7 is below 8 bytes (offsets count in 8-byte units)");
        IPv6Fragmenter.TrySplit(SampleFrames.DataSegment(), LinkType.Ethernet, 8, 1, out var e2).ShouldBeNull();
        e2.ShouldBe("only a whole IPv6 packet can be fragmented (not a cut-off capture or a jumbogram)");
        IPv6Fragmenter.TrySplit(syn.AsSpan(0, syn.Length - 1), LinkType.Ethernet, 8, 1, out var e3).ShouldBeNull();
        e3.ShouldBe(e2);
        FragmentPieces.TrySplit(SampleFrames.DataSegment(), LinkType.Ethernet, 8, 1, out var e4).ShouldNotBeNull(e4).Count.ShouldBeGreaterThan(1); // IPv4 goes to IPv4's
        var arp = new byte[42];
        FrameBuilder.BuildArpRequest(arp, new MacAddress(2), IPv4Address.Parse("198.18.0.1"), IPv4Address.Parse("198.18.0.2"));
        FragmentPieces.TrySplit(arp, LinkType.Ethernet, 8, 1, out var e5).ShouldBeNull();
        e5.ShouldBe("only an IPv4 datagram or an IPv6 packet can be fragmented");
    }

    [Fact]
    public void Pieces_are_multiples_of_8_within_13_bits_of_offset()
    {
        FragmentPieces.TryCut(20, 10, 0, out _).ShouldNotBeNull().ShouldBe([new(0, 8, 0, false), new(8, 8, 1, false), new(16, 4, 2, true)]);
        FragmentPieces.TryCut(16, 8, 8191, out var e).ShouldBeNull();
        e.ShouldBe("a fragment would start at byte 65536, past the largest offset (8191 × 8 bytes)");
        FragmentPieces.TryCut(50, 8, 0, out _, firstAtLeast: 20).ShouldNotBeNull().Select(p => p.Length).ShouldBe([24, 8, 8, 8, 2]);
        FragmentPieces.TryCut(0, 8, 3, out _).ShouldNotBeNull().ShouldBe([new(0, 0, 3, true)]);
    }

    /// <summary>
    /// tshark (reassembly on, its default) puts our fragments back together and rates the inner checksum good; its Info
    /// column (transport-only profile) equals ours on every frame, fragments and reassembled packets alike, in order
    /// and out of order.
    /// </summary>
    [Fact]
    public void Tshark_reassembles_our_fragments_and_shows_what_we_show()
    {
        var frames = new List<byte[]>();
        frames.AddRange(Split(SampleFrames6.DataWithExtensions(), 24, 0x102));
        frames.AddRange(Split(Packet("tcp-routing"), 8, 0x103));
        frames.AddRange(Split(SampleFrames6.EchoRequest(), 32, 0x104));
        frames.AddRange(Split(Packet("udp-all-ext"), 16, 0x105));
        frames.AddRange(Enumerable.Reverse(Split(Packet("udp-big"), 1232, 0x106))); // out of order
        var dir = Directory.CreateTempSubdirectory("rawhandshake-frag6-");
        try
        {
            var path = Path.Combine(dir.FullName, "frag6.pcap");
            using (var w = CaptureFilesOnDisk.Create(path))
            {
                var t = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
                foreach (var f in frames)
                {
                    w.Write(t, f);
                    t = t.AddMilliseconds(1);
                }
            }

            var analysis = new CaptureAnalysis();
            var ours = Fixtures.Read(path).Select(f => (f, a: analysis.Next(f.Data, f.LinkType, f.Timestamp))).ToList();
            ours.Select(x => PacketSummary.Info(x.a, x.f.Data)).ToArray().ShouldBe(TransportTshark.Info(path));
            ours.Select(x => PacketSummary.Protocol(x.a)).ToArray().ShouldBe(TransportTshark.Protocol(path));

            var rows = TransportTshark.Fields(path, ["tcp.check_checksum:TRUE", "udp.check_checksum:TRUE"],
                "ipv6.reassembled.length", "tcp.checksum.status", "udp.checksum.status", "icmpv6.checksum.status", "_ws.malformed");
            var whole = rows.Where(r => r.Split('\t')[0].Length > 0).ToList();
            whole.Count.ShouldBe(5, string.Join('\n', rows));
            foreach (var r in whole)
            {
                var c = r.Split('\t');
                (c[1] + c[2] + c[3]).ShouldBe("1", $"the reassembled packet's checksum: {r}");
                c[4].ShouldBeEmpty(r);
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
