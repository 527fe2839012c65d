using RawHandshake.Engine.Probe;
using RawHandshake.Engine.Tests.Infra;
using RawHandshake.Wire.Building;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

using static RawHandshake.Engine.Tests.Infra.ProbePeer;

namespace RawHandshake.Engine.Tests;

/// <summary>The probe API over IPv6: the template varies the source port or the ICMPv6 echo sequence (IPv6 has no IP ID),
/// replies map to their frame by them, ICMPv6 errors through the header they quote, and a SYN-ACK is reset over IPv6.</summary>
public class ProbeTemplateIpv6Tests
{
    private const ushort BasePort = 40000;
    private static readonly IPv6Address Client = IPv6Address.Parse("2001:db8::1");
    private static readonly IPv6Address Server = IPv6Address.Parse("2001:db8:2::10");
    private static readonly IPv6Address Router = IPv6Address.Parse("2001:db8::fe");
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    private static IPv6Header Ip(IPv6Address from, IPv6Address to, IReadOnlyList<IPv6ExtensionHeader>? ext = null) =>
        new() { Source = from, Destination = to, HopLimit = 64, FlowLabel = 0x12345, Extensions = ext };

    private static byte[] Syn(ushort port = BasePort, IReadOnlyList<IPv6ExtensionHeader>? ext = null)
    {
        var buffer = new byte[FrameBuilder.MaxFrameLength];
        var tcp = new TcpHeader(port, Lan.ServerPort, new SeqNum(1000), new SeqNum(0), TcpFlags.Syn, 64240);
        var n = FrameBuilder.BuildTcp(buffer, new EthernetHeader(Lan.ServerMac, Lan.ClientMac), Ip(Client, Server, ext), tcp, Frames.Options(w => w.Mss(1440)), "x"u8);
        return buffer[..n];
    }

    private static byte[] FromServer(ushort port, TcpFlags flags, uint seq, uint ack)
    {
        var buffer = new byte[FrameBuilder.MaxFrameLength];
        var tcp = new TcpHeader(Lan.ServerPort, port, new SeqNum(seq), new SeqNum(ack), flags, 64800);
        var n = FrameBuilder.BuildTcp(buffer, new EthernetHeader(Lan.ClientMac, Lan.ServerMac), Ip(Server, Client), tcp, default, default);
        return buffer[..n];
    }

    private static byte[] Echo(bool request, ushort seq)
    {
        var buffer = new byte[FrameBuilder.MaxFrameLength];
        var (from, to, eth) = request ? (Client, Server, new EthernetHeader(Lan.ServerMac, Lan.ClientMac)) : (Server, Client, new EthernetHeader(Lan.ClientMac, Lan.ServerMac));
        var n = FrameBuilder.BuildIcmpv6(buffer, eth, Ip(from, to), Icmpv6Header.Echo(request, 0x385e, seq), "ping"u8);
        return buffer[..n];
    }

    /// <summary>An ICMPv6 error from the router quoting <paramref name="frame"/>'s IPv6 packet (RFC 4443 §2.4).</summary>
    private static byte[] Unreachable(byte[] frame)
    {
        var buffer = new byte[FrameBuilder.MaxFrameLength];
        var quote = frame.AsSpan(EthernetHeader.Length);
        var n = FrameBuilder.BuildIcmpv6(buffer, new EthernetHeader(Lan.ClientMac, Lan.ServerMac), Ip(Router, Client), new Icmpv6Header(Icmpv6Header.DestinationUnreachable, 1, 0), quote);
        return buffer[..n];
    }

    [Fact]
    public void EachFrameEqualsTheFrameBuiltWithItsPortAndThereIsNoIpIdToVary()
    {
        IPv6ExtensionHeader[] ext = [IPv6ExtensionHeader.Options(IPv6ExtensionHeader.DestinationOptions, ReadOnlyMemory<byte>.Empty)];
        var template = new FrameTemplate(Syn(65534, ext), 4, TemplateVary.SourcePort | TemplateVary.IpId | TemplateVary.IcmpSequence);
        template.Vary.ShouldBe(TemplateVary.SourcePort);
        foreach (var i in new[] { 0, 1, 3, 2, 0 })
        {
            var frame = template.Frame(i).ToArray();
            frame.ShouldBe(Syn((ushort)(65534 + i), ext), $"frame {i} (wrapping at 2^16, behind a destination options header)");
            var p = FrameParser.Parse(frame);
            p.TransportChecksum(frame).ShouldBe(ChecksumVerdict.Good);
        }
    }

    [Fact]
    public void EchoRequestsVaryTheirSequenceAndKeepAGoodChecksum()
    {
        var template = new FrameTemplate(Echo(true, 1), 3, TemplateVary.IcmpSequence | TemplateVary.IpId);
        template.Vary.ShouldBe(TemplateVary.IcmpSequence);
        for (var i = 2; i >= 0; i--)
        {
            template.Frame(i).ToArray().ShouldBe(Echo(true, (ushort)(1 + i)));
        }
    }

    [Fact]
    public void SynAcksInReverseOrderMapToTheirFramesAndEachOpenedConnectionIsResetOverIPv6()
    {
        using var bed = new TestBed();
        var others = Answer(bed, (syn, n) => (TimeSpan.FromMilliseconds(30 - (n * 10)), FromServer(syn.Parsed.Tcp!.Value.SourcePort, TcpFlags.Syn | TcpFlags.Ack, 5000, 1002)));
        var result = Prober.Run(bed.Engine, new ProbeRequest(new FrameTemplate(Syn(), 3, TemplateVary.SourcePort)) { Interval = Ms });
        bed.Server.Step(); // the peer takes what the last turn sent (the last RST)

        result.Replies.Select(r => (r.Index, r.Kind)).ShouldBe([(2, ProbeReplyKind.Answer), (1, ProbeReplyKind.Answer), (0, ProbeReplyKind.Answer)]);
        (result.Statistics.Answered, result.Statistics.Errors).ShouldBe((3, 0));
        ProbeTextRenderer.StatisticsLine(result.Statistics).ShouldStartWith("3 sent, 3 answered, 0% loss, rtt min/avg/max/mdev = ");

        // RFC 9293 §3.10.7.1: the reset takes SEQ = SEG.ACK; it goes over IPv6 with a checksum that holds.
        others.Count.ShouldBe(3);
        foreach (var rst in others)
        {
            rst.Parsed.IPv6.ShouldNotBeNull();
            rst.Parsed.IPv6!.Value.Destination.ShouldBe(Server);
            rst.Parsed.Tcp!.Value.Flags.ShouldBe(TcpFlags.Rst);
            rst.Parsed.Tcp!.Value.Seq.ShouldBe(new SeqNum(1002));
            rst.TcpChecksum.ShouldBe(ChecksumVerdict.Good);
        }

        others.Select(o => (int)o.Parsed.Tcp!.Value.SourcePort).Order().ShouldBe([BasePort, BasePort + 1, BasePort + 2]);
    }

    [Fact]
    public void Icmpv6ErrorsMapThroughThePortTheyQuote()
    {
        using var bed = new TestBed();
        Answer(bed, (syn, n) => (TimeSpan.FromMilliseconds(30 - (n * 10)), Unreachable(syn.Frame)));
        var result = Prober.Run(bed.Engine, new ProbeRequest(new FrameTemplate(Syn(), 3, TemplateVary.SourcePort)) { Interval = Ms });

        result.Replies.Select(r => (r.Index, r.Kind)).ShouldBe([(2, ProbeReplyKind.IcmpError), (1, ProbeReplyKind.IcmpError), (0, ProbeReplyKind.IcmpError)]);
        result.End.ShouldBe(RunEnd.Completed);
        ProbeTextRenderer.StatisticsLine(result.Statistics).ShouldBe("3 sent, 0 answered, +3 errors, 100% loss");
    }

    [Fact]
    public void EchoRepliesMapByTheirSequenceNumber()
    {
        using var bed = new TestBed();
        Answer(bed, (req, n) => n == 1 ? null : (TimeSpan.FromMilliseconds(20 - (n * 5)), Echo(false, req.Parsed.Icmpv6!.Value.SequenceNumber)));
        var result = Prober.Run(bed.Engine, new ProbeRequest(new FrameTemplate(Echo(true, 7), 3, TemplateVary.IcmpSequence)) { Interval = Ms, Timeout = 100 * Ms });

        result.Replies.Select(r => r.Index).ShouldBe([2, 0]);
        (result.Statistics.Answered, result.End).ShouldBe((2, RunEnd.TimedOut));
    }

    [Fact]
    public void Icmpv6ErrorsAboutEchoRequestsMapByTheSequenceNumberTheyQuote()
    {
        // No port and no IP ID to go by: the quoted echo request's sequence number says which frame the error is about
        // (before, an error mapped to the oldest frame still unanswered: here it would have been frame 0 for each).
        using var bed = new TestBed();
        Answer(bed, (req, n) => n == 0 ? null : (TimeSpan.FromMilliseconds(30 - (n * 10)), Unreachable(req.Frame)));
        var result = Prober.Run(bed.Engine, new ProbeRequest(new FrameTemplate(Echo(true, 7), 3, TemplateVary.IcmpSequence)) { Interval = Ms, Timeout = 100 * Ms });

        result.Replies.Select(r => (r.Index, r.Kind)).ShouldBe([(2, ProbeReplyKind.IcmpError), (1, ProbeReplyKind.IcmpError)]);
        (result.Statistics.Errors, result.End).ShouldBe((2, RunEnd.TimedOut));
    }

    [Fact]
    public void TheQuoteOfAnEchoRequestCarriesItsSequenceNumber()
    {
        var error = FrameParser.Parse(Unreachable(Echo(true, 0xBEEF)));
        error.Icmpv6Quote!.Value.EchoSequence.ShouldBe((ushort)0xBEEF);
        FrameParser.Parse(Unreachable(Syn())).Icmpv6Quote!.Value.EchoSequence.ShouldBeNull();
    }

    [Fact]
    public void SilenceNamesTheIcmpv6ErrorThatCameBack()
    {
        var syn = Syn();
        var why = Silence.Explain(syn, [Unreachable(syn)]);
        why[0].ShouldBe("2001:db8::fe sent ICMPv6 Destination Unreachable (Administratively prohibited)");
    }
}
