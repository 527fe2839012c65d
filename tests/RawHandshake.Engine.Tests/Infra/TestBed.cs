using RawHandshake.Engine.Trace;
using RawHandshake.Link;
using RawHandshake.Testing;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Engine.Tests.Infra;

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
        Events<StateTraced>().Where(s => s.Side == side).Select(s => $"{Session.InferredStateNames.ToRfc(s.From)}>{Session.TcpStateNames.ToRfc(s.To)}").ToList();

    public void Dispose()
    {
        Link.Dispose();
        Server.End.Dispose();
    }
}
