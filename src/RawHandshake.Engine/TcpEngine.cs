using RawHandshake.Engine.Net;
using RawHandshake.Engine.Trace;
using RawHandshake.Link;
using RawHandshake.Session;
using RawHandshake.Wire.Building;
using RawHandshake.Wire.Dissection;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine;

/// <summary>Sees a received frame that no flow took; the span is valid only during the call.</summary>
public delegate void FrameObserver(ReadOnlySpan<byte> frame, DateTimeOffset wall, in ParsedFrame parsed);

/// <summary>How a run ended.</summary>
public enum RunEnd
{
    Completed,
    TimedOut,
    Cancelled,
}

/// <summary>
/// The single-threaded event loop: polls the link, sorts frames to flows by 4-tuple (one sniffer for many flows),
/// feeds sessions their segments and timers from one clock, sends what they emit, answers ARP for a phantom source,
/// spots frames our own kernel sent on a flow, and publishes every packet and state change to the trace.
/// </summary>
public sealed class TcpEngine
{
    private readonly IFrameLink link;
    private readonly Dictionary<FlowKey, Flow> flows = new(FlowKeyComparer.Instance);
    private readonly List<Flow> order = [];
    private readonly HashSet<IpAddress> resolving = [];
    private readonly FrameHandler handler;
    private readonly CaptureOrder captureOrder;
    private readonly Transmitter tx;

    public TcpEngine(IFrameLink link, IClock clock, ITraceSink trace)
    {
        this.link = link;
        Clock = clock;
        captureOrder = new CaptureOrder(trace, clock.Wall);
        tx = new Transmitter(link, clock, captureOrder, trace as IPacketStampSink);
        Trace = tx.Trace; // every event, also the flows' and drivers', goes through the one capture-order stage
        handler = OnFrame;
    }

    public IClock Clock { get; }

    /// <summary>How our flows' ISNs and timestamp offsets are chosen (RFC 9293 §3.4.1): keyed by the host's boot, unless a
    /// test gives its own.</summary>
    public InitialNumbers Numbers { get; init; } = HostNumbers.Value;

    private static readonly Lazy<InitialNumbers> HostNumbers = new(() => InitialNumbers.ForBoot(BootId.Current));

    public ITraceSink Trace { get; }
    public NeighbourTable Neighbours { get; } = new();
    public IFrameLink Link => link;
    public IReadOnlyList<Flow> Flows => order;

    /// <summary>Addresses we answer ARP or neighbour solicitations for (phantom sources the kernel does not own).</summary>
    public HashSet<IpAddress> PhantomAddresses { get; } = [];

    /// <summary>Set from another thread (Ctrl-C, SIGTERM) to stop the loop at the next turn.</summary>
    public volatile bool StopRequested;

    internal TimeSpan Elapsed => tx.Elapsed;

    /// <summary>Sees every frame no flow took (after ARP handling): probes and <c>craft --send</c> match replies here.</summary>
    public FrameObserver? Observer { get; set; }

    /// <summary>The MTU of the link the flows leave by: a flow's path MTU until something smaller is learnt (ICMP).</summary>
    public int? LinkMtu { get; set; }

    /// <summary>Whether we trace ARP and frames of no flow (off for benchmarks).</summary>
    public bool TraceArp { get; init; } = true;

    /// <summary>Whether sent and received frames go into the trace (off for benchmarks of the receive path only:
    /// a traced frame is copied and held for capture order; events, steps and results are traced either way).</summary>
    public bool TracePackets
    {
        get => tx.TracePackets;
        init => tx.TracePackets = value;
    }

    // ---- flows ------------------------------------------------------------------------------------------------

    /// <summary>The host's monotonic clock now (<see cref="IClock.Start"/> plus the engine's time): what
    /// <see cref="Numbers"/> counts from.</summary>
    public TimeSpan HostTime => Clock.Start + Clock.Now;

    /// <summary>Our ISN and <see cref="SessionConfig.TsOffset"/> for a flow that starts now: both rise with the host's
    /// clock for one 4-tuple, across flows and processes, so a server holding the last connection of the tuple in
    /// TIME-WAIT takes the new SYN (see <see cref="InitialNumbers"/>).</summary>
    public (SeqNum Isn, uint TsOffset) FirstNumbers(FlowKey flow) =>
        (Numbers.Isn(flow, HostTime), Numbers.TsOffset(flow, Clock.Start));

    public Flow AddFlow(SessionConfig config, IFlowDriver driver, MacAddress localMac, MacAddress nextHopMac, FlowFrameOptions? frameOptions = null)
    {
        if (flows.ContainsKey(config.Flow))
        {
            throw new InvalidOperationException($"flow {config.Flow} exists already");
        }

        if (config.PathMtu is null && LinkMtu is { } mtu)
        {
            config = config with { PathMtu = mtu };
        }

        var flow = new Flow(tx, new TcpClientSession(config), driver, localMac, nextHopMac, frameOptions ?? new FlowFrameOptions()) { Index = order.Count };
        flows[config.Flow] = flow;
        order.Add(flow);
        return flow;
    }

    /// <summary>Runs every flow's driver until all are finished, the time limit passes, or a stop is requested.
    /// <paramref name="grace"/> lets drivers that wait up to the limit report first; the trace still names <paramref name="limit"/>.</summary>
    /// <remarks>A turn costs what happened in it, not the number of flows: only flows handed control since the last turn
    /// (a frame, a timer, their driver) are looked at again, and every flow's next deadline (its session's timers and
    /// its driver's wait) sits in one heap, so the next wake-up is its top.</remarks>
    public RunEnd Run(TimeSpan limit, TimeSpan grace = default)
    {
        var deadline = Clock.Now + limit + grace;
        timers.Clear();
        settleDirty.Clear();
        timerDirty.Clear();
        busyCount = order.Count;
        foreach (var f in order)
        {
            f.Busy = true;
            f.ScheduledAt = null;
            f.SettleDirty = f.TimerDirty = false;
        }

        var started = 0;
        while (true)
        {
            if (StopRequested)
            {
                // The JSON's last object is a result, also after Ctrl-C.
                GiveUpUnfinished(FailureKind.Interrupted, state => $"interrupted in {state}", Clock.Now);
                Linger();
                captureOrder.ReleaseAll();
                PublishResults();
                return RunEnd.Cancelled;
            }

            // Flows start a few at a time between reads of the link (see StartBatch).
            started = StartFlows(started);

            // The flows handed control since the last turn, in the order they were added (as results are published).
            var turn = TakeSettleDirty();
            foreach (var f in turn)
            {
                if (f.SendError is not null && !f.Driver.Finished)
                {
                    // A segment the link refused: the run cannot go on; the server is reset and the result says why.
                    f.Session.GiveUp(FailureKind.SendFailed, f.SendError!, Clock.Now, f);
                    f.Driver.AfterInput(f, Clock.Now);
                    Touch(f);
                }
            }

            foreach (var f in turn)
            {
                if (f.Driver.Finished)
                {
                    if (!f.ResultPublished && f.Driver.Outcome is { Ok: false } && f.Session.ResetIfOpen(Clock.Now, f))
                    {
                        Touch(f); // a failed run does not leave the server holding the connection: its RST timer runs now
                    }

                    f.EndedAt ??= Elapsed;
                    if (!f.Session.Lingering)
                    {
                        PublishResult(f); // a lingering flow's RST may go again: its result comes after (the JSON's last object)
                    }
                }

                UpdateBusy(f);
            }

            if (busyCount == 0)
            {
                captureOrder.ReleaseAll();
                return RunEnd.Completed;
            }

            var now = Clock.Now;
            if (now >= deadline)
            {
                GiveUpUnfinished(FailureKind.Deadline, state => $"time limit of {limit.TotalSeconds:0.###} s reached in {state}", now);
                Linger();
                captureOrder.ReleaseAll();
                PublishResults();
                return RunEnd.TimedOut;
            }

            var got = link.Poll(handler, 64);
            now = Clock.Now;
            FireTimers(now);
            if (AllQuiet())
            {
                continue; // a timer just finished the last flow: report it now, not after an idle wait
            }

            if (got == 0 && started == order.Count)
            {
                var next = deadline;
                if (NextTimer() is { } due)
                {
                    // A wait that is due already (a driver's) is looked at again a millisecond on, as before.
                    var at = due > now ? due : now + TimeSpan.FromMilliseconds(1);
                    next = at < next ? at : next;
                }

                var wait = next - Clock.Now;
                if (wait > TimeSpan.Zero)
                {
                    // Sleep in the kernel until a frame or the next timer; capped so a stop request is seen promptly.
                    WaitReadable(wait < TimeSpan.FromMilliseconds(200) ? wait : TimeSpan.FromMilliseconds(200));
                }
            }
        }
    }

    /// <summary>Flows started in one turn of the loop, at most, before the link is read again.</summary>
    /// <remarks>A thousand flows started at once would send a thousand SYNs before the first SYN-ACK is looked at, then
    /// a thousand handshake ACKs in one burst: the server's accept queue (128 by default) overflows and drops ACKs and
    /// FINs, which then wait for a retransmission timeout. A kernel client's <c>connect()</c> loop answers each SYN-ACK
    /// (in softirq) before its next SYN leaves; starting a few flows per turn and reading the link between does the same.</remarks>
    public const int StartBatch = 4;

    /// <summary>Starts the next flows not yet started (at most <see cref="StartBatch"/>); returns how many are started now.</summary>
    private int StartFlows(int started)
    {
        var end = Math.Min(order.Count, started + StartBatch);
        for (; started < end; started++)
        {
            var f = order[started];
            f.StartedAt = Elapsed;
            f.Driver.Start(f, Clock.Now);
            f.Driver.AfterInput(f, Clock.Now);
            Touch(f);
        }

        return started;
    }

    // ---- the run's bookkeeping: touched flows, one timer heap ----------------------------------------------------

    private readonly PriorityQueue<Flow, TimeSpan> timers = new();
    private readonly List<Flow> settleDirty = [];
    private readonly List<Flow> timerDirty = [];
    private readonly List<Flow> due = [];
    private Flow[] turnBuffer = [];
    private int busyCount;

    /// <summary>The engine handed <paramref name="f"/> control (a frame, a timer, its driver): its deadlines and its
    /// state are looked at again.</summary>
    private void Touch(Flow f)
    {
        if (!f.SettleDirty)
        {
            f.SettleDirty = true;
            settleDirty.Add(f);
        }

        if (!f.TimerDirty)
        {
            f.TimerDirty = true;
            timerDirty.Add(f);
        }
    }

    /// <summary>The flows touched since the last turn, in flow order; touching them again starts the next turn's list.</summary>
    private ReadOnlySpan<Flow> TakeSettleDirty()
    {
        var n = settleDirty.Count;
        if (turnBuffer.Length < n)
        {
            turnBuffer = new Flow[Math.Max(n, turnBuffer.Length * 2)];
        }

        settleDirty.CopyTo(turnBuffer);
        settleDirty.Clear();
        var turn = turnBuffer.AsSpan(0, n);
        foreach (var f in turn)
        {
            f.SettleDirty = false;
        }

        turn.Sort(static (a, b) => a.Index.CompareTo(b.Index));
        return turn;
    }

    /// <summary>Whether the flow still keeps the run going: its driver is not finished, or its RST may go again.</summary>
    private void UpdateBusy(Flow f)
    {
        var busy = !f.Driver.Finished || f.Session.Lingering;
        if (busy != f.Busy)
        {
            f.Busy = busy;
            busyCount += busy ? 1 : -1;
        }
    }

    /// <summary>True when every flow is finished and none lingers (looking again only at the flows touched this turn).</summary>
    private bool AllQuiet()
    {
        foreach (var f in settleDirty)
        {
            UpdateBusy(f);
        }

        return busyCount == 0;
    }

    /// <summary>The earliest of a flow's session timers and its driver's wait (null when neither runs).</summary>
    private static TimeSpan? Due(Flow f)
    {
        var d = f.Session.NextDeadline;
        if (!f.Driver.Finished && f.Driver.Deadline is { } dd && (d is not { } sd || dd < sd))
        {
            d = dd;
        }

        return d;
    }

    /// <summary>Puts the touched flows' next deadlines in the heap; an entry that no longer matches its flow's is skipped when it comes up.</summary>
    private void Reschedule()
    {
        foreach (var f in timerDirty)
        {
            f.TimerDirty = false;
            var d = Due(f);
            if (d != f.ScheduledAt)
            {
                f.ScheduledAt = d;
                if (d is { } at)
                {
                    timers.Enqueue(f, at);
                }
            }
        }

        timerDirty.Clear();
    }

    /// <summary>The heap's earliest live deadline.</summary>
    private TimeSpan? NextTimer()
    {
        Reschedule();
        while (timers.TryPeek(out var f, out var at))
        {
            if (f.ScheduledAt == at)
            {
                return at;
            }

            timers.Dequeue(); // stale: the flow's deadline moved since
        }

        return null;
    }

    /// <summary>Fires every timer due at <paramref name="now"/>: per flow (in flow order) its session's timer, then its driver's wait.</summary>
    private void FireTimers(TimeSpan now)
    {
        Reschedule();
        due.Clear();
        while (timers.TryPeek(out var f, out var at) && at <= now)
        {
            timers.Dequeue();
            if (f.ScheduledAt == at)
            {
                f.ScheduledAt = null; // taken: rescheduled after it fires
                due.Add(f);
            }
        }

        if (due.Count > 1)
        {
            due.Sort(static (a, b) => a.Index.CompareTo(b.Index));
        }

        foreach (var f in due)
        {
            if (f.Session.NextDeadline is { } d && d <= now)
            {
                Trace.Publish(new TimerTraced(Elapsed));
                f.Session.OnTimer(now, f);
                f.Driver.AfterInput(f, now);
            }

            if (!f.Driver.Finished && f.Driver.Deadline is { } dd && dd <= now)
            {
                Trace.Publish(new TimerTraced(Elapsed));
                f.Driver.AfterInput(f, now);
            }

            Touch(f);
        }

        due.Clear();
    }

    /// <summary>The longest the loop goes on after the run for the RSTs of reset flows (see <see cref="Linger"/>).</summary>
    public static readonly TimeSpan LingerLimit = TimeSpan.FromSeconds(1);

    /// <summary>
    /// After the run, while a flow we reset may still need its RST again (it may have been lost) or a challenge ACK
    /// answered (RFC 5961 §3.2), the loop goes on receiving and firing those timers: at most <see cref="LingerLimit"/>,
    /// and not at all when no flow was reset. (A flow that ends while others run lingers in the main loop instead.)
    /// </summary>
    private void Linger()
    {
        var end = Clock.Now + LingerLimit;
        while (Clock.Now < end && order.Exists(f => f.Session.Lingering))
        {
            if (link.Poll(handler, 64) == 0)
            {
                var next = end;
                foreach (var f in order)
                {
                    if (f.Session.NextDeadline is { } d && d < next)
                    {
                        next = d;
                    }
                }

                var wait = next - Clock.Now;
                if (wait > TimeSpan.Zero)
                {
                    link.WaitReadable(wait < TimeSpan.FromMilliseconds(200) ? wait : TimeSpan.FromMilliseconds(200));
                }
            }

            var now = Clock.Now;
            foreach (var f in order)
            {
                if (f.Session.NextDeadline is { } d && d <= now)
                {
                    f.Session.OnTimer(now, f);
                }
            }
        }
    }

    /// <summary>Every flow still running ends here: its server is reset if it may hold the connection (see
    /// <see cref="TcpClientSession.GiveUp"/>); its result is published after the linger.</summary>
    private void GiveUpUnfinished(FailureKind kind, Func<string, string> reason, TimeSpan now)
    {
        foreach (var f in order.Where(f => !f.Driver.Finished))
        {
            f.Session.GiveUp(kind, reason(f.Session.State.ToRfc()), now, f);
            f.Driver.AfterInput(f, now);
            f.EndedAt ??= Elapsed;
        }
    }

    /// <summary>Every result not yet published, after the lingering RSTs (so that a result is the JSON's last object).</summary>
    private void PublishResults()
    {
        foreach (var f in order)
        {
            PublishResult(f);
        }
    }

    private void PublishResult(Flow f)
    {
        if (f.ResultPublished || f.Driver.Outcome is not { } outcome)
        {
            return;
        }

        f.ResultPublished = true;
        f.EndedAt ??= Elapsed;
        var s = f.Session;
        var h = f.Handshake;
        Trace.Publish(new ResultTraced(Elapsed, outcome.Ok, outcome.Error, new RunSummary
        {
            Flow = f.Key.ToString(),
            Rtt = f.SynAckWall - f.SynSentWall,
            ServerMss = h?.PeerMss,
            ServerWindowScale = h?.PeerWindowScale,
            ServerWindow = h?.PeerWindow,
            SackPermitted = h?.SackPermitted ?? false,
            Timestamps = h?.Timestamps ?? false,
            BytesSent = f.BytesSent,
            BytesAcknowledged = s.AcknowledgedCount,
            BytesReceived = s.ReceivedCount,
            Received = s.Received.ToArray(),
            PacketsOut = f.PacketsOut,
            PacketsIn = f.PacketsIn,
            Retransmissions = f.Retransmissions,
            ServerRetransmissions = f.ServerRetransmissions,
            ClientState = s.State,
            ServerState = s.PeerState,
            Ending = outcome.Ending,
            Duration = f.EndedAt.Value - f.StartedAt,
        }));
    }

    // ---- sending ----------------------------------------------------------------------------------------------

    internal DateTimeOffset SendFrame(ReadOnlySpan<byte> frame, string? note) => tx.Send(frame, note);

    /// <summary>Resolves <paramref name="target"/>'s MAC with the neighbour protocol of its family (an ARP request, a neighbour
    /// solicitation) and runs the loop until the answer, retrying; throws a one-line LinkException when none comes.</summary>
    public MacAddress Resolve(IpAddress target, IpAddress sender, MacAddress localMac, TimeSpan perTry, int tries = 3)
    {
        var protocol = NeighbourProtocols.For(target.Family);
        return TryResolve(target, sender, localMac, perTry, tries, $"{protocol.Name} for the next hop") is { } mac
            ? mac
            : throw new LinkException($"no answer to {protocol.Name} for {target} on {link.Name} ({tries} requests)");
    }

    /// <summary>As <see cref="Resolve"/>, with the note for the trace; null when nothing answered.</summary>
    public MacAddress? TryResolve(IpAddress target, IpAddress sender, MacAddress localMac, TimeSpan perTry, int tries, string purpose)
    {
        if (Neighbours.TryGet(target, out var known))
        {
            return known;
        }

        var protocol = NeighbourProtocols.For(target.Family);
        Span<byte> buffer = stackalloc byte[128];
        resolving.Add(target);
        for (var attempt = 0; attempt < tries && !StopRequested; attempt++)
        {
            var n = protocol.BuildRequest(buffer, localMac, sender, target);
            if (TraceArp)
            {
                SendFrame(buffer[..n], attempt == 0 ? purpose : $"{protocol.Name} again (try {attempt + 1})");
            }
            else
            {
                link.Send(buffer[..n]);
            }
            var until = Clock.Now + perTry;
            while (Clock.Now < until && !StopRequested)
            {
                if (link.Poll(handler, 64) == 0)
                {
                    WaitReadable(until - Clock.Now);
                }

                if (Neighbours.TryGet(target, out var mac))
                {
                    captureOrder.ReleaseAll();
                    return mac;
                }
            }
        }

        captureOrder.ReleaseAll();
        return null;
    }

    // ---- receiving --------------------------------------------------------------------------------------------

    private void OnFrame(ReadOnlySpan<byte> frame, DateTimeOffset wall)
    {
        FrameParser.Parse(frame, link.LinkType, out var f);
        if (NeighbourProtocols.Read(f) is { Kind: not NeighbourKind.None } neighbour)
        {
            if (!OnNeighbour(neighbour, frame, f, wall))
            {
                Observer?.Invoke(frame, wall, f);
            }

            return;
        }

        if (f.Tcp is { } tcp && f.TryGetAddresses(out var ipSource, out var ipDestination) && flows.Count > 0)
        {
            var inbound = new FlowKey(ipDestination, tcp.DestinationPort, ipSource, tcp.SourcePort);
            if (flows.TryGetValue(inbound, out var flow))
            {
                flow.Tracker.Received(tcp.Flags, wall); // RTT from the frames' own stamps, not from when we got round to them

                tx.Packet(Direction.In, frame, f, wall, null);
                if (f.Malformed is not null)
                {
                    flow.Note($"ignored: {f.Malformed}", NoteLevel.Warning);
                    return;
                }

                flow.Driver.OnReceived(flow, f, frame, Clock.Now);
                var seg = new TcpSegment(tcp, f.TcpOptionsSummary(frame), f.Payload(frame)) { OptionBytes = f.TcpOptions(frame), ArrivedAt = ArrivedAt(wall) };
                flow.BeginInput(); // the ACK of this segment's data may go out with the driver's answer to it
                flow.Session.OnSegment(seg, Clock.Now, flow);
                flow.Driver.AfterInput(flow, Clock.Now);
                flow.EndInput();
                Touch(flow);
                return;
            }

            var outbound = new FlowKey(ipSource, tcp.SourcePort, ipDestination, tcp.DestinationPort);
            if (flows.TryGetValue(outbound, out var mine) && !tx.WasSentByUs(frame))
            {
                // We never capture our own injections: a frame on our flow from our side came from the host's stack.
                tx.Packet(Direction.Kernel, frame, f, wall, null);
                if (tcp.Has(TcpFlags.Rst) && !mine.Session.IsDone)
                {
                    var why = "kernel interference: our own kernel sent a RST on this flow (it has no socket for it). " +
                              "Use --rst-guard nft (needs nftables and CAP_NET_ADMIN) or --rst-guard phantom --source <an unused address on the link>";
                    mine.Session.Fail(FailureKind.KernelInterference, why, mine);
                    mine.Driver.AfterInput(mine, Clock.Now);
                    Touch(mine);
                }

                return;
            }
        }

        if (f.Icmp is { } icmp && f.IcmpQuote is { } q && q.SourcePort is { } sp && q.DestinationPort is { } dp && flows.Count > 0)
        {
            var key = new FlowKey(q.Ip.Source, sp, q.Ip.Destination, dp);
            if (flows.TryGetValue(key, out var flow))
            {
                flow.Tracker.Received(null, wall);
                tx.Packet(Direction.In, frame, f, wall, null);
                flow.Driver.OnReceived(flow, f, frame, Clock.Now);
                Touch(flow);
                if (!flow.Session.IsDone && icmp.Type is IcmpHeader.DestinationUnreachable or IcmpHeader.TimeExceeded)
                {
                    // The session decides (RFC 5927): soft errors are reported, hard ones end it only when the quoted
                    // sequence number is ours in flight, fragmentation needed lowers the path MTU.
                    var from = f.IPv4!.Value.Source;
                    var nextHopMtu = icmp.Type == IcmpHeader.DestinationUnreachable && icmp.Code == 4 ? (int)(icmp.RestOfHeader & 0xFFFF) : (int?)null;
                    flow.Session.OnIcmpError(icmp.Type, icmp.Code, q.TcpSeq, nextHopMtu, q.Ip.TotalLength ?? 0, $"ICMP {Describe.IcmpType(icmp.Type, icmp.Code)} from {from}", Clock.Now, flow);
                    flow.Driver.AfterInput(flow, Clock.Now);
                }

                return;
            }
        }

        if (f.Icmpv6 is { } icmp6 && f.Icmpv6Quote is { } q6 && q6.SourcePort is { } sp6 && q6.DestinationPort is { } dp6 && flows.Count > 0 &&
            flows.TryGetValue(new FlowKey(q6.Ip.Source, sp6, q6.Ip.Destination, dp6), out var flow6))
        {
            // ICMPv6 errors are matched through their quote as ICMP's are, and judged by the session in ICMPv4's terms.
            flow6.Tracker.Received(null, wall);
            tx.Packet(Direction.In, frame, f, wall, null);
            flow6.Driver.OnReceived(flow6, f, frame, Clock.Now);
            Touch(flow6);
            if (!flow6.Session.IsDone && Icmpv6Errors.TryAsIcmpv4(icmp6, out var type, out var code, out var mtu))
            {
                var quotedLength = (q6.Ip.PayloadLength ?? 0) + IPv6Header.Length;
                flow6.Session.OnIcmpError(type, code, q6.TcpSeq, mtu, quotedLength, $"{Icmpv6Errors.Describe(icmp6)} from {f.IPv6!.Value.Source}", Clock.Now, flow6);
                flow6.Driver.AfterInput(flow6, Clock.Now);
            }

            return;
        }

        Observer?.Invoke(frame, wall, f);
    }

    /// <summary>The longest a frame is taken to have waited in the capture ring before the loop got to it; a stamp older
    /// than this (or in the future) does not fit the clock and is not used.</summary>
    private static readonly TimeSpan MaxQueued = TimeSpan.FromSeconds(10);

    /// <summary>When a frame stamped <paramref name="wall"/> reached the host, on the engine's clock: under load the loop
    /// may get to it long after (the session judges a FIN that crossed our ACK by it). Null when the stamp does not fit.</summary>
    private TimeSpan? ArrivedAt(DateTimeOffset wall)
    {
        var now = Clock.Now;
        var waited = Clock.Wall - wall;
        return waited >= TimeSpan.Zero && waited <= MaxQueued ? now - waited : null;
    }

    /// <summary>Receives for <paramref name="duration"/> (or until <paramref name="until"/> says so, or a stop), without flows or timers.</summary>
    public void Pump(TimeSpan duration, Func<bool>? until = null)
    {
        var end = Clock.Now + duration;
        while (!StopRequested && Clock.Now < end && !(until?.Invoke() ?? false))
        {
            if (link.Poll(handler, 64) == 0)
            {
                var left = end - Clock.Now;
                WaitReadable(left < TimeSpan.FromMilliseconds(200) ? left : TimeSpan.FromMilliseconds(200));
            }
        }

        captureOrder.ReleaseAll();
    }

    /// <summary>Polls the link once without waiting: frames go to flows, ARP and the <see cref="Observer"/> as in the
    /// loop (for <see cref="Probe.Prober"/>, which interleaves this with its own sends). Returns how many frames came.</summary>
    public int Receive(int max = 64) => link.Poll(handler, max);

    /// <summary>Sends a frame as it is, traced (for <c>craft --send</c> and probes).</summary>
    public DateTimeOffset SendRaw(ReadOnlySpan<byte> frame, string? note = null) => SendFrame(frame, note);

    /// <summary>Puts a received frame into the trace (for observers that decide it belongs there).</summary>
    public void TraceReceived(ReadOnlySpan<byte> frame, DateTimeOffset wall, Direction dir = Direction.In) =>
        TraceReceived(frame, FrameParser.Parse(frame, link.LinkType), wall, dir);

    /// <summary>As <see cref="TraceReceived(ReadOnlySpan{byte}, DateTimeOffset, Direction)"/>, with the parse made of the frame already.</summary>
    public void TraceReceived(ReadOnlySpan<byte> frame, in ParsedFrame parsed, DateTimeOffset wall, Direction dir = Direction.In) =>
        tx.Packet(dir, frame, parsed, wall, null);

    /// <summary>Learns neighbour replies (ARP, NDP) and answers requests for phantom addresses. True when the frame was ours
    /// to handle (and traced).</summary>
    private bool OnNeighbour(in NeighbourMessage message, ReadOnlySpan<byte> frame, in ParsedFrame parsed, DateTimeOffset wall)
    {
        if (message.Kind == NeighbourKind.Reply)
        {
            var wanted = resolving.Contains(message.Sender) && !Neighbours.TryGet(message.Sender, out _);
            Neighbours.Learn(message.Sender, message.SenderMac);
            if (wanted && TraceArp)
            {
                tx.Packet(Direction.In, frame, parsed, wall, null);
            }

            return wanted;
        }

        if (message.Kind == NeighbourKind.Request && PhantomAddresses.Contains(message.Target) && link.HardwareAddress is { } mac)
        {
            // The kernel does not own the phantom address, so we answer for it while the run lasts.
            if (TraceArp)
            {
                tx.Packet(Direction.In, frame, parsed, wall, null);
            }

            var protocol = NeighbourProtocols.For(message.Target.Family);
            Span<byte> buffer = stackalloc byte[128];
            var n = protocol.BuildReply(buffer, mac, message.Target, message);
            var sentAt = link.Send(buffer[..n]);
            tx.Remember(buffer[..n]);
            if (TraceArp)
            {
                tx.Packet(Direction.Out, buffer[..n], FrameParser.Parse(buffer[..n], link.LinkType), sentAt, $"answering {protocol.Name} for the phantom source");
            }

            return true;
        }

        return false;
    }

    /// <summary>Idle (the link has nothing queued): frames stamped a reorder window ago leave the trace in order; while
    /// some wait, the wait is cut to the window so they leave promptly.</summary>
    private void WaitReadable(TimeSpan timeout)
    {
        captureOrder.ReleaseIdle(Clock.Wall);
        link.WaitReadable(captureOrder.Holding && timeout > CaptureOrder.Window ? CaptureOrder.Window : timeout);
    }
}
