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
    private sealed class ClockedLink(ManualClock clock, TimeSpan perFrame, Func<int, bool>? refuse = null) : IFrameLink
    {
        private readonly Queue<(byte[] Frame, DateTimeOffset At)> replies = new();

        public int Offered { get; private set; }
        public List<DateTimeOffset> Taken { get; } = [];
        public string Name => "clocked";
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
            replies.Enqueue((Frames.FromServer(syn.SourcePort, TcpFlags.Syn | TcpFlags.Ack, 5000, syn.Seq.Value + 1), at + ReplyAfter));
            clock.Advance(perFrame);
            return true;
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

    private static (ProbeResult Result, ClockedLink Link) Run(int count, TimeSpan interval, Func<int, bool>? refuse = null, TimeSpan? perFrame = null)
    {
        var clock = new ManualClock(Lan.Epoch);
        var link = new ClockedLink(clock, perFrame ?? Us, refuse);
        var engine = new TcpEngine(link, clock, new TraceRecorder());
        var template = new FrameTemplate(Syn(), count, TemplateVary.SourcePort | TemplateVary.IpId);
        var result = Prober.Run(engine, new ProbeRequest(template) { Interval = interval, TraceEach = false, ResetOpened = false, Timeout = TimeSpan.FromMilliseconds(5) });
        return (result, link);
    }

    [Fact]
    public void AtRateMaxFastFramesShareTheStampReadBeforeTheFirstOfTheirGroup()
    {
        const int count = (3 * Prober.StampEvery) + 2;
        var (result, link) = Run(count, TimeSpan.Zero);

        result.Statistics.Answered.ShouldBe(count);
        link.Taken.Count.ShouldBe(count);
        for (var i = 0; i < count; i++)
        {
            // Frame i left i µs after the start. The first frame has a stamp of its own (nothing says yet that frames go
            // fast); then frames of 1 µs share a stamp per StampEvery, read before the first of them, so an RTT counts the
            // frames sent before it in its group: never less than the real 10 µs, at most StampEvery - 1 µs more.
            var groupStart = i == 0 ? 0 : 1 + ((i - 1) / Prober.StampEvery * Prober.StampEvery);
            (link.Taken[i] - Lan.Epoch).ShouldBe(i * Us);
            result.Rtt(i).ShouldBe(ReplyAfter + ((i - groupStart) * Us), $"frame {i}");
        }

        result.Statistics.Min.ShouldBe(ReplyAfter);
        result.Statistics.Max.ShouldBe(ReplyAfter + ((Prober.StampEvery - 1) * Us));
    }

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

    [Fact]
    public void FramesTheLinkRefusesAreCountedAndTheOthersStillGoAndAreAnswered()
    {
        var (result, link) = Run(30, TimeSpan.Zero, refuse: i => i % 3 == 1);

        link.Offered.ShouldBe(30);
        result.Sent.ShouldBe(30);
        result.Statistics.Refused.ShouldBe(10);
        result.Statistics.Sent.ShouldBe(20);
        result.Statistics.Answered.ShouldBe(20);
        result.Replies.Select(r => r.Index).ShouldBe(Enumerable.Range(0, 30).Where(i => i % 3 != 1));
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
