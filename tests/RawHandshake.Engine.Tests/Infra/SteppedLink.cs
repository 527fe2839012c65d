using RawHandshake.Engine.Trace;
using RawHandshake.Link;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Engine.Tests.Infra;

/// <summary>
/// End A of the memory cable as the engine sees it, with virtual time: before each poll the fake server on end B
/// handles what reached it; a wait with nothing to read moves the <see cref="ManualClock"/> on (to the timeout or the
/// server's next scheduled action) instead of sleeping. Everything runs on the test's thread, deterministically.
/// Spinning without time moving is caught: a test never hangs.
/// </summary>
public sealed class SteppedLink(MemoryLink a, ManualClock clock, FakeServer server) : IFrameLink
{
    private const int MaxPolls = 2_000_000;
    private static readonly TimeSpan MaxVirtualTime = TimeSpan.FromHours(1);
    private int polls;

    public MemoryLink Inner => a;
    public string Name => a.Name;
    public LinkType LinkType => a.LinkType;
    public MacAddress? HardwareAddress => a.HardwareAddress;
    public int Waits { get; private set; }

    public DateTimeOffset Send(ReadOnlySpan<byte> frame) => a.Send(frame);

    public int Poll(FrameHandler handler, int max = 64)
    {
        if (++polls > MaxPolls)
        {
            throw new InvalidOperationException($"the engine polled {MaxPolls} times without finishing: it spins");
        }

        server.Step();
        return a.Poll(handler, max);
    }

    public bool WaitReadable(TimeSpan timeout)
    {
        Waits++;
        if (timeout == Timeout.InfiniteTimeSpan || timeout < TimeSpan.Zero)
        {
            throw new InvalidOperationException($"the engine waited {timeout}: unbounded or negative");
        }

        server.Step();
        if (a.Pending > 0)
        {
            return true;
        }

        var step = timeout;
        if (server.NextScheduled is { } at && at - clock.Now < step)
        {
            step = at - clock.Now < TimeSpan.Zero ? TimeSpan.Zero : at - clock.Now;
        }

        clock.Advance(step);
        if (clock.Now > MaxVirtualTime)
        {
            throw new InvalidOperationException("virtual time ran past an hour: the engine never finishes");
        }

        server.Step();
        return a.Pending > 0;
    }

    public void Dispose() => a.Dispose();
}

/// <summary>A whole test bench: clock, cable, fake server, engine, trace recorder.</summary>
public sealed class TestBed : IDisposable
{
    public TestBed(ServerBehavior? behavior = null, ITraceSink? extraSink = null)
    {
        Clock = new ManualClock(Lan.Epoch);
        var (a, b) = MemoryLink.CreatePair(() => Clock.Wall, Lan.ClientMac, Lan.ServerMac);
        Server = new FakeServer(b, Clock, behavior);
        Link = new SteppedLink(a, Clock, Server);
        Trace = new TraceRecorder();
        ITraceSink sink = extraSink is null ? Trace : new TraceBus().Add(Trace).Add(extraSink);
        Engine = new TcpEngine(Link, Clock, sink);
    }

    public ManualClock Clock { get; }
    public FakeServer Server { get; }
    public SteppedLink Link { get; }
    public TraceRecorder Trace { get; }
    public TcpEngine Engine { get; }

    public Flow AddFlow(IFlowDriver driver, ushort port = 40000, uint isn = 1000, Func<Session.SessionConfig, Session.SessionConfig>? configure = null, FlowFrameOptions? frames = null)
    {
        var config = new Session.SessionConfig(new Session.FlowKey(Lan.ClientIp, port, Lan.ServerIp, Lan.ServerPort), new SeqNum(isn));
        config = configure?.Invoke(config) ?? config;
        return Engine.AddFlow(config, driver, Lan.ClientMac, Lan.ServerMac, frames ?? new FlowFrameOptions { FirstIpId = 100 });
    }

    public List<T> Events<T>() where T : TraceEvent => Trace.Events.OfType<T>().ToList();

    /// <summary>"SYN-SENT", "ESTABLISHED", … for one side, in order.</summary>
    public List<string> States(Session.Side side) =>
        Events<StateTraced>().Where(s => s.Side == side).Select(s => $"{Session.TcpStateNames.ToRfc(s.From)}>{Session.TcpStateNames.ToRfc(s.To)}").ToList();

    public void Dispose()
    {
        Link.Dispose();
        Server.End.Dispose();
    }
}
