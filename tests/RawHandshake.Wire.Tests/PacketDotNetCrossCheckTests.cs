using PacketDotNet;
using PacketDotNet.Tcp;
using RawHandshake.Wire.Building;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;
using RawHandshake.Wire.Tests.Support;

namespace RawHandshake.Wire.Tests;

/// <summary>Our built frames decoded by an independent dissector, PacketDotNet 1.4.8, including its checksum checks.</summary>
public class PacketDotNetCrossCheckTests
{
    private static (IPv4Packet Ip, TcpPacket Tcp) Decode(byte[] frame)
    {
        var packet = Packet.ParsePacket(LinkLayers.Ethernet, frame);
        var ip = packet.Extract<IPv4Packet>().ShouldNotBeNull("PacketDotNet found no IPv4 packet");
        var tcp = packet.Extract<TcpPacket>().ShouldNotBeNull("PacketDotNet found no TCP packet");
        return (ip, tcp);
    }

    [Fact]
    public void Random_frames_decode_to_what_we_set()
    {
        // PacketDotNet does not decode the transport of a fragment, so MF stays clear here.
        var specs = FrameGens.Fixed(FrameGens.Frame(FrameGens.RandomIpOptions, allowMoreFragments: false), 1500, 2024);
        specs.Count(s => s.VlanTci is not null).ShouldBeGreaterThan(100);
        specs.Count(s => s.Options.Timestamps is not null && s.SackBlocks.Length > 0).ShouldBeGreaterThan(50);
        foreach (var spec in specs)
        {
            var frame = spec.Build();
            var packet = Packet.ParsePacket(LinkLayers.Ethernet, frame);
            var eth = (EthernetPacket)packet;
            eth.DestinationHardwareAddress.ToString().ShouldBe(spec.Dst.ToString().Replace(":", string.Empty).ToUpperInvariant());
            eth.SourceHardwareAddress.ToString().ShouldBe(spec.Src.ToString().Replace(":", string.Empty).ToUpperInvariant());
            if (spec.VlanTci is { } tci)
            {
                var vlan = packet.Extract<Ieee8021QPacket>().ShouldNotBeNull();
                ((int)vlan.VlanIdentifier).ShouldBe(tci & 0xFFF);
            }

            var (ip, tcp) = Decode(frame);
            ip.SourceAddress.ToString().ShouldBe(spec.SrcIp.ToString());
            ip.DestinationAddress.ToString().ShouldBe(spec.DstIp.ToString());
            ip.TimeToLive.ShouldBe(spec.Ttl);
            ip.Id.ShouldBe(spec.Id);
            ip.TypeOfService.ShouldBe(spec.Tos);
            ip.HeaderLength.ShouldBe(spec.IpHeaderLength / 4); // PacketDotNet reports IHL in words
            ip.TotalLength.ShouldBe(frame.Length - spec.EthLength);
            (ip.FragmentFlags & 7).ShouldBe((spec.ReservedFlag ? 4 : 0) | (spec.Df ? 2 : 0)); // PacketDotNet sign-extends the 3 bits
            ip.FragmentOffset.ShouldBe(0);
            ip.Protocol.ShouldBe(PacketDotNet.ProtocolType.Tcp);

            tcp.SourcePort.ShouldBe(spec.SrcPort);
            tcp.DestinationPort.ShouldBe(spec.DstPort);
            tcp.SequenceNumber.ShouldBe(spec.Seq);
            tcp.AcknowledgmentNumber.ShouldBe(spec.Ack);
            tcp.Synchronize.ShouldBe(spec.Flags.HasFlag(TcpFlags.Syn));
            tcp.Acknowledgment.ShouldBe(spec.Flags.HasFlag(TcpFlags.Ack));
            tcp.Finished.ShouldBe(spec.Flags.HasFlag(TcpFlags.Fin));
            tcp.Reset.ShouldBe(spec.Flags.HasFlag(TcpFlags.Rst));
            tcp.Push.ShouldBe(spec.Flags.HasFlag(TcpFlags.Psh));
            tcp.Urgent.ShouldBe(spec.Flags.HasFlag(TcpFlags.Urg));
            tcp.ExplicitCongestionNotificationEcho.ShouldBe(spec.Flags.HasFlag(TcpFlags.Ece));
            tcp.CongestionWindowReduced.ShouldBe(spec.Flags.HasFlag(TcpFlags.Cwr));
            tcp.NonceSum.ShouldBe(spec.Flags.HasFlag(TcpFlags.Ns));
            tcp.WindowSize.ShouldBe(spec.Window);
            ((ushort)tcp.UrgentPointer).ShouldBe(spec.Urgent); // PacketDotNet reads it as a signed short
            tcp.DataOffset.ShouldBe((20 + spec.OptionBytes.Length) / 4);
            tcp.HeaderData[20..].ShouldBe(spec.OptionBytes);
            (tcp.PayloadData ?? []).ShouldBe(spec.Payload);

            // PacketDotNet 1.4.8 throws NotImplementedException ("Options with the urgent pointer set are not yet
            // implemented") for Options/OptionsCollection when URG is set: decode options only without it.
            if (!spec.Flags.HasFlag(TcpFlags.Urg))
            {
                tcp.Options.ShouldBe(spec.OptionBytes);
                var options = tcp.OptionsCollection ?? []; // null when the header has no options
                var mss = options.OfType<MaximumSegmentSizeOption>().SingleOrDefault();
                (mss?.Value).ShouldBe(spec.Options.Mss);
                var ws = options.OfType<WindowScaleFactorOption>().SingleOrDefault();
                (ws?.ScaleFactor).ShouldBe(spec.Options.WindowScale);
                options.OfType<SelectiveAcknowledgmentPermittedOption>().Any().ShouldBe(spec.Options.SackPermitted);
                var ts = options.OfType<TimeStampOption>().SingleOrDefault();
                (ts?.Value).ShouldBe(spec.Options.Timestamps?.Val);
                (ts?.EchoReply).ShouldBe(spec.Options.Timestamps?.Ecr);
                options.OfType<SelectiveAcknowledgmentOption>().Count().ShouldBe(spec.SackBlocks.Length > 0 ? 1 : 0);
            }

            ip.ValidIPChecksum.ShouldBeTrue(spec.ToString());
            tcp.ValidTcpChecksum.ShouldBeTrue(spec.ToString());
            ip.CalculateIPChecksum().ShouldBe(ip.Checksum);
            tcp.CalculateTcpChecksum().ShouldBe(tcp.Checksum);
        }
    }

    [Fact]
    public void PacketDotNet_agrees_that_wrong_checksums_are_wrong()
    {
        var specs = FrameGens.Fixed(FrameGens.Frame(FrameGens.RandomIpOptions, allowMoreFragments: false), 200, 99);
        foreach (var spec in specs)
        {
            var good = spec.Build();
            var (goodIp, goodTcp) = Decode(good);
            var frame = new byte[good.Length];
            FrameBuilder.BuildTcp(frame, spec.Ethernet, spec.Ip with { Checksum = (ushort)~goodIp.Checksum }, spec.Tcp with { Checksum = (ushort)(goodTcp.Checksum + 1) }, spec.OptionBytes, spec.Payload);
            var (ip, tcp) = Decode(frame);
            ip.ValidIPChecksum.ShouldBeFalse();
            tcp.ValidTcpChecksum.ShouldBeFalse();
            tcp.SequenceNumber.ShouldBe(spec.Seq);
        }
    }

    [Fact]
    public void Seed_004_golden_frame_decodes_in_PacketDotNet()
    {
        var frame = GoldenSeed004Tests.Build(out var n)[..n];
        var (ip, tcp) = Decode(frame);
        ip.SourceAddress.ToString().ShouldBe("192.168.0.101");
        ip.DestinationAddress.ToString().ShouldBe("180.101.49.12");
        ip.Checksum.ShouldBe((ushort)0x37ff);
        ip.ValidIPChecksum.ShouldBeTrue();
        tcp.Checksum.ShouldBe((ushort)0x843e);
        tcp.ValidTcpChecksum.ShouldBeTrue();
        tcp.Synchronize.ShouldBeTrue();
        tcp.Acknowledgment.ShouldBeFalse();
        tcp.OptionsCollection.Select(o => o.Kind).ShouldBe([
            OptionTypes.MaximumSegmentSize, OptionTypes.NoOperation, OptionTypes.WindowScaleFactor,
            OptionTypes.NoOperation, OptionTypes.NoOperation, OptionTypes.SelectiveAcknowledgmentPermitted]);
    }

    [Fact]
    public void Frames_PacketDotNet_builds_parse_in_ours()
    {
        // The other direction: PacketDotNet assembles (with its checksums computed explicitly), we parse.
        var rng = new Random(8);
        for (var i = 0; i < 200; i++)
        {
            var payload = new byte[rng.Next(0, 300)];
            rng.NextBytes(payload);
            var seq = (uint)rng.NextInt64(0, 1L << 32);
            var tcp = new TcpPacket((ushort)rng.Next(1, 65536), (ushort)rng.Next(1, 65536))
            {
                SequenceNumber = seq,
                AcknowledgmentNumber = ~seq,
                Flags = (ushort)rng.Next(0, 0x100),
                WindowSize = (ushort)rng.Next(0, 65536),
                PayloadData = payload,
            };
            var ip = new IPv4Packet(System.Net.IPAddress.Parse("10.1.2.3"), System.Net.IPAddress.Parse($"192.0.2.{i}"))
            {
                TimeToLive = rng.Next(1, 256),
                Id = (ushort)i,
                PayloadPacket = tcp,
            };
            var eth = new EthernetPacket(
                System.Net.NetworkInformation.PhysicalAddress.Parse("02-00-00-00-00-01"),
                System.Net.NetworkInformation.PhysicalAddress.Parse("02-00-00-00-00-02"),
                EthernetType.IPv4)
            { PayloadPacket = ip };
            eth.UpdateCalculatedValues();
            _ = eth.Bytes; // lengths settle when the bytes are read; checksums only when asked
            ip.UpdateIPChecksum();
            tcp.UpdateTcpChecksum();
            var bytes = eth.Bytes;

            var f = Parsing.FrameParser.Parse(bytes);
            f.Malformed.ShouldBeNull();
            f.IPv4!.Value.Ttl.ShouldBe((byte)ip.TimeToLive);
            f.IPv4!.Value.Id.ShouldBe((ushort)i);
            f.Tcp!.Value.Seq.ShouldBe(new SeqNum(seq));
            f.Tcp!.Value.Ack.ShouldBe(new SeqNum(~seq));
            ((ushort)f.Tcp!.Value.Flags).ShouldBe(tcp.Flags);
            f.Tcp!.Value.Window.ShouldBe(tcp.WindowSize);
            f.Payload(bytes).ToArray().ShouldBe(payload);
            f.IpChecksum(bytes).ShouldBe(ChecksumVerdict.Good);
            f.TransportChecksum(bytes).ShouldBe(ChecksumVerdict.Good);
        }
    }
}
