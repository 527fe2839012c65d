using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;
using RawHandshake.Wire.Tests.Support;

namespace RawHandshake.Wire.Tests;

public class LinkTypeParsingTests
{
    [Fact]
    public void Bytes_that_start_at_a_good_ipv4_header_are_told_from_a_frame()
    {
        var frame = SampleFrames.LinuxSyn();
        IPv4Header.StartsWithValidHeader(frame[14..]).ShouldBeTrue();
        IPv4Header.StartsWithValidHeader(frame).ShouldBeFalse("an Ethernet frame starts with a MAC address");

        var badChecksum = frame[14..];
        badChecksum[10] ^= 0xff;
        IPv4Header.StartsWithValidHeader(badChecksum).ShouldBeFalse();
        IPv4Header.StartsWithValidHeader(frame[14..33]).ShouldBeFalse("shorter than a header");

        var withOptionsCut = frame[14..].ToArray();
        withOptionsCut[0] = 0x46; // IHL 6: 24 bytes of header, the checksum no longer covers what it says
        IPv4Header.StartsWithValidHeader(withOptionsCut).ShouldBeFalse();
        IPv4Header.StartsWithValidHeader([0x44, .. frame[15..34]]).ShouldBeFalse("IHL below 5");
    }

    [Fact]
    public void Null_link_reads_the_family_in_either_byte_order()
    {
        var ip = SampleFrames.LinuxSyn()[14..];
        byte[] little = [2, 0, 0, 0, .. ip];
        byte[] big = [0, 0, 0, 2, .. ip];
        foreach (var bytes in new[] { little, big })
        {
            var f = FrameParser.Parse(bytes, LinkType.Null);
            f.Malformed.ShouldBeNull();
            f.EtherType.ShouldBe((ushort)0x0800);
            f.NetworkOffset.ShouldBe(4);
            f.Tcp!.Value.Seq.ShouldBe(new SeqNum(0xFFFFFFF0));
        }

        // AF_INET6 of Linux (10) and the BSDs (24/28/30) carries IPv6.
        foreach (byte family in new byte[] { 10, 24, 28, 30 })
        {
            byte[] v6 = [family, 0, 0, 0, 0x60, 0, 0, 0, 0, 0, 59, 64, .. new byte[32]];
            var g = FrameParser.Parse(v6, LinkType.Null);
            g.Malformed.ShouldBeNull();
            g.EtherType.ShouldBe((ushort)0x86DD);
            g.IPv6.ShouldNotBeNull().NextHeader.ShouldBe((byte)59);
        }
    }

    [Fact]
    public void Raw_link_tells_ipv6_from_ipv4_by_the_version_nibble()
    {
        byte[] v6 = [0x60, 0, 0, 0, 0, 0, 59, 64, .. new byte[32]];
        var f = FrameParser.Parse(v6, LinkType.Raw);
        f.Malformed.ShouldBeNull();
        f.EtherType.ShouldBe((ushort)0x86DD);
        f.IPv4.ShouldBeNull();
        f.IPv6.ShouldNotBeNull().HopLimit.ShouldBe((byte)64);
        f.PayloadOffset.ShouldBe(40);
        f.PayloadLength.ShouldBe(0);

        var v4 = SampleFrames.DataSegment()[14..];
        var g = FrameParser.Parse(v4, LinkType.Ipv4);
        g.Malformed.ShouldBeNull();
        g.Link.ShouldBe(LinkType.Ipv4);
        g.IpOptionsLength.ShouldBe(4);
        System.Text.Encoding.ASCII.GetString(g.Payload(v4)).ShouldBe("GET / HTTP/1.0\r\n\r\n");
    }

    [Fact]
    public void Unknown_ethertype_survives_as_a_number()
    {
        var frame = SampleFrames.LinuxSyn();
        frame[12] = 0x88;
        frame[13] = 0xB5; // local experimental EtherType
        var f = FrameParser.Parse(frame);
        f.Malformed.ShouldBeNull();
        f.EtherType.ShouldBe((ushort)0x88B5);
        f.Ethernet!.Value.EtherType.ShouldBe((ushort)0x88B5);
        f.IPv4.ShouldBeNull();
        f.PayloadOffset.ShouldBe(14);
        f.PayloadLength.ShouldBe(frame.Length - 14);
        f.IpChecksum(frame).ShouldBe(ChecksumVerdict.Unverified);
        f.TransportChecksum(frame).ShouldBe(ChecksumVerdict.Unverified);
    }

    [Fact]
    public void Sll_packet_type_names()
    {
        new SllHeader(1, 0, 1, 0, 6, 0x0800, 0).PacketTypeName.ShouldBe("Unicast to us");
        new SllHeader(1, 4, 1, 0, 6, 0x0800, 0).PacketTypeName.ShouldBe("Sent by us");
        new SllHeader(1, 1, 1, 0, 6, 0x0800, 0).PacketTypeName.ShouldBe("Broadcast");
        new SllHeader(1, 9, 1, 0, 6, 0x0800, 0).PacketTypeName.ShouldBe("Unknown (9)");
    }
}
