using RawHandshake.Engine.Tests.Infra;
using RawHandshake.Session;

namespace RawHandshake.Engine.Tests;

/// <summary>The engine hands each new flow the ISN and TSval offset of <see cref="InitialNumbers"/>, read on the host's
/// monotonic clock (<see cref="IClock.Start"/> plus the engine's own time).</summary>
public class FirstNumbersTests
{
    private static readonly FlowKey Key = new(Lan.ClientIp, 40000, Lan.ServerIp, Lan.ServerPort);

    [Fact]
    public void ALaterFlowOfTheTupleStartsHigherAndKeepsTheTimestampOffset()
    {
        using var bed = new TestBed();
        var (isn1, ts1) = bed.Engine.FirstNumbers(Key);
        bed.Clock.Advance(TimeSpan.FromSeconds(1));
        var (isn2, ts2) = bed.Engine.FirstNumbers(Key);
        (isn2 - isn1).ShouldBe(250_000);
        ts2.ShouldBe(ts1);
        isn2.ShouldBe(bed.Engine.Numbers.Isn(Key, bed.Clock.Start + bed.Clock.Now));
        ts1.ShouldBe(bed.Engine.Numbers.TsOffset(Key, bed.Clock.Start));
    }

    [Fact]
    public void TwoEnginesOfOneHostAgreeWhateverTheirClocksStart()
    {
        // Two processes: one started an hour after boot, the other 90 s later; at the same host time they give the same
        // ISN, and the same TSval at the same host time (session time + offset).
        var numbers = new InitialNumbers(11, 22);
        var early = new ManualClock(Lan.Epoch) { Start = TimeSpan.FromHours(1) };
        var late = new ManualClock(Lan.Epoch) { Start = TimeSpan.FromHours(1) + TimeSpan.FromSeconds(90) };
        var (link, _) = Link.MemoryLink.CreatePair();
        var a = new TcpEngine(link, early, new Trace.TraceBus()) { Numbers = numbers };
        var b = new TcpEngine(link, late, new Trace.TraceBus()) { Numbers = numbers };
        early.Advance(TimeSpan.FromSeconds(100));
        late.Advance(TimeSpan.FromSeconds(10));
        b.FirstNumbers(Key).Isn.ShouldBe(a.FirstNumbers(Key).Isn);
        unchecked(10_000 + b.FirstNumbers(Key).TsOffset).ShouldBe(unchecked(100_000 + a.FirstNumbers(Key).TsOffset));
    }

    [Fact]
    public void TheSystemClockStartsOnTheHostsMonotonicClock()
    {
        var clock = new SystemClock();
        var host = System.Diagnostics.Stopwatch.GetElapsedTime(0);
        clock.Start.ShouldBeLessThanOrEqualTo(host);
        clock.Start.ShouldBeGreaterThan(TimeSpan.Zero);
        // Both count from boot (not from this process's start).
        Math.Abs(Environment.TickCount64 - (long)clock.Start.TotalMilliseconds).ShouldBeLessThan(1000L);
    }
}

/// <summary>A probe's SYNs carry the numbers a flow of the same 4-tuple would: the ISN of each one's tuple and the TSval
/// of the address pair, at the host time given.</summary>
public class ProbeNumbersTests
{
    [Fact]
    public void EachProbeSynCarriesItsTuplesIsnAndThePairsTsVal()
    {
        var numbers = new InitialNumbers(5, 6);
        var at = TimeSpan.FromHours(2);
        var eth = new Wire.Protocols.EthernetHeader(Lan.ServerMac, Lan.ClientMac);
        var frames = new Engine.Probe.PortProbeFrames([new Engine.Probe.PortProbe(80, 64), new Engine.Probe.PortProbe(443, 64)], eth, Lan.ClientIp, Lan.ServerIp, 61000, 1, numbers: (numbers, at));
        for (var i = 0; i < 2; i++)
        {
            var key = new FlowKey(Lan.ClientIp, (ushort)(61000 + i), Lan.ServerIp, i == 0 ? (ushort)80 : (ushort)443);
            var frame = frames.Frame(i).ToArray();
            var parsed = Wire.Parsing.FrameParser.Parse(frame);
            var tcp = parsed.Tcp.ShouldNotBeNull();
            tcp.Seq.ShouldBe(numbers.Isn(key, at));
            frames.Isn(i).ShouldBe(numbers.Isn(key, at));
            parsed.TcpOptionsSummary(frame).TsVal.ShouldBe(numbers.TsVal(key, at));
        }
    }
}
