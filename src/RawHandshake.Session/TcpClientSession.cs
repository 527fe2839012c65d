using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Session;

/// <summary>
/// The client side of one TCP connection, sans-IO: inputs are commands (<see cref="Connect"/>, <see cref="Send"/>,
/// <see cref="Close"/>, <see cref="Abort"/>), segments (<see cref="OnSegment"/>) and time (<see cref="OnTimer"/>); outputs
/// go to an <see cref="ISessionOutput"/> and <see cref="NextDeadline"/> says when time next matters. It never sleeps,
/// reads a clock or touches a device. Segment processing follows RFC 9293 §3.10.7, with RFC 5961's challenge ACKs.
/// </summary>
public sealed class TcpClientSession
{
    private readonly SessionConfig config;
    private readonly PeerStateTracker peer = new();
    private readonly SortedDictionary<uint, byte[]> outOfOrder = [];    // keyed by offset from irs + 1
    private byte[] sendBuffer = new byte[256];
    private int sendLength;            // bytes queued by the user in all
    private int sendPushMark;          // end of the last user write (PSH goes on the segment that reaches it)
    private byte[] received = new byte[256];

    private SeqNum iss;
    private SeqNum sndUna;
    private SeqNum sndNxt;
    private SeqNum sndWl1;
    private SeqNum sndWl2;
    private uint sndWnd;
    private SeqNum irs;
    private SeqNum rcvNxt;
    private SeqNum? peerFinSeq;        // an out-of-order FIN waiting for the data before it
    private bool finQueued;            // Close() asked for: FIN follows the data
    private bool finSent;
    private SeqNum finSeq;

    private ushort peerMss = SessionConfig.DefaultPeerMss;
    private byte? peerWs;
    private bool wsOn;
    private bool sackOn;
    private bool tsOn;
    private uint tsRecent;
    private ushort advertisedWindow;
    private int receiveWindowBytes;

    private TimeSpan rto;
    private TimeSpan? rtxDeadline;
    private int rtxCount;
    private TimeSpan? timeWaitDeadline;
    private TimeSpan? persistDeadline;
    private SeqNum lastAckSent;
    private TimeSpan persistBackoff;
    private bool zeroWindowReported;
    private bool ackedThisInput;
    private uint? lastOutOfOrderKey;
    private TimeSpan synSentAt;
    private bool synRetransmitted;
    private bool done;

    public TcpClientSession(SessionConfig config)
    {
        this.config = config;
        iss = config.Isn;
        sndUna = sndNxt = iss;
        rto = config.InitialRto;
        SetReceiveWindow(config.ReceiveWindow);
    }

    public SessionConfig Config => config;
    public FlowKey Flow => config.Flow;
    public TcpState State { get; private set; } = TcpState.Closed;

    /// <summary>The server's state as inferred from the segments both ways; null while unknown (before it answered).</summary>
    public TcpState? PeerState => peer.State;

    public SeqNum Iss => iss;
    public SeqNum Irs => irs;
    public SeqNum SndUna => sndUna;
    public SeqNum SndNxt => sndNxt;
    public SeqNum RcvNxt => rcvNxt;
    public uint PeerWindow => sndWnd;

    /// <summary>The options our SYN carries now (what the configuration offers).</summary>
    public TcpOptionSet SynOptionSet(TimeSpan now) => SynOptions(now);

    /// <summary>The options an ordinary segment carries now: timestamps when they were agreed, else none.</summary>
    public TcpOptionSet SegmentOptionSet(TimeSpan now) => TsOnly(now);

    /// <summary>The acknowledgment number of the last ACK we sent (by the session or, in manual mode, by the user).</summary>
    public SeqNum LastAckSent => lastAckSent;

    /// <summary>The window field we put in segments now (scaled down when window scaling is on).</summary>
    public ushort AdvertisedWindow => advertisedWindow;

    /// <summary>Whether window scaling, SACK and timestamps were agreed in the handshake.</summary>
    public bool WindowScaling => wsOn;
    public ushort PeerMss => peerMss;

    /// <summary>Bytes received in order, in full.</summary>
    public ReadOnlySpan<byte> Received => received.AsSpan(0, ReceivedCount);
    public int ReceivedCount { get; private set; }

    /// <summary>Bytes the user gave to <see cref="Send"/> that the server has acknowledged.</summary>
    public int AcknowledgedCount => Math.Max(0, Math.Min(sendLength, (sndUna - (iss + 1))));
    public int QueuedCount => sendLength;

    /// <summary>True once the session has ended (closed, reset, failed, or TIME-WAIT over).</summary>
    public bool IsDone => done;
    public bool PeerFinReceived { get; private set; }

    /// <summary>When <see cref="OnTimer"/> must next be called; null when no timer runs.</summary>
    public TimeSpan? NextDeadline => Manual ? timeWaitDeadline : Min(Min(rtxDeadline, timeWaitDeadline), persistDeadline);

    /// <summary>
    /// Manual mode (a recipe's low-level steps): the session keeps tracking both sides' state from what arrives and from
    /// what the user sends (<see cref="NoteSent"/>), but sends nothing by itself — no ACKs, no retransmissions, no FIN.
    /// </summary>
    public bool Manual { get; private set; }

    /// <summary>
    /// Switches manual mode. Leaving it, the session takes over at once: what arrived unacknowledged while the user was in
    /// charge is acknowledged now, and queued data goes out.
    /// </summary>
    public void SetManual(bool manual, TimeSpan now, ISessionOutput output)
    {
        if (Manual == manual)
        {
            return;
        }

        Manual = manual;
        if (!manual && !done && State is TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2 or TcpState.CloseWait or TcpState.Closing or TcpState.TimeWait or TcpState.LastAck)
        {
            if (rcvNxt != lastAckSent)
            {
                SendAck(now, output, SegmentKind.Normal);
            }

            Pump(now, output);
        }
    }

    /// <summary>In manual mode: a segment the user put on the wire, so that state, numbers and the server's inferred state follow.</summary>
    public void NoteSent(in OutgoingSegment segment, TimeSpan now, ISessionOutput output)
    {
        if ((segment.Flags & TcpFlags.Ack) != 0)
        {
            lastAckSent = segment.Ack;
        }

        if (!segment.CorruptChecksum && peer.OnSent(segment.Flags, segment.Seq, segment.Ack, segment.Payload.Length) is { } ps)
        {
            output.Raise(new StateChanged(Side.Server, peer.Previous, ps, "inferred from our segment"));
        }

        var f = segment.Flags;
        if ((f & TcpFlags.Rst) != 0)
        {
            Finish(output, "RST sent", TcpState.Closed);
            return;
        }

        if ((f & TcpFlags.Syn) != 0)
        {
            if (State == TcpState.Closed && (f & TcpFlags.Ack) == 0)
            {
                iss = segment.Seq;
                sndUna = iss;
                sndNxt = iss + 1;
                synSentAt = now;
                Move(TcpState.SynSent, output, "SYN sent");
            }

            return;
        }

        var len = segment.Payload.Length;
        if (len > 0 && State is TcpState.Established or TcpState.CloseWait or TcpState.SynReceived)
        {
            // Only data that continues the stream moves SND.NXT; a segment beyond it (an out-of-window probe) or behind
            // it (a retransmission) leaves the numbers as they are.
            var offset = segment.Seq - (iss + 1);
            if (segment.Seq <= sndNxt && segment.Seq + len > sndNxt && offset >= 0)
            {
                EnsureCapacity(ref sendBuffer, offset + len);
                segment.Payload.Span.CopyTo(sendBuffer.AsSpan(offset));
                sendLength = Math.Max(sendLength, offset + len);
                sendPushMark = sendLength;
                sndNxt = segment.Seq + len;
            }
        }

        if ((f & TcpFlags.Fin) != 0 && !finSent && State is TcpState.Established or TcpState.CloseWait or TcpState.SynReceived)
        {
            finSent = true;
            finQueued = true;
            finSeq = segment.Seq + len;
            if (finSeq + 1 > sndNxt)
            {
                sndNxt = finSeq + 1;
            }

            Move(State == TcpState.CloseWait ? TcpState.LastAck : TcpState.FinWait1, output, "FIN sent");
        }
    }

    /// <summary>Changes the window we advertise from now on, in bytes (0 closes it: a zero-window lab). Set before the
    /// handshake, it is also the SYN's (unscaled, at most 65535) and is scaled once window scaling is agreed.</summary>
    public void SetReceiveWindow(int bytes)
    {
        receiveWindowBytes = Math.Max(0, bytes);

        // Scaled down, rounded up (as Linux does) so a small window never scales away to zero.
        var shift = wsOn ? config.WindowScale ?? 0 : 0;
        var scaled = bytes <= 0 ? 0L : ((long)bytes + (1L << shift) - 1) >> shift;
        advertisedWindow = (ushort)Math.Clamp(scaled, 0, ushort.MaxValue);
    }

    // ---- commands ---------------------------------------------------------------------------------------------

    /// <summary>Active open: CLOSED → SYN-SENT, the SYN goes out with our options.</summary>
    public void Connect(TimeSpan now, ISessionOutput output)
    {
        if (State != TcpState.Closed || done)
        {
            throw new InvalidOperationException($"connect needs CLOSED, the session is {State.ToRfc()}");
        }

        sndNxt = iss + 1;
        synSentAt = now;
        SendSyn(now, output, SegmentKind.Normal);
        ArmRtx(now);
        Move(TcpState.SynSent, output, "active open");
    }

    /// <summary>Queues data; it goes out as window and MSS allow (immediately when established).</summary>
    public void Send(ReadOnlySpan<byte> data, TimeSpan now, ISessionOutput output)
    {
        if (finQueued)
        {
            throw new InvalidOperationException("cannot send after close");
        }

        EnsureCapacity(ref sendBuffer, sendLength + data.Length);
        data.CopyTo(sendBuffer.AsSpan(sendLength));
        sendLength += data.Length;
        sendPushMark = sendLength;
        if (State is TcpState.Established or TcpState.CloseWait)
        {
            Pump(now, output);
        }
    }

    /// <summary>Orderly close: a FIN after the queued data (ESTABLISHED → FIN-WAIT-1, CLOSE-WAIT → LAST-ACK).</summary>
    public void Close(TimeSpan now, ISessionOutput output)
    {
        switch (State)
        {
            case TcpState.SynSent:
                Finish(output, "closed before the handshake completed", TcpState.Closed);
                return;
            case TcpState.Established or TcpState.CloseWait or TcpState.SynReceived:
                finQueued = true;
                Pump(now, output);
                return;
            default:
                return; // already closing
        }
    }

    /// <summary>Abort: RST now, CLOSED, nothing more is sent.</summary>
    public void Abort(TimeSpan now, ISessionOutput output)
    {
        if (State is TcpState.Closed or TcpState.TimeWait || done)
        {
            return;
        }

        SendReset(output);
        Finish(output, "aborted with RST", TcpState.Closed);
    }

    /// <summary>
    /// The run gives up on the session (its time limit, an interrupt). A connection the server holds open (any
    /// synchronized state) is reset first, so the server is not left with it: one RST, as <see cref="Abort"/> sends.
    /// Before the handshake, or once closed or in TIME-WAIT, nothing is sent.
    /// </summary>
    public void GiveUp(FailureKind kind, string reason, ISessionOutput output)
    {
        if (done)
        {
            return;
        }

        if (ServerHoldsItOpen)
        {
            Manual = false; // also after a recipe's hand-made segments: this one the session sends itself
            SendReset(output);
        }

        Fail(kind, reason, output);
    }

    /// <summary>
    /// The run is done with the session (its driver ended, e.g. a failed recipe step) while the server still holds the
    /// connection open: one RST so that it does not keep it, then CLOSED. False (nothing sent) when the session is over
    /// already or the server holds nothing.
    /// </summary>
    public bool ResetIfOpen(ISessionOutput output)
    {
        if (done || !ServerHoldsItOpen)
        {
            return false;
        }

        Manual = false;
        SendReset(output);
        Finish(output, "reset: the run ended while the server held the connection open", TcpState.Closed);
        return true;
    }

    private bool ServerHoldsItOpen => State is TcpState.SynReceived or TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2
        or TcpState.CloseWait or TcpState.Closing or TcpState.LastAck;

    /// <summary>RST at SND.NXT; with ACK once the server's sequence is known (a RST in SYN-SENT carries none).</summary>
    private void SendReset(ISessionOutput output)
    {
        var flags = State == TcpState.SynSent ? TcpFlags.Rst : TcpFlags.Rst | TcpFlags.Ack;
        Emit(output, new OutgoingSegment(flags, sndNxt, rcvNxt, 0, default, ReadOnlyMemory<byte>.Empty, SegmentKind.Reset));
    }

    /// <summary>The run gave up on the session: it stops without sending anything (see <see cref="GiveUp"/>).</summary>
    public void Fail(FailureKind kind, string reason, ISessionOutput output)
    {
        if (done)
        {
            return;
        }

        output.Raise(new SessionFailed(kind, reason));
        Finish(output, null, TcpState.Closed);
    }

    // ---- time -------------------------------------------------------------------------------------------------

    public void OnTimer(TimeSpan now, ISessionOutput output)
    {
        if (done)
        {
            return;
        }

        if (timeWaitDeadline is { } tw && now >= tw)
        {
            timeWaitDeadline = null;
            Finish(output, $"TIME-WAIT held for {config.TimeWait.TotalMilliseconds:0} ms", TcpState.Closed);
            return;
        }

        if (Manual)
        {
            return; // the user is in charge: nothing is retransmitted or probed
        }

        if (rtxDeadline is { } rd && now >= rd)
        {
            Retransmit(now, output);
        }

        if (persistDeadline is { } pd && now >= pd && !done)
        {
            // Zero window: probe with an ACK one byte below what the server has (Linux's tcp_xmit_probe_skb).
            Emit(output, new OutgoingSegment(TcpFlags.Ack, sndUna - 1, rcvNxt, advertisedWindow, TsOnly(now), ReadOnlyMemory<byte>.Empty, SegmentKind.WindowProbe));
            persistBackoff = Backoff(persistBackoff);
            persistDeadline = now + persistBackoff;
        }
    }

    private void Retransmit(TimeSpan now, ISessionOutput output)
    {
        if (rtxCount >= config.Retries)
        {
            rtxDeadline = null;
            var what = State == TcpState.SynSent ? "SYN" : finSent && sndUna == finSeq ? "FIN" : "data";
            var reason = State == TcpState.SynSent
                ? $"no answer to SYN after {config.Retries} retransmissions (filtered port or unreachable host)"
                : $"no acknowledgment of our {what} after {config.Retries} retransmissions";
            Fail(FailureKind.Timeout, reason, output);
            return;
        }

        rtxCount++;
        rto = Backoff(rto);
        if (State == TcpState.SynSent)
        {
            synRetransmitted = true;
            output.Raise(new Retransmitting("SYN", rtxCount, rto));
            SendSyn(now, output, SegmentKind.Retransmission);
        }
        else if (State == TcpState.SynReceived)
        {
            output.Raise(new Retransmitting("SYN-ACK", rtxCount, rto));
            SendSynAck(now, output, SegmentKind.Retransmission);
        }
        else
        {
            // Go back to the oldest unacknowledged byte and resend one segment's worth (or the FIN alone): never more than
            // was sent before (SND.NXT), so never past the window the server offered.
            var offset = sndUna - (iss + 1);
            var sentData = (sndNxt - sndUna) - (finSent ? 1 : 0);
            var pending = Math.Min(sendLength - offset, sentData);
            if (pending > 0)
            {
                var n = Math.Min(pending, peerMss);
                var fin = finSent && sndUna + n == finSeq;
                output.Raise(new Retransmitting("data", rtxCount, rto));
                var flags = TcpFlags.Ack | TcpFlags.Psh | (fin ? TcpFlags.Fin : 0);
                Emit(output, new OutgoingSegment(flags, sndUna, rcvNxt, advertisedWindow, TsOnly(now), sendBuffer.AsMemory(offset, n), SegmentKind.Retransmission));
            }
            else if (finSent && sndUna == finSeq)
            {
                output.Raise(new Retransmitting("FIN", rtxCount, rto));
                Emit(output, new OutgoingSegment(TcpFlags.Fin | TcpFlags.Ack, finSeq, rcvNxt, advertisedWindow, TsOnly(now), ReadOnlyMemory<byte>.Empty, SegmentKind.Retransmission));
            }
        }

        rtxDeadline = now + rto;
    }

    private TimeSpan Backoff(TimeSpan t) => t * 2 > config.MaxRto ? config.MaxRto : t * 2;

    // ---- segments ---------------------------------------------------------------------------------------------

    public void OnSegment(in TcpSegment seg, TimeSpan now, ISessionOutput output)
    {
        if (done && State != TcpState.TimeWait)
        {
            return;
        }

        ackedThisInput = false;

        if (peer.OnReceived(seg.Flags, seg.Seq, seg.Ack, seg.Payload.Length) is { } ps)
        {
            output.Raise(new StateChanged(Side.Server, peer.Previous, ps, "inferred from its segment"));
        }

        if (State == TcpState.SynSent)
        {
            OnSegmentInSynSent(seg, now, output);
            return;
        }

        if (State is TcpState.Closed or TcpState.Listen)
        {
            return;
        }

        // 1. Sequence number check (RFC 9293 §3.10.7.4, first).
        var window = (uint)(advertisedWindow << (wsOn ? config.WindowScale ?? 0 : 0));
        if (!Acceptable(seg, window))
        {
            if (!seg.Has(TcpFlags.Rst))
            {
                if (seg.Seq < rcvNxt && seg.SeqLength > 0)
                {
                    output.Raise(new PeerRetransmission(seg.Seq, seg.Payload.Length));
                }

                SendAck(now, output, SegmentKind.DuplicateAck);
                if (State == TcpState.TimeWait && seg.Has(TcpFlags.Fin))
                {
                    timeWaitDeadline = now + config.TimeWait; // the server did not get our last ACK: 2·MSL starts over
                }
            }

            return;
        }

        // 2. RST (RFC 5961 §3.2: only an exact match resets; one in the window gets a challenge ACK).
        if (seg.Has(TcpFlags.Rst))
        {
            if (seg.Seq == rcvNxt)
            {
                output.Raise(new ResetReceived(State));
                if (State is TcpState.LastAck or TcpState.Closing or TcpState.TimeWait)
                {
                    Finish(output, $"RST in {State.ToRfc()}", TcpState.Closed);
                }
                else
                {
                    output.Raise(new SessionFailed(FailureKind.Reset, $"connection reset by the server in {State.ToRfc()}"));
                    Finish(output, null, TcpState.Closed);
                }
            }
            else
            {
                SendAck(now, output, SegmentKind.ChallengeAck);
            }

            return;
        }

        // 3. SYN on a synchronized connection: challenge ACK (RFC 5961 §4); a retransmitted SYN-ACK gets our ACK again.
        if (seg.Has(TcpFlags.Syn))
        {
            if (seg.Seq + 1 == rcvNxt)
            {
                output.Raise(new PeerRetransmission(seg.Seq, 0));
            }

            SendAck(now, output, seg.Seq + 1 == rcvNxt ? SegmentKind.DuplicateAck : SegmentKind.ChallengeAck);
            return;
        }

        // 4. Without ACK a segment is dropped.
        if (!seg.Has(TcpFlags.Ack))
        {
            return;
        }

        // 5. ACK processing.
        if (seg.Ack > sndNxt)
        {
            SendAck(now, output, SegmentKind.ChallengeAck); // acknowledges something never sent
            return;
        }

        if (State == TcpState.SynReceived)
        {
            if (seg.Ack <= iss)
            {
                Emit(output, new OutgoingSegment(TcpFlags.Rst, seg.Ack, default, 0, default, ReadOnlyMemory<byte>.Empty, SegmentKind.Reset));
                return;
            }

            sndWnd = (uint)seg.Header.Window << (wsOn ? peerWs ?? 0 : 0);
            sndWl1 = seg.Seq;
            sndWl2 = seg.Ack;
            Move(TcpState.Established, output, "our SYN-ACK acknowledged (simultaneous open)");
            output.Raise(new HandshakeCompleted(synRetransmitted ? null : now - synSentAt, peerMss, peerWs, sackOn, tsOn, sndWnd));
        }

        if (tsOn && seg.Options.TsVal is { } tv && seg.Seq <= rcvNxt)
        {
            tsRecent = tv;
        }

        if (seg.Ack > sndUna)
        {
            var ackedBefore = AcknowledgedCount;
            sndUna = seg.Ack;
            rtxCount = 0;
            rto = config.InitialRto;
            rtxDeadline = sndUna == sndNxt ? null : now + rto;
            if (AcknowledgedCount > ackedBefore)
            {
                output.Raise(new DataAcknowledged(AcknowledgedCount - ackedBefore, AcknowledgedCount));
            }
        }

        if (sndWl1 < seg.Seq || (sndWl1 == seg.Seq && sndWl2 <= seg.Ack))
        {
            var newWnd = (uint)seg.Header.Window << (wsOn ? peerWs ?? 0 : 0);
            if (newWnd == 0 && sndWnd != 0 && !zeroWindowReported)
            {
                zeroWindowReported = true;
                output.Raise(new ZeroWindow(true));
            }
            else if (newWnd != 0)
            {
                zeroWindowReported = false;
            }

            sndWnd = newWnd;
            sndWl1 = seg.Seq;
            sndWl2 = seg.Ack;
        }

        var ourFinAcked = finSent && sndUna == finSeq + 1;
        switch (State)
        {
            case TcpState.FinWait1 when ourFinAcked:
                Move(TcpState.FinWait2, output, "our FIN acknowledged");
                break;
            case TcpState.Closing when ourFinAcked:
                EnterTimeWait(now, output, "our FIN acknowledged");
                return;
            case TcpState.LastAck when ourFinAcked:
                Finish(output, "our FIN acknowledged in LAST-ACK", TcpState.Closed);
                return;
            case TcpState.TimeWait:
                if (seg.Has(TcpFlags.Fin))
                {
                    SendAck(now, output, SegmentKind.DuplicateAck); // the server did not get our last ACK
                    timeWaitDeadline = now + config.TimeWait;
                }

                return;
        }

        // 7. Data.
        var delivered = false;
        if (seg.Payload.Length > 0 && State is TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2)
        {
            delivered = Receive(seg, now, output);
        }

        // 8. FIN.
        if (seg.Has(TcpFlags.Fin))
        {
            var fin = seg.Seq + seg.Payload.Length;
            if (fin == rcvNxt)
            {
                AcceptFin(fin, now, output);
                return;
            }

            if (fin > rcvNxt)
            {
                peerFinSeq = fin; // comes after a gap: taken when the gap fills
                if (!ackedThisInput)
                {
                    SendAck(now, output, SegmentKind.DuplicateAck);
                }
            }
        }

        if ((delivered || seg.Payload.Length > 0) && !ackedThisInput)
        {
            SendAck(now, output, delivered ? SegmentKind.Normal : SegmentKind.DuplicateAck);
        }

        Pump(now, output);
    }

    private void OnSegmentInSynSent(in TcpSegment seg, TimeSpan now, ISessionOutput output)
    {
        var ackOk = seg.Has(TcpFlags.Ack) && seg.Ack > iss && seg.Ack <= sndNxt;
        if (seg.Has(TcpFlags.Ack) && !ackOk)
        {
            if (!seg.Has(TcpFlags.Rst))
            {
                // RFC 9293: an unacceptable ACK in SYN-SENT is answered with <SEQ=SEG.ACK><CTL=RST>.
                output.Raise(new SessionNote($"unacceptable ACK {seg.Ack} in SYN-SENT (expected {sndNxt}): answered with RST"));
                Emit(output, new OutgoingSegment(TcpFlags.Rst, seg.Ack, default, 0, default, ReadOnlyMemory<byte>.Empty, SegmentKind.Reset));
            }

            return;
        }

        if (seg.Has(TcpFlags.Rst))
        {
            if (ackOk)
            {
                output.Raise(new ResetReceived(State));
                output.Raise(new SessionFailed(FailureKind.Refused, "connection refused: the server answered our SYN with RST (port closed)"));
                Finish(output, null, TcpState.Closed);
            }

            return;
        }

        if (!seg.Has(TcpFlags.Syn))
        {
            return;
        }

        irs = seg.Seq;
        rcvNxt = irs + 1;
        peerMss = seg.Options.Mss ?? SessionConfig.DefaultPeerMss;
        wsOn = config.WindowScale is not null && seg.Options.WindowScale is not null;
        peerWs = wsOn ? Math.Min(seg.Options.WindowScale ?? (byte)0, (byte)14) : null;
        sackOn = config.SackPermitted && seg.Options.SackPermitted;
        tsOn = config.Timestamps && seg.Options.TsVal is not null;
        if (tsOn)
        {
            tsRecent = seg.Options.TsVal!.Value;
        }

        SetReceiveWindow(receiveWindowBytes); // now scaled, if scaling was agreed
        if (!seg.Has(TcpFlags.Ack))
        {
            // Simultaneous open: both sent SYN. Answer SYN-ACK and wait in SYN-RECEIVED.
            Move(TcpState.SynReceived, output, "simultaneous open");
            SendSynAck(now, output, SegmentKind.Normal);
            return;
        }

        sndUna = seg.Ack;
        sndWnd = seg.Header.Window; // the window in a SYN is never scaled (RFC 7323 §2.2)
        sndWl1 = seg.Seq;
        sndWl2 = seg.Ack;
        rtxDeadline = null;
        rtxCount = 0;
        rto = config.InitialRto;
        Move(TcpState.Established, output, "SYN-ACK received");
        SendAck(now, output, SegmentKind.Normal);
        output.Raise(new HandshakeCompleted(synRetransmitted ? null : now - synSentAt, peerMss, peerWs, sackOn, tsOn, sndWnd));
        Pump(now, output);
    }

    private bool Acceptable(in TcpSegment seg, uint window)
    {
        // RFC 9293 §3.10.7.4 table: zero-length segments at RCV.NXT are always acceptable; others must overlap the window.
        var len = seg.SeqLength;
        if (len == 0)
        {
            return window == 0 ? seg.Seq == rcvNxt : seg.Seq.InWindow(rcvNxt, window) || seg.Seq == rcvNxt;
        }

        if (window == 0)
        {
            return false;
        }

        var last = seg.Seq + (len - 1);
        return seg.Seq.InWindow(rcvNxt, window) || last.InWindow(rcvNxt, window);
    }

    private bool Receive(in TcpSegment seg, TimeSpan now, ISessionOutput output)
    {
        var data = seg.Payload;
        var start = seg.Seq;
        if (start < rcvNxt)
        {
            var skip = rcvNxt - start; // partly old: keep the new part
            if (skip >= data.Length)
            {
                output.Raise(new PeerRetransmission(seg.Seq, data.Length));
                return false;
            }

            data = data[skip..];
            start = rcvNxt;
        }

        if (start > rcvNxt)
        {
            var key = start - (irs + 1);
            if (!outOfOrder.ContainsKey((uint)key))
            {
                outOfOrder[(uint)key] = data.ToArray();
            }

            lastOutOfOrderKey = (uint)key;

            output.Raise(new SessionNote($"out-of-order segment at {start - (irs + 1) + 1} (expected {rcvNxt - (irs + 1) + 1}): held, duplicate ACK sent"));
            return false;
        }

        Append(data, output);
        while (outOfOrder.Count > 0)
        {
            var first = outOfOrder.First();
            var at = irs + 1 + (int)first.Key;
            if (at > rcvNxt)
            {
                break;
            }

            outOfOrder.Remove(first.Key);
            var skip = rcvNxt - at;
            if (skip < first.Value.Length)
            {
                Append(first.Value.AsSpan(skip), output);
            }
        }

        if (peerFinSeq is { } pf && pf == rcvNxt)
        {
            peerFinSeq = null;
            AcceptFin(pf, now, output);
        }

        return true;
    }

    private void Append(ReadOnlySpan<byte> data, ISessionOutput output)
    {
        EnsureCapacity(ref received, ReceivedCount + data.Length);
        data.CopyTo(received.AsSpan(ReceivedCount));
        var seq = rcvNxt;
        ReceivedCount += data.Length;
        rcvNxt += data.Length;
        output.Raise(new DataReceived(seq, data.Length, ReceivedCount));
    }

    private void AcceptFin(SeqNum fin, TimeSpan now, ISessionOutput output)
    {
        if (PeerFinReceived)
        {
            return;
        }

        PeerFinReceived = true;
        rcvNxt = fin + 1;
        output.Raise(new PeerFinReceived(fin));
        SendAck(now, output, SegmentKind.Normal);
        switch (State)
        {
            case TcpState.Established or TcpState.SynReceived:
                Move(TcpState.CloseWait, output, "FIN received");
                Pump(now, output); // a queued close goes out now
                break;
            case TcpState.FinWait1:
                if (finSent && sndUna == finSeq + 1)
                {
                    EnterTimeWait(now, output, "FIN received, ours acknowledged");
                }
                else
                {
                    Move(TcpState.Closing, output, "FIN received before ours was acknowledged (simultaneous close)");
                }

                break;
            case TcpState.FinWait2:
                EnterTimeWait(now, output, "FIN received");
                break;
        }
    }

    // ---- sending ----------------------------------------------------------------------------------------------

    /// <summary>Sends what the window and MSS allow, then the FIN when a close is queued and the data is out.</summary>
    private void Pump(TimeSpan now, ISessionOutput output)
    {
        if (State is not (TcpState.Established or TcpState.CloseWait) || done || Manual)
        {
            return;
        }

        while (true)
        {
            var offset = sndNxt - (iss + 1);
            var unsent = sendLength - offset;
            if (unsent <= 0)
            {
                break;
            }

            var inFlight = (uint)(sndNxt - sndUna);
            var room = sndWnd > inFlight ? (int)Math.Min(sndWnd - inFlight, int.MaxValue) : 0;
            if (room == 0)
            {
                if (rtxDeadline is null && persistDeadline is null)
                {
                    if (!zeroWindowReported)
                    {
                        zeroWindowReported = true;
                        output.Raise(new ZeroWindow(true));
                    }

                    persistBackoff = rto;
                    persistDeadline = now + persistBackoff;
                }

                return;
            }

            persistDeadline = null;
            var n = Math.Min(Math.Min(unsent, peerMss), room);
            var flags = TcpFlags.Ack | (offset + n == sendPushMark ? TcpFlags.Psh : 0);
            Emit(output, new OutgoingSegment(flags, sndNxt, rcvNxt, advertisedWindow, TsOnly(now), sendBuffer.AsMemory(offset, n)));
            sndNxt += n;
            ArmRtx(now);
        }

        if (finQueued && !finSent)
        {
            finSent = true;
            finSeq = sndNxt;
            Emit(output, new OutgoingSegment(TcpFlags.Fin | TcpFlags.Ack, sndNxt, rcvNxt, advertisedWindow, TsOnly(now), ReadOnlyMemory<byte>.Empty) { CorruptChecksum = config.CorruptFirstFin });
            sndNxt += 1;
            ArmRtx(now);
            Move(State == TcpState.CloseWait ? TcpState.LastAck : TcpState.FinWait1, output, "FIN sent");
        }
    }

    // The window in a SYN or SYN-ACK is never scaled (RFC 7323 §2.2).
    private void SendSynAck(TimeSpan now, ISessionOutput output, SegmentKind kind) =>
        Emit(output, new OutgoingSegment(TcpFlags.Syn | TcpFlags.Ack, iss, rcvNxt, (ushort)Math.Min(receiveWindowBytes, ushort.MaxValue), SynOptions(now), ReadOnlyMemory<byte>.Empty, kind));

    private void SendSyn(TimeSpan now, ISessionOutput output, SegmentKind kind) =>
        Emit(output, new OutgoingSegment(TcpFlags.Syn, iss, default, (ushort)Math.Min(receiveWindowBytes, ushort.MaxValue), SynOptions(now), ReadOnlyMemory<byte>.Empty, kind));

    private TcpOptionSet SynOptions(TimeSpan now) =>
        new(config.Mss, config.WindowScale, config.SackPermitted, config.Timestamps ? (TsVal(now), tsOn ? tsRecent : 0u) : null);

    private TcpOptionSet TsOnly(TimeSpan now) => tsOn ? new TcpOptionSet(Timestamps: (TsVal(now), tsRecent)) : default;

    private uint TsVal(TimeSpan now) => unchecked((uint)(long)now.TotalMilliseconds + config.TsOffset);

    private void SendAck(TimeSpan now, ISessionOutput output, SegmentKind kind)
    {
        ackedThisInput = true;
        (uint, uint)[]? sack = null;
        if (sackOn && outOfOrder.Count > 0)
        {
            sack = SackBlocks(tsOn ? 3 : 4);
        }

        Emit(output, new OutgoingSegment(TcpFlags.Ack, sndNxt, rcvNxt, advertisedWindow, TsOnly(now), ReadOnlyMemory<byte>.Empty, kind) { SackBlocks = sack });
    }

    /// <summary>
    /// The held data as SACK blocks (RFC 2018 §4): adjacent segments merged into one block, the block holding the most
    /// recently received segment first, then the others in order.
    /// </summary>
    private (uint, uint)[] SackBlocks(int max)
    {
        var blocks = new List<(uint Start, uint End)>();
        foreach (var (key, data) in outOfOrder)
        {
            var end = key + (uint)data.Length;
            if (blocks.Count > 0 && key <= blocks[^1].End)
            {
                blocks[^1] = (blocks[^1].Start, Math.Max(blocks[^1].End, end));
            }
            else
            {
                blocks.Add((key, end));
            }
        }

        var first = blocks.FindIndex(b => lastOutOfOrderKey is { } k && k >= b.Start && k < b.End);
        if (first > 0)
        {
            var b = blocks[first];
            blocks.RemoveAt(first);
            blocks.Insert(0, b);
        }

        var origin = irs + 1;
        return blocks.Take(max).Select(b => ((origin + (int)b.Start).Value, (origin + (int)b.End).Value)).ToArray();
    }

    private void Emit(ISessionOutput output, in OutgoingSegment segment)
    {
        if (Manual)
        {
            return; // manual mode: the user sends; what the session would have sent is left out
        }

        output.Transmit(segment);
        if ((segment.Flags & TcpFlags.Ack) != 0)
        {
            lastAckSent = segment.Ack;
        }

        if (segment.CorruptChecksum)
        {
            return; // the server's stack drops it: its state does not change
        }

        if (peer.OnSent(segment.Flags, segment.Seq, segment.Ack, segment.Payload.Length) is { } ps)
        {
            output.Raise(new StateChanged(Side.Server, peer.Previous, ps, "inferred from our segment"));
        }
    }

    private void ArmRtx(TimeSpan now) => rtxDeadline ??= now + rto;

    private void EnterTimeWait(TimeSpan now, ISessionOutput output, string why)
    {
        rtxDeadline = null;
        persistDeadline = null;
        Move(TcpState.TimeWait, output, why);
        output.Raise(new SessionNote($"holding TIME-WAIT for {config.TimeWait.TotalMilliseconds:0} ms (2·MSL is 60 s on Linux)"));
        timeWaitDeadline = now + config.TimeWait;
    }

    private void Finish(ISessionOutput output, string? how, TcpState final)
    {
        rtxDeadline = null;
        persistDeadline = null;
        timeWaitDeadline = null;
        Move(final, output, how);
        if (!done)
        {
            done = true;
            if (how is not null)
            {
                output.Raise(new SessionFinished(how));
            }
        }
    }

    private void Move(TcpState to, ISessionOutput output, string? why)
    {
        if (State == to)
        {
            return;
        }

        var from = State;
        State = to;
        output.Raise(new StateChanged(Side.Client, from, to, why));
    }

    private static void EnsureCapacity(ref byte[] buffer, int needed)
    {
        if (needed > buffer.Length)
        {
            Array.Resize(ref buffer, Math.Max(needed, buffer.Length * 2));
        }
    }

    private static TimeSpan? Min(TimeSpan? a, TimeSpan? b) => a is null ? b : b is null ? a : a < b ? a : b;
}
