using RawHandshake.Engine.Probe;
using RawHandshake.Engine.Tests.Infra;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Tests.Probe;

/// <summary>The pure parts of probe and traceroute: the probe frames, the fingerprint, the states, the hop lines and the
/// reasons given for silence.</summary>
public class PortProbeTests
{
    private static readonly EthernetHeader Eth = new(Lan.ServerMac, Lan.ClientMac);

    private static PortProbeFrames Frames3(TcpFlags flags = TcpFlags.Syn, bool udp = false) =>
        new([new PortProbe(22, 64), new PortProbe(80, 64), new PortProbe(443, 3)], Eth, Lan.ClientIp, Lan.ServerIp, 50000, 700, flags, udp: udp);

    [Fact]
    public void EachFrameHasItsOwnSourcePortIpIdTtlAndPortAndASynOffersEcnWithLinuxsOptions()
    {
        var frames = Frames3();
        for (var i = 0; i < 3; i++)
        {
            var bytes = frames.Frame(i).ToArray();
            var f = FrameParser.Parse(bytes);
            var tcp = f.Tcp.ShouldNotBeNull();
            (tcp.SourcePort, tcp.DestinationPort, tcp.Seq).ShouldBe(((ushort)(50000 + i), frames.Probe(i).Port, frames.Isn(i)));
            tcp.Flags.ShouldBe(TcpFlags.Syn | TcpFlags.Ece | TcpFlags.Cwr);
            (f.IPv4!.Value.Id, f.IPv4!.Value.Ttl, f.IPv4!.Value.DontFragment).ShouldBe(((ushort)(700 + i), (byte?)frames.Probe(i).Ttl, true));
            f.TransportChecksum(bytes).ShouldBe(ChecksumVerdict.Good);
            var o = f.TcpOptionsSummary(bytes);
            (o.Mss, o.WindowScale, o.SackPermitted, o.HasTimestamps).ShouldBe(((ushort?)1460, (byte?)7, true, true));
        }

        var fin = Frames3(TcpFlags.Fin);
        FrameParser.Parse(fin.Frame(0)).Tcp!.Value.Flags.ShouldBe(TcpFlags.Fin, "only a SYN offers ECN");
        FrameParser.Parse(fin.Frame(0)).TcpOptionsLength.ShouldBe(0);
        fin.Frame(1).ToArray().ShouldBe(fin.Frame(1).ToArray(), "a frame is the same each time it is built");

        var udp = FrameParser.Parse(Frames3(udp: true).Frame(2));
        (udp.Udp!.Value.SourcePort, udp.Udp!.Value.DestinationPort).ShouldBe(((ushort)50002, (ushort)443));
    }

    [Fact]
    public void AnAnswerAndAnIcmpErrorMapToTheirFrameByOurPort()
    {
        var frames = Frames3();
        var synAck = Frames.Tcp(Lan.ServerMac, Lan.ClientMac, Lan.ServerIp, Lan.ClientIp, 80, 50001, TcpFlags.Syn | TcpFlags.Ack, 5, frames.Isn(1).Value + 1, 65160);
        frames.Candidate(FrameParser.Parse(synAck), fromOurSide: false, sent: 3).ShouldBe(1);
        frames.Candidate(FrameParser.Parse(synAck), fromOurSide: false, sent: 1).ShouldBe(-1, "frame 1 was not sent yet");
        var exceeded = Frames.IcmpError(IcmpHeader.TimeExceeded, 0, Lan.RouterIp, frames.Frame(2).ToArray());
        frames.Candidate(FrameParser.Parse(exceeded), fromOurSide: false, sent: 3).ShouldBe(2);
    }

    [Theory]
    [InlineData(63, 64, 1)]
    [InlineData(64, 64, 0)]
    [InlineData(127, 128, 1)]
    [InlineData(30, 32, 2)]
    [InlineData(250, 255, 5)]
    [InlineData(100, 128, 28)]
    public void TheInitialTtlIsTheSmallestUsualOneAtOrAboveTheTtlSeen(byte ttl, byte initial, int hops)
    {
        var synAck = Frames.Tcp(Lan.ServerMac, Lan.ClientMac, Lan.ServerIp, Lan.ClientIp, 80, 50001, TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Ece, 5, 1, 65160);
        synAck[14 + 8] = ttl; // (the IP checksum does not matter to the fingerprint)
        var fp = SynAckFingerprint.From(synAck, FrameParser.Parse(synAck)).ShouldNotBeNull();
        (fp.Ttl, fp.InitialTtl, fp.Hops, fp.EcnAccepted, fp.IsSynAck).ShouldBe((ttl, initial, hops, true, true));
    }

    [Theory]
    [InlineData(ScanType.Syn, TcpFlags.Syn | TcpFlags.Ack, PortState.Open)]
    [InlineData(ScanType.Syn, TcpFlags.Rst | TcpFlags.Ack, PortState.Closed)]
    [InlineData(ScanType.Syn, null, PortState.Filtered)]
    [InlineData(ScanType.Ack, TcpFlags.Rst, PortState.Unfiltered)]
    [InlineData(ScanType.Ack, null, PortState.Filtered)]
    [InlineData(ScanType.Fin, TcpFlags.Rst | TcpFlags.Ack, PortState.Closed)]
    [InlineData(ScanType.Xmas, null, PortState.OpenFiltered)]
    [InlineData(ScanType.Null, null, PortState.OpenFiltered)]
    [InlineData(ScanType.Window, TcpFlags.Rst, PortState.Closed)]
    [InlineData(ScanType.Udp, null, PortState.OpenFiltered)]
    public void StatesHaveNmapsMeanings(ScanType scan, TcpFlags? answer, PortState expected)
    {
        var report = new PortReport(Lan.ServerIp, 80, scan);
        if (answer is { } flags)
        {
            var frame = Frames.Tcp(Lan.ServerMac, Lan.ClientMac, Lan.ServerIp, Lan.ClientIp, 80, 50001, flags, 5, 1, 0);
            report.Add(TimeSpan.FromMilliseconds(1), SynAckFingerprint.From(frame, FrameParser.Parse(frame))!);
        }

        report.State.ShouldBe(expected);
    }

    [Fact]
    public void AHopLineIsPrintedAsTracerouteDoes()
    {
        var a = IPv4Address.Parse("198.18.0.254");
        var b = IPv4Address.Parse("198.18.0.253");
        var exceeded = new IcmpErrorSeen(11, 0, a);
        HopText.Line(new Hop(1, [new HopReply(a, TimeSpan.FromMicroseconds(123), exceeded, null), null, new HopReply(b, TimeSpan.FromMicroseconds(2000), new IcmpErrorSeen(11, 0, b), null)]))
            .ShouldBe(" 1  198.18.0.254  0.123 ms * 198.18.0.253  2.000 ms");
        HopText.Line(new Hop(12, [null, null])).ShouldBe("12  * *");
        HopText.Line(new Hop(3, [new HopReply(Lan.ServerIp, TimeSpan.FromMicroseconds(50), null, TcpFlags.Syn | TcpFlags.Ack)])).ShouldBe($" 3  {Lan.ServerIp}  0.050 ms  [open]");
        HopText.Line(new Hop(2, [new HopReply(a, TimeSpan.FromMicroseconds(50), new IcmpErrorSeen(3, 13, a), null)])).ShouldBe(" 2  198.18.0.254  0.050 ms !X");
    }

    [Fact]
    public void SilenceIsExplainedByTheFramesOwnFieldsAndByWhatCameBack()
    {
        var syn = Frames.Tcp(Lan.ClientMac, Lan.ServerMac, Lan.ClientIp, Lan.ServerIp, 50000, 80, TcpFlags.Syn, 1, 0, 64240);
        Silence.Explain(syn, []).ShouldHaveSingleItem().ShouldStartWith("the frame is well-formed: a firewall");

        var badSum = (byte[])syn.Clone();
        badSum[14 + 20 + 16] ^= 0xFF;
        Silence.Explain(badSum, [])[0].ShouldStartWith("the TCP checksum is wrong");

        var fin = Frames.Tcp(Lan.ClientMac, Lan.ServerMac, Lan.ClientIp, Lan.ServerIp, 50000, 80, TcpFlags.Fin, 1, 0, 64240);
        Silence.Explain(fin, [])[0].ShouldStartWith("it carries neither SYN, ACK nor RST");

        var exceeded = Frames.IcmpError(IcmpHeader.TimeExceeded, 0, Lan.RouterIp, syn);
        Silence.Explain(syn, [exceeded])[0].ShouldBe($"it died on the way: {Lan.RouterIp} sent time exceeded (its TTL ran out before the target; raise --ttl)");

        var fragNeeded = Frames.IcmpError(IcmpHeader.DestinationUnreachable, 4, Lan.RouterIp, syn);
        fragNeeded[14 + 20 + 6] = 0x05; // next-hop MTU 1280 in the unused word's low half
        fragNeeded[14 + 20 + 7] = 0x00;
        Silence.Explain(syn, [fragNeeded])[0].ShouldBe($"{Lan.RouterIp} needs fragmentation: its next-hop MTU is 1280 and DF forbids it (send less, or without DF)");

        var lowTtl = (byte[])syn.Clone();
        lowTtl[14 + 8] = 2;
        Silence.Explain(lowTtl, []).ShouldContain(w => w.StartsWith("TTL 2 may be below the hop count", StringComparison.Ordinal));
    }

    [Theory]
    [InlineData(new long[] { 0, 0, 0 }, 65536, "zero")]
    [InlineData(new long[] { 7, 7 }, 65536, "constant")]
    [InlineData(new long[] { 65534, 65535, 0, 3 }, 65536, "incremental")]
    [InlineData(new long[] { 100, 40000, 9 }, 65536, "random")]
    [InlineData(new long[] { 3_000_000_000, 1_000_000 }, 4294967296, "random")]
    [InlineData(new long[] { 5 }, 65536, "one sample")]
    [InlineData(new long[] { 0 }, 65536, "zero")]
    public void IsnAndIpIdBehaviourIsReadFromTheSteps(long[] values, long modulus, string expected) =>
        DeepProbe.Behaviour(values, modulus).ShouldBe(expected);

    [Fact]
    public void TheGuardsPortBlockCoversEveryPortOfTheTargetWhenNoneIsGiven()
    {
        Link.GuardedPorts.Toward(Lan.ClientIp, 61000, 61999, Lan.ServerIp, null).Element
            .ShouldBe($"{Lan.ClientIp} . 61000-61999 . {Lan.ServerIp} . 0-65535");
        Link.GuardedPorts.Toward(Lan.ClientIp, 61000, 61999, Lan.ServerIp, 80).Element
            .ShouldBe($"{Lan.ClientIp} . 61000-61999 . {Lan.ServerIp} . 80");
    }
}
