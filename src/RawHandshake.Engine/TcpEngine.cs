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
    private readonly Dictionary<FlowKey, Flow> flows = [];
    private readonly List<Flow> order = [];
    private readonly HashSet<ulong> recentlySent = [];
    private readonly HashSet<IpAddress> resolving = [];
    private readonly Queue<ulong> recentOrder = new();
    private readonly FrameHandler handler;
    private readonly CaptureOrder captureOrder;
    private readonly TimeSpan origin;

    public TcpEngine(IFrameLink link, IClock clock, ITraceSink trace)
    {
        this.link = link;
        Clock = clock;
        captureOrder = new CaptureOrder(trace, clock.Wall);
        Trace = captureOrder; // every event, also the flows' and drivers', goes through the one capture-order stage
        handler = OnFrame;
        origin = clock.Now;
    }

    public IClock Clock { get; }
    public ITraceSink Trace { get; }
    public NeighbourTable Neighbours { get; } = new();
    public IFrameLink Link => link;
    public IReadOnlyList<Flow> Flows => order;

    /// <summary>Addresses we answer ARP or neighbour solicitations for (phantom sources the kernel does not own).</summary>
    public HashSet<IpAddress> PhantomAddresses { get; } = [];

    /// <summary>Set from another thread (Ctrl-C, SIGTERM) to stop the loop at the next turn.</summary>
    public volatile bool StopRequested;

    internal byte[] SendBuffer { get; } = new byte[FrameBuilder.MaxFrameLength];

    internal TimeSpan Elapsed => Clock.Now - origin;

    /// <summary>Sees every frame no flow took (after ARP handling): probes and <c>craft --send</c> match replies here.</summary>
    public FrameObserver? Observer { get; set; }

    /// <summary>The MTU of the link the flows leave by: a flow's path MTU until something smaller is learnt (ICMP).</summary>
    public int? LinkMtu { get; set; }

    /// <summary>Whether we trace ARP and frames of no flow (off for benchmarks).</summary>
    public bool TraceArp { get; init; } = true;

    // ---- flows ------------------------------------------------------------------------------------------------

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

        var flow = new Flow(this, new TcpClientSession(config), driver, localMac, nextHopMac, frameOptions ?? new FlowFrameOptions());
        flows[config.Flow] = flow;
        order.Add(flow);
        return flow;
    }

    /// <summary>Runs every flow's driver until all are finished, the time limit passes, or a stop is requested.
    /// <paramref name="grace"/> lets drivers that wait up to the limit report first; the trace still names <paramref name="limit"/>.</summary>
    public RunEnd Run(TimeSpan limit, TimeSpan grace = default)
    {
        var deadline = Clock.Now + limit + grace;
        foreach (var f in order)
        {
            f.StartedAt = Elapsed;
            f.Driver.Start(f, Clock.Now);
            f.Driver.AfterInput(f, Clock.Now);
        }

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

            foreach (var f in order.Where(f => f.SendError is not null && !f.Driver.Finished))
            {
                // A segment the link refused: the run cannot go on; the server is reset and the result says why.
                f.Session.GiveUp(FailureKind.SendFailed, f.SendError!, Clock.Now, f);
                f.Driver.AfterInput(f, Clock.Now);
            }

            var pending = false;
            foreach (var f in order)
            {
                if (!f.Driver.Finished)
                {
                    pending = true;
                }
                else
                {
                    if (!f.ResultPublished && f.Driver.Outcome is { Ok: false })
                    {
                        f.Session.ResetIfOpen(Clock.Now, f); // a failed run does not leave the server holding the connection
                    }

                    f.EndedAt ??= Elapsed;
                    if (f.Session.Lingering)
                    {
                        pending = true; // its RST may go again: the result comes after (the JSON's last object)
                    }
                    else
                    {
                        PublishResult(f);
                    }
                }
            }

            if (!pending)
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
            TimeSpan? next = deadline;
            foreach (var f in order)
            {
                if (f.Session.NextDeadline is { } d)
                {
                    if (d <= now)
                    {
                        Trace.Publish(new TimerTraced(Elapsed));
                        f.Session.OnTimer(now, f);
                        f.Driver.AfterInput(f, now);
                    }

                    if (f.Session.NextDeadline is { } d2 && d2 < next)
                    {
                        next = d2;
                    }
                }

                if (!f.Driver.Finished && f.Driver.Deadline is { } dd)
                {
                    if (dd <= now)
                    {
                        Trace.Publish(new TimerTraced(Elapsed));
                        f.Driver.AfterInput(f, now);
                    }

                    if (f.Driver.Deadline is { } dd2 && dd2 < next)
                    {
                        next = dd2 > now ? dd2 : now + TimeSpan.FromMilliseconds(1);
                    }
                }
            }

            if (order.TrueForAll(f => f.Driver.Finished && !f.Session.Lingering))
            {
                continue; // a timer just finished the last flow: report it now, not after an idle wait
            }

            if (got == 0)
            {
                var wait = next!.Value - Clock.Now;
                if (wait > TimeSpan.Zero)
                {
                    // Sleep in the kernel until a frame or the next timer; capped so a stop request is seen promptly.
                    WaitReadable(wait < TimeSpan.FromMilliseconds(200) ? wait : TimeSpan.FromMilliseconds(200));
                }
            }
        }
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

    internal DateTimeOffset SendFrame(ReadOnlySpan<byte> frame, string? note)
    {
        var wall = link.Send(frame);
        Remember(frame);
        TracePacket(Direction.Out, frame, wall, note);
        return wall;
    }

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
            if (!OnNeighbour(neighbour, frame, wall))
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
                flow.PacketsIn++;
                if (tcp.Has(TcpFlags.Syn | TcpFlags.Ack) && flow.SynSentWall is { } synAt && flow.SynAckWall is null)
                {
                    flow.SynAckWall = wall; // RTT from the frames' own stamps, not from when we got round to them
                }

                TracePacket(Direction.In, frame, wall, null);
                if (f.Malformed is not null)
                {
                    flow.Note($"ignored: {f.Malformed}", NoteLevel.Warning);
                    return;
                }

                flow.Driver.OnReceived(flow, f, frame, Clock.Now);
                var seg = new TcpSegment(tcp, f.TcpOptionsSummary(frame), f.Payload(frame)) { OptionBytes = f.TcpOptions(frame) };
                flow.Session.OnSegment(seg, Clock.Now, flow);
                flow.Driver.AfterInput(flow, Clock.Now);
                return;
            }

            var outbound = new FlowKey(ipSource, tcp.SourcePort, ipDestination, tcp.DestinationPort);
            if (flows.TryGetValue(outbound, out var mine) && !WasSentByUs(frame))
            {
                // We never capture our own injections: a frame on our flow from our side came from the host's stack.
                TracePacket(Direction.Kernel, frame, wall, null);
                if (tcp.Has(TcpFlags.Rst) && !mine.Session.IsDone)
                {
                    var why = "kernel interference: our own kernel sent a RST on this flow (it has no socket for it). " +
                              "Use --rst-guard nft (needs nftables and CAP_NET_ADMIN) or --rst-guard phantom --source <an unused address on the link>";
                    mine.Session.Fail(FailureKind.KernelInterference, why, mine);
                    mine.Driver.AfterInput(mine, Clock.Now);
                }

                return;
            }
        }

        if (f.Icmp is { } icmp && f.IcmpQuote is { } q && q.SourcePort is { } sp && q.DestinationPort is { } dp && flows.Count > 0)
        {
            var key = new FlowKey(q.Ip.Source, sp, q.Ip.Destination, dp);
            if (flows.TryGetValue(key, out var flow))
            {
                flow.PacketsIn++;
                TracePacket(Direction.In, frame, wall, null);
                flow.Driver.OnReceived(flow, f, frame, Clock.Now);
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

        Observer?.Invoke(frame, wall, f);
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
    public void TraceReceived(ReadOnlySpan<byte> frame, DateTimeOffset wall, Direction dir = Direction.In) => TracePacket(dir, frame, wall, null);

    /// <summary>Learns neighbour replies (ARP, NDP) and answers requests for phantom addresses. True when the frame was ours
    /// to handle (and traced).</summary>
    private bool OnNeighbour(in NeighbourMessage message, ReadOnlySpan<byte> frame, DateTimeOffset wall)
    {
        if (message.Kind == NeighbourKind.Reply)
        {
            var wanted = resolving.Contains(message.Sender) && !Neighbours.TryGet(message.Sender, out _);
            Neighbours.Learn(message.Sender, message.SenderMac);
            if (wanted && TraceArp)
            {
                TracePacket(Direction.In, frame, wall, null);
            }

            return wanted;
        }

        if (message.Kind == NeighbourKind.Request && PhantomAddresses.Contains(message.Target) && link.HardwareAddress is { } mac)
        {
            // The kernel does not own the phantom address, so we answer for it while the run lasts.
            if (TraceArp)
            {
                TracePacket(Direction.In, frame, wall, null);
            }

            var protocol = NeighbourProtocols.For(message.Target.Family);
            Span<byte> buffer = stackalloc byte[128];
            var n = protocol.BuildReply(buffer, mac, message.Target, message);
            var sentAt = link.Send(buffer[..n]);
            Remember(buffer[..n]);
            if (TraceArp)
            {
                TracePacket(Direction.Out, buffer[..n], sentAt, $"answering {protocol.Name} for the phantom source");
            }

            return true;
        }

        return false;
    }

    private void TracePacket(Direction dir, ReadOnlySpan<byte> frame, DateTimeOffset wall, string? note)
    {
        var copy = frame.ToArray();
        captureOrder.Packet(dir, copy, FrameParser.Parse(copy, link.LinkType), wall, note); // numbered and analysed in capture order
    }

    /// <summary>Idle (the link has nothing queued): frames stamped a reorder window ago leave the trace in order; while
    /// some wait, the wait is cut to the window so they leave promptly.</summary>
    private void WaitReadable(TimeSpan timeout)
    {
        captureOrder.ReleaseIdle(Clock.Wall);
        link.WaitReadable(captureOrder.Holding && timeout > CaptureOrder.Window ? CaptureOrder.Window : timeout);
    }

    private void Remember(ReadOnlySpan<byte> frame)
    {
        var h = Hash(frame);
        if (recentlySent.Add(h))
        {
            recentOrder.Enqueue(h);
            if (recentOrder.Count > 256)
            {
                recentlySent.Remove(recentOrder.Dequeue());
            }
        }
    }

    private bool WasSentByUs(ReadOnlySpan<byte> frame) => recentlySent.Contains(Hash(frame));

    private static ulong Hash(ReadOnlySpan<byte> frame)
    {
        // FNV-1a over the frame: enough to recognise a frame we just sent if a capture ever hands it back.
        var h = 14695981039346656037UL;
        foreach (var b in frame)
        {
            h = (h ^ b) * 1099511628211UL;
        }

        return h;
    }
}
