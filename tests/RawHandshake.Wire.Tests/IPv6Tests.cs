using System.Buffers.Binary;
using RawHandshake.Wire.Building;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;
using RawHandshake.Wire.Tests.Support;

namespace RawHandshake.Wire.Tests;

/// <summary>IPv6 (RFC 8200), its extension headers, the pseudo-header, ICMPv6 (RFC 4443) and neighbour discovery (RFC 4861).</summary>
public class IPv6Tests
{
    private static readonly LinkType[] Links = [LinkType.Ethernet, LinkType.LinuxSll, LinkType.LinuxSll2, LinkType.Raw, LinkType.Ipv6, LinkType.Null];

    [Theory]
    [InlineData("2001:db8::1", "2001:db8::1")]
    [InlineData("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1")]
    [InlineData("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1")]
    [InlineData("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1")]
    [InlineData("::", "::")]
    [InlineData("::1", "::1")]
    [InlineData("fe80::", "fe80::")]
    [InlineData("ff02::1:ff00:1", "ff02::1:ff00:1")]
    [InlineData("::ffff:198.18.0.1", "::ffff:198.18.0.1")]
    public void Addresses_parse_and_print_as_rfc_5952(string text, string expected)
    {
        var a = IPv6Address.Parse(text);
        a.ToString().ShouldBe(expected);
        a.ToString().ShouldBe(a.ToIPAddress().ToString());
        IPv6Address.FromIPAddress(a.ToIPAddress()).ShouldBe(a);
    }

    [Theory]
    [InlineData("")]
    [InlineData("198.18.0.1")]
    [InlineData("2001:db8::1::2")]
    [InlineData("fe80::1%eth0")]
    [InlineData("[2001:db8::1]")]
    [InlineData("2001:db8::/32")]
    [InlineData("2001:db8:g::1")]
    public void Non_addresses_are_refused(string text) => IPv6Address.TryParse(text, out _).ShouldBeFalse();

    [Fact]
    public void Solicited_node_and_multicast_mac()
    {
        var a = IPv6Address.Parse("2001:db8::12:3456");
        a.SolicitedNode.ToString().ShouldBe("ff02::1:ff12:3456");
        a.SolicitedNode.MulticastMac.ToString().ShouldBe("33:33:ff:12:34:56");
        IPv6Address.AllNodes.MulticastMac.ToString().ShouldBe("33:33:00:00:00:01");
        IPv6Address.Parse("fe80::1").IsLinkLocal.ShouldBeTrue();
        a.IsLinkLocal.ShouldBeFalse();
    }

    [Fact]
    public void Pseudo_header_checksum_matches_a_reference_sum()
    {
        var src = IPv6Address.Parse("2001:db8::77");
        var dst = IPv6Address.Parse("2001:db8::1");
        var seg = new byte[] { 0x9c, 0x40, 0x1f, 0x90, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x02, 0xfa, 0xf0, 0, 0, 0, 0, 0xAB };
        var pseudo = new byte[40 + seg.Length];
        src.Write(pseudo);
        dst.Write(pseudo.AsSpan(16));
        BinaryPrimitives.WriteUInt32BigEndian(pseudo.AsSpan(32), (uint)seg.Length);
        pseudo[39] = 6;
        seg.CopyTo(pseudo, 40);
        Checksum.ComputeTransport(src, dst, 6, seg).ShouldBe(RefChecksum.Internet(pseudo));
        BinaryPrimitives.WriteUInt16BigEndian(seg.AsSpan(16), Checksum.ComputeTransport(src, dst, 6, seg));
        Checksum.VerifyTransport(src, dst, 6, seg, 16).ShouldBe(ChecksumVerdict.Good);
        seg[20] ^= 1;
        Checksum.VerifyTransport(src, dst, 6, seg, 16).ShouldBe(ChecksumVerdict.Bad);
    }

    [Fact]
    public void A_syn_is_built_and_parsed_back_with_every_field()
    {
        var frame = SampleFrames6.Syn(SampleFrames6.Ip(SampleFrames6.Client, SampleFrames6.Server) with { TrafficClass = 0x28, HopLimit = 3 });
        frame.Length.ShouldBe(14 + 40 + 40);
        BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(12)).ShouldBe((ushort)0x86DD);
        Convert.ToHexString(frame.AsSpan(14, 8)).ShouldBe("6281234500280603"); // version 6, TC 0x28, flow 0x12345, length 40, TCP, hop limit 3
        var f = FrameParser.Parse(frame);
        f.Malformed.ShouldBeNull();
        var ip = f.IPv6.ShouldNotBeNull();
        ip.Version.ShouldBe((byte)6);
        ip.TrafficClass.ShouldBe((byte)0x28);
        ip.FlowLabel.ShouldBe(0x12345u);
        ip.PayloadLength.ShouldBe((ushort)40);
        ip.NextHeader.ShouldBe((byte)6);
        ip.HopLimit.ShouldBe((byte)3);
        ip.Source.ShouldBe(SampleFrames6.Client);
        ip.Destination.ShouldBe(SampleFrames6.Server);
        f.UpperProtocol.ShouldBe((byte)6);
        f.Tcp.ShouldNotBeNull().Flags.ShouldBe(TcpFlags.Syn);
        f.TcpOptionsSummary(frame).Mss.ShouldBe((ushort)1440);
        f.TransportChecksum(frame).ShouldBe(ChecksumVerdict.Good);
        f.IpChecksum(frame).ShouldBe(ChecksumVerdict.Unverified);
    }

    [Fact]
    public void Set_fields_are_sent_as_set()
    {
        var ip = SampleFrames6.Ip(SampleFrames6.Client, SampleFrames6.Server) with { Version = 4, PayloadLength = 7, NextHeader = 17 };
        var tcp = new TcpHeader(1, 2, new SeqNum(3), default, TcpFlags.Syn, 4) { Checksum = 0xBEEF };
        var buf = new byte[100];
        var n = FrameBuilder.BuildTcp(buf, new EthernetHeader(SampleFrames.ServerMac, SampleFrames.ClientMac), ip, tcp, default, default);
        n.ShouldBe(74);
        buf[14].ShouldBe((byte)0x40);
        BinaryPrimitives.ReadUInt16BigEndian(buf.AsSpan(18)).ShouldBe((ushort)7);
        buf[20].ShouldBe((byte)17);
        BinaryPrimitives.ReadUInt16BigEndian(buf.AsSpan(14 + 40 + 16)).ShouldBe((ushort)0xBEEF);
        FrameParser.Parse(buf.AsSpan(0, n)).Malformed.ShouldBe("malformed: IPv6 version field is 4, expected 6");
    }

    [Fact]
    public void Extension_headers_are_chained_padded_and_walked()
    {
        var frame = SampleFrames6.DataWithExtensions();
        var f = FrameParser.Parse(frame);
        f.Malformed.ShouldBeNull();
        f.IPv6.ShouldNotBeNull().NextHeader.ShouldBe(IPv6ExtensionHeader.HopByHop);
        f.Ipv6ExtensionsLength.ShouldBe(24);
        var found = new List<IPv6Extension>();
        foreach (var x in new IPv6ExtensionReader(f.Ipv6Extensions(frame), IPv6ExtensionHeader.HopByHop, f.Ipv6ExtensionsOffset))
        {
            found.Add(x);
        }

        found.ShouldBe([new IPv6Extension(0, 54, 8, 60), new IPv6Extension(60, 62, 16, 6)]);
        frame.AsSpan(54, 8).ToArray().ShouldBe(new byte[] { 60, 0, 5, 2, 0, 0, 1, 0 }); // router alert, then PadN of 0
        frame.AsSpan(62, 16).ToArray().ShouldBe(new byte[] { 6, 1, 0x1e, 2, 0xAB, 0xCD, 0x1e, 1, 0x55, 1, 5, 0, 0, 0, 0, 0 }); // PadN of 5 to 16 bytes
        f.Tcp.ShouldNotBeNull().SourcePort.ShouldBe((ushort)40000);
        f.PayloadLength.ShouldBe(18);
        f.TransportChecksum(frame).ShouldBe(ChecksumVerdict.Good);
    }

    [Fact]
    public void A_routing_header_with_segments_left_moves_the_pseudo_header_destination()
    {
        var frame = SampleFrames6.SynViaRoutingHeader();
        var f = FrameParser.Parse(frame);
        f.Malformed.ShouldBeNull();
        f.IPv6.ShouldNotBeNull().Destination.ShouldBe(SampleFrames6.Router);
        f.Ipv6PseudoDestination.ShouldBe(SampleFrames6.Server);
        f.TransportChecksum(frame).ShouldBe(ChecksumVerdict.Good);
    }

    [Fact]
    public void Fragments_carry_their_header_and_only_the_first_its_transport()
    {
        var (first, second) = SampleFrames6.UdpFragments();
        var a = FrameParser.Parse(first);
        a.Malformed.ShouldBeNull();
        a.Ipv6Fragment.ShouldBe(new IPv6Fragment(0, true, 0xCAFE, 17, 54));
        a.Udp.ShouldNotBeNull().Length.ShouldBe((ushort)72);
        a.IsFragment.ShouldBeTrue();
        a.TransportChecksum(first).ShouldBe(ChecksumVerdict.Unverified);
        var b = FrameParser.Parse(second);
        b.Malformed.ShouldBeNull();
        b.Ipv6Fragment.ShouldBe(new IPv6Fragment(4, false, 0xCAFE, 17, 54));
        b.Udp.ShouldBeNull();
        b.UpperProtocol.ShouldBe((byte)17);
        b.PayloadLength.ShouldBe(40);
    }

    [Fact]
    public void Echo_and_errors_decode_the_quote()
    {
        var echo = FrameParser.Parse(SampleFrames6.EchoRequest());
        echo.Icmpv6.ShouldNotBeNull().Identifier.ShouldBe((ushort)0x1234);
        echo.PayloadLength.ShouldBe(56);
        echo.TransportChecksum(SampleFrames6.EchoRequest()).ShouldBe(ChecksumVerdict.Good);

        var ptb = SampleFrames6.ErrorQuotingSyn(Icmpv6Header.PacketTooBig, 0, 1280, SampleFrames6.Router);
        var f = FrameParser.Parse(ptb);
        f.Malformed.ShouldBeNull();
        f.Icmpv6.ShouldNotBeNull().RestOfHeader.ShouldBe(1280u);
        var q = f.Icmpv6Quote.ShouldNotBeNull();
        q.Ip.Source.ShouldBe(SampleFrames6.Client);
        q.Ip.Destination.ShouldBe(SampleFrames6.Server);
        q.Protocol.ShouldBe((byte)6);
        q.SourcePort.ShouldBe((ushort)40000);
        q.DestinationPort.ShouldBe((ushort)8080);
        q.TcpSeq.ShouldBe(new SeqNum(0xFFFFFFF0));
        f.TransportChecksum(ptb).ShouldBe(ChecksumVerdict.Good);
    }

    [Fact]
    public void Neighbour_discovery_messages_round_trip_with_their_options()
    {
        var ns = FrameParser.Parse(SampleFrames6.NeighborSolicitation());
        ns.Malformed.ShouldBeNull();
        ns.Ethernet.ShouldNotBeNull().Destination.ToString().ShouldBe("33:33:ff:00:00:02");
        ns.IPv6.ShouldNotBeNull().Destination.ToString().ShouldBe("ff02::1:ff00:2");
        ns.IPv6.Value.HopLimit.ShouldBe((byte)255);
        var m = ns.Ndp.ShouldNotBeNull();
        m.Type.ShouldBe(Icmpv6Header.NeighborSolicitation);
        m.Target.ShouldBe(SampleFrames6.RouterLinkLocal);
        m.SourceLinkAddress.ShouldBe(SampleFrames.ClientMac);
        ns.TransportChecksum(SampleFrames6.NeighborSolicitation()).ShouldBe(ChecksumVerdict.Good);

        var na = FrameParser.Parse(SampleFrames6.NeighborAdvertisement()).Ndp.ShouldNotBeNull();
        (na.Router, na.Solicited, na.Override).ShouldBe((true, true, true));
        na.TargetLinkAddress.ShouldBe(SampleFrames.ServerMac);

        var rs = FrameParser.Parse(SampleFrames6.RouterSolicitation());
        rs.Ndp.ShouldNotBeNull().SourceLinkAddress.ShouldBe(SampleFrames.ClientMac);
        rs.IPv6.ShouldNotBeNull().Destination.ShouldBe(IPv6Address.AllRouters);

        var raFrame = SampleFrames6.RouterAdvertisement();
        var raParsed = FrameParser.Parse(raFrame);
        var ra = raParsed.Ndp.ShouldNotBeNull();
        (ra.CurHopLimit, ra.Managed, ra.OtherConfig, ra.RouterLifetime).ShouldBe(((byte)64, false, true, (ushort)1800));
        ra.Mtu.ShouldBe(1500u);
        ra.SourceLinkAddress.ShouldBe(SampleFrames.ServerMac);
        var prefixes = new List<NdpPrefix>();
        foreach (var o in new NdpOptionReader(raFrame.AsSpan(ra.OptionsOffset, ra.OptionsLength), ra.OptionsOffset))
        {
            if (o.Type == NdpOption.PrefixInformation)
            {
                prefixes.Add(NdpPrefix.Read(raFrame.AsSpan(o.Offset, o.Length)));
            }
        }

        prefixes.ShouldBe([new NdpPrefix(IPv6Address.Parse("2001:db8::"), 64, true, true, 86400, 14400)]);
        raParsed.TransportChecksum(raFrame).ShouldBe(ChecksumVerdict.Good);
    }

    [Fact]
    public void A_zero_length_ndp_option_ends_the_options_and_one_past_the_end_is_malformed()
    {
        var frame = SampleFrames6.NeighborSolicitation();
        frame[14 + 40 + 8 + 16 + 1] = 0;
        var f = FrameParser.Parse(frame);
        f.Malformed.ShouldBeNull(); // as tshark: invalid (RFC 4861 §4.6), not malformed
        f.Ndp.ShouldNotBeNull().SourceLinkAddress.ShouldBeNull();
        var e = new NdpOptionReader(frame.AsSpan(78), 78).GetEnumerator();
        e.MoveNext().ShouldBeFalse();
        (e.ZeroLength, e.Malformed).ShouldBe((true, "ICMPv6 option 1 at byte 78 has length 0"));
        frame[14 + 40 + 8 + 16 + 1] = 2;
        FrameParser.Parse(frame).Malformed.ShouldBe("malformed: ICMPv6 option 1 at byte 78 says 16 bytes, 8 are left");
    }

    [Fact]
    public void An_extension_header_past_the_end_is_malformed()
    {
        var frame = SampleFrames6.DataWithExtensions();
        frame[14 + 40 + 8 + 1] = 200;
        FrameParser.Parse(frame).Malformed.ShouldBe("malformed: IPv6 extension header 60 at byte 62 says 1608 bytes, 54 are left");
        FrameParser.Parse(frame.AsSpan(0, 14 + 30)).Malformed.ShouldBe("malformed: IPv6 header at byte 14 is cut off (30 of 40 bytes)");
    }

    [Fact]
    public void Every_truncation_of_every_sample_over_every_link_type()
    {
        var count = 0;
        foreach (var (name, frame) in SampleFrames6.All())
        {
            foreach (var link in Links)
            {
                if (SampleFrames.Reencapsulate(frame, link) is { } bytes)
                {
                    HostileInputTests.AssertEveryTruncation(name, bytes, link);
                    count++;
                }
            }
        }

        count.ShouldBe(15 * 6);
    }

    [Fact]
    public void Mutated_and_random_frames_never_throw()
    {
        var rng = new Random(6);
        var samples = SampleFrames6.All().ToArray();
        var reached = 0;
        for (var i = 0; i < 60_000; i++)
        {
            var (name, frame) = samples[i % samples.Length];
            var link = Links[rng.Next(Links.Length)];
            var bytes = SampleFrames.Reencapsulate(frame, link)!;
            for (var k = rng.Next(1, 5); k > 0; k--)
            {
                bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
            }

            if (rng.Next(4) == 0)
            {
                bytes = bytes[..rng.Next(bytes.Length + 1)];
            }

            if (i % 3 == 0)
            {
                rng.NextBytes(bytes.AsSpan(Math.Min(bytes.Length, 54)));
            }

            var f = Parse(bytes, link, $"{name} #{i} over {link}");
            reached += f.IPv6 is not null ? 1 : 0;
        }

        reached.ShouldBeGreaterThan(20_000);
    }

    private static ParsedFrame Parse(byte[] bytes, LinkType link, string context)
    {
        try
        {
            var f = FrameParser.Parse(bytes, link);
            SampleFrames.TouchAccessors(f, bytes);
            f.Malformed?.ShouldStartWith("malformed: ", Case.Sensitive, context);
            if (f.Ndp is { } m)
            {
                foreach (var _ in new NdpOptionReader(bytes.AsSpan(m.OptionsOffset, m.OptionsLength)))
                {
                }
            }

            return f;
        }
        catch (ShouldAssertException)
        {
            throw;
        }
        catch (Exception ex)
        {
            throw new ShouldAssertException($"{context}: {ex.GetType().Name}: {ex.Message} on {Convert.ToHexString(bytes)}", ex);
        }
    }
}
