using RawHandshake.Wire.Building;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;
using RawHandshake.Wire.Tests.Support;

namespace RawHandshake.Wire.Tests;

public class FrameBuilderTests
{
    private static readonly EthernetHeader Eth = new(SampleFrames.ServerMac, SampleFrames.ClientMac);
    private static readonly IPv4Header Ip = new() { Source = SampleFrames.Client, Destination = SampleFrames.Server };
    private static readonly TcpHeader Tcp = new(1, 2, new SeqNum(3), new SeqNum(4), TcpFlags.Ack, 5);

    private static void PlacedAsTheParserFindsThem(in TcpBuildReport report, in ParsedFrame f, int length)
    {
        report.Length.ShouldBe(length);
        report.NetworkOffset.ShouldBe(f.NetworkOffset);
        report.TransportOffset.ShouldBe(f.TransportOffset);
        report.OptionsOffset.ShouldBe(f.TcpOptionsOffset);
        report.OptionsLength.ShouldBe(f.TcpOptionsLength);
    }

    [Fact]
    public void Unset_fields_take_their_defaults_and_computed_values()
    {
        var buf = new byte[54];
        FrameBuilder.BuildTcp(buf, Eth, Ip, Tcp, default, default).ShouldBe(54);
        Convert.ToHexString(buf, 12, 2).ShouldBe("0800");
        buf[14].ShouldBe((byte)0x45);       // version 4, IHL 5
        buf[16].ShouldBe((byte)0);
        buf[17].ShouldBe((byte)40);         // total length
        buf[22].ShouldBe((byte)64);         // TTL 64
        buf[23].ShouldBe((byte)6);          // protocol TCP
        buf[34 + 12].ShouldBe((byte)0x50);  // data offset 5
        var f = FrameParser.Parse(buf);
        f.IpChecksum(buf).ShouldBe(ChecksumVerdict.Good);
        f.TransportChecksum(buf).ShouldBe(ChecksumVerdict.Good);
    }

    [Fact]
    public void The_report_says_checksums_were_computed_and_where_the_parts_lie_as_the_parser_finds_them()
    {
        var buf = new byte[100];
        byte[] options = [2, 4, 5, 0xB4, 1]; // MSS 1460, NOP: padded to 8
        var n = FrameBuilder.BuildTcp(buf, Eth, Ip, Tcp, options, "hi"u8, out var report);

        var f = FrameParser.Parse(buf.AsSpan(0, n));
        PlacedAsTheParserFindsThem(report, f, n);
        report.Options(buf).ToArray().ShouldBe([2, 4, 5, 0xB4, 1, 0, 0, 0]);
        report.PayloadLength.ShouldBe(2);
        report.IpChecksum.ShouldBe(ChecksumOrigin.Computed);
        report.TcpChecksum.ShouldBe(ChecksumOrigin.Computed);
        report.ChecksumsRight.ShouldBeTrue();
    }

    [Theory]
    [InlineData(true, false)]
    [InlineData(false, true)]
    [InlineData(true, true)]
    public void A_checksum_set_by_hand_is_sent_as_set_and_reported_right_or_wrong_as_a_receiver_finds_it(bool setIp, bool setTcp)
    {
        // The right values first, from a frame built without them.
        var right = new byte[60];
        var n = FrameBuilder.BuildTcp(right, Eth, Ip, Tcp, default, "x"u8);
        var ipSum = (ushort)(right[24] << 8 | right[25]);
        var tcpSum = (ushort)(right[50] << 8 | right[51]);

        foreach (var wrong in new[] { false, true })
        {
            var ip = setIp ? Ip with { Checksum = (ushort)(ipSum ^ (wrong ? 0x1111 : 0)) } : Ip;
            var tcp = setTcp ? Tcp with { Checksum = (ushort)(tcpSum ^ (wrong ? 0x2222 : 0)) } : Tcp;
            var buf = new byte[60];
            FrameBuilder.BuildTcp(buf, Eth, ip, tcp, default, "x"u8, out var report).ShouldBe(n);

            var f = FrameParser.Parse(buf.AsSpan(0, n));
            (buf[24] << 8 | buf[25]).ShouldBe(ip.Checksum ?? ipSum);
            (buf[50] << 8 | buf[51]).ShouldBe(tcp.Checksum ?? tcpSum);
            report.IpChecksum.ShouldBe(!setIp ? ChecksumOrigin.Computed : wrong ? ChecksumOrigin.SetWrong : ChecksumOrigin.SetRight);
            report.TcpChecksum.ShouldBe(!setTcp ? ChecksumOrigin.Computed : wrong ? ChecksumOrigin.SetWrong : ChecksumOrigin.SetRight);
            report.ChecksumsRight.ShouldBe(!wrong);
            report.ChecksumsRight.ShouldBe(f.IpChecksum(buf.AsSpan(0, n)) == ChecksumVerdict.Good && f.TransportChecksum(buf.AsSpan(0, n)) == ChecksumVerdict.Good);
        }
    }

    [Fact]
    public void Over_IPv6_the_report_places_the_parts_as_the_parser_does_and_judges_a_set_tcp_checksum_as_a_receiver()
    {
        var ip6 = new IPv6Header { Source = IPv6Address.Parse("2001:db8::1"), Destination = IPv6Address.Parse("2001:db8::2") };
        byte[] options = [2, 4, 5, 0xA0, 1]; // MSS 1440, NOP: padded to 8
        var plain = new byte[120];
        var n = FrameBuilder.BuildTcp(plain, Eth, ip6, Tcp, options, "hi"u8);
        var buf = new byte[120];
        FrameBuilder.BuildTcp(buf, Eth, ip6, Tcp, options, "hi"u8, out var report).ShouldBe(n);
        buf.ShouldBe(plain, "the report changes nothing that is sent");

        var f = FrameParser.Parse(buf.AsSpan(0, n));
        PlacedAsTheParserFindsThem(report, f, n);
        report.PayloadLength.ShouldBe(2);
        report.IpChecksum.ShouldBe(ChecksumOrigin.Computed, "IPv6 has no header checksum");
        report.TcpChecksum.ShouldBe(ChecksumOrigin.Computed);
        f.TransportChecksum(buf.AsSpan(0, n)).ShouldBe(ChecksumVerdict.Good);

        var tcpSum = (ushort)(buf[report.TransportOffset + 16] << 8 | buf[report.TransportOffset + 17]);
        foreach (var wrong in new[] { false, true })
        {
            var set = Tcp with { Checksum = (ushort)(tcpSum ^ (wrong ? 0x2222 : 0)) };
            var sent = new byte[120];
            FrameBuilder.BuildTcp(sent, Eth, ip6, set, options, "hi"u8, out var r).ShouldBe(n);
            (sent[r.TransportOffset + 16] << 8 | sent[r.TransportOffset + 17]).ShouldBe(set.Checksum!.Value, "sent as set");
            r.TcpChecksum.ShouldBe(wrong ? ChecksumOrigin.SetWrong : ChecksumOrigin.SetRight);
            r.ChecksumsRight.ShouldBe(FrameParser.Parse(sent.AsSpan(0, n)).TransportChecksum(sent.AsSpan(0, n)) == ChecksumVerdict.Good);
        }
    }

    [Fact]
    public void Odd_length_ip_and_tcp_options_are_padded_with_zeros()
    {
        var buf = new byte[100];
        Array.Fill(buf, (byte)0xA5);
        var n = FrameBuilder.BuildTcp(buf, Eth, Ip with { Options = new byte[] { 0x94, 0x04, 0x00 } }, Tcp, [0x01, 0x03, 0x03, 0x07, 0x01], default);
        n.ShouldBe(14 + 24 + 28);
        buf[14].ShouldBe((byte)0x46);                                  // IHL 6
        Convert.ToHexString(buf, 34, 4).ShouldBe("94040000");          // router alert, padded
        buf[38 + 12].ShouldBe((byte)0x70);                              // data offset 7
        Convert.ToHexString(buf, 38 + 20, 8).ShouldBe("0103030701000000");
        buf.Skip(n).ShouldAllBe(b => b == 0xA5);
        var f = FrameParser.Parse(buf.AsSpan(0, n));
        f.Malformed.ShouldBeNull();
        f.IpChecksum(buf.AsSpan(0, n)).ShouldBe(ChecksumVerdict.Good);
        f.TransportChecksum(buf.AsSpan(0, n)).ShouldBe(ChecksumVerdict.Good);
        f.TcpOptionsSummary(buf.AsSpan(0, n)).WindowScale.ShouldBe((byte)7);
    }

    [Fact]
    public void Vlan_tag_goes_before_the_ethertype()
    {
        var buf = new byte[58];
        FrameBuilder.BuildTcp(buf, Eth with { VlanTci = 0xA00A }, Ip, Tcp, default, default).ShouldBe(58);
        Convert.ToHexString(buf, 12, 6).ShouldBe("8100A00A0800");
        buf[18].ShouldBe((byte)0x45);
    }

    [Fact]
    public void Explicit_ethertype_is_sent_as_set()
    {
        var buf = new byte[54];
        FrameBuilder.BuildTcp(buf, Eth with { EtherType = 0x86DD }, Ip, Tcp, default, default);
        Convert.ToHexString(buf, 12, 2).ShouldBe("86DD");
        var f = FrameParser.Parse(buf);
        f.EtherType.ShouldBe((ushort)0x86DD);
        f.IPv4.ShouldBeNull(); // not IPv4 by its EtherType: not decoded as such, but as the IPv6 it claims to be
        f.Malformed.ShouldBe("malformed: IPv6 version field is 4, expected 6");
    }

    [Fact]
    public void Icmp_checksum_is_computed_and_explicit_one_kept()
    {
        var data = new byte[] { 1, 2, 3 };
        var buf = new byte[45];
        FrameBuilder.BuildIcmp(buf, Eth, Ip, IcmpHeader.Echo(true, 7, 9), data).ShouldBe(45);
        var icmp = buf.AsSpan(34).ToArray();
        var sum = (ushort)((icmp[2] << 8) | icmp[3]);
        icmp[2] = icmp[3] = 0;
        sum.ShouldBe(RefChecksum.Internet(icmp));
        Convert.ToHexString(buf, 34, 8).ShouldBe("0800" + sum.ToString("X4") + "00070009");
        buf[23].ShouldBe((byte)1);

        FrameBuilder.BuildIcmp(buf, Eth, Ip, IcmpHeader.Echo(true, 7, 9) with { Checksum = 0x1234 }, data);
        Convert.ToHexString(buf, 36, 2).ShouldBe("1234");
        FrameParser.Parse(buf).TransportChecksum(buf).ShouldBe(ChecksumVerdict.Bad);
    }

    [Fact]
    public void BuildIPv4_carries_any_protocol_untouched()
    {
        var payload = new byte[] { 0xDE, 0xAD, 0xBE, 0xEF };
        var buf = new byte[38];
        FrameBuilder.BuildIPv4(buf, Eth, Ip, 253, payload).ShouldBe(38);
        buf[23].ShouldBe((byte)253);
        Convert.ToHexString(buf, 34, 4).ShouldBe("DEADBEEF");
        var f = FrameParser.Parse(buf);
        f.Malformed.ShouldBeNull();
        f.IPv4!.Value.Protocol.ShouldBe((byte)253);
        f.Payload(buf).ToArray().ShouldBe(payload);
        f.TransportChecksum(buf).ShouldBe(ChecksumVerdict.Unverified);

        // Protocol set on the header wins over the argument.
        FrameBuilder.BuildIPv4(buf, Eth, Ip with { Protocol = 99 }, 253, payload);
        buf[23].ShouldBe((byte)99);
    }

    [Fact]
    public void Later_fragment_is_not_decoded_as_tcp()
    {
        var buf = new byte[54];
        FrameBuilder.BuildTcp(buf, Eth, Ip with { FragmentOffset = 185, MoreFragments = true }, Tcp, default, default);
        Convert.ToHexString(buf, 20, 2).ShouldBe("20B9");
        var f = FrameParser.Parse(buf);
        f.Malformed.ShouldBeNull();
        f.IPv4!.Value.FragmentOffset.ShouldBe((ushort)185);
        f.Tcp.ShouldBeNull();
        f.PayloadLength.ShouldBe(20);
        f.TransportChecksum(buf).ShouldBe(ChecksumVerdict.Unverified);
    }

    [Fact]
    public void TcpFrameLength_matches_what_is_written()
    {
        FrameBuilder.TcpFrameLength(Eth, Ip, 0, 0).ShouldBe(54);
        FrameBuilder.TcpFrameLength(Eth with { VlanTci = 1 }, Ip with { Options = new byte[5] }, 13, 100).ShouldBe(18 + 28 + 36 + 100);
    }
}
