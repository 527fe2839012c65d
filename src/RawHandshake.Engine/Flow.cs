using RawHandshake.Engine.Trace;
using RawHandshake.Link;
using RawHandshake.Session;
using RawHandshake.Wire.Building;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine;

/// <summary>
/// One connection inside the engine: its session, where its frames go (MACs, TTL) and its counters. It is the
/// session's output: segments become frames on the link, events become trace events.
/// </summary>
public sealed class Flow : ISessionOutput
{
    private readonly Transmitter host;
    private ushort ipId;
    private List<SessionEvent>? deferred;
    private bool holdingAcks;
    private OutgoingSegment? heldAck;

    internal Flow(Transmitter host, TcpClientSession session, IFlowDriver driver, MacAddress localMac, MacAddress nextHopMac, FlowFrameOptions frameOptions)
    {
        this.host = host;
        Session = session;
        Driver = driver;
        LocalMac = localMac;
        NextHopMac = nextHopMac;
        FrameOptions = frameOptions;
        ipId = frameOptions.FirstIpId;
    }

    public TcpClientSession Session { get; private set; }

    /// <summary>The passive watcher of the connection (counters, states, RTT stamps), apart from the endpoint.</summary>
    public ConnectionTracker Tracker { get; } = new();

    /// <summary>Every state our side has been in during the flow.</summary>
    public IReadOnlySet<TcpState> VisitedStates => Tracker.VisitedStates;
    public IFlowDriver Driver { get; }
    public FlowKey Key => Session.Flow;
    public MacAddress LocalMac { get; }
    public MacAddress NextHopMac { get; }
    public FlowFrameOptions FrameOptions { get; }

    public int PacketsOut => Tracker.PacketsOut;
    public int PacketsIn => Tracker.PacketsIn;
    public int Retransmissions => Tracker.Retransmissions;
    public int ServerRetransmissions => Tracker.ServerRetransmissions;
    public HandshakeCompleted? Handshake => Tracker.Handshake;
    public SessionFailed? Failure => Tracker.Failure;
    public SessionFinished? Finish => Tracker.Finish;
    public TimeSpan StartedAt { get; internal set; }
    public TimeSpan? EndedAt { get; internal set; }
    public bool ResultPublished { get; internal set; }
    public DateTimeOffset? SynSentWall => Tracker.SynSentWall;
    public DateTimeOffset? SynAckWall => Tracker.SynAckWall;

    // The engine's bookkeeping for its run loop (see TcpEngine.Run): where the flow stands in the engine's order, the
    // deadline it has in the timer heap, whether it was handed control since the engine last looked, whether it keeps
    // the run going.
    internal int Index { get; init; }
    internal TimeSpan? ScheduledAt { get; set; }
    internal bool SettleDirty { get; set; }
    internal bool TimerDirty { get; set; }
    internal bool Busy { get; set; }

    /// <summary>Why a segment of this flow could not be sent (the first such error), if one could not.</summary>
    public string? SendError { get; private set; }

    /// <summary>The end of the data that went out (highest sequence number sent), if any did.</summary>
    public SeqNum? SentEnd => Tracker.SentEnd;

    /// <summary>Bytes of the stream that went out at least once (not those only queued, nor a frame the link refused).</summary>
    public int BytesSent => SentEnd is { } end ? Math.Max(0, end - (Session.Iss + 1)) : 0;

    /// <summary>Time for commands issued by drivers and verbs: the engine's clock.</summary>
    public TimeSpan Now => host.Clock.Now;

    public void Connect() => Session.Connect(Now, this);

    public void Send(ReadOnlySpan<byte> data) => Session.Send(data, Now, this);

    public void Close() => Session.Close(Now, this);

    public void Abort() => Session.Abort(Now, this);

    /// <summary>The trace's clock: time since the engine started.</summary>
    public TimeSpan TraceTime => host.Elapsed;

    /// <summary>Puts an event in the run's trace (drivers report their steps this way).</summary>
    public void Publish(TraceEvent e) => host.Trace.Publish(e);

    /// <summary>A note in the trace, from a driver.</summary>
    public void Note(string text, NoteLevel level = NoteLevel.Info) => host.Trace.Publish(new NoteTraced(host.Elapsed, level, text));

    /// <summary>
    /// The engine is handing this flow an input (a segment, then its driver's turn): a pure ACK the session marks
    /// <see cref="OutgoingSegment.Deferrable"/> is held until <see cref="EndInput"/>, and left out when a segment sent
    /// meanwhile carries it (the driver answers the data it acknowledges with data or a FIN): one frame, not two.
    /// </summary>
    internal void BeginInput() => holdingAcks = true;

    /// <summary>The input has been handled: an ACK still held goes out now.</summary>
    internal void EndInput()
    {
        holdingAcks = false;
        SendHeldAck();
    }

    private void SendHeldAck()
    {
        if (heldAck is { } held)
        {
            heldAck = null;
            SendNow(held);
        }
    }

    /// <summary>Whether <paramref name="next"/> acknowledges everything <paramref name="held"/> does, so that the held
    /// pure ACK need not go out: it has ACK, is not a RST, reaches the server (a right checksum), acknowledges as much.</summary>
    internal static bool Carries(in OutgoingSegment next, in OutgoingSegment held) =>
        (next.Flags & TcpFlags.Ack) != 0 && (next.Flags & TcpFlags.Rst) == 0 && !next.CorruptChecksum && next.Ack >= held.Ack;

    void ISessionOutput.Transmit(in OutgoingSegment segment)
    {
        if (heldAck is { } held)
        {
            heldAck = null;
            if (!Carries(segment, held))
            {
                SendNow(held); // it goes first, as the session emitted it
            }
        }

        if (holdingAcks && segment.Deferrable && SendError is null)
        {
            heldAck = segment;
            return;
        }

        SendNow(segment);
    }

    private void SendNow(in OutgoingSegment segment)
    {
        if (SendError is null)
        {
            BuildAndSend(segment);
        }
        else if ((segment.Flags & TcpFlags.Rst) != 0)
        {
            // After a frame the link refused nothing more goes out but the RST that resets the server, at the end of what
            // did go out: the server's RCV.NXT (the session counts the refused segments as sent).
            var end = SentEnd is { } e && e > Session.Iss + 1 ? e : Session.Iss + 1;
            BuildAndSend(segment with { Seq = end });
        }
    }

    /// <summary>
    /// Sends a segment the user described (a recipe's <c>send</c>), with header fields overridden exactly as given. In
    /// manual mode the session learns of it before it goes out, from what the builder reports (a wrong checksum set by
    /// hand means the server's TCP never sees it), so its state follows.
    /// </summary>
    public void SendCrafted(in OutgoingSegment segment, FrameOverrides? overrides)
    {
        SendHeldAck(); // a segment made by hand never stands in for the session's ACK
        var n = Build(segment, overrides, out var report);
        if (Session.Manual)
        {
            // What the session raises now is traced after the frame it is about (the trace keeps capture order).
            deferred = [];
            try
            {
                Session.OnSending(report.ChecksumsRight ? segment : segment with { CorruptChecksum = true }, Now, this);
            }
            finally
            {
                var events = deferred;
                deferred = null;
                Send(segment, n);
                foreach (var e in events)
                {
                    ((ISessionOutput)this).Raise(e);
                }
            }
        }
        else
        {
            Send(segment, n);
        }
    }

    /// <summary>
    /// A new connection on the same 4-tuple after the previous one ended (a recipe's second <c>connect</c> or SYN): a
    /// fresh session; the flow, its counters and its place in the engine stay.
    /// </summary>
    public void Restart(SessionConfig config)
    {
        if (config.Flow != Key)
        {
            throw new ArgumentException("a restarted flow keeps its 4-tuple", nameof(config));
        }

        Session = new TcpClientSession(config);
        Tracker.NewConnection();
    }

    private static byte Tos(byte tos, byte? dscp, byte? ecn) =>
        (byte)(((dscp is { } d ? d << 2 : tos & 0xFC) | (ecn ?? (tos & 3))) & 0xFF);

    private void BuildAndSend(in OutgoingSegment segment) => Send(segment, Build(segment, null, out _));

    /// <summary>Builds one segment into the send buffer; returns the frame's length. The report says what the builder
    /// computed and what went out as set (checksums, option bytes), so nothing parses our own frame again.</summary>
    private int Build(in OutgoingSegment segment, FrameOverrides? o, out TcpBuildReport report)
    {
        var key = Key;
        var tcp = new TcpHeader(key.LocalPort, key.RemotePort, segment.Seq, segment.Ack, segment.Flags, segment.Window)
        {
            Checksum = o?.TcpChecksum,
            Urgent = o?.Urgent ?? 0,
            DataOffset = o?.DataOffset,
            Reserved = o?.Reserved ?? 0,
        };
        Span<byte> options = stackalloc byte[40];
        var optionLength = o?.RawOptions is { } raw
            ? CopyRaw(raw, options)
            : segment.Options.IsEmpty && segment.SackBlocks is null
                ? 0
                : TcpOptionLayout.Write(options, segment.Options, segment.SackBlocks);
        var eth = new EthernetHeader(NextHopMac, LocalMac);
        var buffer = host.SendBufferFor(HeaderRoom + (o?.IpOptions?.Length ?? 0) + segment.Payload.Length);
        int n;
        if (key.Family == IpFamily.V6)
        {
            // IPv6: the hop limit and traffic class take the TTL and TOS settings; there is no ID, fragment field or header checksum.
            var ip6 = new IPv6Header
            {
                Source = key.LocalAddress.V6Address,
                Destination = key.RemoteAddress.V6Address,
                HopLimit = o?.Ttl ?? FrameOptions.Ttl,
                TrafficClass = Tos(o?.Tos ?? FrameOptions.Tos, o?.Dscp, o?.Ecn),
            };
            n = FrameBuilder.BuildTcp(buffer, eth, ip6, tcp, options[..optionLength], segment.Payload.Span, out report);
            return Corrupted(segment, buffer, n, ref report);
        }

        var ip = new IPv4Header
        {
            Source = key.LocalAddress.V4,
            Destination = key.RemoteAddress.V4,
            Id = o?.IpId ?? ipId++,
            Ttl = o?.Ttl ?? FrameOptions.Ttl,
            DontFragment = o?.DontFragment ?? FrameOptions.DontFragment,
            MoreFragments = o?.MoreFragments ?? false,
            ReservedFlag = o?.ReservedFlag ?? false,
            FragmentOffset = o?.FragmentOffset ?? 0,
            Tos = Tos(o?.Tos ?? FrameOptions.Tos, o?.Dscp, o?.Ecn),
            Checksum = o?.IpChecksum,
            TotalLength = o?.IpLength,
            Ihl = o?.Ihl,
            Options = o?.IpOptions ?? ReadOnlyMemory<byte>.Empty,
        };
        n = FrameBuilder.BuildTcp(buffer, eth, ip, tcp, options[..optionLength], segment.Payload.Span, out report);
        return Corrupted(segment, buffer, n, ref report);
    }

    /// <summary>More than any headers a flow's frame has: Ethernet with a VLAN tag (18), IPv4 with options or IPv6 (60),
    /// TCP with options (60).</summary>
    private const int HeaderRoom = 256;

    private static int Corrupted(in OutgoingSegment segment, byte[] buffer, int n, ref TcpBuildReport report)
    {
        if (segment.CorruptChecksum)
        {
            // Flip the computed checksum: the server's stack drops the segment (TcpInCsumErrors) as if it were lost.
            buffer[report.TransportOffset + 16] ^= 0x5A;
            report = report with { TcpChecksum = ChecksumOrigin.SetWrong };
        }

        return n;
    }

    /// <summary>Sends the frame <see cref="Build"/> left in the send buffer, and counts it.</summary>
    private void Send(in OutgoingSegment segment, int length)
    {
        Tracker.Sending(segment);
        var note = segment.Kind switch
        {
            SegmentKind.Retransmission => "our retransmission",
            SegmentKind.WindowProbe => "zero-window probe",
            SegmentKind.ChallengeAck => "challenge ACK",
            SegmentKind.Reset => "abort",
            _ => segment.CorruptChecksum ? "deliberately wrong checksum: the server will not see it" : null,
        };
        DateTimeOffset wall;
        try
        {
            wall = host.Send(host.SendBuffer.AsSpan(0, length), note);
        }
        catch (LinkException e)
        {
            // The segment never went out: the engine gives up on the flow at its next turn (resetting the server).
            SendError ??= e.Message;
            return;
        }

        Tracker.Sent(segment, wall);
    }

    void ISessionOutput.Raise(SessionEvent e)
    {
        if (deferred is not null)
        {
            deferred.Add(e);
            return;
        }

        Tracker.Observe(e);
        var t = host.Elapsed;
        switch (e)
        {
            case StateChanged s:
                host.Trace.Publish(new StateTraced(t, s.Side, s.From, s.To, s.Reason) { Flow = Key });
                break;
            case SessionFailed f:
                host.Trace.Publish(new NoteTraced(t, NoteLevel.Error, f.Reason));
                break;
            case SessionNote n:
                host.Trace.Publish(new NoteTraced(t, NoteLevel.Info, n.Text));
                break;
            case IcmpReported i:
                host.Trace.Publish(new NoteTraced(t, NoteLevel.Warning, i.Text));
                break;
            case ZeroWindow z:
                host.Trace.Publish(new NoteTraced(t, NoteLevel.Info, z.Peer ? "the server's window is zero: waiting, probing" : "our window is zero"));
                break;
            case Retransmitting r:
                // A timeout is the reason when none is given; any other (fast retransmit, SACK, path MTU) is named.
                host.Trace.Publish(new NoteTraced(t, NoteLevel.Info, $"retransmitting our {r.What} (attempt {r.Attempt}, next timeout {r.NextTimeout.TotalMilliseconds:0} ms){(r.Reason is null or "timeout" ? "" : ": " + r.Reason)}"));
                break;
        }
    }

    private static int CopyRaw(byte[] raw, Span<byte> options)
    {
        if (raw.Length > options.Length)
        {
            throw new ArgumentException($"TCP options of {raw.Length} bytes do not fit in 40");
        }

        raw.CopyTo(options);
        return raw.Length;
    }
}

/// <summary>IP-level choices for a flow's frames.</summary>
public sealed record FlowFrameOptions
{
    public byte Ttl { get; init; } = 64;
    public bool DontFragment { get; init; } = true;
    public byte Tos { get; init; }
    public ushort FirstIpId { get; init; } = (ushort)Random.Shared.Next(1, 65535);
}

/// <summary>Header fields a recipe sets by hand: each non-null one is sent exactly as given (wrong checksums, odd lengths).</summary>
public sealed record FrameOverrides
{
    public byte? Ttl { get; init; }
    public byte? Tos { get; init; }
    public ushort? IpId { get; init; }
    public bool? DontFragment { get; init; }
    public ushort? IpChecksum { get; init; }
    public ushort? TcpChecksum { get; init; }
    public ushort? Urgent { get; init; }
    public byte? DataOffset { get; init; }
    public ushort? IpLength { get; init; }
    public byte? Ihl { get; init; }
    public byte? Reserved { get; init; }

    /// <summary>The DSCP (upper 6 bits of TOS) and ECN (lower 2) on their own, applied after <see cref="Tos"/>.</summary>
    public byte? Dscp { get; init; }
    public byte? Ecn { get; init; }
    public bool? MoreFragments { get; init; }

    /// <summary>The reserved ("evil", RFC 3514) IP flag bit.</summary>
    public bool? ReservedFlag { get; init; }

    /// <summary>Fragment offset in 8-byte units (0-8191).</summary>
    public ushort? FragmentOffset { get; init; }

    /// <summary>IP option bytes as given (padded to 32 bits when built).</summary>
    public byte[]? IpOptions { get; init; }

    /// <summary>Option bytes exactly as given (replacing the segment's option set).</summary>
    public byte[]? RawOptions { get; init; }
}
