using System.Text;
using RawHandshake.Engine.Bench;
using RawHandshake.Engine.Tests.Infra;
using RawHandshake.Engine.Trace;
using RawHandshake.Link;
using RawHandshake.Testing;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Tests;

/// <summary>
/// A sink that takes frames as stamps (<see cref="IPacketStampSink"/>, the session bench's) gets every frame both ways
/// as it is handled, with the send and capture stamps, and no <see cref="PacketTraced"/>; the other events come as before.
/// </summary>
public sealed class PacketStampSinkTests
{
    private static readonly byte[] Hello = Encoding.ASCII.GetBytes("hello");

    /// <summary>The engine with <paramref name="sink"/> as its own sink (not behind a bus), over the memory cable.</summary>
    private sealed class Bed : IDisposable
    {
        public Bed(ITraceSink sink)
        {
            Clock = new ManualClock(Lan.Epoch);
            var (a, b) = MemoryLink.CreatePair(() => Clock.Wall, Lan.ClientMac, Lan.ServerMac);
            Server = new FakeServer(b, Clock);
            Link = new SteppedLink(a, Clock, Server);
            Engine = new TcpEngine(Link, Clock, sink) { TraceArp = false };
        }

        public ManualClock Clock { get; }
        public FakeServer Server { get; }
        public SteppedLink Link { get; }
        public TcpEngine Engine { get; }

        public Flow Add(IFlowDriver driver) => Engine.AddFlow(
            new Session.SessionConfig(new Session.FlowKey(Lan.ClientIp, 40000, Lan.ServerIp, Lan.ServerPort), new SeqNum(1000)) { TimeWait = TimeSpan.Zero },
            driver, Lan.ClientMac, Lan.ServerMac);

        public void Dispose()
        {
            Link.Dispose();
            Server.End.Dispose();
        }
    }

    private sealed class Stamps : IPacketStampSink
    {
        public List<(Direction Dir, TcpFlags Flags, DateTimeOffset Wall, int Length)> Frames { get; } = [];
        public List<TraceEvent> Events { get; } = [];

        public void Packet(Direction dir, ReadOnlySpan<byte> frame, in ParsedFrame parsed, DateTimeOffset wall)
        {
            Frames.Add((dir, parsed.Tcp!.Value.Flags, wall, frame.Length));
            Events.Add(new NoteTraced(TimeSpan.Zero, NoteLevel.Info, "frame")); // where it came among the events
        }

        public void Publish(TraceEvent e) => Events.Add(e);

        public void Complete()
        {
        }
    }

    /// <summary>One echo session (connect, "hello" echoed, active close) to its end, with <paramref name="sink"/> as the engine's sink.</summary>
    private static Flow EchoSession(ITraceSink sink)
    {
        using var bed = new Bed(sink);
        var driver = new EchoSessionDriver(Hello);
        var flow = bed.Add(driver);
        bed.Engine.Run(TimeSpan.FromSeconds(10)).ShouldBe(RunEnd.Completed);
        driver.Outcome!.Ok.ShouldBeTrue(driver.Outcome.Error);
        return flow;
    }

    [Fact]
    public void Every_frame_comes_as_a_stamp_when_it_is_handled_and_never_as_an_event()
    {
        var sink = new Stamps();
        var flow = EchoSession(sink);

        sink.Frames.Select(f => $"{f.Dir} {f.Flags.ToWireshark()}").ShouldBe(
        [
            "Out [SYN]", "In [SYN, ACK]", "Out [ACK]", "Out [PSH, ACK]", "In [PSH, ACK]", "Out [FIN, ACK]", "In [ACK]", "In [FIN, ACK]", "Out [ACK]",
        ]);
        sink.Frames.Count(f => f.Dir == Direction.Out).ShouldBe(flow.PacketsOut);
        sink.Frames[0].Wall.ShouldBe(flow.SynSentWall!.Value, "a sent frame's stamp is the link's send stamp");
        sink.Frames.ShouldAllBe(f => f.Length >= 54);
        sink.Events.OfType<PacketTraced>().ShouldBeEmpty();

        // Nothing waits for capture order: the client's state change follows the frame that caused it, the result comes last.
        var kinds = sink.Events.Select(e => e switch
        {
            NoteTraced { Text: "frame" } => "frame",
            StateTraced s when s.Side == Session.Side.Client => $"client {Session.TcpStateNames.ToRfc(s.To)}",
            ResultTraced => "result",
            _ => null,
        }).OfType<string>().ToList();
        var frames = kinds.Select((k, i) => (k, i)).Where(x => x.k == "frame").Select(x => x.i).ToList();
        kinds.IndexOf("client ESTABLISHED").ShouldBeInRange(frames[1] + 1, frames[2] - 1, "between the SYN-ACK and our ACK");
        kinds[^1].ShouldBe("result");
    }

    [Fact]
    public void The_session_bench_times_from_our_first_SYN_to_our_ACK_of_the_servers_FIN()
    {
        var sink = new FinAckSink();
        var flow = EchoSession(sink);

        sink.Packets.ShouldBe(9);
        sink.FirstSynWall.ShouldBe(flow.SynSentWall);
        sink.FinAckedWall.ShouldNotBeNull();
        sink.FinAckedWall.Value.ShouldBeGreaterThanOrEqualTo(sink.FirstSynWall!.Value);

        sink.Reset();
        sink.Packets.ShouldBe(0);
        sink.FirstSynWall.ShouldBeNull();
        sink.FinAckedWall.ShouldBeNull();
    }

    [Fact]
    public void Behind_a_bus_the_same_sink_reads_the_frames_from_the_events()
    {
        var sink = new FinAckSink();
        var recorder = new TraceRecorder();
        EchoSession(new TraceBus().Add(recorder).Add(sink));

        recorder.Events.OfType<PacketTraced>().Count().ShouldBe(9, "a renderer still gets every frame");
        sink.Packets.ShouldBe(9);
        sink.FinAckedWall.ShouldBe(recorder.Events.OfType<PacketTraced>().Last().Wall);
    }
}
