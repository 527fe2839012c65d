using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using RawHandshake.Engine.Live;
using RawHandshake.Link;
using RawHandshake.Session;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Engine.Bench;

/// <summary>What <c>bench session</c> measures, and against what.</summary>
public sealed record SessionBenchRequest(LiveRequest Live, ushort Port)
{
    /// <summary>Measured sessions of each kind.</summary>
    public int Sessions { get; init; } = 100;

    /// <summary>Sessions of each kind run first and not counted (JIT, caches, the server's neighbour entries).</summary>
    public int Warmup { get; init; } = 20;

    /// <summary>Bound on one session of either kind.</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>What each session pushes and expects back.</summary>
    public ReadOnlyMemory<byte> Payload { get; init; } = "Hello World!"u8.ToArray();

    /// <summary>Our SYN offers what a Linux client's does (MSS, SACK, timestamps, window scaling), so that the engine
    /// and the kernel recover from loss with the same tools (<c>bench loss</c>).</summary>
    public bool KernelLikeOptions { get; init; }
}

/// <summary>Which kind of session.</summary>
public enum BenchSide
{
    Engine,
    Kernel,
}

/// <summary>A session that did not complete: which one, and why.</summary>
public sealed record BenchFailure(BenchSide Side, int Index, bool Warmup, string Reason)
{
    /// <summary>What failed: a session (<c>bench session</c>), a round (<c>bench parallel</c>).</summary>
    public string Unit { get; init; } = "session";

    public override string ToString() =>
        $"{(Warmup ? "warm-up " : "")}{(Side == BenchSide.Engine ? "engine" : "kernel")} {Unit} {Index} failed: {Reason}";
}

/// <summary>What a run measured: durations in microseconds, in the order run.</summary>
public sealed record SessionBenchResult(IReadOnlyList<double> Engine, IReadOnlyList<double> Kernel, BenchFailure? Failure, bool Stopped)
{
    /// <summary>Warm-up pairs actually run: those asked for plus the rounds until the JIT settled.</summary>
    public int WarmupSessions { get; init; }

    /// <summary>Whether two whole warm-up rounds in a row compiled no new method before measuring.</summary>
    public bool JitSettled { get; init; }

    /// <summary>Sockets in TIME-WAIT in the namespace when the run started (see <see cref="HostTcp.TimeWaitCount"/>).</summary>
    public int? TimeWaitBefore { get; init; }

    public bool Ok => Failure is null && !Stopped;
    public LatencyStats? EngineStats => Engine.Count > 0 ? LatencyStats.From([.. Engine]) : null;
    public LatencyStats? KernelStats => Kernel.Count > 0 ? LatencyStats.From([.. Kernel]) : null;

    /// <summary>Engine median over kernel median.</summary>
    public double? Ratio => EngineStats is { } e && KernelStats is { Median: > 0 } k ? e.Median / k.Median : null;
}

/// <summary>
/// <c>bench session</c>: in one process, full sessions (connect, a 12-byte echo, active close) alternately by hand
/// through the engine and through kernel sockets, against the same server. Both are timed from the first SYN until the
/// server's FIN is acknowledged: the engine's from the frames' own send stamps (our SYN, our ACK of the server's FIN);
/// the kernel's with a stopwatch from just before <c>connect()</c> until EOF is read.
/// </summary>
/// <remarks>
/// Everything that costs milliseconds happens before the timed part: the libpcap handle is opened once, the next hop is
/// resolved once, and the RST guard covers the bench's whole port range before the first session (one element of the
/// run's nft table, see <see cref="LiveSetup.GuardPorts"/>; phantom needs none). Each engine session gets a fresh <see cref="TcpEngine"/> on the
/// shared link (an engine runs all its flows, so a new one per session keeps each run to one flow) with a sink that
/// renders nothing, a source port of its own, TIME-WAIT 0, and the engine's poll()-based loop (no busy-spin). The
/// capture filter takes only the bench's port range, so the kernel sessions' frames never reach the engine. Warm-up
/// goes on until the JIT is quiet, and a GC runs before the measured pairs.
/// </remarks>
public sealed class SessionBench : IDisposable
{
    private readonly SessionBenchRequest request;
    private readonly LiveSetup live;
    private readonly SourcePorts ports;
    private readonly FinAckSink sink = new();
    private readonly SystemClock clock = new();
    private readonly IPEndPoint endpoint;
    private readonly byte[] kernelBuffer;
    private volatile TcpEngine? current;
    private bool rangeGuarded;
    private volatile bool stopRequested;

    private SessionBench(SessionBenchRequest request, LiveSetup live, SourcePorts ports)
    {
        this.request = request;
        this.live = live;
        this.ports = ports;
        endpoint = new IPEndPoint(request.Live.Target.ToIPAddress(), request.Port);
        kernelBuffer = new byte[Math.Max(64, request.Payload.Length * 2)];
    }

    public LiveSetup Live => live;

    public SourcePorts Ports => ports;

    /// <summary>Opens the route, the capture handle (filtered to the bench's ports) and chooses the guard; sends nothing.</summary>
    public static SessionBench Open(SessionBenchRequest request, string verb)
    {
        ArgumentNullException.ThrowIfNull(request);
        var ports = SourcePorts.ForThisNamespace();
        var liveRequest = request.Live with { ExtraFilter = ports.CaptureFilter, CaptureRing = Link.CaptureRing.Bulk };
        var live = LiveSetup.Open(liveRequest, new SystemClock(), new FinAckSink(), verb);
        return new SessionBench(request, live, ports);
    }

    /// <summary>Resolves the next hop's MAC (our own ARP request: the first frame sent).</summary>
    public void ResolveNextHop() => live.ResolveNextHop(request.Live);

    /// <summary>Ctrl-C, SIGTERM: stops the session under way and the run.</summary>
    public void RequestStop()
    {
        stopRequested = true;
        if (current is { } e)
        {
            e.StopRequested = true;
        }
    }

    /// <summary>How the kernel's RSTs are kept off the bench's flows (known once the first phase is guarded).</summary>
    public string GuardDescription => ports.GuardDescription(live.Guard);

    public SessionBenchResult Run()
    {
        var engineTimes = new List<double>(request.Sessions);
        var kernelTimes = new List<double>(request.Sessions);
        BenchFailure? failure = null;
        var warmups = 0;
        var settled = false;
        var timeWait = HostTcp.TimeWaitCount();

        // Warm-up (not counted): the pairs asked for, then rounds until the JIT has nothing left to compile. Tiered
        // compilation only starts counting calls 100 ms after the last new method and promotes a method after 30 calls,
        // on a background thread: a short warm-up alone leaves the measured sessions running unoptimised code.
        if (request.Warmup > 0)
        {
            failure = Pairs(request.Warmup, 0, null, null);
            warmups = request.Warmup;
            var quiet = 0;
            for (var round = 0; round < MaxSettleRounds && failure is null && !stopRequested; round++)
            {
                var before = System.Runtime.JitInfo.GetCompiledMethodCount();
                Thread.Sleep(SettlePause);
                failure = Pairs(SettleRound, warmups, null, null);
                warmups += SettleRound;

                // Two quiet rounds in a row: a promotion still compiling in the background shows up in the second.
                quiet = System.Runtime.JitInfo.GetCompiledMethodCount() == before ? quiet + 1 : 0;
                if (quiet == 2)
                {
                    settled = true;
                    break;
                }
            }
        }

        if (failure is null && !stopRequested)
        {
            GC.Collect();
            GC.WaitForPendingFinalizers();
            failure = Pairs(request.Sessions, -1, engineTimes, kernelTimes);
        }

        return new SessionBenchResult(engineTimes, kernelTimes, failure, stopRequested) { WarmupSessions = warmups, JitSettled = settled, TimeWaitBefore = timeWait };
    }

    /// <summary>Rounds of warm-up after the asked-for ones, at most, before measuring anyway.</summary>
    public const int MaxSettleRounds = 20;

    /// <summary>Pairs in one settling round: enough calls (≥ 30) for the hot path's methods to be promoted.</summary>
    public const int SettleRound = 10;

    private static readonly TimeSpan SettlePause = TimeSpan.FromMilliseconds(150);

    /// <summary>Runs <paramref name="count"/> pairs (engine, then kernel); warm-up when <paramref name="warmupOffset"/> ≥ 0 (the pairs already run).</summary>
    private BenchFailure? Pairs(int count, int warmupOffset, List<double>? engineTimes, List<double>? kernelTimes)
    {
        var warm = warmupOffset >= 0;
        Guard();
        for (var i = 1; i <= count && !stopRequested; i++)
        {
            var index = warm ? warmupOffset + i : i;
            var e = EngineSession(out var why);
            if (e is null)
            {
                return Interrupted() ? null : new BenchFailure(BenchSide.Engine, index, warm, why ?? "unknown");
            }

            var k = KernelSession(out why);
            if (k is null)
            {
                return Interrupted() ? null : new BenchFailure(BenchSide.Kernel, index, warm, why ?? "unknown");
            }

            engineTimes?.Add(e.Value);
            kernelTimes?.Add(k.Value);
        }

        return null;
    }

    /// <summary>
    /// Whether the run is being stopped. A signal may remove the nft guard (its own exit hooks) before our handler has
    /// asked us to stop; a session that then fails on our kernel's RST was interrupted, not failed.
    /// </summary>
    private bool Interrupted()
    {
        if (live.NftGuard is { IsRemoved: true })
        {
            stopRequested = true;
        }

        return stopRequested;
    }

    /// <summary>One session by hand; its time in µs, or null with the reason.</summary>
    private double? EngineSession(out string? error)
    {
        error = null;
        sink.Reset();
        var engine = new TcpEngine(live.Link, clock, sink) { TraceArp = false };
        if (live.Guard == RstGuardMode.Phantom)
        {
            engine.PhantomAddresses.Add(live.Source);
        }

        current = engine;
        if (stopRequested)
        {
            engine.StopRequested = true;
        }

        var port = ports.Next();
        var key = new FlowKey(live.Source, port, request.Live.Target, request.Port);
        var (isn, tsOffset) = engine.FirstNumbers(key);
        var config = new SessionConfig(key, isn)
        {
            TimeWait = TimeSpan.Zero,
            SackPermitted = request.KernelLikeOptions,
            Timestamps = request.KernelLikeOptions,
            WindowScale = request.KernelLikeOptions ? (byte)7 : null,
            TsOffset = tsOffset,
        };
        var driver = new EchoSessionDriver(request.Payload);
        var flow = engine.AddFlow(config, driver, live.LocalMac, live.NextHopMac);
        var end = engine.Run(request.SessionTimeout);
        current = null;
        if (end == RunEnd.Cancelled)
        {
            error = "interrupted";
            return null;
        }

        if (driver.Outcome is not { Ok: true })
        {
            error = $"{flow.Key}: {driver.Outcome?.Error ?? "no outcome"}";
            return null;
        }

        if (sink.FirstSynWall is not { } syn || sink.FinAckedWall is not { } finAcked)
        {
            error = $"{flow.Key}: no ACK of the server's FIN went out";
            return null;
        }

        return (finAcked - syn).TotalMicroseconds;
    }

    /// <summary>One session through kernel sockets; its time in µs, or null with the reason.</summary>
    private double? KernelSession(out string? error)
    {
        error = null;
        var payload = request.Payload.Span;
        var buffer = kernelBuffer;
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
            socket.NoDelay = true;
            var ms = (int)Math.Clamp(request.SessionTimeout.TotalMilliseconds, 1, int.MaxValue);
            socket.ReceiveTimeout = ms;
            socket.SendTimeout = ms;
            LimitSynRetries(socket, request.KernelLikeOptions ? 6 : 2);

            var start = Stopwatch.GetTimestamp();
            socket.Connect(endpoint);
            socket.Send(payload);
            var got = 0;
            while (got < payload.Length)
            {
                var n = socket.Receive(buffer.AsSpan(got));
                if (n == 0)
                {
                    break;
                }

                got += n;
            }

            socket.Shutdown(SocketShutdown.Send);
            while (got < buffer.Length)
            {
                var n = socket.Receive(buffer.AsSpan(got));
                if (n == 0)
                {
                    break;
                }

                got += n;
            }

            var stop = Stopwatch.GetTimestamp();
            if (got != payload.Length || !buffer.AsSpan(0, got).SequenceEqual(payload))
            {
                error = $"the echo differs: {got} bytes came back for {payload.Length} sent";
                return null;
            }

            return Stopwatch.GetElapsedTime(start, stop).TotalMicroseconds;
        }
        catch (SocketException e)
        {
            error = $"{endpoint}: {e.Message} ({e.SocketErrorCode})";
            return null;
        }
    }

    private static void LimitSynRetries(Socket socket, int count)
    {
        try
        {
            // TCP_SYNCNT = 2: a kernel connect() gives up after about 7 s instead of about 2 minutes (on a lossy path,
            // 6: a few lost SYNs in a row are expected there, and the session's time limit still bounds it).
            socket.SetRawSocketOption(6, 7, BitConverter.GetBytes(count));
        }
        catch (SocketException)
        {
        }
    }

    /// <summary>
    /// Before the first phase: with nft, one element of the run's table for the bench's whole port range
    /// (<see cref="LiveSetup.GuardPorts"/>). Phantom and none need nothing.
    /// </summary>
    private void Guard()
    {
        if (live.Guard != RstGuardMode.Nft || rangeGuarded)
        {
            return;
        }

        live.GuardPorts(live.Source, ports.First, ports.Last, request.Live.Target, request.Port);
        rangeGuarded = true;
    }

    public void Dispose() => live.Dispose();
}
