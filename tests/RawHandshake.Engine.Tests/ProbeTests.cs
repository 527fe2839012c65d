using RawHandshake.Engine.Probe;
using RawHandshake.Engine.Tests.Infra;
using RawHandshake.Engine.Trace;
using RawHandshake.Wire.Building;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Dissection;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

using static RawHandshake.Engine.Tests.Infra.ProbePeer;

namespace RawHandshake.Engine.Tests;

/// <summary>The probe API (<see cref="Prober"/>) against a scripted peer over a memory cable, in virtual time.</summary>
public class ProbeTests
{
    private const ushort BasePort = 40000;
    private const ushort BaseId = 100;
    private static readonly TimeSpan Ms = TimeSpan.FromMilliseconds(1);

    private static byte[] Syn(ushort port = BasePort, ushort id = BaseId, byte[]? options = null) =>
        Frames.Tcp(Lan.ClientMac, Lan.ServerMac, Lan.ClientIp, Lan.ServerIp, port, Lan.ServerPort, TcpFlags.Syn, 1000, 0, 64240, options, ipId: id);

    private static byte[] EchoRequest(ushort id, ushort seq, ushort ipId = BaseId)
    {
        var buffer = new byte[FrameBuilder.MaxFrameLength];
        var ip = new IPv4Header { Source = Lan.ClientIp, Destination = Lan.ServerIp, Id = ipId };
        var n = FrameBuilder.BuildIcmp(buffer, new EthernetHeader(Lan.ServerMac, Lan.ClientMac), ip, IcmpHeader.Echo(true, id, seq), "ping"u8);
        return buffer[..n];
    }

    private static byte[] EchoReply(ushort id, ushort seq)
    {
        var buffer = new byte[FrameBuilder.MaxFrameLength];
        var ip = new IPv4Header { Source = Lan.ServerIp, Destination = Lan.ClientIp, Id = 9 };
        var n = FrameBuilder.BuildIcmp(buffer, new EthernetHeader(Lan.ClientMac, Lan.ServerMac), ip, IcmpHeader.Echo(false, id, seq), "ping"u8);
        return buffer[..n];
    }

    private static byte[] SynAck(Seen syn) => Frames.FromServer(syn.Tcp.SourcePort, TcpFlags.Syn | TcpFlags.Ack, 5000, syn.Tcp.Seq.Value + 1);

    [Fact]
    public void FiveSynsTenMillisecondsApartEachSynAckMappedToItsFrameWithItsRtt()
    {
        using var bed = new TestBed();

        // The i-th SYN (by its port) is answered after i+1 ms; the RSTs we send back are kept.
        var others = Answer(bed, (syn, _) => (TimeSpan.FromMilliseconds(syn.Tcp.SourcePort - BasePort + 1), SynAck(syn)));
        var template = new FrameTemplate(Syn(), 5, TemplateVary.SourcePort | TemplateVary.IpId);
        var result = Prober.Run(bed.Engine, new ProbeRequest(template) { Interval = 10 * Ms, Timeout = TimeSpan.FromSeconds(1) });
        bed.Server.Step(); // the peer takes what the last turn sent (the last RST)

        result.End.ShouldBe(RunEnd.Completed);
        result.Sent.ShouldBe(5);
        var syns = bed.Server.Tcp().Where(s => s.Tcp.Has(TcpFlags.Syn)).ToList();
        syns.Select(s => s.Tcp.SourcePort).ShouldBe([40000, 40001, 40002, 40003, 40004]);
        syns.Select(s => s.Ip.Id).ShouldBe([100, 101, 102, 103, 104]);
        syns.Select(s => (s.Stamp - Lan.Epoch).TotalMilliseconds).ShouldBe([0, 10, 20, 30, 40], "sent on the engine clock, 10 ms apart");
        syns.ShouldAllBe(s => s.IpChecksum == ChecksumVerdict.Good && s.TcpChecksum == ChecksumVerdict.Good);

        for (var i = 0; i < 5; i++)
        {
            result.Rtt(i).ShouldBe(TimeSpan.FromMilliseconds(i + 1));
        }

        result.Replies.Select(r => (r.Index, r.Kind, r.Duplicate)).ShouldBe([.. Enumerable.Range(0, 5).Select(i => (i, ProbeReplyKind.Answer, false))]);
        var s = result.Statistics;
        (s.Sent, s.Answered, s.Errors, s.Duplicates, s.LossPercent).ShouldBe((5, 5, 0, 0, 0.0));
        s.Min.ShouldBe(1 * Ms);
        s.Average.ShouldBe(3 * Ms);
        s.Max.ShouldBe(5 * Ms);
        s.Mdev!.Value.TotalMilliseconds.ShouldBe(Math.Sqrt(2), 1e-4); // to the 100 ns tick

        // Every connection a SYN-ACK opened is reset at its acknowledgment number, from the SYN's port.
        var rsts = others.Where(o => o.IsTcp && o.Tcp.Has(TcpFlags.Rst)).ToList();
        rsts.Select(r => r.Tcp.SourcePort).ShouldBe([40000, 40001, 40002, 40003, 40004]);
        rsts.ShouldAllBe(r => r.Tcp.Flags == TcpFlags.Rst && r.Tcp.Seq.Value == 1001 && r.TcpChecksum == ChecksumVerdict.Good);

        // The run ends with the last answer (no linger asked), not at the timeout.
        bed.Clock.Now.ShouldBe(45 * Ms);
        bed.Events<ProbeStatisticsTraced>().Single().Statistics.ShouldBe(s);
    }

    [Fact]
    public void RepliesInReverseOrderStillMapToTheirFrames()
    {
        using var bed = new TestBed();
        Answer(bed, (syn, n) => (TimeSpan.FromMilliseconds((5 - n) * 15), SynAck(syn)));
        var result = Prober.Run(bed.Engine, new ProbeRequest(new FrameTemplate(Syn(), 5, TemplateVary.SourcePort)) { Interval = Ms });

        result.Replies.Select(r => r.Index).ShouldBe([4, 3, 2, 1, 0]);
        for (var i = 0; i < 5; i++)
        {
            result.Rtt(i).ShouldBe(TimeSpan.FromMilliseconds((5 - i) * 15));
        }
    }

    [Fact]
    public void AClosedPortAnswersEachSynWithARstAndNothingIsResetBack()
    {
        using var bed = new TestBed();
        var others = Answer(bed, (syn, _) => (2 * Ms, Frames.FromServer(syn.Tcp.SourcePort, TcpFlags.Rst | TcpFlags.Ack, 0, syn.Tcp.Seq.Value + 1, 0)));
        var result = Prober.Run(bed.Engine, new ProbeRequest(new FrameTemplate(Syn(), 3, TemplateVary.SourcePort | TemplateVary.IpId)) { Interval = 10 * Ms });

        result.Statistics.Answered.ShouldBe(3);
        result.Replies.Select(r => r.Index).ShouldBe([0, 1, 2]);
        others.ShouldBeEmpty();
    }

    [Fact]
    public void LostFramesCountAsLossAndTheRunEndsAtTheTimeoutAfterTheLast()
    {
        using var bed = new TestBed();
        Answer(bed, (syn, n) => n is 1 or 3 ? null : (Ms, SynAck(syn)));
        var result = Prober.Run(bed.Engine, new ProbeRequest(new FrameTemplate(Syn(), 5, TemplateVary.SourcePort)) { Interval = 10 * Ms, Timeout = 300 * Ms });

        result.End.ShouldBe(RunEnd.TimedOut);
        (result.Statistics.Sent, result.Statistics.Answered, result.Statistics.LossPercent).ShouldBe((5, 3, 40.0));
        result.Rtt(1).ShouldBeNull();
        result.Rtt(3).ShouldBeNull();
        result.Rtt(4).ShouldBe(Ms);
        bed.Clock.Now.ShouldBe(340 * Ms);
        ProbeTextRenderer.StatisticsLine(result.Statistics).ShouldBe("5 sent, 3 answered, 40% loss, rtt min/avg/max/mdev = 1.000/1.000/1.000/0.000 ms");
    }

    [Theory]
    [InlineData(TemplateVary.SourcePort | TemplateVary.IpId)]
    [InlineData(TemplateVary.IpId)]
    public void IcmpErrorsMapThroughTheHeaderTheyQuote(TemplateVary vary)
    {
        using var bed = new TestBed();

        // Answered out of order, so only the quoted port or IP ID can tell which frame each error is about.
        Answer(bed, (syn, n) => (TimeSpan.FromMilliseconds(30 - (n * 10)), Frames.IcmpError(IcmpHeader.DestinationUnreachable, 1, Lan.RouterIp, syn.Frame)));
        var result = Prober.Run(bed.Engine, new ProbeRequest(new FrameTemplate(Syn(), 3, vary)) { Interval = Ms });

        result.Replies.Select(r => (r.Index, r.Kind)).ShouldBe([(2, ProbeReplyKind.IcmpError), (1, ProbeReplyKind.IcmpError), (0, ProbeReplyKind.IcmpError)]);
        (result.Statistics.Answered, result.Statistics.Errors, result.Statistics.LossPercent).ShouldBe((0, 3, 100.0));
        result.End.ShouldBe(RunEnd.Completed, "every frame has its answer: no need to wait for the timeout");
        ProbeTextRenderer.StatisticsLine(result.Statistics).ShouldBe("3 sent, 0 answered, +3 errors, 100% loss");
    }

    [Fact]
    public void IdenticalFramesAreAnsweredInTurn()
    {
        using var bed = new TestBed();
        Answer(bed, (syn, n) => (TimeSpan.FromMilliseconds(n + 1), SynAck(syn)));
        var result = Prober.Run(bed.Engine, new ProbeRequest(new FrameTemplate(Syn(), 3, TemplateVary.None)) { Interval = 10 * Ms });

        result.Replies.Select(r => r.Index).ShouldBe([0, 1, 2]);
        result.Rtt(2).ShouldBe(3 * Ms);
        bed.Server.Tcp().Where(s => s.Tcp.Has(TcpFlags.Syn)).ShouldAllBe(s => s.Tcp.SourcePort == BasePort && s.Ip.Id == BaseId);
    }

    /// <summary>Counts how often the link's type is asked for while a received frame is handled: every parse of a frame
    /// from the link needs it (the engine keeps no copy), so this is how often the frame was parsed.</summary>
    private sealed class ParseCountingLink(Link.IFrameLink inner) : Link.IFrameLink
    {
        private int reads;

        public List<int> ParsesPerFrame { get; } = [];
        public string Name => inner.Name;

        public Wire.Capture.LinkType LinkType
        {
            get
            {
                reads++;
                return inner.LinkType;
            }
        }

        public MacAddress? HardwareAddress => inner.HardwareAddress;
        public DateTimeOffset Send(ReadOnlySpan<byte> frame) => inner.Send(frame);

        public int Poll(Link.FrameHandler handler, int max = 64) => inner.Poll((frame, stamp) =>
        {
            var before = reads;
            handler(frame, stamp);
            ParsesPerFrame.Add(reads - before);
        }, max);

        public bool WaitReadable(TimeSpan timeout) => inner.WaitReadable(timeout);

        public void Dispose()
        {
        }
    }

    [Fact]
    public void AReplyIsParsedOnceForTheMatcherTheTraceAndTheStatistics()
    {
        using var bed = new TestBed();
        var link = new ParseCountingLink(bed.Link);
        var engine = new TcpEngine(link, bed.Clock, bed.Trace);
        Answer(bed, (syn, _) => (2 * Ms, Frames.FromServer(syn.Tcp.SourcePort, TcpFlags.Rst | TcpFlags.Ack, 0, syn.Tcp.Seq.Value + 1, 0)));
        var result = Prober.Run(engine, new ProbeRequest(new FrameTemplate(Syn(), 3, TemplateVary.SourcePort)) { Interval = 10 * Ms });

        result.Statistics.Answered.ShouldBe(3);
        bed.Events<PacketTraced>().Count(p => p.Dir == Direction.In).ShouldBe(3, "each reply is traced");
        bed.Events<ProbeReplyTraced>().Select(r => r.Parsed.Tcp!.Value.Flags).ShouldBe([TcpFlags.Rst | TcpFlags.Ack, TcpFlags.Rst | TcpFlags.Ack, TcpFlags.Rst | TcpFlags.Ack]);
        link.ParsesPerFrame.ShouldBe([1, 1, 1], "one parse per reply, shared by the matcher, the trace and the statistics");
        // ... and by the probe's clients (scan, deep checks), which read the reply's parse instead of making their own.
        result.Replies.Select(r => r.Parsed.Tcp!.Value.Flags).ShouldBe([TcpFlags.Rst | TcpFlags.Ack, TcpFlags.Rst | TcpFlags.Ack, TcpFlags.Rst | TcpFlags.Ack]);
        result.Replies.Select(r => r.Parsed.Equals(FrameParser.Parse(r.Frame.Span))).ShouldAllBe(same => same);
    }

    [Fact]
    public void FragmentedFramesGoOutAsTheirFragmentsAndTheAnswerToTheWholeDatagramMapsToItsFrame()
    {
        using var bed = new TestBed();
        // The peer reassembles (as a kernel does) and answers each whole SYN; a fragment alone draws nothing.
        var reassembler = new IPv4Reassembler();
        var fragments = new List<IPv4Header>();
        bed.Server.Intercept = seen =>
        {
            if (seen.Parsed.IPv4 is not { } ip || !IPv4Reassembler.IsFragment(seen.Parsed))
            {
                return false;
            }

            fragments.Add(ip);
            if (reassembler.Add(seen.Frame, seen.Parsed, LinkType.Ethernet, fragments.Count) is { Parsed.Tcp: { } syn })
            {
                bed.Server.Schedule(2 * Ms, () => bed.Server.Send(Frames.FromServer(syn.SourcePort, TcpFlags.Syn | TcpFlags.Ack, 5000, syn.Seq.Value + 1)));
            }

            return true;
        };
        var template = new FrameTemplate(Syn(options: [2, 4, 0x05, 0xb4, 1, 1, 4, 2, 1, 3, 3, 7]), 3, TemplateVary.SourcePort | TemplateVary.IpId);
        var split = new FragmentedFrames(template, (frame, index) => FragmentPieces.TrySplit(frame, LinkType.Ethernet, 16, (uint)index + 1, out _)!);
        var result = Prober.Run(bed.Engine, new ProbeRequest(split) { Interval = 10 * Ms });

        fragments.Count.ShouldBe(6, "a 32-byte TCP header in pieces of 16: two fragments per SYN");
        fragments.Select(f => (f.Id, f.FragmentOffset, f.MoreFragments)).ShouldBe([(BaseId, 0, true), (BaseId, 2, false), ((ushort)(BaseId + 1), 0, true), ((ushort)(BaseId + 1), 2, false), ((ushort)(BaseId + 2), 0, true), ((ushort)(BaseId + 2), 2, false)]);
        (result.Statistics.Sent, result.Statistics.Answered).ShouldBe((3, 3), "a datagram counts once, whatever its fragments");
        result.Replies.Select(r => (r.Index, r.Kind)).ShouldBe([(0, ProbeReplyKind.Answer), (1, ProbeReplyKind.Answer), (2, ProbeReplyKind.Answer)]);
        result.Replies.ShouldAllBe(r => r.Rtt == 2 * Ms);
        bed.Events<PacketTraced>().Count(p => p.Dir == Direction.Out && p.Parsed.IPv4!.Value.MoreFragments).ShouldBe(3, "every fragment is traced as it went");
    }

    [Fact]
    public void AtRateMaxAThousandFramesGoOutWithoutWaitingAndEveryAnswerIsTaken()
    {
        using var bed = new TestBed();
        Answer(bed, (syn, _) => (TimeSpan.Zero, SynAck(syn)));
        var result = Prober.Run(bed.Engine, new ProbeRequest(new FrameTemplate(Syn(), 1000, TemplateVary.SourcePort | TemplateVary.IpId)) { Interval = TimeSpan.Zero, TraceEach = false });

        (result.Statistics.Sent, result.Statistics.Answered).ShouldBe((1000, 1000));
        result.Replies.Select(r => r.Index).ShouldBe(Enumerable.Range(0, 1000));
        bed.Clock.Now.ShouldBe(TimeSpan.Zero, "nothing waited");
        bed.Events<PacketTraced>().ShouldBeEmpty("TraceEach off: only the statistics");
        bed.Events<ProbeStatisticsTraced>().Count.ShouldBe(1);
        result.Replies[0].Frame.IsEmpty.ShouldBeTrue();
    }

    [Fact]
    public void ASegmentOurKernelSentOnAProbeFlowIsReportedAsTheKernelsNotCounted()
    {
        using var bed = new TestBed();
        Answer(bed, (syn, _) =>
        {
            // The host's stack answers the SYN-ACK with its own RST (no guard), captured like any frame.
            bed.Server.Schedule(2 * Ms, () => bed.Server.InjectAtClient(Frames.FromClient(syn.Tcp.SourcePort, TcpFlags.Rst, 1001, 0)));
            return (Ms, SynAck(syn));
        });
        var result = Prober.Run(bed.Engine, new ProbeRequest(new FrameTemplate(Syn(), 2, TemplateVary.SourcePort)) { Interval = 10 * Ms, Linger = 5 * Ms });

        result.Replies.Select(r => (r.Index, r.Kind)).ShouldBe([(0, ProbeReplyKind.Answer), (0, ProbeReplyKind.Kernel), (1, ProbeReplyKind.Answer), (1, ProbeReplyKind.Kernel)]);
        result.Statistics.Answered.ShouldBe(2);
        bed.Events<PacketTraced>().Count(p => p.Dir == Direction.Kernel).ShouldBe(2);
    }

    [Fact]
    public void ASecondAnswerToOneFrameIsADuplicate()
    {
        using var bed = new TestBed();
        Answer(bed, (syn, _) =>
        {
            bed.Server.Schedule(3 * Ms, () => bed.Server.Send(SynAck(syn)));
            return (Ms, SynAck(syn));
        });
        var result = Prober.Run(bed.Engine, new ProbeRequest(new FrameTemplate(Syn(), 1, TemplateVary.SourcePort)) { Linger = 10 * Ms });

        result.Replies.Select(r => r.Duplicate).ShouldBe([false, true]);
        (result.Statistics.Answered, result.Statistics.Duplicates).ShouldBe((1, 1));
        result.Rtt(0).ShouldBe(Ms);
        bed.Events<ProbeReplyTraced>().Select(ProbeTextRenderer.ReplyLine).Last().ShouldEndWith("(DUP!)");
    }

    [Fact]
    public void EchoRequestsMapByTheirSequenceNumber()
    {
        using var bed = new TestBed();
        Answer(bed, (req, n) => (TimeSpan.FromMilliseconds(20 - (n * 5)), EchoReply(req.Parsed.Icmp!.Value.Identifier, req.Parsed.Icmp!.Value.SequenceNumber)));
        var template = new FrameTemplate(EchoRequest(0x385e, 1), 3, TemplateVary.IcmpSequence | TemplateVary.IpId);
        var result = Prober.Run(bed.Engine, new ProbeRequest(template) { Interval = Ms });

        bed.Server.Seen.Where(s => s.Parsed.Icmp is not null).Select(s => s.Parsed.Icmp!.Value.SequenceNumber).ShouldBe([1, 2, 3]);
        bed.Server.Seen.Where(s => s.Parsed.Icmp is not null).ShouldAllBe(s => s.TcpChecksum == ChecksumVerdict.Good && s.IpChecksum == ChecksumVerdict.Good);
        result.Replies.Select(r => r.Index).ShouldBe([2, 1, 0]);
        result.Rtt(0).ShouldBe(20 * Ms);
        result.Rtt(2).ShouldBe(10 * Ms);
    }

    [Fact]
    public void AnArpRequestIsAnsweredByTheAddressItAsksFor()
    {
        using var bed = new TestBed();
        var ask = Frames.ArpRequest(Lan.ClientMac, Lan.ClientIp, Lan.ServerIp);
        var result = Prober.Run(bed.Engine, new ProbeRequest(new FrameList([ask])));

        result.Statistics.Answered.ShouldBe(1);
        result.Replies[0].Kind.ShouldBe(ProbeReplyKind.Answer);
        FrameParser.Parse(result.Replies[0].Frame.Span).Arp!.Value.SenderMac.ShouldBe(Lan.ServerMac);
    }

    [Fact]
    public void AStopRequestEndsTheRunWithTheStatisticsSoFar()
    {
        using var bed = new TestBed();
        Answer(bed, (syn, n) =>
        {
            if (n == 2)
            {
                bed.Engine.StopRequested = true; // Ctrl-C while the third frame is on its way
            }

            return (Ms, SynAck(syn));
        });
        var result = Prober.Run(bed.Engine, new ProbeRequest(new FrameTemplate(Syn(), 10, TemplateVary.SourcePort)) { Interval = 10 * Ms });

        result.End.ShouldBe(RunEnd.Cancelled);
        result.Statistics.Sent.ShouldBe(3);
        bed.Events<ProbeStatisticsTraced>().Single().End.ShouldBe(RunEnd.Cancelled);
    }

    [Fact]
    public void TheTextRendererPrintsALinePerReplyAndPingsStatistics()
    {
        var text = new StringWriter();
        using var bed = new TestBed(extraSink: new ProbeTextRenderer(text));
        Answer(bed, (syn, _) => (TimeSpan.FromMilliseconds(syn.Tcp.SourcePort - BasePort + 1), SynAck(syn)));
        Prober.Run(bed.Engine, new ProbeRequest(new FrameTemplate(Syn(), 2, TemplateVary.SourcePort)) { Interval = 10 * Ms });

        text.ToString().Split('\n').ShouldBe(
        [
            "#1        1.000 ms  10.0.0.2 → 10.0.0.1 TCP 54 7777 → 40000 [SYN, ACK] Seq=5000 Ack=1001 Win=29200 Len=0",
            "#2        2.000 ms  10.0.0.2 → 10.0.0.1 TCP 54 7777 → 40001 [SYN, ACK] Seq=5000 Ack=1001 Win=29200 Len=0",
            "",
            "--- 10.0.0.2 statistics ---",
            "2 sent, 2 answered, 0% loss, rtt min/avg/max/mdev = 1.000/1.500/2.000/0.500 ms",
            "",
        ]);
    }
}

/// <summary>The sending path allocates nothing per frame: twice as many frames cost only the per-frame arrays.</summary>
public class ProbeAllocationTests
{
    /// <summary>A link that takes frames and never answers; a wait moves the virtual clock on.</summary>
    private sealed class SinkLink(ManualClock clock) : Link.IFrameLink
    {
        public long Sent { get; private set; }
        public string Name => "sink";
        public Wire.Capture.LinkType LinkType => Wire.Capture.LinkType.Ethernet;
        public MacAddress? HardwareAddress => Lan.ClientMac;

        public DateTimeOffset Send(ReadOnlySpan<byte> frame)
        {
            Sent++;
            return clock.Wall;
        }

        public int Poll(Link.FrameHandler handler, int max = 64) => 0;

        public bool WaitReadable(TimeSpan timeout)
        {
            clock.Advance(timeout);
            return false;
        }

        public void Dispose()
        {
        }
    }

    private static long Allocated(int count)
    {
        var clock = new ManualClock(Lan.Epoch);
        var link = new SinkLink(clock);
        var engine = new TcpEngine(link, clock, new TraceRecorder());
        var syn = Frames.Tcp(Lan.ClientMac, Lan.ServerMac, Lan.ClientIp, Lan.ServerIp, 40000, Lan.ServerPort, TcpFlags.Syn, 1000, 0, 64240);
        var template = new FrameTemplate(syn, count, TemplateVary.SourcePort | TemplateVary.IpId);
        var request = new ProbeRequest(template) { Interval = TimeSpan.Zero, TraceEach = false, Timeout = TimeSpan.FromMilliseconds(10) };
        var before = GC.GetAllocatedBytesForCurrentThread();
        var result = Prober.Run(engine, request);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        result.Sent.ShouldBe(count);
        link.Sent.ShouldBe(count);
        return allocated;
    }

    [Fact]
    public void SendingMoreFramesCostsOnlyTheirRowsInTheResultArrays()
    {
        // Compiled and warm, long loops included: a loop run long enough in unoptimised code is replaced while it runs
        // (on-stack replacement), and that compilation may allocate on this thread a few KB once, at a moment that
        // depends on what else the machine is doing.
        Allocated(110_000);
        var small = Allocated(10_000);
        var large = Allocated(110_000);

        // Per frame: a send stamp and an RTT (8 bytes each) and an error flag (1 byte) — 17 bytes, nothing else. The
        // slack (64 KiB) is far below what any allocation per frame would add over 100,000 frames (an object: 2.4 MB).
        (large - small).ShouldBeLessThanOrEqualTo((100_000 * 17) + 65_536);
    }
}

/// <summary>The frame template: patched frames are the frames built with those fields, without allocating.</summary>
public class FrameTemplateTests
{
    private static byte[] Build(ushort port, ushort id, ushort? tcpChecksum = null)
    {
        var buffer = new byte[FrameBuilder.MaxFrameLength];
        var ip = new IPv4Header { Source = Lan.ClientIp, Destination = Lan.ServerIp, Id = id, DontFragment = true, Options = new byte[] { 1, 1, 1, 1 } };
        var tcp = new TcpHeader(port, 80, new SeqNum(7), new SeqNum(0), TcpFlags.Syn, 64240) { Checksum = tcpChecksum };
        var options = Frames.Options(w => w.Mss(1460).SackPermitted().Timestamps(1, 0).Nop().WindowScale(7));
        var n = FrameBuilder.BuildTcp(buffer, new EthernetHeader(Lan.ServerMac, Lan.ClientMac) { VlanTci = 5 }, ip, tcp, options, "data"u8);
        return buffer[..n];
    }

    [Fact]
    public void EachFrameEqualsTheFrameBuiltWithItsPortAndId()
    {
        var template = new FrameTemplate(Build(65534, 0xFFFF), 5, TemplateVary.SourcePort | TemplateVary.IpId);
        template.Vary.ShouldBe(TemplateVary.SourcePort | TemplateVary.IpId);
        foreach (var i in new[] { 0, 1, 2, 4, 3, 0, 4 })
        {
            template.Frame(i).ToArray().ShouldBe(Build((ushort)(65534 + i), (ushort)(0xFFFF + i)), $"frame {i} (wrapping at 2^16)");
        }
    }

    [Fact]
    public void A_batch_lays_the_frames_end_to_end_as_each_is_built()
    {
        var template = new FrameTemplate(Build(65533, 0xFFFE), 6, TemplateVary.SourcePort | TemplateVary.IpId);
        var length = template.FixedLength!.Value;
        length.ShouldBe(Build(1, 1).Length);
        var batch = new byte[4 * length];
        template.CopyFrames(batch, 2, 4);
        for (var k = 0; k < 4; k++)
        {
            batch.AsSpan(k * length, length).ToArray().ShouldBe(Build((ushort)(65535 + k), (ushort)(0x10000 + k)), $"frame {2 + k} (wrapping at 2^16)");
        }

        new FrameList([Build(1, 1), Build(2, 2)]).FixedLength.ShouldBeNull("a list's frames are sent one by one");
    }

    [Fact]
    public void AChecksumSetAsSetStaysAsSet()
    {
        var template = new FrameTemplate(Build(1000, 1, tcpChecksum: 0xdead), 3, TemplateVary.SourcePort | TemplateVary.IpId, transportChecksumAsSet: true);
        template.Frame(2).ToArray().ShouldBe(Build(1002, 3, tcpChecksum: 0xdead));
    }

    [Fact]
    public void FieldsAFrameDoesNotHaveDoNotVary()
    {
        var arp = Frames.ArpRequest(Lan.ClientMac, Lan.ClientIp, Lan.ServerIp);
        var template = new FrameTemplate(arp, 3, TemplateVary.SourcePort | TemplateVary.IpId | TemplateVary.IcmpSequence);
        template.Vary.ShouldBe(TemplateVary.None);
        template.Frame(2).ToArray().ShouldBe(arp);
    }

    [Fact]
    public void PatchingAFrameAllocatesNothing()
    {
        var template = new FrameTemplate(Build(1000, 1), 100_000, TemplateVary.SourcePort | TemplateVary.IpId);
        template.Frame(1);
        var before = GC.GetAllocatedBytesForCurrentThread();
        var sum = 0;
        for (var i = 0; i < 100_000; i++)
        {
            sum += template.Frame(i)[40];
        }

        (GC.GetAllocatedBytesForCurrentThread() - before).ShouldBe(0);
        sum.ShouldBeGreaterThanOrEqualTo(0);
    }

    [Fact]
    public void TheGuardCoversThePortsInOneRangeOrTwoWhenTheyWrap()
    {
        ProbeGuard.Ranges(40000, 5).ShouldBe([(40000, 40004)]);
        ProbeGuard.Ranges(65534, 5).ShouldBe([(65534, 65535), (0, 2)]);
        ProbeGuard.Ranges(7, 70000).ShouldBe([(0, 65535)]);
    }

    [Theory]
    [InlineData(null, 1000u, false)] // no timestamps on the first segment: the pause alone decides
    [InlineData(1000u, null, false)]
    [InlineData(1000u, 1000u, false)] // one burst: the same tick
    [InlineData(1000u, 1001u, false)] // a burst across a tick
    [InlineData(1000u, 1002u, true)] // 2 ms or more later: a tail-loss probe (two RTTs plus two jiffies), not the flight
    [InlineData(4294967295u, 1u, true)] // across the wrap
    [InlineData(4294967295u, 0u, false)]
    public void A_segment_the_server_stamped_two_ticks_after_the_first_of_its_flight_is_not_part_of_it(uint? first, uint? tsVal, bool later) =>
        EstablishedProbe.LaterFlight(first, tsVal).ShouldBe(later);
}
