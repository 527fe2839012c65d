using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using RawHandshake.Engine.Live;
using RawHandshake.Engine.Trace;
using RawHandshake.Link;
using RawHandshake.Session;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Engine.Bench;

/// <summary>What <c>bench parallel</c> measures: <see cref="Flows"/> connections at once, handshake and close.</summary>
public sealed record ParallelBenchRequest(LiveRequest Live, ushort Port)
{
    /// <summary>Connections at once, on each side.</summary>
    public int Flows { get; init; } = 1000;

    /// <summary>Measured rounds of each kind.</summary>
    public int Rounds { get; init; } = 5;

    /// <summary>Rounds of each kind run first and not counted (JIT, caches, the server's neighbour entries).</summary>
    public int WarmupRounds { get; init; } = 1;

    /// <summary>Bound on one round of either kind.</summary>
    public TimeSpan RoundTimeout { get; init; } = TimeSpan.FromSeconds(30);
}

/// <summary>What a run measured: the wall time of each round, in milliseconds, in the order run.</summary>
public sealed record ParallelBenchResult(IReadOnlyList<double> Engine, IReadOnlyList<double> Kernel, BenchFailure? Failure, bool Stopped)
{
    /// <summary>Our SYNs and FINs sent again in the measured engine rounds (a full accept queue drops SYNs).</summary>
    public int EngineRetransmissions { get; init; }

    /// <summary>Frames the capture ring dropped during the measured engine rounds (<c>pcap_stats</c>); null when libpcap cannot tell.</summary>
    public long? EngineCaptureDrops { get; init; }

    /// <summary>The process's CPU time in each measured engine round, in ms (the loop, and the kernel's work done in our
    /// sends: the router and the server handle a frame inside the send call on veth).</summary>
    public IReadOnlyList<double> EngineCpu { get; init; } = [];

    /// <summary>The process's CPU time in each measured kernel round, in ms (system calls, and the kernel's work done in them).</summary>
    public IReadOnlyList<double> KernelCpu { get; init; } = [];

    /// <summary>Sockets in TIME-WAIT in the namespace when the run started (<see cref="HostTcp.TimeWaitCount"/>).</summary>
    public int? TimeWaitBefore { get; init; }

    public bool Ok => Failure is null && !Stopped;

    public double? EngineMedian => Engine.Count > 0 ? LatencyStats.From([.. Engine]).Median : null;

    public double? KernelMedian => Kernel.Count > 0 ? LatencyStats.From([.. Kernel]).Median : null;

    /// <summary>Engine median over kernel median.</summary>
    public double? Ratio => EngineMedian is { } e && KernelMedian is { } k && k > 0 ? e / k : null;
}

/// <summary>
/// <c>bench parallel</c>: in one process, against the same server, rounds of N connections at once (handshake, then
/// active close until the server's FIN is acknowledged), alternately by hand through one engine and through N
/// non-blocking kernel sockets. A round's time runs from making the first flow or socket until the last one is closed.
/// </summary>
/// <remarks>
/// The engine side is one <see cref="TcpEngine"/> per round with N flows on consecutive ports of the bench's range
/// (<see cref="SourcePorts"/>, outside the kernel's ephemeral ports, so the capture never sees the kernel side's frames),
/// TIME-WAIT 0 and a sink that renders nothing; the RST guard is one element for the whole range, made before the first
/// round. The kernel side is what a C client would do: N sockets, non-blocking <c>connect()</c>, then a
/// <c>poll()</c> loop (<see cref="Socket.Select"/>): writable means connected, then <c>shutdown(SHUT_WR)</c> and read
/// until end-of-file. The order of the two sides alternates from round to round.
/// </remarks>
public sealed class ParallelBench : IDisposable
{
    /// <summary>Most connections at once.</summary>
    public const int MaxFlows = 20_000;

    private static readonly TimeSpan Pause = TimeSpan.FromMilliseconds(100);

    /// <summary>Bytes of each frame captured: every frame of a round is headers only (a SYN-ACK with options is 74-94).</summary>
    private const int SnapLength = 256;

    private readonly ParallelBenchRequest request;
    private readonly LiveSetup live;
    private readonly SourcePorts ports;
    private readonly SystemClock clock = new();
    private readonly IPEndPoint endpoint;
    private readonly byte[] buffer = new byte[512];
    private volatile TcpEngine? current;
    private volatile bool stopRequested;

    private ParallelBench(ParallelBenchRequest request, LiveSetup live, SourcePorts ports)
    {
        this.request = request;
        this.live = live;
        this.ports = ports;
        endpoint = new IPEndPoint(request.Live.Target.ToIPAddress(), request.Port);
    }

    public LiveSetup Live => live;

    public SourcePorts Ports => ports;

    /// <summary>How the kernel's RSTs are kept off the engine's flows.</summary>
    public string GuardDescription => ports.GuardDescription(live.Guard);

    /// <summary>Opens the route, the capture handle (filtered to the bench's ports) and chooses the guard; sends nothing.</summary>
    /// <exception cref="LinkException">The bench's port range is smaller than <see cref="ParallelBenchRequest.Flows"/>.</exception>
    public static ParallelBench Open(ParallelBenchRequest request, string verb)
    {
        ArgumentNullException.ThrowIfNull(request);
        var ports = SourcePorts.ForThisNamespace();
        if (ports.Size < request.Flows)
        {
            throw new LinkException($"-n {request.Flows} needs as many source ports outside the kernel's ephemeral range; this namespace has {ports.Size} ({ports.First}-{ports.Last})");
        }

        // A round receives N flows' SYN-ACKs in one burst, and more while the process waits to be scheduled: the ring
        // holds all of a round's frames (about four a flow; eight for retransmissions). Only headers are needed, so a
        // short snap length makes each slot a few hundred bytes instead of 64 KiB (CaptureRing): 8,000 frames in under
        // 3 MiB, where the default 8 MiB ring held 64 and dropped most of a thousand SYN-ACKs, which then looked like
        // SYNs lost (our SYN went again, and flows stayed in SYN-SENT for 30 s).
        var live = LiveSetup.Open(
            request.Live with
            {
                ExtraFilter = ports.CaptureFilter,
                SnapLength = SnapLength,
                CaptureRing = CaptureRing.ForFrames(8L * request.Flows, SnapLength),
            },
            new SystemClock(),
            new NullSink(),
            verb);
        return new ParallelBench(request, live, ports);
    }

    /// <summary>Resolves the next hop's MAC (our own ARP request: the first frame sent).</summary>
    public void ResolveNextHop() => live.ResolveNextHop(request.Live);

    /// <summary>Ctrl-C, SIGTERM: stops the round under way and the run.</summary>
    public void RequestStop()
    {
        stopRequested = true;
        if (current is { } e)
        {
            e.StopRequested = true;
        }
    }

    public ParallelBenchResult Run()
    {
        var timeWait = HostTcp.TimeWaitCount();
        live.GuardPorts(live.Source, ports.First, ports.Last, request.Live.Target, request.Port);
        var engineTimes = new List<double>(request.Rounds);
        var kernelTimes = new List<double>(request.Rounds);
        var engineCpu = new List<double>(request.Rounds);
        var kernelCpu = new List<double>(request.Rounds);
        var retransmissions = 0;
        long? drops = null;
        BenchFailure? failure = null;
        var total = request.WarmupRounds + request.Rounds;
        for (var round = 0; round < total && failure is null && !stopRequested; round++)
        {
            var warm = round < request.WarmupRounds;
            var index = warm ? round + 1 : round - request.WarmupRounds + 1;
            foreach (var side in round % 2 == 0 ? [BenchSide.Engine, BenchSide.Kernel] : (BenchSide[])[BenchSide.Kernel, BenchSide.Engine])
            {
                Settle();
                string? why;
                int resent = 0;
                var cpu = ThreadCpu.Process();
                var dropped = live.Link.Statistics()?.Dropped;
                var ms = side == BenchSide.Engine ? EngineRound(out why, out resent) : KernelRound(out why);
                if (stopRequested)
                {
                    break;
                }

                if (ms is null)
                {
                    failure = new BenchFailure(side, index, warm, why ?? "unknown") { Unit = "round" };
                    break;
                }

                if (!warm)
                {
                    (side == BenchSide.Engine ? engineTimes : kernelTimes).Add(ms.Value);
                    (side == BenchSide.Engine ? engineCpu : kernelCpu).Add((ThreadCpu.Process() - cpu).TotalMilliseconds);
                    if (side == BenchSide.Engine && dropped is { } d0 && live.Link.Statistics()?.Dropped is { } d1)
                    {
                        drops = (drops ?? 0) + (d1 - d0);
                    }
                    retransmissions += resent;
                }
            }
        }

        return new ParallelBenchResult(engineTimes, kernelTimes, failure, stopRequested) { EngineRetransmissions = retransmissions, TimeWaitBefore = timeWait, EngineCpu = engineCpu, KernelCpu = kernelCpu, EngineCaptureDrops = drops };
    }

    /// <summary>Between rounds: the last round's stragglers and garbage out of the way, the same for both sides.</summary>
    private static void Settle()
    {
        Thread.Sleep(Pause);
        GC.Collect();
        GC.WaitForPendingFinalizers();
    }

    /// <summary>One round by hand: N flows in one engine; the round's time in ms, or null with the reason.</summary>
    private double? EngineRound(out string? error, out int retransmissions)
    {
        error = null;
        retransmissions = 0;
        var start = Stopwatch.GetTimestamp();
        // Nothing is rendered: no frame is copied, parsed again or held for capture order.
        var engine = new TcpEngine(live.Link, clock, new NullSink()) { TraceArp = false, TracePackets = false };
        if (live.Guard == RstGuardMode.Phantom)
        {
            engine.PhantomAddresses.Add(live.Source);
        }

        current = engine;
        if (stopRequested)
        {
            engine.StopRequested = true;
        }

        var drivers = new HandshakeDriver[request.Flows];
        for (var i = 0; i < drivers.Length; i++)
        {
            var key = new FlowKey(live.Source, ports.Next(), request.Live.Target, request.Port);
            var (isn, tsOffset) = engine.FirstNumbers(key);
            var config = new SessionConfig(key, isn)
            {
                // The SYN a Linux client sends (as the kernel side's sockets do): its timestamp echo times the handshake
                // even when the SYN had to go again, so the FIN is timed on the path's RTT as the kernel's is.
                TimeWait = TimeSpan.Zero,
                SackPermitted = true,
                Timestamps = true,
                WindowScale = 7,
                TsOffset = tsOffset,
            };
            drivers[i] = new HandshakeDriver([], false, CloseMode.Active);
            engine.AddFlow(config, drivers[i], live.LocalMac, live.NextHopMac);
        }

        var end = engine.Run(request.RoundTimeout);
        var elapsed = Stopwatch.GetElapsedTime(start);
        current = null;
        retransmissions = engine.Flows.Sum(f => f.Retransmissions);
        if (end == RunEnd.Cancelled)
        {
            error = "interrupted";
            return null;
        }

        var failed = engine.Flows.FirstOrDefault(f => f.Driver.Outcome is not { Ok: true });
        if (failed is not null)
        {
            var count = engine.Flows.Count(f => f.Driver.Outcome is not { Ok: true });
            error = $"{count} of {drivers.Length} flows failed; first: {failed.Key}: {failed.Driver.Outcome?.Error ?? "no outcome"}";
            return null;
        }

        return elapsed.TotalMilliseconds;
    }

    /// <summary>One round through kernel sockets; the round's time in ms, or null with the reason.</summary>
    private double? KernelRound(out string? error)
    {
        error = null;
        var n = request.Flows;
        var sockets = new List<Socket>(n);
        var connecting = new HashSet<Socket>(n);
        var reading = new HashSet<Socket>(n);
        var closed = 0;
        try
        {
            var start = Stopwatch.GetTimestamp();
            for (var i = 0; i < n; i++)
            {
                var s = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { Blocking = false };
                sockets.Add(s);
                try
                {
                    s.Connect(endpoint);
                    s.Shutdown(SocketShutdown.Send); // connected at once
                    reading.Add(s);
                }
                catch (SocketException e) when (e.SocketErrorCode is SocketError.WouldBlock or SocketError.InProgress)
                {
                    connecting.Add(s);
                }
            }

            var writable = new List<Socket>(n);
            var readable = new List<Socket>(n);
            while (closed < n)
            {
                var left = request.RoundTimeout - Stopwatch.GetElapsedTime(start);
                if (stopRequested)
                {
                    error = "interrupted";
                    return null;
                }

                if (left <= TimeSpan.Zero)
                {
                    error = $"{n - closed} of {n} connections to {endpoint} not closed within {request.RoundTimeout.TotalSeconds:0.###} s";
                    return null;
                }

                writable.Clear();
                writable.AddRange(connecting);
                readable.Clear();
                readable.AddRange(reading);
                var wait = left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200);
                Socket.Select(readable.Count > 0 ? readable : null, writable.Count > 0 ? writable : null, null, (int)wait.TotalMicroseconds);
                foreach (var s in writable)
                {
                    if (s.GetSocketOption(SocketOptionLevel.Socket, SocketOptionName.Error) is int soError && soError != 0)
                    {
                        error = $"{endpoint}: {new SocketException(soError).Message}";
                        return null;
                    }

                    connecting.Remove(s);
                    s.Shutdown(SocketShutdown.Send);
                    reading.Add(s);
                }

                foreach (var s in readable)
                {
                    while (true)
                    {
                        var got = s.Receive(buffer, 0, buffer.Length, SocketFlags.None, out var code);
                        if (code == SocketError.WouldBlock)
                        {
                            break;
                        }

                        if (code != SocketError.Success)
                        {
                            error = $"{endpoint}: {new SocketException((int)code).Message} ({code})";
                            return null;
                        }

                        if (got == 0)
                        {
                            reading.Remove(s);
                            s.Dispose(); // the server's FIN came: ours went before, so this socket is in TIME-WAIT now
                            closed++;
                            break;
                        }
                    }
                }
            }

            return Stopwatch.GetElapsedTime(start).TotalMilliseconds;
        }
        catch (SocketException e)
        {
            error = $"{endpoint}: {e.Message} ({e.SocketErrorCode})";
            return null;
        }
        finally
        {
            foreach (var s in sockets)
            {
                s.Dispose();
            }
        }
    }

    public void Dispose() => live.Dispose();

    /// <summary>Renders nothing, keeps nothing.</summary>
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
