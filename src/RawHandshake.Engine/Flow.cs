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
    private readonly TcpEngine engine;
    private ushort ipId;

    internal Flow(TcpEngine engine, TcpClientSession session, IFlowDriver driver, MacAddress localMac, MacAddress nextHopMac, FlowFrameOptions frameOptions)
    {
        this.engine = engine;
        Session = session;
        Driver = driver;
        LocalMac = localMac;
        NextHopMac = nextHopMac;
        FrameOptions = frameOptions;
        ipId = frameOptions.FirstIpId;
    }

    private readonly HashSet<TcpState> visited = [];

    public TcpClientSession Session { get; private set; }

    /// <summary>Every state our side has been in during the flow.</summary>
    public IReadOnlySet<TcpState> VisitedStates => visited;
    public IFlowDriver Driver { get; }
    public FlowKey Key => Session.Flow;
    public MacAddress LocalMac { get; }
    public MacAddress NextHopMac { get; }
    public FlowFrameOptions FrameOptions { get; }

    public int PacketsOut { get; private set; }
    public int PacketsIn { get; internal set; }
    public int Retransmissions { get; private set; }
    public int ServerRetransmissions { get; private set; }
    public HandshakeCompleted? Handshake { get; private set; }
    public SessionFailed? Failure { get; private set; }
    public SessionFinished? Finish { get; private set; }
    public TimeSpan StartedAt { get; internal set; }
    public TimeSpan? EndedAt { get; internal set; }
    public bool ResultPublished { get; internal set; }
    public DateTimeOffset? SynSentWall { get; private set; }
    public DateTimeOffset? SynAckWall { get; internal set; }

    /// <summary>Why a segment of this flow could not be sent (the first such error), if one could not.</summary>
    public string? SendError { get; private set; }

    /// <summary>The end of the data that went out (highest sequence number sent), if any did.</summary>
    public SeqNum? SentEnd { get; private set; }

    /// <summary>Bytes of the stream that went out at least once (not those only queued, nor a frame the link refused).</summary>
    public int BytesSent => SentEnd is { } end ? Math.Max(0, end - (Session.Iss + 1)) : 0;

    /// <summary>Time for commands issued by drivers and verbs: the engine's clock.</summary>
    public TimeSpan Now => engine.Clock.Now;

    public void Connect() => Session.Connect(Now, this);

    public void Send(ReadOnlySpan<byte> data) => Session.Send(data, Now, this);

    public void Close() => Session.Close(Now, this);

    public void Abort() => Session.Abort(Now, this);

    /// <summary>The trace's clock: time since the engine started.</summary>
    public TimeSpan TraceTime => engine.Elapsed;

    /// <summary>Puts an event in the run's trace (drivers report their steps this way).</summary>
    public void Publish(TraceEvent e) => engine.Trace.Publish(e);

    /// <summary>A note in the trace, from a driver.</summary>
    public void Note(string text, NoteLevel level = NoteLevel.Info) => engine.Trace.Publish(new NoteTraced(engine.Elapsed, level, text));

    void ISessionOutput.Transmit(in OutgoingSegment segment)
    {
        if (SendError is null)
        {
            BuildAndSend(segment, null);
        }
        else if ((segment.Flags & TcpFlags.Rst) != 0)
        {
            // After a frame the link refused nothing more goes out but the RST that resets the server, at the end of what
            // did go out: the server's RCV.NXT (the session counts the refused segments as sent).
            var end = SentEnd is { } e && e > Session.Iss + 1 ? e : Session.Iss + 1;
            BuildAndSend(segment with { Seq = end }, null);
        }
    }

    /// <summary>
    /// Sends a segment the user described (a recipe's <c>send</c>), with header fields overridden exactly as given, and
    /// tells the session (in manual mode) so its state follows.
    /// </summary>
    public void SendCrafted(in OutgoingSegment segment, FrameOverrides? overrides)
    {
        var checksumsGood = BuildAndSend(segment, overrides);
        if (Session.Manual)
        {
            // A segment with a wrong checksum never reaches the server's TCP: the session must not count it as seen.
            Session.NoteSent(checksumsGood ? segment : segment with { CorruptChecksum = true }, Now, this);
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
        visited.Clear();
        Handshake = null;
        Failure = null;
        Finish = null;
        SynSentWall = null;
        SynAckWall = null;
    }

    private static byte Tos(byte tos, byte? dscp, byte? ecn) =>
        (byte)(((dscp is { } d ? d << 2 : tos & 0xFC) | (ecn ?? (tos & 3))) & 0xFF);

    /// <summary>Builds and sends one segment. Returns whether both checksums in the frame are right.</summary>
    private bool BuildAndSend(in OutgoingSegment segment, FrameOverrides? o)
    {
        PacketsOut++;
        if (segment.Kind == SegmentKind.Retransmission)
        {
            Retransmissions++;
        }

        var key = Key;
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
        var buffer = engine.SendBuffer;
        var n = FrameBuilder.BuildTcp(buffer, eth, ip, tcp, options[..optionLength], segment.Payload.Span);
        if (segment.CorruptChecksum)
        {
            // Flip the computed checksum: the server's stack drops the segment (TcpInCsumErrors) as if it were lost.
            var at = eth.HeaderLength + ip.HeaderLength + 16;
            buffer[at] ^= 0x5A;
        }

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
            wall = engine.SendFrame(buffer.AsSpan(0, n), note);
        }
        catch (LinkException e)
        {
            // The segment never went out: the engine gives up on the flow at its next turn (resetting the server).
            SendError ??= e.Message;
            return false;
        }

        if (segment.Payload.Length > 0 && (SentEnd is not { } end || segment.Seq + segment.Payload.Length > end))
        {
            SentEnd = segment.Seq + segment.Payload.Length;
        }

        var good = !segment.CorruptChecksum && (o is null || (o.TcpChecksum is null && o.IpChecksum is null) || FramesChecksumsGood(buffer.AsSpan(0, n)));
        if ((segment.Flags & TcpFlags.Syn) != 0 && SynAckWall is null)
        {
            SynSentWall = wall; // the last SYN before the answer (Karn: a retransmitted SYN makes the RTT ambiguous)
        }

        return good;
    }

    void ISessionOutput.Raise(SessionEvent e)
    {
        var t = engine.Elapsed;
        switch (e)
        {
            case StateChanged s:
                if (s.Side == Side.Client)
                {
                    visited.Add(s.To);
                }

                engine.Trace.Publish(new StateTraced(t, s.Side, s.From, s.To, s.Reason) { Flow = Key });
                break;
            case HandshakeCompleted h:
                Handshake = h;
                break;
            case PeerRetransmission:
                ServerRetransmissions++;
                break;
            case SessionFailed f:
                Failure = f;
                engine.Trace.Publish(new NoteTraced(t, NoteLevel.Error, f.Reason));
                break;
            case SessionFinished fin:
                Finish = fin;
                break;
            case SessionNote n:
                engine.Trace.Publish(new NoteTraced(t, NoteLevel.Info, n.Text));
                break;
            case IcmpReported i:
                engine.Trace.Publish(new NoteTraced(t, NoteLevel.Warning, i.Text));
                break;
            case ZeroWindow z:
                engine.Trace.Publish(new NoteTraced(t, NoteLevel.Info, z.Peer ? "the server's window is zero: waiting, probing" : "our window is zero"));
                break;
            case Retransmitting r:
                // A timeout is the reason when none is given; any other (fast retransmit, SACK, path MTU) is named.
                engine.Trace.Publish(new NoteTraced(t, NoteLevel.Info, $"retransmitting our {r.What} (attempt {r.Attempt}, next timeout {r.NextTimeout.TotalMilliseconds:0} ms){(r.Reason is null or "timeout" ? "" : ": " + r.Reason)}"));
                break;
        }
    }

    internal void MarkServerRetransmission() => ServerRetransmissions++;

    private static bool FramesChecksumsGood(ReadOnlySpan<byte> frame)
    {
        var parsed = Wire.Parsing.FrameParser.Parse(frame);
        return parsed.IpChecksum(frame) == ChecksumVerdict.Good && parsed.TransportChecksum(frame) == ChecksumVerdict.Good;
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
