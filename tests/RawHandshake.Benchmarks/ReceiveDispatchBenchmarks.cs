using BenchmarkDotNet.Attributes;
using RawHandshake.Engine;
using RawHandshake.Engine.Trace;
using RawHandshake.Link;
using RawHandshake.Session;
using RawHandshake.Wire.Building;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Benchmarks;

/// <summary>
/// The engine's receive path with many established flows: a frame is parsed once, sorted to its flow by 4-tuple and
/// handed to the session (a duplicate ACK: nothing to send back), round-robin over every flow. Packet tracing is off
/// (a traced frame is copied for the trace by design); the target is a cost that does not grow with the number of
/// flows, and 0 bytes allocated per frame.
/// </summary>
[MemoryDiagnoser]
public class ReceiveDispatchBenchmarks
{
    private const int Batch = 64;
    private ReplayLink link = null!;
    private TcpEngine engine = null!;

    [Params(1, 1_000, 10_000)]
    public int Flows { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        link = new ReplayLink();
        engine = new TcpEngine(link, new SystemClock(), new NullSink()) { TraceArp = false, TracePackets = false };
        var ours = MacAddress.Parse("02:00:00:00:00:01");
        var theirs = MacAddress.Parse("02:00:00:00:00:02");
        var local = IPv4Address.Parse("198.18.0.1");
        var remote = IPv4Address.Parse("198.18.2.10");
        var synAcks = new List<byte[]>();
        var acks = new List<byte[]>();
        for (var i = 0; i < Flows; i++)
        {
            // Ports 1024 up, then the next source address: 10,000 distinct 4-tuples to one server port.
            var key = new FlowKey(new IPv4Address(local.Value + (uint)(i / 60_000)), (ushort)(1024 + (i % 60_000)), remote, 20000);
            var isn = new SeqNum((uint)(1000 + i));
            var flow = engine.AddFlow(new SessionConfig(key, isn), new IdleDriver(), ours, theirs);
            flow.Connect();
            var serverIsn = new SeqNum((uint)(500_000 + i));
            synAcks.Add(Frame(key, theirs, ours, TcpFlags.Syn | TcpFlags.Ack, serverIsn, isn + 1, withMss: true));
            acks.Add(Frame(key, theirs, ours, TcpFlags.Ack, serverIsn + 1, isn + 1, withMss: false));
        }

        // Every flow to ESTABLISHED, then the duplicate ACKs go round.
        link.Frames = [.. synAcks];
        while (link.Served < synAcks.Count)
        {
            engine.Receive(Batch);
        }

        foreach (var f in engine.Flows)
        {
            if (f.Session.State != TcpState.Established)
            {
                throw new InvalidOperationException($"flow {f.Key} is {f.Session.State}, not established");
            }
        }

        link.Frames = [.. acks];
    }

    [Benchmark(Description = "receive: parse + flow lookup + session (dup ACK)", OperationsPerInvoke = Batch)]
    public int ReceiveDispatch() => engine.Receive(Batch);

    private static byte[] Frame(FlowKey key, MacAddress from, MacAddress to, TcpFlags flags, SeqNum seq, SeqNum ack, bool withMss)
    {
        var ip = new IPv4Header { Source = key.RemoteAddress.V4, Destination = key.LocalAddress.V4, Id = 1, DontFragment = true };
        var tcp = new TcpHeader(key.RemotePort, key.LocalPort, seq, ack, flags, 65160);
        Span<byte> options = stackalloc byte[40];
        var n = withMss ? TcpOptionLayout.Write(options, new TcpOptionSet(1460, null, false, null)) : 0;
        var buffer = new byte[128];
        var length = FrameBuilder.BuildTcp(buffer, new EthernetHeader(to, from), ip, tcp, options[..n], default);
        return buffer[..length];
    }

    /// <summary>A link that hands out its frames round-robin and swallows what is sent.</summary>
    private sealed class ReplayLink : IFrameLink
    {
        private readonly DateTimeOffset wall = DateTimeOffset.UnixEpoch;
        private int next;

        public byte[][] Frames { get; set; } = [];
        public long Served { get; private set; }
        public string Name => "replay";
        public LinkType LinkType => LinkType.Ethernet;
        public MacAddress? HardwareAddress => null;

        public DateTimeOffset Send(ReadOnlySpan<byte> frame) => wall;

        public int Poll(FrameHandler handler, int max = 64)
        {
            for (var i = 0; i < max; i++)
            {
                handler(Frames[next], wall);
                next = next + 1 == Frames.Length ? 0 : next + 1;
            }

            Served += max;
            return max;
        }

        public bool WaitReadable(TimeSpan timeout) => true;

        public void Dispose()
        {
        }
    }

    private sealed class IdleDriver : IFlowDriver
    {
        public bool Finished => false;
        public FlowOutcome? Outcome => null;

        public void Start(Flow flow, TimeSpan now)
        {
        }

        public void AfterInput(Flow flow, TimeSpan now)
        {
        }
    }

    private sealed class NullSink : ITraceSink
    {
        public void Publish(TraceEvent e)
        {
        }

        public void Complete()
        {
        }
    }
}
