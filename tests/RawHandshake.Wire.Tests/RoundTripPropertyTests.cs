using System.Buffers.Binary;
using CsCheck;
using RawHandshake.Wire.Building;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;
using RawHandshake.Wire.Tests.Support;

namespace RawHandshake.Wire.Tests;

/// <summary>Build → parse → the same fields, over random frames (CsCheck, fixed seeds so failures reproduce).</summary>
public class RoundTripPropertyTests
{
    private static readonly Gen<TcpFrameSpec> Frames = FrameGens.Frame(FrameGens.RandomIpOptions, allowMoreFragments: true);

    internal static void AssertParsedMatches(TcpFrameSpec spec, byte[] frame, ParsedFrame f)
    {
        f.Malformed.ShouldBeNull(spec.ToString());
        f.Length.ShouldBe(frame.Length);

        var eth = f.Ethernet.ShouldNotBeNull();
        eth.Destination.ShouldBe(spec.Dst);
        eth.Source.ShouldBe(spec.Src);
        eth.VlanTci.ShouldBe(spec.VlanTci);
        eth.VlanTags.ShouldBe(spec.VlanTci is null ? 0 : 1);
        eth.EtherType.ShouldBe((ushort)0x0800);
        f.EtherType.ShouldBe((ushort)0x0800);
        f.NetworkOffset.ShouldBe(spec.EthLength);

        var ip = f.IPv4.ShouldNotBeNull();
        ip.Version.ShouldBe((byte)4);
        ip.Ihl.ShouldBe((byte)(spec.IpHeaderLength / 4));
        ip.Tos.ShouldBe(spec.Tos);
        ip.TotalLength.ShouldBe((ushort)(frame.Length - spec.EthLength));
        ip.Id.ShouldBe(spec.Id);
        ip.DontFragment.ShouldBe(spec.Df);
        ip.MoreFragments.ShouldBe(spec.Mf);
        ip.ReservedFlag.ShouldBe(spec.ReservedFlag);
        ip.FragmentOffset.ShouldBe((ushort)0);
        ip.Ttl.ShouldBe(spec.Ttl);
        ip.Protocol.ShouldBe((byte)6);
        ip.Source.ShouldBe(spec.SrcIp);
        ip.Destination.ShouldBe(spec.DstIp);
        f.IpOptions(frame).ToArray().ShouldBe(spec.IpOptions);
        f.IpTruncated.ShouldBeFalse();
        f.TrailerLength.ShouldBe(0);

        // The checksums the builder computed equal the independent reference over the bytes it wrote.
        var ipHeader = frame.AsSpan(spec.EthLength, spec.IpHeaderLength).ToArray();
        ipHeader[10] = ipHeader[11] = 0;
        ip.Checksum.ShouldBe(RefChecksum.Internet(ipHeader));

        var tcp = f.Tcp.ShouldNotBeNull();
        tcp.SourcePort.ShouldBe(spec.SrcPort);
        tcp.DestinationPort.ShouldBe(spec.DstPort);
        tcp.Seq.Value.ShouldBe(spec.Seq);
        tcp.Ack.Value.ShouldBe(spec.Ack);
        tcp.Flags.ShouldBe(spec.Flags);
        tcp.Window.ShouldBe(spec.Window);
        tcp.Urgent.ShouldBe(spec.Urgent);
        tcp.Reserved.ShouldBe(spec.TcpReserved);
        var options = spec.OptionBytes;
        tcp.DataOffset.ShouldBe((byte)((20 + options.Length) / 4));
        tcp.Checksum.ShouldBe(RefChecksum.Tcp(ip4(spec.SrcIp), ip4(spec.DstIp), frame.AsSpan(spec.TcpOffset)));
        f.TransportOffset.ShouldBe(spec.TcpOffset);
        f.TcpOptions(frame).ToArray().ShouldBe(options);

        var summary = f.TcpOptionsSummary(frame);
        summary.Mss.ShouldBe(spec.Options.Mss);
        summary.WindowScale.ShouldBe(spec.Options.WindowScale);
        summary.SackPermitted.ShouldBe(spec.Options.SackPermitted);
        summary.TsVal.ShouldBe(spec.Options.Timestamps?.Val);
        summary.TsEcr.ShouldBe(spec.Options.Timestamps?.Ecr);
        summary.SackBlocks.ShouldBe(spec.SackBlocks.Length);

        f.PayloadOffset.ShouldBe(frame.Length - spec.Payload.Length);
        f.Payload(frame).ToArray().ShouldBe(spec.Payload);

        f.IpChecksum(frame).ShouldBe(ChecksumVerdict.Good);
        f.TransportChecksum(frame).ShouldBe(spec.Mf ? ChecksumVerdict.Unverified : ChecksumVerdict.Good);
    }

    private static byte[] ip4(IPv4Address a)
    {
        var b = new byte[4];
        a.Write(b);
        return b;
    }

    [Fact]
    public void Build_then_parse_gives_every_field_back()
    {
        var runs = 0;
        var withVlan = 0;
        var withSack = 0;
        Frames.Sample(spec =>
        {
            var frame = spec.Build();
            AssertParsedMatches(spec, frame, FrameParser.Parse(frame));
            Interlocked.Increment(ref runs);
            if (spec.VlanTci is not null)
            {
                Interlocked.Increment(ref withVlan);
            }

            if (spec.SackBlocks.Length > 0)
            {
                Interlocked.Increment(ref withSack);
            }
        }, iter: 3000, seed: "0N0XIzNsQ0O2", print: s => s.ToString());

        // The generator does reach the variants (so the assertions above are not about one shape only).
        runs.ShouldBeGreaterThanOrEqualTo(3000);
        withVlan.ShouldBeGreaterThan(runs / 4);
        withSack.ShouldBeGreaterThan(runs / 10);
    }

    [Fact]
    public void Rebuilding_from_the_parsed_fields_gives_the_same_bytes()
    {
        Frames.Sample(spec =>
        {
            var frame = spec.Build();
            var f = FrameParser.Parse(frame);
            var ip = f.IPv4!.Value with { Options = f.IpOptions(frame).ToArray(), Checksum = null, TotalLength = null, Ihl = null, Protocol = null };
            var tcp = f.Tcp!.Value with { Checksum = null, DataOffset = null };
            var eth = f.Ethernet!.Value with { EtherType = null };
            var again = new byte[frame.Length];
            FrameBuilder.BuildTcp(again, eth, ip, tcp, f.TcpOptions(frame), f.Payload(frame)).ShouldBe(frame.Length);
            again.ShouldBe(frame);
        }, iter: 1000, seed: "0N0XIzNsQ0O2", print: s => s.ToString());
    }

    [Fact]
    public void Corrupting_one_byte_of_the_segment_makes_the_verdict_bad()
    {
        var gen = Gen.Select(FrameGens.Frame(FrameGens.RandomIpOptions, allowMoreFragments: false), Gen.Int[0, int.MaxValue], Gen.Byte[1, 255]);
        gen.Sample((spec, where, xor) =>
        {
            var frame = spec.Build();
            var at = spec.TcpOffset + (where % (frame.Length - spec.TcpOffset));
            frame[at] ^= xor;
            var f = FrameParser.Parse(frame);
            var segment = frame.AsSpan(spec.TcpOffset);

            // A single byte changes one 16-bit word by d·2^8 or d (0 < |d| < 256), never a multiple of 0xFFFF: the
            // sum cannot stay valid (only 0x0000 ↔ 0xFFFF in a whole word keeps it valid, which takes two bytes).
            RefChecksum.TcpValid(ip4(spec.SrcIp), ip4(spec.DstIp), segment).ShouldBeFalse();

            // It is offload, not bad, only if the checksum field now happens to equal the folded pseudo-header sum.
            var pseudo = RefChecksum.Fold(RefChecksum.PseudoSum(ip4(spec.SrcIp), ip4(spec.DstIp), 6, segment.Length));
            var expected = BinaryPrimitives.ReadUInt16BigEndian(segment[16..]) == pseudo ? ChecksumVerdict.Offload : ChecksumVerdict.Bad;
            f.TransportChecksum(frame).ShouldBe(expected, $"byte {at} ^= 0x{xor:x2}");
            f.IpChecksum(frame).ShouldBe(ChecksumVerdict.Good);
        }, iter: 3000, seed: "0N0XIzNsQ0O2", print: t => $"{t.Item1} at {t.Item2} xor {t.Item3}");
    }

    [Fact]
    public void Corrupting_one_byte_of_the_ip_header_makes_its_verdict_bad()
    {
        var gen = Gen.Select(FrameGens.Frame(FrameGens.RandomIpOptions, allowMoreFragments: false), Gen.Int[0, 59], Gen.Byte[1, 255]);
        gen.Sample((spec, where, xor) =>
        {
            var frame = spec.Build();
            var at = spec.EthLength + (where % spec.IpHeaderLength);
            if (at == spec.EthLength)
            {
                return; // version/IHL: the header no longer parses as this header
            }

            frame[at] ^= xor;
            FrameParser.Parse(frame).IpChecksum(frame).ShouldBe(ChecksumVerdict.Bad);
        }, iter: 2000, seed: "0N0XIzNsQ0O2");
    }

    [Fact]
    public void Offload_frames_are_classified_offload()
    {
        FrameGens.Frame(FrameGens.RandomIpOptions, allowMoreFragments: false).Sample(spec =>
        {
            // What a Linux sender captured before the NIC leaves in the field: the folded pseudo-header sum.
            var length = 20 + spec.OptionBytes.Length + spec.Payload.Length;
            var partial = RefChecksum.Fold(RefChecksum.PseudoSum(ip4(spec.SrcIp), ip4(spec.DstIp), 6, length));
            var frame = new byte[FrameBuilder.TcpFrameLength(spec.Ethernet, spec.Ip, spec.OptionBytes.Length, spec.Payload.Length)];
            FrameBuilder.BuildTcp(frame, spec.Ethernet, spec.Ip, spec.Tcp with { Checksum = partial }, spec.OptionBytes, spec.Payload);
            var f = FrameParser.Parse(frame);
            var verdict = f.TransportChecksum(frame);
            if (RefChecksum.TcpValid(ip4(spec.SrcIp), ip4(spec.DstIp), frame.AsSpan(spec.TcpOffset)))
            {
                verdict.ShouldBe(ChecksumVerdict.Good); // the partial sum happens to be the right checksum
            }
            else
            {
                verdict.ShouldBe(ChecksumVerdict.Offload);
            }
        }, iter: 500, seed: "0N0XIzNsQ0O2");
    }

    [Fact]
    public void Set_values_are_sent_exactly_as_set_even_when_wrong()
    {
        FrameGens.Frame(FrameGens.RandomIpOptions, allowMoreFragments: false).Sample(spec =>
        {
            var options = spec.OptionBytes;
            var ip = spec.Ip with { Checksum = 0xBEEF, TotalLength = 999, Ihl = (byte)((spec.IpHeaderLength / 4) ^ 0x3), Version = 6, Protocol = 17 };
            var tcp = spec.Tcp with { Checksum = 0xCAFE, DataOffset = (byte)(((20 + options.Length) / 4) ^ 0x5) };
            var frame = new byte[FrameBuilder.TcpFrameLength(spec.Ethernet, spec.Ip, options.Length, spec.Payload.Length)];
            FrameBuilder.BuildTcp(frame, spec.Ethernet, ip, tcp, options, spec.Payload).ShouldBe(frame.Length);
            var l3 = spec.EthLength;
            frame[l3].ShouldBe((byte)(0x60 | ip.Ihl!.Value));
            BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(l3 + 2)).ShouldBe((ushort)999);
            frame[l3 + 9].ShouldBe((byte)17);
            BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(l3 + 10)).ShouldBe((ushort)0xBEEF);
            var t = spec.TcpOffset;
            (frame[t + 12] >> 4).ShouldBe((int)tcp.DataOffset!.Value);
            BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(t + 16)).ShouldBe((ushort)0xCAFE);
            // Everything else still where it belongs.
            frame.AsSpan(t + 20, options.Length).ToArray().ShouldBe(options);
            frame.AsSpan(frame.Length - spec.Payload.Length).ToArray().ShouldBe(spec.Payload);
        }, iter: 300, seed: "0N0XIzNsQ0O2");
    }

    [Fact]
    public void Wrong_checksums_as_set_are_rated_bad_by_the_parser()
    {
        var spec = FrameGens.Fixed(FrameGens.Frame(FrameGens.RandomIpOptions, allowMoreFragments: false), 1, 7)[0];
        var good = spec.Build();
        var goodIp = BinaryPrimitives.ReadUInt16BigEndian(good.AsSpan(spec.EthLength + 10));
        var goodTcp = BinaryPrimitives.ReadUInt16BigEndian(good.AsSpan(spec.TcpOffset + 16));
        var frame = new byte[good.Length];
        FrameBuilder.BuildTcp(frame, spec.Ethernet, spec.Ip with { Checksum = (ushort)(goodIp + 1) }, spec.Tcp with { Checksum = (ushort)(goodTcp ^ 0x8000) }, spec.OptionBytes, spec.Payload);
        var f = FrameParser.Parse(frame);
        f.Malformed.ShouldBeNull();
        f.IPv4!.Value.Checksum.ShouldBe((ushort)(goodIp + 1));
        f.Tcp!.Value.Checksum.ShouldBe((ushort)(goodTcp ^ 0x8000));
        f.IpChecksum(frame).ShouldBe(ChecksumVerdict.Bad);
        f.TransportChecksum(frame).ShouldBe(ChecksumVerdict.Bad);
    }

    [Fact]
    public void Options_longer_than_40_bytes_need_an_explicit_header_length()
    {
        var buf = new byte[200];
        var eth = new EthernetHeader(MacAddress.Broadcast, MacAddress.Zero);
        var ip = new IPv4Header { Source = new IPv4Address(1), Destination = new IPv4Address(2) };
        var tcp = new TcpHeader(1, 2, default, default, TcpFlags.Syn, 0);
        Should.Throw<ArgumentException>(() => FrameBuilder.BuildTcp(buf, eth, ip, tcp, new byte[41], default)).Message.ShouldContain("44");
        Should.Throw<ArgumentException>(() => FrameBuilder.BuildTcp(buf, eth, ip with { Options = new byte[44] }, tcp, default, default)).Message.ShouldContain("44");

        // With the header length set they go out as given; the data offset field wraps to 4 bits (64 bytes -> 0).
        var n = FrameBuilder.BuildTcp(buf, eth, ip, tcp with { DataOffset = 15 }, new byte[44], default);
        n.ShouldBe(14 + 20 + 64);
        (buf[14 + 20 + 12] >> 4).ShouldBe(15);
        n = FrameBuilder.BuildTcp(buf, eth, ip with { Options = new byte[44], Ihl = 15 }, tcp, default, default);
        n.ShouldBe(14 + 64 + 20);
        (buf[14] & 0xF).ShouldBe(15);
    }

    [Fact]
    public void Too_small_a_buffer_throws_before_writing()
    {
        var spec = FrameGens.Fixed(FrameGens.Frame(FrameGens.RandomIpOptions, allowMoreFragments: false), 1, 11)[0];
        var need = FrameBuilder.TcpFrameLength(spec.Ethernet, spec.Ip, spec.OptionBytes.Length, spec.Payload.Length);
        var buf = new byte[need - 1];
        Array.Fill(buf, (byte)0xA5);
        Should.Throw<ArgumentException>(() => FrameBuilder.BuildTcp(buf, spec.Ethernet, spec.Ip, spec.Tcp, spec.OptionBytes, spec.Payload))
            .Message.ShouldContain($"{need}");
        buf.ShouldAllBe(b => b == 0xA5);
    }
}
