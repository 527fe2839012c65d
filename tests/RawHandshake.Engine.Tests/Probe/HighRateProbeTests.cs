using RawHandshake.Engine.Probe;
using RawHandshake.Engine.Tests.Infra;
using RawHandshake.Engine.Trace;
using RawHandshake.Link;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Tests.Probe;

/// <summary>The probe API's high-rate path (<see cref="ProbeRequest.TraceEach"/> off, as <c>craft --send --rate max</c>):
/// one send stamp per group of frames sent back to back, refused frames counted, and the link's reason thrown when
/// nothing gets through. Virtual time: every frame the link takes moves the clock on (one microsecond unless said).</summary>
public class HighRateProbeTests
{
    private static readonly TimeSpan Us = TimeSpan.FromTicks(10);
    private static readonly TimeSpan ReplyAfter = 10 * Us;

    /// <summary>Takes a frame per <c>perFrame</c> of virtual time, answers each SYN it takes with a SYN-ACK stamped
    /// <see cref="ReplyAfter"/> after the frame went, and refuses the frames <c>refuse</c> names (by their index).</summary>
    private sealed class ClockedLink(ManualClock clock, TimeSpan perFrame, Func<int, bool>? refuse = null, bool batches = true) : IFrameLink
    {
        private readonly Queue<(byte[] Frame, DateTimeOffset At)> replies = new();

        public int Offered { get; private set; }
        public List<DateTimeOffset> Taken { get; } = [];
        public List<ushort> TakenPorts { get; } = [];

        /// <summary>The size of each batch handed to <see cref="TrySendBatch"/>.</summary>
        public List<int> Batches { get; } = [];
        public string Name => "clocked";
        public bool SendsBatches => batches;
        public LinkType LinkType => LinkType.Ethernet;
        public MacAddress? HardwareAddress => Lan.ClientMac;

        public DateTimeOffset Send(ReadOnlySpan<byte> frame) => throw new LinkException("the link's queue is full");

        public bool TrySend(ReadOnlySpan<byte> frame)
        {
            var index = Offered++;
            if (refuse?.Invoke(index) ?? false)
            {
                return false;
            }

            var at = clock.Wall;
            Taken.Add(at);
            var syn = FrameParser.Parse(frame).Tcp!.Value;
            TakenPorts.Add(syn.SourcePort);
            replies.Enqueue((Frames.FromServer(syn.SourcePort, TcpFlags.Syn | TcpFlags.Ack, 5000, syn.Seq.Value + 1), at + ReplyAfter));
            clock.Advance(perFrame);
            return true;
        }

        public int TrySendBatch(ReadOnlySpan<byte> frames, int frameLength)
        {
            Batches.Add(frames.Length / frameLength);
            var n = 0;
            while (n < frames.Length / frameLength && TrySend(frames.Slice(n * frameLength, frameLength)))
            {
                n++;
            }

            return n;
        }

        public int Poll(FrameHandler handler, int max = 64)
        {
            var n = 0;
            while (n < max && replies.TryDequeue(out var r))
            {
                handler(r.Frame, r.At);
                n++;
            }

            return n;
        }

        public bool WaitReadable(TimeSpan timeout)
        {
            if (replies.Count > 0)
            {
                return true;
            }

            clock.Advance(timeout);
            return false;
        }

        public void Dispose()
        {
        }
    }

    private static byte[] Syn() =>
        Frames.Tcp(Lan.ClientMac, Lan.ServerMac, Lan.ClientIp, Lan.ServerIp, 40000, Lan.ServerPort, TcpFlags.Syn, 1000, 0, 64240, ipId: 100);

    private static (ProbeResult Result, ClockedLink Link) Run(int count, TimeSpan interval, Func<int, bool>? refuse = null, TimeSpan? perFrame = null,
        int batch = Prober.DefaultBatch, bool linkBatches = true)
    {
        var clock = new ManualClock(Lan.Epoch);
        var link = new ClockedLink(clock, perFrame ?? Us, refuse, linkBatches);
        var engine = new TcpEngine(link, clock, new TraceRecorder());
        var template = new FrameTemplate(Syn(), count, TemplateVary.SourcePort | TemplateVary.IpId);
        var result = Prober.Run(engine, new ProbeRequest(template) { Interval = interval, TraceEach = false, ResetOpened = false, Timeout = TimeSpan.FromMilliseconds(5), Batch = batch });
        return (result, link);
    }

    [Theory]
    [InlineData(1, true, Prober.StampEvery)] // one system call per frame: a stamp per StampEvery frames
    [InlineData(8, true, 8)] // a template's frames in batches: a stamp per batch
    [InlineData(Prober.DefaultBatch, true, Prober.DefaultBatch)]
    [InlineData(Prober.DefaultBatch, false, Prober.StampEvery)] // a link that gains nothing from batches: frame by frame
    public void AtRateMaxFastFramesShareTheStampReadBeforeTheFirstOfTheirGroup(int batch, bool linkBatches, int group)
    {
        var count = (3 * group) + 2;
        var (result, link) = Run(count, TimeSpan.Zero, batch: batch, linkBatches: linkBatches);

        result.Statistics.Answered.ShouldBe(count);
        link.Taken.Count.ShouldBe(count);
        for (var i = 0; i < count; i++)
        {
            // Frame i left i µs after the start. The first frame has a stamp of its own (nothing says yet that frames go
            // fast); then frames of 1 µs share a stamp per group, read before the first of them, so an RTT counts the
            // frames sent before it in its group: never less than the real 10 µs, at most group - 1 µs more.
            var groupStart = i == 0 ? 0 : 1 + ((i - 1) / group * group);
            (link.Taken[i] - Lan.Epoch).ShouldBe(i * Us);
            result.Rtt(i).ShouldBe(ReplyAfter + ((i - groupStart) * Us), $"frame {i}");
        }

        result.Statistics.Min.ShouldBe(ReplyAfter);
        result.Statistics.Max.ShouldBe(ReplyAfter + ((group - 1) * Us));
    }

    [Fact]
    public void AtRateMaxATemplatesFramesGoInBatchesInOrderAndOneByOneWithABatchOfOneOrALinkWithoutBatches()
    {
        const int count = 150;
        var (batched, link) = Run(count, TimeSpan.Zero);
        batched.Statistics.Answered.ShouldBe(count);
        link.TakenPorts.ShouldBe(Enumerable.Range(40000, count).Select(p => (ushort)p), "every frame of the template, in order");

        // The first frame alone (nothing says yet that frames go fast), then batches of DefaultBatch, cut where replies
        // are polled (every 64 frames): 63 = 16 + 16 + 16 + 15, 64 = 4 × 16, and the last 22 = 16 + 6.
        link.Batches.ShouldBe([16, 16, 16, 15, 16, 16, 16, 16, 16, 6]);

        var (single, one) = Run(count, TimeSpan.Zero, batch: 1);
        single.Statistics.Answered.ShouldBe(count);
        one.Batches.ShouldBeEmpty("a batch of 1 sends frame by frame");
        one.TakenPorts.ShouldBe(link.TakenPorts);

        var (plain, noBatches) = Run(count, TimeSpan.Zero, linkBatches: false);
        plain.Statistics.Answered.ShouldBe(count);
        noBatches.Batches.ShouldBeEmpty("a link without batches gets frame after frame");
        noBatches.TakenPorts.ShouldBe(link.TakenPorts);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(Prober.MaxBatch + 1)]
    public void ABatchOutOfRangeIsRefused(int batch) =>
        Should.Throw<ArgumentOutOfRangeException>(() => Run(10, TimeSpan.Zero, batch: batch)).ParamName.ShouldBe("Batch");

    [Fact]
    public void AtRateMaxFramesSlowerThanAFastFrameKeepAStampEach()
    {
        var (result, link) = Run(20, TimeSpan.Zero, perFrame: Prober.FastFrame * 2);

        (link.Taken[^1] - Lan.Epoch).ShouldBe(19 * Prober.FastFrame * 2, "sent back to back");
        Enumerable.Range(0, 20).Select(result.Rtt).ShouldAllBe(rtt => rtt == ReplyAfter);
    }

    [Fact]
    public void AtASlowRateEachFrameIsABurstOfItsOwnWithItsOwnStamp()
    {
        var (result, _) = Run(5, TimeSpan.FromMilliseconds(1));

        result.Statistics.Answered.ShouldBe(5);
        Enumerable.Range(0, 5).Select(result.Rtt).ShouldAllBe(rtt => rtt == ReplyAfter);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(Prober.DefaultBatch)] // a refused frame ends its batch's call; the frames after it go in the next
    public void FramesTheLinkRefusesAreCountedAndTheOthersStillGoAndAreAnswered(int batch)
    {
        var (result, link) = Run(30, TimeSpan.Zero, refuse: i => i % 3 == 1, batch: batch);

        link.Offered.ShouldBe(30);
        result.Sent.ShouldBe(30);
        result.Statistics.Refused.ShouldBe(10);
        result.Statistics.Sent.ShouldBe(20);
        result.Statistics.Answered.ShouldBe(20);
        result.Replies.Select(r => r.Index).ShouldBe(Enumerable.Range(0, 30).Where(i => i % 3 != 1));
        link.TakenPorts.ShouldBe(Enumerable.Range(0, 30).Where(i => i % 3 != 1).Select(i => (ushort)(40000 + i)));
    }

    [Fact]
    public void WhenNoFrameAtAllGetsThroughTheLinksOwnReasonIsThrown()
    {
        ClockedLink? link = null;
        var refusedAll = Should.Throw<LinkException>(() =>
        {
            var clock = new ManualClock(Lan.Epoch);
            link = new ClockedLink(clock, Us, refuse: _ => true);
            var template = new FrameTemplate(Syn(), 1000, TemplateVary.SourcePort);
            Prober.Run(new TcpEngine(link, clock, new TraceRecorder()), new ProbeRequest(template) { Interval = TimeSpan.Zero, TraceEach = false });
        });
        refusedAll.Message.ShouldBe("the link's queue is full");
        link!.Offered.ShouldBe(100, "it gives up after the first 100 refused in a row");
    }

    [Fact]
    public void ARefusedStartThatRecoversIsNotAnError()
    {
        var (result, link) = Run(300, TimeSpan.Zero, refuse: i => i < 99);

        link.Offered.ShouldBe(300);
        result.Statistics.Refused.ShouldBe(99);
        result.Statistics.Answered.ShouldBe(201);
    }

    [Theory]
    [InlineData(0, 10, 0, 10, 1)] // the first frame is due at the start
    [InlineData(0, 10, 9, 10, 1)]
    [InlineData(0, 10, 10, 10, 2)]
    [InlineData(0, 10, 95, 10, 10)] // never more than the frames there are
    [InlineData(5, 10, 4, 10, 0)] // nothing before the start
    [InlineData(0, 0, 0, 7, 7)] // no interval: every frame at once
    public void TheFramesDueAreThoseWhoseTimeHasCome(int startMs, int intervalMs, int nowMs, int count, int due) =>
        Prober.DueCount(TimeSpan.FromMilliseconds(startMs), TimeSpan.FromMilliseconds(intervalMs), TimeSpan.FromMilliseconds(nowMs), count).ShouldBe(due);
}
