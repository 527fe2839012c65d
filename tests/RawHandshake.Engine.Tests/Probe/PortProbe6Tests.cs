using System.Text.Json;
using RawHandshake.Engine.Probe;
using RawHandshake.Engine.Tests.Infra;
using RawHandshake.Wire.Building;
using RawHandshake.Wire.Matching;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Tests.Probe;

/// <summary><c>probe</c> over IPv6: the probe frames, how answers and ICMPv6 errors map to them, the fingerprint with the
/// hop limit and flow label (and DF and IP ID not applicable), the states, and the table and JSON that show them.</summary>
public class PortProbe6Tests
{
    private static readonly EthernetHeader Eth = new(Lan.ServerMac, Lan.ClientMac);
    private static readonly IpAddress Client = IpAddress.Parse("2001:db8::1");
    private static readonly IpAddress Server = IpAddress.Parse("2001:db8:2::10");
    private static readonly IpAddress Router = IpAddress.Parse("2001:db8::fe");

    private static PortProbeFrames Frames3(bool udp = false) =>
        new([new PortProbe(22, 64), new PortProbe(80, 64), new PortProbe(443, 3)], Eth, Client, Server, 50000, 700, udp: udp);

    /// <summary>A segment from the server: hop limit, flow label and traffic class as given.</summary>
    private static byte[] FromServer(ushort sport, ushort dport, TcpFlags flags, uint seq, uint ack, byte hopLimit = 63, uint flowLabel = 0xabcde, byte trafficClass = 0, ReadOnlySpan<byte> options = default)
    {
        var buffer = new byte[200];
        var ip = new IPv6Header { Source = Server.V6Address, Destination = Client.V6Address, HopLimit = hopLimit, FlowLabel = flowLabel, TrafficClass = trafficClass };
        var n = FrameBuilder.BuildTcp(buffer, new EthernetHeader(Lan.ClientMac, Lan.ServerMac), ip, new TcpHeader(sport, dport, new SeqNum(seq), new SeqNum(ack), flags, 64800), options, default);
        return buffer[..n];
    }

    /// <summary>An ICMPv6 error from <paramref name="from"/> quoting as much of <paramref name="quoted"/>'s packet as fits (RFC 4443 §2.4).</summary>
    private static byte[] Icmpv6Error(byte type, byte code, IpAddress from, ReadOnlySpan<byte> quoted)
    {
        var buffer = new byte[1500];
        var ip = new IPv6Header { Source = from.V6Address, Destination = Client.V6Address, HopLimit = 64 };
        var n = FrameBuilder.BuildIcmpv6(buffer, new EthernetHeader(Lan.ClientMac, Lan.ServerMac), ip, new Icmpv6Header(type, code, 0), quoted[EthernetHeader.Length..]);
        return buffer[..n];
    }

    [Fact]
    public void EachFrameIsIPv6WithItsHopLimitAndFlowLabelAndTheSynOffersTheMssOfIPv6()
    {
        var frames = Frames3();
        for (var i = 0; i < 3; i++)
        {
            var bytes = frames.Frame(i).ToArray();
            var f = FrameParser.Parse(bytes);
            f.IPv4.ShouldBeNull();
            var ip = f.IPv6.ShouldNotBeNull();
            (ip.Source, ip.Destination, ip.HopLimit, ip.FlowLabel).ShouldBe((Client.V6Address, Server.V6Address, (byte?)frames.Probe(i).Ttl, 700u + (uint)i));
            var tcp = f.Tcp.ShouldNotBeNull();
            (tcp.SourcePort, tcp.DestinationPort, tcp.Seq, tcp.Flags).ShouldBe(((ushort)(50000 + i), frames.Probe(i).Port, frames.Isn(i), TcpFlags.Syn | TcpFlags.Ece | TcpFlags.Cwr));
            f.TransportChecksum(bytes).ShouldBe(ChecksumVerdict.Good);
            f.TcpOptionsSummary(bytes).Mss.ShouldBe((ushort)1440, "1500 less 40 bytes of IPv6 and 20 of TCP");
        }

        PortProbeFrames.Offered(Server).ShouldBe((ushort)1440);
        PortProbeFrames.Offered(Lan.ServerIp).ShouldBe((ushort)1460);
        ProbeIp.HeaderLength(Server).ShouldBe(40);

        var udpBytes = Frames3(udp: true).Frame(2).ToArray();
        var udp = FrameParser.Parse(udpBytes);
        (udp.IPv6!.Value.NextHeader, udp.Udp!.Value.SourcePort, udp.Udp!.Value.DestinationPort).ShouldBe(((byte?)17, (ushort)50002, (ushort)443));
        udp.TransportChecksum(udpBytes).ShouldBe(ChecksumVerdict.Good, "IPv6 requires the UDP checksum");
    }

    [Fact]
    public void AnAnswerAndAnIcmpv6ErrorMapToTheirFrameThroughTheQuote()
    {
        var frames = Frames3();
        var synAck = FromServer(80, 50001, TcpFlags.Syn | TcpFlags.Ack, 5, frames.Isn(1).Value + 1);
        frames.Candidate(FrameParser.Parse(synAck), fromOurSide: false, sent: 3).ShouldBe(1);
        Answers.IsAnswer(FrameParser.Parse(frames.Frame(1)), FrameParser.Parse(synAck)).ShouldBeTrue();

        var exceeded = Icmpv6Error(Icmpv6Header.TimeExceeded, 0, Router, frames.Frame(2));
        var parsed = FrameParser.Parse(exceeded);
        frames.Candidate(parsed, fromOurSide: false, sent: 3).ShouldBe(2);
        Answers.IsAnswer(FrameParser.Parse(frames.Frame(2)), parsed).ShouldBeTrue("the quote carries our addresses, ports, sequence number and flow label");
        Answers.IsAnswer(FrameParser.Parse(frames.Frame(1)), parsed).ShouldBeFalse("it quotes frame 2, not frame 1");
        IcmpErrorSeen.Of(parsed).ShouldBe(new IcmpErrorSeen(3, 0, Router));
    }

    [Fact]
    public void TheFingerprintTakesTheHopLimitAndFlowLabelAndHasNoDfOrIpId()
    {
        var options = Frames.Options(w => w.Mss(1440).SackPermitted().Timestamps(77, 88).Nop().WindowScale(7));
        var synAck = FromServer(80, 50001, TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Ece, 5, 1, hopLimit: 63, flowLabel: 0x5f3a1, trafficClass: 0x28, options: options);
        var fp = SynAckFingerprint.From(synAck, FrameParser.Parse(synAck)).ShouldNotBeNull();
        (fp.IsV6, fp.Ttl, fp.InitialTtl, fp.Hops, fp.Mss, fp.EcnAccepted).ShouldBe((true, (byte)63, (byte)64, 1, (ushort?)1440, true));
        (fp.Df.Applies, fp.IpId.Applies, fp.FlowLabel.Value, fp.TrafficClass).ShouldBe((false, false, 0x5f3a1u, (byte)0x28));
        Should.Throw<InvalidOperationException>(() => fp.IpId.Value).Message.ShouldContain("does not exist in this IP family");
        PortReportText.Fingerprint(fp).ShouldBe("DF n/a, IP ID n/a, flow label 0x5f3a1, traffic class 0x28, wscale 7, SACK-permitted, TSval 77 TSecr 88, ECN accepted (ECE), ISN 5");

        var report = new PortReport(Server, 80);
        report.Add(TimeSpan.FromMilliseconds(1), fp);
        report.State.ShouldBe(PortState.Open);
        report.IpIds.ShouldBeEmpty("IPv6 has no IP ID to follow");
        PortReportText.Table([report], false).ShouldContain("80/tcp      open          syn-ack           1.000 ms    63 (64-1)   64800  1440  mss,sack_perm,timestamps,nop,wscale\n");

        var json = JsonDocument.Parse(PortReportJson.Line(report)).RootElement;
        (json.GetProperty("host").GetString(), json.GetProperty("ttl").GetInt32(), json.GetProperty("hops").GetInt32(), json.GetProperty("mss").GetInt32()).ShouldBe(("2001:db8:2::10", 63, 1, 1440));
        (json.GetProperty("df").ValueKind, json.GetProperty("id").ValueKind).ShouldBe((JsonValueKind.Null, JsonValueKind.Null), "not applicable: the keys stay, with no made-up value");
        (json.GetProperty("flow_label").GetInt32(), json.GetProperty("traffic_class").GetInt32()).ShouldBe((0x5f3a1, 0x28));
    }

    [Fact]
    public void OverIPv4TheFingerprintKeepsDfAndIpIdAndHasNoFlowLabel()
    {
        var synAck = Frames.Tcp(Lan.ServerMac, Lan.ClientMac, Lan.ServerIp, Lan.ClientIp, 80, 50001, TcpFlags.Syn | TcpFlags.Ack, 5, 1, 65160, ipId: 0);
        var fp = SynAckFingerprint.From(synAck, FrameParser.Parse(synAck)).ShouldNotBeNull();
        (fp.IsV6, fp.Df.Value, fp.IpId.Value, fp.FlowLabel.Applies).ShouldBe((false, true, (ushort)0, false));
        PortReportText.Fingerprint(fp).ShouldStartWith("DF, IP ID 0, no wscale");
        var report = new PortReport(Lan.ServerIp, 80);
        report.Add(TimeSpan.FromMilliseconds(1), fp);
        report.IpIds.ShouldBe([(ushort)0]);
        var json = JsonDocument.Parse(PortReportJson.Line(report)).RootElement;
        (json.GetProperty("df").GetBoolean(), json.GetProperty("id").GetInt32(), json.TryGetProperty("flow_label", out _)).ShouldBe((true, 0, false));
    }

    [Theory]
    [InlineData(ScanType.Udp, 1, 4, PortState.Closed, "port-unreach", "Destination Unreachable (Port unreachable)")]
    [InlineData(ScanType.Udp, 1, 1, PortState.Filtered, "admin-prohibited", "Destination Unreachable (Administratively prohibited)")]
    [InlineData(ScanType.Syn, 1, 1, PortState.Filtered, "admin-prohibited", "Destination Unreachable (Administratively prohibited)")]
    [InlineData(ScanType.Syn, 1, 3, PortState.Filtered, "host-unreach", "Destination Unreachable (Address unreachable)")]
    [InlineData(ScanType.Syn, 1, 0, PortState.Filtered, "no-route", "Destination Unreachable (no route to destination)")]
    [InlineData(ScanType.Fin, 1, 6, PortState.Filtered, "reject-route", "Destination Unreachable (Reject route to destination)")]
    [InlineData(ScanType.Syn, 3, 0, PortState.Filtered, "time-exceeded", "Time Exceeded (hop limit exceeded in transit)")]
    public void Icmpv6ErrorsReadWithIcmpv6sNumbers(ScanType scan, byte type, byte code, PortState state, string reason, string name)
    {
        var probe = new PortProbeFrames([new PortProbe(5000, 64)], Eth, Client, Server, 50000, 1, PortScanRequest.Flags(scan), udp: scan == ScanType.Udp);
        var error = IcmpErrorSeen.Of(FrameParser.Parse(Icmpv6Error(type, code, Server, probe.Frame(0)))).ShouldNotBeNull();
        var report = new PortReport(Server, 5000, scan) { Icmp = error };
        (report.State, report.Reason, error.Name, error.Protocol).ShouldBe((state, reason, name, "ICMPv6"));
        if (state == PortState.Filtered)
        {
            PortReportText.Table([report], false).ShouldContain($"  |_ ICMPv6 {name}, type {type} code {code}, from {Server}\n");
        }

        var json = JsonDocument.Parse(PortReportJson.Line(report)).RootElement.GetProperty("icmp");
        (json.GetProperty("type").GetInt32(), json.GetProperty("code").GetInt32(), json.GetProperty("from").GetString()).ShouldBe((type, code, Server.ToString()));
    }

    [Fact]
    public void TheIcmpv4PortUnreachableIsStillReadAsClosedAndAnEchoIsNoError()
    {
        new PortReport(Lan.ServerIp, 53, ScanType.Udp) { Icmp = new IcmpErrorSeen(3, 3, Lan.ServerIp) }.State.ShouldBe(PortState.Closed);
        new PortReport(Server, 53, ScanType.Udp) { Icmp = new IcmpErrorSeen(3, 3, Server) }.State.ShouldBe(PortState.Filtered, "ICMPv6 type 3 is time exceeded");
        var buffer = new byte[200];
        var ip = new IPv6Header { Source = Server.V6Address, Destination = Client.V6Address, HopLimit = 64 };
        var n = FrameBuilder.BuildIcmpv6(buffer, Eth, ip, Icmpv6Header.Echo(false, 1, 1), default);
        IcmpErrorSeen.Of(FrameParser.Parse(buffer.AsSpan(0, n))).ShouldBeNull();
    }

    [Fact]
    public void TheDeepLineSaysIpIdNotApplicableAndJsonWritesNull()
    {
        var deep = new DeepReport([TimeSpan.FromMilliseconds(1012)], 1000, "random", Applicable<string>.NotApplicable,
            new EstablishedReport(new ChallengeCheck("challenge-ack", null), new ChallengeCheck("challenge-ack", null), null, new PathMss(1440, 1440, 1220)));
        PortReportText.Deep(deep).ShouldBe("SYN-ACK retransmitted 1 time, after 1.012 s; TS clock 1000 Hz; ISN random; IP ID n/a; RST in window: challenge-ack; "
            + "SYN in ESTABLISHED: challenge-ack; MSS used 1220 (we offered 1440, SYN-ACK 1440): clamped on the path");
        var json = JsonDocument.Parse(PortReportJson.Line(new PortReport(Server, 19) { Deep = deep })).RootElement.GetProperty("deep");
        json.GetProperty("ip_id").ValueKind.ShouldBe(JsonValueKind.Null);
        json.GetProperty("path_mss").GetProperty("offered").GetInt32().ShouldBe(1440);
    }

    [Fact]
    public void ASynAckOverIPv6IsResetFromTheSynsPortAndAnIcmpv6ErrorIsAnError()
    {
        using var bed = new TestBed();
        var frames = new PortProbeFrames([new PortProbe(80, 64), new PortProbe(81, 64)], Eth, Client, Server, 40000, 9);
        var back = new List<Seen>();
        bed.Server.Intercept = seen =>
        {
            if (seen.IsTcp && seen.Tcp.Has(TcpFlags.Syn))
            {
                var reply = seen.Tcp.DestinationPort == 80
                    ? FromServer(80, seen.Tcp.SourcePort, TcpFlags.Syn | TcpFlags.Ack, 7000, seen.Tcp.Seq.Value + 1)
                    : Icmpv6Error(Icmpv6Header.DestinationUnreachable, 1, Server, seen.Frame);
                bed.Server.Schedule(TimeSpan.FromMilliseconds(1), () => bed.Server.Send(reply));
            }
            else
            {
                back.Add(seen);
            }

            return true;
        };

        var result = Prober.Run(bed.Engine, new ProbeRequest(frames) { Interval = TimeSpan.FromMilliseconds(5), Timeout = TimeSpan.FromMilliseconds(100) });
        bed.Server.Step();
        result.Replies.Select(r => (r.Index, r.Kind)).ShouldBe([(0, ProbeReplyKind.Answer), (1, ProbeReplyKind.IcmpError)]);

        var rst = back.ShouldHaveSingleItem();
        rst.Parsed.IPv6.ShouldNotBeNull().Source.ShouldBe(Client.V6Address);
        (rst.Tcp.Flags, rst.Tcp.SourcePort, rst.Tcp.Seq.Value).ShouldBe((TcpFlags.Rst, (ushort)40000, frames.Isn(0).Value + 1));
        rst.TcpChecksum.ShouldBe(ChecksumVerdict.Good);
    }
}
