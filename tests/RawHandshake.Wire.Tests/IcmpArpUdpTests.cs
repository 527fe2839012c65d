using RawHandshake.Wire.Building;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;
using RawHandshake.Wire.Tests.Support;

namespace RawHandshake.Wire.Tests;

public class IcmpArpUdpTests
{
    [Fact]
    public void Port_unreachable_decodes_the_quoted_udp_datagram()
    {
        var frame = SampleFrames.PortUnreachable();
        var f = FrameParser.Parse(frame);
        f.Malformed.ShouldBeNull();
        var icmp = f.Icmp.ShouldNotBeNull();
        icmp.Type.ShouldBe(IcmpHeader.DestinationUnreachable);
        icmp.Code.ShouldBe((byte)3);
        icmp.QuotesDatagram.ShouldBeTrue();
        f.TransportChecksum(frame).ShouldBe(ChecksumVerdict.Good);
        RefChecksum.Fold(RefChecksum.Sum(frame.AsSpan(34))).ShouldBe((ushort)0xFFFF);

        var q = f.IcmpQuote.ShouldNotBeNull();
        q.Offset.ShouldBe(42);
        q.Ip.Source.ShouldBe(SampleFrames.Client);
        q.Ip.Destination.ShouldBe(SampleFrames.Server);
        q.Ip.Protocol.ShouldBe((byte)17);
        q.SourcePort.ShouldBe((ushort)51000);
        q.DestinationPort.ShouldBe((ushort)33434);
        q.TcpSeq.ShouldBeNull();
    }

    [Fact]
    public void Time_exceeded_decodes_the_quoted_syn_and_its_sequence_number()
    {
        var frame = SampleFrames.TimeExceeded();
        var f = FrameParser.Parse(frame);
        f.Malformed.ShouldBeNull();
        f.IPv4!.Value.Source.ShouldBe(SampleFrames.Router);
        f.Icmp!.Value.Type.ShouldBe(IcmpHeader.TimeExceeded);
        f.TransportChecksum(frame).ShouldBe(ChecksumVerdict.Good);
        var q = f.IcmpQuote.ShouldNotBeNull();
        q.Ip.Ttl.ShouldBe((byte)0);
        q.Ip.Protocol.ShouldBe((byte)6);
        q.SourcePort.ShouldBe((ushort)40000);
        q.DestinationPort.ShouldBe((ushort)8080);
        q.TcpSeq.ShouldBe(new SeqNum(0xFFFFFFF0));
    }

    [Fact]
    public void A_short_quote_gives_what_it_can()
    {
        var full = SampleFrames.TimeExceeded();
        // IP header + 4 bytes: ports but no sequence number; IP header + 2: no ports; 19 bytes: no quote at all.
        var f = FrameParser.Parse(Requote(full, 24));
        f.IcmpQuote!.Value.SourcePort.ShouldBe((ushort)40000);
        f.IcmpQuote!.Value.TcpSeq.ShouldBeNull();
        f = FrameParser.Parse(Requote(full, 22));
        f.IcmpQuote!.Value.Ip.Destination.ShouldBe(SampleFrames.Server);
        f.IcmpQuote!.Value.SourcePort.ShouldBeNull();
        f = FrameParser.Parse(Requote(full, 19));
        f.Malformed.ShouldBeNull();
        f.IcmpQuote.ShouldBeNull();
    }

    private static byte[] Requote(byte[] timeExceeded, int quoteLength)
    {
        var quote = timeExceeded.AsSpan(42, quoteLength).ToArray();
        var buf = new byte[42 + quoteLength];
        FrameBuilder.BuildIcmp(buf, new EthernetHeader(SampleFrames.ClientMac, SampleFrames.ServerMac), SampleFrames.Ip(SampleFrames.Router, SampleFrames.Client), new IcmpHeader(IcmpHeader.TimeExceeded, 0, 0), quote);
        return buf;
    }

    [Fact]
    public void Echo_request_is_not_a_quote()
    {
        var frame = SampleFrames.EchoRequest();
        var f = FrameParser.Parse(frame);
        f.Icmp!.Value.Identifier.ShouldBe((ushort)0x1234);
        f.Icmp!.Value.SequenceNumber.ShouldBe((ushort)1);
        f.Icmp!.Value.QuotesDatagram.ShouldBeFalse();
        f.IcmpQuote.ShouldBeNull();
        f.PayloadLength.ShouldBe(56);
        f.TransportChecksum(frame).ShouldBe(ChecksumVerdict.Good);
        frame[^1] ^= 0xFF;
        FrameParser.Parse(frame).TransportChecksum(frame).ShouldBe(ChecksumVerdict.Bad);
    }

    [Fact]
    public void Arp_request_builds_and_parses()
    {
        var frame = SampleFrames.ArpRequest();
        frame.Length.ShouldBe(42);
        Convert.ToHexString(frame).ShouldBe(
            "FFFFFFFFFFFF" + "020000000001" + "0806" +
            "0001" + "0800" + "06" + "04" + "0001" + "020000000001" + "C612004D" + "000000000000" + "C6120001");
        var f = FrameParser.Parse(frame);
        f.Malformed.ShouldBeNull();
        var arp = f.Arp.ShouldNotBeNull();
        arp.Operation.ShouldBe(ArpPacket.Request);
        arp.SenderMac.ShouldBe(SampleFrames.ClientMac);
        arp.SenderIp.ShouldBe(SampleFrames.Client);
        arp.TargetMac.ShouldBe(MacAddress.Zero);
        arp.TargetIp.ShouldBe(SampleFrames.Server);

        byte[] padded = [.. frame, .. new byte[18]];
        FrameParser.Parse(padded).TrailerLength.ShouldBe(18);

        var reply = new byte[42];
        FrameBuilder.BuildArpReply(reply, SampleFrames.ServerMac, SampleFrames.Server, SampleFrames.ClientMac, SampleFrames.Client);
        var r = FrameParser.Parse(reply);
        r.Ethernet!.Value.Destination.ShouldBe(SampleFrames.ClientMac);
        r.Arp!.Value.Operation.ShouldBe(ArpPacket.Reply);
        r.Arp!.Value.TargetMac.ShouldBe(SampleFrames.ClientMac);
    }

    [Fact]
    public void Udp_parses_and_verifies()
    {
        var frame = SampleFrames.Udp(SampleFrames.Client, SampleFrames.Server, 5353, 53, [1, 2, 3]);
        var f = FrameParser.Parse(frame);
        f.Udp.ShouldBe(new UdpHeader(5353, 53, 11, f.Udp!.Value.Checksum));
        f.Payload(frame).ToArray().ShouldBe(new byte[] { 1, 2, 3 });
        f.TransportChecksum(frame).ShouldBe(ChecksumVerdict.Good);
        frame[^1] ^= 1;
        FrameParser.Parse(frame).TransportChecksum(frame).ShouldBe(ChecksumVerdict.Bad);
        frame[40] = frame[41] = 0; // checksum 0: not computed by the sender
        FrameParser.Parse(frame).TransportChecksum(frame).ShouldBe(ChecksumVerdict.Unverified);
    }

    [Fact]
    public void Ethernet_trailer_and_snap_length_truncation()
    {
        var syn = SampleFrames.LinuxSyn();
        byte[] padded = [.. syn, 0, 0, 0, 0];
        var f = FrameParser.Parse(padded);
        f.TrailerLength.ShouldBe(4);
        f.PayloadLength.ShouldBe(0);
        f.TransportChecksum(padded).ShouldBe(ChecksumVerdict.Good); // the padding is not part of the segment

        var data = SampleFrames.DataSegment();
        var cut = data[..^5];
        var t = FrameParser.Parse(cut);
        t.Malformed.ShouldBeNull();
        t.IpTruncated.ShouldBeTrue();
        t.PayloadLength.ShouldBe(18 - 5);
        t.TransportChecksum(cut).ShouldBe(ChecksumVerdict.Unverified);
        t.IpChecksum(cut).ShouldBe(ChecksumVerdict.Good);
    }
}
