using PacketDotNet;
using RawHandshake.Wire.Building;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;
using UdpFields = RawHandshake.Wire.Building.UdpFields;

namespace RawHandshake.Wire.Tests;

/// <summary>UDP frames built like TCP ones: length and checksum computed when unset, sent as set otherwise; checked by
/// our own parser and by PacketDotNet.</summary>
public class UdpBuildTests
{
    private static readonly EthernetHeader Eth = new(new MacAddress(0x02_52_48_00_00_fe), new MacAddress(0x02_52_48_00_00_01));
    private static readonly IPv4Header Ip = new() { Source = IPv4Address.Parse("198.18.0.1"), Destination = IPv4Address.Parse("198.18.2.10"), Ttl = 64, Id = 7 };

    [Theory]
    [InlineData("")]
    [InlineData("A")]
    [InlineData("hello, lab")]
    public void ComputedLengthAndChecksumAreWhatPacketDotNetAndOurParserAccept(string text)
    {
        var payload = System.Text.Encoding.ASCII.GetBytes(text);
        var buffer = new byte[200];
        var n = FrameBuilder.BuildUdp(buffer, Eth, Ip, new UdpFields(40000, 53), payload);
        var frame = buffer[..n];
        n.ShouldBe(14 + 20 + 8 + payload.Length);

        var f = FrameParser.Parse(frame);
        f.Malformed.ShouldBeNull();
        var udp = f.Udp.ShouldNotBeNull();
        (udp.SourcePort, udp.DestinationPort, udp.Length).ShouldBe(((ushort)40000, (ushort)53, (ushort)(8 + payload.Length)));
        f.TransportChecksum(frame).ShouldBe(ChecksumVerdict.Good);
        f.IpChecksum(frame).ShouldBe(ChecksumVerdict.Good);
        f.IPv4!.Value.Protocol.ShouldBe((byte)IpProtocol.Udp);
        f.Payload(frame).ToArray().ShouldBe(payload);

        var pdn = Packet.ParsePacket(LinkLayers.Ethernet, frame).Extract<UdpPacket>().ShouldNotBeNull();
        pdn.ValidUdpChecksum.ShouldBeTrue();
        (pdn.SourcePort, pdn.DestinationPort, pdn.Length).ShouldBe(((ushort)40000, (ushort)53, (ushort)(8 + payload.Length)));
    }

    [Fact]
    public void ALengthAndAChecksumThatAreSetAreSentAsSet()
    {
        var buffer = new byte[200];
        var n = FrameBuilder.BuildUdp(buffer, Eth, Ip, new UdpFields(40000, 53) { Length = 99, Checksum = 0xBAD }, [1, 2, 3]);
        var f = FrameParser.Parse(buffer.AsSpan(0, n));
        f.Udp!.Value.Length.ShouldBe((ushort)99);
        f.Udp!.Value.Checksum.ShouldBe((ushort)0xBAD);

        n = FrameBuilder.BuildUdp(buffer, Eth, Ip, new UdpFields(40000, 53) { Checksum = 0 }, [1, 2, 3]);
        FrameParser.Parse(buffer.AsSpan(0, n)).Udp!.Value.Checksum.ShouldBe((ushort)0, "0: sent without a checksum");
    }

    [Fact]
    public void ATooSmallBufferThrowsBeforeAnythingIsWritten()
    {
        var buffer = new byte[30];
        Should.Throw<ArgumentException>(() => FrameBuilder.BuildUdp(buffer, Eth, Ip, new UdpFields(1, 2), [1, 2, 3]));
        buffer.ShouldAllBe(b => b == 0);
    }
}
