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
    private int? pathMtu;
    private byte? peerWs;
    private bool wsOn;
    private bool sackOn;
    private bool tsOn;
    private uint tsRecent;
    private ushort advertisedWindow;
    private int receiveWindowBytes;

    private readonly RttEstimator rtt;
    private readonly SackScoreboard board = new();
    private CongestionControl? cc;     // from ESTABLISHED on
    private (SeqNum End, TimeSpan At)? timed;   // the segment being timed for an RTT sample (Karn: none retransmitted)
    private uint maxSndWnd;            // the largest window the server offered (RFC 5961 §5.2's MAX.SND.WND)
    private int dupAcks;
    private Recovery recovery;         // how lost data is being recovered, if it is
    private SeqNum recoveryPoint;      // SND.NXT when recovery began: it ends once that is acknowledged
    private SeqNum lossEnd;            // data below this (and at or above rtxNext) is taken as lost
    private SeqNum rtxNext;            // where retransmission of lost data goes on
    private bool retransmitNow;        // fast retransmit: the first lost segment goes at once, whatever cwnd says
    private TimeSpan? probeDeadline;   // tail loss probe (RFC 8985 §7), with SACK
    private bool probeSent;            // a probe is out and no ACK has moved SND.UNA since
    private int resetsLeft;            // after giving up: the RST is sent again this many times (it may be lost)
    private TimeSpan? resetDeadline;
    private SeqNum resetSeq;           // our RST's sequence number (a challenge ACK tells the exact one)
    private SeqNum? resetAlt;          // the other candidate (SND.UNA while data was unacknowledged)
    private bool aborted;              // we reset the connection: whatever of it still comes gets a RST
    private TimeSpan? rtxDeadline;
    private int rtxCount;
    private TimeSpan? timeWaitDeadline;
    private TimeSpan? persistDeadline;
    private SeqNum? lastAckSent;       // null until we acknowledge anything
    private bool synchronized;         // the server's ISN is known (IRS, RCV.NXT mean something)
    private TimeSpan persistBackoff;
    private bool zeroWindowReported;
    private bool ackedThisInput;
    private uint? lastOutOfOrderKey;
    private TimeSpan synSentAt;
    private bool synRetransmitted;
    private TimeSpan? finAckedAt;      // when our ACK of the server's FIN went out
    private bool done;

    public TcpClientSession(SessionConfig config)
    {
        this.config = config;
        iss = config.Isn;
        sndUna = sndNxt = iss;
        rtt = new RttEstimator(config.InitialRto, config.MinRto < config.InitialRto ? config.MinRto : config.InitialRto, config.MaxRto);
        pathMtu = config.PathMtu;
        SetReceiveWindow(config.ReceiveWindow);
    }

    public SessionConfig Config => config;
    public FlowKey Flow => config.Flow;
    public TcpState State { get; private set; } = TcpState.Closed;

    /// <summary>The server's state as inferred from the segments both ways; null while unknown (before it answered).</summary>
    public TcpState? PeerState => peer.State;

    public SeqNum Iss => iss;
    /// <summary>The server's ISN; null until its SYN arrived.</summary>
    public SeqNum? Irs => synchronized ? irs : null;
    public SeqNum SndUna => sndUna;
    public SeqNum SndNxt => sndNxt;
    /// <summary>The next sequence number we expect from the server; null until its SYN arrived.</summary>
    public SeqNum? RcvNxt => synchronized ? rcvNxt : null;
    public uint PeerWindow => sndWnd;

    /// <summary>The options our SYN carries now (what the configuration offers).</summary>
    public TcpOptionSet SynOptionSet(TimeSpan now) => SynOptions(now);

    /// <summary>The options an ordinary segment carries now: timestamps when they were agreed, else none.</summary>
    public TcpOptionSet SegmentOptionSet(TimeSpan now) => TsOnly(now);

    /// <summary>The acknowledgment number of the last ACK we sent (by the session or, in manual mode, by the user); null
    /// while we have sent none.</summary>
    public SeqNum? LastAckSent => lastAckSent;

    /// <summary>The window field we put in segments now (scaled down when window scaling is on).</summary>
    public ushort AdvertisedWindow => advertisedWindow;

    /// <summary>Whether window scaling, SACK and timestamps were agreed in the handshake.</summary>
    public bool WindowScaling => wsOn;
    public ushort PeerMss => peerMss;

    /// <summary>The largest IP packet the path takes now, as far as we know (null: unknown).</summary>
    public int? PathMtu => pathMtu;

    /// <summary>
    /// Payload bytes one data segment may carry now: the smaller of the peer's MSS and what the path takes (its MTU less
    /// the IP header, 20 bytes for IPv4 and 40 for IPv6, and the 20-byte TCP header), less the option bytes each segment
    /// carries (RFC 9293 §3.7.1, RFC 6691).
    /// </summary>
    public int SegmentPayloadLimit(TimeSpan now)
    {
        var mss = (int)peerMss;
        if (pathMtu is { } mtu)
        {
            mss = Math.Min(mss, mtu - IpHeaderLength - TcpHeader.MinLength);
        }

        Span<byte> options = stackalloc byte[40];
        return Math.Max(1, mss - TcpOptionLayout.Write(options, TsOnly(now)));
    }

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
    public TimeSpan? NextDeadline => Min(resetDeadline, Manual ? timeWaitDeadline : Min(Min(Min(rtxDeadline, timeWaitDeadline), persistDeadline), probeDeadline));

    /// <summary>
    /// Manual mode (a recipe's low-level steps): the session keeps tracking both sides' state from what arrives and from
    /// what the user sends (<see cref="OnSending"/>), but sends nothing by itself — no ACKs, no retransmissions, no FIN.
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

    /// <summary>In manual mode: a segment the user is about to put on the wire (built, not yet sent), so that state, numbers
    /// and the server's inferred state follow. <see cref="OutgoingSegment.CorruptChecksum"/> says the server's TCP will
    /// not see it (the builder reported a wrong checksum).</summary>
    public void OnSending(in OutgoingSegment segment, TimeSpan now, ISessionOutput output)
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

    /// <summary>Abort: RST now, CLOSED. Whatever of the connection still arrives is answered with a RST.</summary>
    public void Abort(TimeSpan now, ISessionOutput output)
    {
        if (State is TcpState.Closed or TcpState.TimeWait || done)
        {
            return;
        }

        SendReset(output);
        aborted = true;
        Finish(output, "aborted with RST", TcpState.Closed);
    }

    /// <summary>
    /// The run gives up on the session (its time limit, an interrupt, no acknowledgment). A connection the server may
    /// hold (any synchronized state, and SYN-SENT, where our SYN may have reached it and its SYN-ACK be on the way or
    /// lost) is reset: see <see cref="ResetServer"/>. Once closed or in TIME-WAIT nothing is sent.
    /// </summary>
    public void GiveUp(FailureKind kind, string reason, TimeSpan now, ISessionOutput output)
    {
        if (done)
        {
            return;
        }

        if (ServerHoldsItOpen || State == TcpState.SynSent)
        {
            ResetServer(now, output);
        }

        Fail(kind, reason, output);
    }

    /// <summary>
    /// The run is done with the session (its driver ended, e.g. a failed recipe step) while the server may still hold
    /// the connection: it is reset (<see cref="ResetServer"/>), then CLOSED. False (nothing sent) when the session is
    /// over already or the server holds nothing.
    /// </summary>
    public bool ResetIfOpen(TimeSpan now, ISessionOutput output)
    {
        if (done || !(ServerHoldsItOpen || State == TcpState.SynSent))
        {
            return false;
        }

        ResetServer(now, output);
        Finish(output, "reset: the run ended while the server held the connection open", TcpState.Closed);
        return true;
    }

    /// <summary>True while a reset server may still need another RST (the session is done, its timer still runs).</summary>
    public bool Lingering => resetDeadline is not null;

    private bool ServerHoldsItOpen => State is TcpState.SynReceived or TcpState.Established or TcpState.FinWait1 or TcpState.FinWait2
        or TcpState.CloseWait or TcpState.Closing or TcpState.LastAck;

    /// <summary>How many times a RST that leaves a connection goes again, and how long apart (it may be lost).</summary>
    private const int ResetRepeats = 2;

    private static readonly TimeSpan ResetInterval = TimeSpan.FromMilliseconds(200);

    /// <summary>
    /// Leaves a connection the server may hold so that it holds nothing: a RST at SND.NXT (in SYN-SENT at ISS + 1, which
    /// is what a server in SYN-RECEIVED expects), sent again twice 200 ms apart in case it is lost — while data is
    /// unacknowledged, alternately at SND.UNA, since the server's RCV.NXT is one of the two. A challenge ACK (RFC 5961
    /// §3.2) and any later segment of the connection are answered with a RST at their acknowledgment number.
    /// </summary>
    private void ResetServer(TimeSpan now, ISessionOutput output)
    {
        Manual = false; // also after a recipe's hand-made segments: this one the session sends itself
        resetSeq = sndNxt;
        resetAlt = State != TcpState.SynSent && sndUna != sndNxt ? sndUna : null;
        SendReset(output);
        aborted = true;
        resetsLeft = ResetRepeats;
        resetDeadline = now + ResetInterval;
    }

    /// <summary>RST at SND.NXT (or <paramref name="seq"/>); with ACK once the server's sequence is known (a RST in SYN-SENT carries none).</summary>
    private void SendReset(ISessionOutput output, SeqNum? seq = null)
    {
        var flags = synchronized ? TcpFlags.Rst | TcpFlags.Ack : TcpFlags.Rst;
        Emit(output, new OutgoingSegment(flags, seq ?? sndNxt, synchronized ? rcvNxt : default, 0, default, ReadOnlyMemory<byte>.Empty, SegmentKind.Reset));
    }

    /// <summary>
    /// A segment of a connection we reset: answered as a kernel answers one for which it has no socket (RFC 9293
    /// §3.10.7.1): a RST at its acknowledgment number (this is how a challenge ACK to our RST is answered, RFC 5961
    /// §3.2), or, without ACK, a RST acknowledging it. A RST is never answered.
    /// </summary>
    private void AnswerAborted(in TcpSegment seg, ISessionOutput output)
    {
        if (seg.Has(TcpFlags.Rst) || Manual)
        {
            return;
        }

        if (seg.Has(TcpFlags.Ack))
        {
            output.Raise(new SessionNote($"a segment of the connection we reset (Ack={seg.Ack.RelativeTo(iss)}): answered with a RST at its acknowledgment number"));
            resetSeq = seg.Ack; // the server's RCV.NXT exactly: later repeats use it
            resetAlt = null;
            Emit(output, new OutgoingSegment(TcpFlags.Rst, seg.Ack, default, 0, default, ReadOnlyMemory<byte>.Empty, SegmentKind.Reset));
        }
        else
        {
            output.Raise(new SessionNote("a segment of the connection we reset, without ACK: answered with RST, ACK"));
            Emit(output, new OutgoingSegment(TcpFlags.Rst | TcpFlags.Ack, default, seg.Seq + seg.SeqLength, 0, default, ReadOnlyMemory<byte>.Empty, SegmentKind.Reset));
        }
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

    // ---- ICMP -------------------------------------------------------------------------------------------------

    /// <summary>
    /// An ICMP error whose quoted header names this flow (the engine matched the 4-tuple). Before the handshake an error
    /// quoting our SYN ends the attempt, as on Linux. Afterwards it must quote a sequence number in SND.UNA ..= SND.NXT or
    /// it is stale or forged and ignored (RFC 5927); then soft errors are only reported (RFC 1122 §4.2.3.9), a smaller
    /// path MTU (RFC 1191) makes the data go again in smaller segments, and a hard error ends the session, resetting the
    /// server.
    /// </summary>
    /// <param name="quotedSeq">The sequence number in the quoted TCP header (null when the quote is too short for it).</param>
    /// <param name="nextHopMtu">Fragmentation needed: the MTU the router gave (0 or null: none given).</param>
    /// <param name="quotedLength">The quoted IP packet's total length (for RFC 1191's plateaus).</param>
    /// <param name="description">The message for the trace, e.g. "ICMP Destination unreachable (Host unreachable) from 10.0.0.254".</param>
    public void OnIcmpError(byte type, byte code, SeqNum? quotedSeq, int? nextHopMtu, int quotedLength, string description, TimeSpan now, ISessionOutput output)
    {
        var kind = IcmpErrors.Classify(type, code);
        if (done || kind == IcmpErrorKind.None)
        {
            return;
        }

        if (State is TcpState.SynSent or TcpState.Closed)
        {
            if (quotedSeq is { } q0 && q0 != iss)
            {
                output.Raise(new IcmpReported($"{description}: it quotes Seq={q0.RelativeTo(iss)}, not our SYN: ignored"));
            }
            else if (kind == IcmpErrorKind.FragmentationNeeded)
            {
                LowerPathMtu(nextHopMtu, quotedLength, description, output);
            }
            else if (State == TcpState.SynSent)
            {
                Fail(FailureKind.Unreachable, description, output);
            }

            return;
        }

        if (quotedSeq is not { } q || !Acceptability.QuotedSeqInFlight(q, sndUna, sndNxt))
        {
            var what = quotedSeq is { } qs ? $"Seq={qs.RelativeTo(iss)}, outside SND.UNA..SND.NXT ({sndUna.RelativeTo(iss)}..{sndNxt.RelativeTo(iss)})" : "no sequence number";
            output.Raise(new IcmpReported($"{description}: it quotes {what}: stale or forged, ignored (RFC 5927)"));
            return;
        }

        switch (kind)
        {
            case IcmpErrorKind.Soft:
                output.Raise(new IcmpReported($"{description}: a soft error, reported; the connection goes on (RFC 1122 4.2.3.9)"));
                break;
            case IcmpErrorKind.FragmentationNeeded:
                if (LowerPathMtu(nextHopMtu, quotedLength, description, output) && sndNxt != sndUna && recovery == Recovery.None)
                {
                    // What was sent at the old size is dropped on the way: everything outstanding goes again, smaller.
                    timed = null;
                    ResendAllOutstanding(Recovery.PathMtu, now, output);
                }

                break;
            default:
                GiveUp(FailureKind.Unreachable, description, now, output);
                break;
        }
    }

    private int IpHeaderLength => SessionConfig.IpHeaderLength(config.Flow.Family);

    /// <summary>RFC 1191 (RFC 8201 for IPv6, whose packet too big is ICMP's fragmentation needed here): the path MTU only
    /// ever falls on an ICMP message, never below <see cref="IcmpErrors.MinPathMtu"/> (IPv6: its minimum MTU, 1280). True when it fell.</summary>
    private bool LowerPathMtu(int? nextHopMtu, int quotedLength, string description, ISessionOutput output)
    {
        var v6 = config.Flow.Family == IpFamily.V6;
        var mtu = Math.Max(v6 ? IcmpErrors.MinPathMtu6 : IcmpErrors.MinPathMtu, nextHopMtu is { } m && m > 0 ? m : IcmpErrors.Plateau(quotedLength));
        if (pathMtu is { } current && mtu >= current)
        {
            output.Raise(new IcmpReported($"{description}: next-hop MTU {nextHopMtu}, not below the path MTU of {current}: nothing changes"));
            return false;
        }

        pathMtu = mtu;
        output.Raise(new IcmpReported($"{description}: the path MTU is now {mtu} ({(v6 ? "RFC 8201" : "RFC 1191")}); segments carry at most {mtu - IpHeaderLength - TcpHeader.MinLength} bytes with their options"));
        return true;
    }

    // ---- time -------------------------------------------------------------------------------------------------

    public void OnTimer(TimeSpan now, ISessionOutput output)
    {
        if (resetDeadline is { } rd0 && now >= rd0)
        {
            if (resetsLeft > 0)
            {
                resetsLeft--;
                var seq = resetAlt is { } alt && resetsLeft % 2 == 1 ? alt : resetSeq;
                output.Raise(new SessionNote("our RST again, in case it was lost"));
                SendReset(output, seq);
                resetDeadline = now + ResetInterval;
            }
            else
            {
                resetDeadline = null; // the last RST had its time to be answered
            }
        }

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

        if (probeDeadline is { } pr && now >= pr && !done)
        {
            probeDeadline = null;
            Probe(now, output);
        }

        if (rtxDeadline is { } rd && now >= rd)
        {
            Retransmit(now, output);
        }

        if (persistDeadline is { } pd && now >= pd && !done)
        {
            // Zero window: probe with an ACK one byte below what the server has (Linux's tcp_xmit_probe_skb).
            Emit(output, new OutgoingSegment(TcpFlags.Ack, sndUna - 1, rcvNxt, advertisedWindow, TsOnly(now), ReadOnlyMemory<byte>.Empty, SegmentKind.WindowProbe));
            persistBackoff = persistBackoff * 2 > config.MaxRto ? config.MaxRto : persistBackoff * 2;
            persistDeadline = now + persistBackoff;
        }
    }

    private void Retransmit(TimeSpan now, ISessionOutput output)
    {
        var limit = State is TcpState.SynSent or TcpState.SynReceived ? config.Retries : config.DataRetries;
        if (rtxCount >= limit)
        {
            rtxDeadline = null;
            var what = State == TcpState.SynSent ? "SYN" : finSent && sndUna == finSeq ? "FIN" : "data";
            var reason = State == TcpState.SynSent
                ? $"no answer to SYN after {limit} retransmissions (filtered port or unreachable host)"
                : $"no acknowledgment of our {what} after {limit} retransmissions";
            if (State == TcpState.SynSent)
            {
                Fail(FailureKind.Timeout, reason, output);
            }
            else
            {
                GiveUp(FailureKind.Timeout, reason, now, output); // the server may still hold it: it gets our RST
            }

            return;
        }

        rtxCount++;
        rtt.Backoff();
        probeDeadline = null;
        if (State == TcpState.SynSent)
        {
            synRetransmitted = true;
            output.Raise(new Retransmitting("SYN", rtxCount, rtt.Rto));
            SendSyn(now, output, SegmentKind.Retransmission);
        }
        else if (State == TcpState.SynReceived)
        {
            output.Raise(new Retransmitting("SYN-ACK", rtxCount, rtt.Rto));
            SendSynAck(now, output, SegmentKind.Retransmission);
        }
        else if (sndNxt != sndUna)
        {
            // RFC 6298 §5.4-5.6 and RFC 5681 §3.1: everything outstanding is taken as lost, cwnd drops to one segment, and
            // the oldest unacknowledged data goes again; what the server SACKed is not sent again.
            var smss = SegmentPayloadLimit(now);
            cc?.OnTimeout(sndNxt - sndUna, smss);
            timed = null;
            dupAcks = 0;
            rtxDeadline = null;
            ResendAllOutstanding(Recovery.Timeout, now, output);
        }

        rtxDeadline = now + rtt.Rto;
    }


    // ---- segments ---------------------------------------------------------------------------------------------

    public void OnSegment(in TcpSegment seg, TimeSpan now, ISessionOutput output)
    {
        if (done && aborted)
        {
            AnswerAborted(seg, output);
            return;
        }

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
            if (window == 0 && seg.Seq == rcvNxt && seg.Has(TcpFlags.Ack) && !seg.Has(TcpFlags.Rst) && !seg.Has(TcpFlags.Syn))
            {
                // RFC 9293 §3.10.7.4: with a zero receive window no data is acceptable, "but special allowance should
                // be made to accept valid ACKs": the acknowledgment (and window) is taken as from a segment without data
                // (or FIN); the ACK below tells the server the data was not.
                var bare = seg.Header with { Flags = seg.Flags & ~(TcpFlags.Fin | TcpFlags.Psh) };
                OnSegment(new TcpSegment(bare, seg.Options, default) { OptionBytes = seg.OptionBytes }, now, output);
                if (done)
                {
                    return;
                }
            }

            if (!seg.Has(TcpFlags.Rst))
            {
                if (seg.Seq < rcvNxt && seg.SeqLength > 0)
                {
                    output.Raise(new PeerRetransmission(seg.Seq, seg.Payload.Length));
                }

                if (State == TcpState.TimeWait && CrossedOurAck(seg, now, output))
                {
                    return;
                }

                SendAck(now, output, SegmentKind.DuplicateAck);
                if (State == TcpState.TimeWait && seg.Has(TcpFlags.Fin))
                {
                    finAckedAt = now;
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

        if (Acceptability.AckTooOld(seg.Ack, sndUna, maxSndWnd))
        {
            // RFC 5961 §5.2: an ACK below SND.UNA − MAX.SND.WND is blind or forged: the segment (and its data) is dropped.
            output.Raise(new SessionNote($"segment with an unacceptable ACK (Ack={seg.Ack.RelativeTo(iss)}, below SND.UNA − MAX.SND.WND): discarded, ACK sent"));
            SendAck(now, output, SegmentKind.ChallengeAck);
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
            maxSndWnd = sndWnd;
            sndWl1 = seg.Seq;
            sndWl2 = seg.Ack;
            cc = new CongestionControl(SegmentPayloadLimit(now));
            Move(TcpState.Established, output, "our SYN-ACK acknowledged (simultaneous open)");
            output.Raise(new HandshakeCompleted(synRetransmitted ? null : now - synSentAt, peerMss, peerWs, sackOn, tsOn, sndWnd));
        }

        if (tsOn && seg.Options.TsVal is { } tv && seg.Seq <= rcvNxt)
        {
            tsRecent = tv;
        }

        OnAck(seg, now, output);

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
                if (sndWnd == 0 && rtt.Backoffs > 0)
                {
                    // The window opens after timeouts spent against a closed one: they were no loss, the backoff ends
                    // (as Linux clears icsk_backoff) and what is outstanding is timed afresh.
                    rtt.ResetBackoff();
                    rtxCount = 0;
                    rtxDeadline = sndUna == sndNxt ? null : now + rtt.Rto;
                }
            }

            sndWnd = newWnd;
            maxSndWnd = Math.Max(maxSndWnd, newWnd);
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
                if (seg.Has(TcpFlags.Fin) && !CrossedOurAck(seg, now, output))
                {
                    SendAck(now, output, SegmentKind.DuplicateAck); // the server did not get our last ACK
                    finAckedAt = now;
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
            // In-order data: what our side sends in answer to it (more data, a FIN) may carry this ACK.
            SendAck(now, output, delivered ? SegmentKind.Normal : SegmentKind.DuplicateAck, deferrable: delivered);
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
        synchronized = true;
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
        maxSndWnd = sndWnd;
        sndWl1 = seg.Seq;
        sndWl2 = seg.Ack;
        rtxDeadline = null;
        rtxCount = 0;
        if (HandshakeRtt(seg, now) is { } sample)
        {
            rtt.Sample(sample);
        }
        else
        {
            rtt.ResetBackoff();
        }

        cc = new CongestionControl(SegmentPayloadLimit(now));
        Move(TcpState.Established, output, "SYN-ACK received");
        SendAck(now, output, SegmentKind.Normal);
        output.Raise(new HandshakeCompleted(synRetransmitted ? null : now - synSentAt, peerMss, peerWs, sackOn, tsOn, sndWnd));
        Pump(now, output);
    }

    /// <summary>
    /// The first RTT measurement, from the handshake (RFC 6298 §2.2, as Linux takes it in tcp_synack_rtt_meas): the
    /// timestamp our SYN carried, echoed in the SYN-ACK, measures the SYN that was answered even after retransmissions;
    /// without timestamps only a SYN sent once is measured (Karn). With it the FIN and data that follow are timed on the
    /// path's RTT (at least <see cref="SessionConfig.MinRto"/>) instead of the initial 1 s.
    /// </summary>
    private TimeSpan? HandshakeRtt(in TcpSegment synAck, TimeSpan now)
    {
        if (tsOn && synAck.Options.TsEcr is { } ecr && ecr != 0)
        {
            var ms = unchecked((int)(TsVal(Arrival(synAck, now)) - ecr));
            return ms is >= 0 and < 600_000 ? TimeSpan.FromMilliseconds(ms) : null;
        }

        return synRetransmitted ? null : Arrival(synAck, now) - synSentAt;
    }

    /// <summary>
    /// TIME-WAIT, an old segment of the server (its FIN again, or an ACK the network reordered behind its FIN): RFC 9293
    /// says acknowledge it, since our ACK of the FIN may have been lost. But when it reached us (its capture stamp) before
    /// our ACK of the FIN went out, or within one round trip after, the server sent it before our ACK arrived: our ACK
    /// answers it, and closes the server's socket. A second ACK would then meet no socket, and a Linux listener that has
    /// recently sent SYN cookies takes an ACK whose numbers are both one past the handshake's as a valid cookie and opens
    /// a connection nobody will ever close. Such a segment is not answered (nor does it restart TIME-WAIT); a FIN sent
    /// again because our ACK was lost comes a retransmission timeout later (at least 200 ms on Linux, 1 s by RFC 6298)
    /// and is answered.
    /// </summary>
    private bool CrossedOurAck(in TcpSegment seg, TimeSpan now, ISessionOutput output)
    {
        if (finAckedAt is not { } acked)
        {
            return false;
        }

        var arrived = Arrival(seg, now);
        var roundTrip = rtt.Srtt is { } srtt ? srtt + (rtt.RttVar * 4) : TimeSpan.Zero;
        var window = Clamp(roundTrip, CrossingMin, config.MinRto / 2);
        if (arrived - acked >= window)
        {
            return false;
        }

        var lead = acked - arrived;
        var what = seg.Has(TcpFlags.Fin) ? "the server's FIN again" : $"an old segment of the server (Seq={seg.Seq.RelativeTo(irs)}, behind its FIN)";
        output.Raise(new SessionNote(lead >= TimeSpan.Zero
            ? $"{what}, {lead.TotalMilliseconds:0.#} ms before our ACK of the FIN went out: that ACK answers it (not acknowledged twice)"
            : $"{what}, {(-lead).TotalMilliseconds:0.#} ms after our ACK of the FIN went out (within a round trip: they crossed): that ACK answers it (not acknowledged twice)"));
        return true;
    }

    /// <summary>
    /// When a segment reached the host (its capture stamp), else now. RTT samples are taken at it, as Linux takes them
    /// when its softirq handles the frame: a process that waited to be scheduled would otherwise count its own wait as the
    /// path's round trip (360 ms seen under load where the wire took 0.1 ms), and time the FIN that follows on 1 s.
    /// </summary>
    private static TimeSpan Arrival(in TcpSegment seg, TimeSpan now) => seg.ArrivedAt is { } at && at <= now ? at : now;

    /// <summary>The least time after our ACK of the server's FIN within which its FIN again is taken to have crossed it.</summary>
    private static readonly TimeSpan CrossingMin = TimeSpan.FromMilliseconds(10);

    /// <summary>
    /// An acceptable ACK: RTT sample (timestamps, or the timed segment — Karn's rule), SND.UNA, the SACK scoreboard,
    /// duplicate ACKs, congestion window, and entering or leaving loss recovery (RFC 5681, 6582, 6675, 6298).
    /// </summary>
    private void OnAck(in TcpSegment seg, TimeSpan now, ISessionOutput output)
    {
        var smss = SegmentPayloadLimit(now);
        var sackNews = false;
        if (sackOn && seg.Options.SackBlocks > 0)
        {
            foreach (var o in new TcpOptionReader(seg.OptionBytes))
            {
                for (var b = 0; o.Kind == TcpOptionKind.Sack && b < o.SackBlockCount; b++)
                {
                    var (l, r) = o.SackBlock(b);
                    sackNews |= board.Add(new SeqNum(l), new SeqNum(r), SeqNum.Max(sndUna, seg.Ack), sndNxt);
                }
            }
        }

        if (seg.Ack > sndUna)
        {
            var ackedBefore = AcknowledgedCount;
            var acked = seg.Ack - sndUna;
            TimeSpan? sample = null;
            if (tsOn && seg.Options.TsEcr is { } ecr && ecr != 0)
            {
                var ms = unchecked((int)(TsVal(Arrival(seg, now)) - ecr));
                sample = ms is >= 0 and < 600_000 ? TimeSpan.FromMilliseconds(ms) : null;
            }
            else if (timed is { } t && seg.Ack >= t.End)
            {
                sample = Arrival(seg, now) - t.At;
            }

            if (timed is { } tt && seg.Ack >= tt.End)
            {
                timed = null;
            }

            if (sample is { } rttSample)
            {
                rtt.Sample(rttSample);
            }
            else
            {
                rtt.ResetBackoff();
            }

            sndUna = seg.Ack;
            board.Advance(sndUna);
            rtxCount = 0;
            dupAcks = 0;
            var probeAnswered = probeSent;
            probeSent = false;
            sackNews |= probeAnswered && board.SackedBytes > 0;
            if (recovery != Recovery.None && sndUna >= recoveryPoint)
            {
                if (recovery is Recovery.DupAcks or Recovery.Sack)
                {
                    cc?.OnRecoveryEnd(smss);
                }

                recovery = Recovery.None;
            }
            else if (recovery == Recovery.DupAcks)
            {
                // NewReno (RFC 6582): a partial ACK means the segment at the new SND.UNA was lost too.
                lossEnd = SeqNum.Max(lossEnd, SeqNum.Min(sndUna + smss, sndNxt));
                rtxNext = SeqNum.Max(rtxNext, sndUna);
                retransmitNow = true;
            }

            if (recovery is not (Recovery.DupAcks or Recovery.Sack))
            {
                cc?.OnAck(acked, smss);
            }

            rtxDeadline = sndUna == sndNxt ? null : now + rtt.Rto;
            if (AcknowledgedCount > ackedBefore)
            {
                output.Raise(new DataAcknowledged(AcknowledgedCount - ackedBefore, AcknowledgedCount));
            }
        }
        else if (seg.Ack == sndUna && sndNxt != sndUna && seg.Payload.Length == 0 && !seg.Has(TcpFlags.Fin) && !seg.Has(TcpFlags.Syn))
        {
            dupAcks++; // RFC 5681 §2's duplicate ACK
        }

        if (recovery == Recovery.Sack && board.HighestSacked is { } high)
        {
            lossEnd = SeqNum.Max(lossEnd, high); // every hole below the highest SACKed byte is lost (RFC 6675's IsLost, no reordering)
        }

        // Loss: three duplicate ACKs; or SACK showing three segments beyond a hole, or all but one segment of a small
        // flight (RFC 5827's early retransmit), or the answer to a tail loss probe (RFC 8985) showing a hole.
        var sackSaysLost = sackNews && board.SackedBytes > 0
            && (board.SackedBytes >= 3L * smss || (sndNxt - sndUna) - board.SackedBytes <= smss || probeSent);
        if (recovery is Recovery.None or Recovery.PathMtu && sndNxt != sndUna && cc is not null && (dupAcks >= 3 || sackSaysLost))
        {
            // Fast retransmit (RFC 5681 §3.2, RFC 6675 §5): half the flight, and the first hole goes at once.
            cc.OnLoss(sndNxt - sndUna, smss);
            recovery = sackOn ? Recovery.Sack : Recovery.DupAcks;
            recoveryPoint = sndNxt;
            rtxNext = sndUna;
            lossEnd = SeqNum.Max(SeqNum.Min(sndUna + smss, sndNxt), board.HighestSacked ?? sndUna);
            retransmitNow = true;
            probeDeadline = null;
        }

        ScheduleProbe(now);
    }

    /// <summary>
    /// RFC 8985 §7: with SACK, data outstanding and no recovery under way, a probe goes after two round trips (at least
    /// 10 ms; with one segment out, at least 1.5 RTT + 200 ms for the server's delayed ACK), before the RTO: a lost tail
    /// then shows up in the probe's SACK at once instead of after a timeout.
    /// </summary>
    private void ScheduleProbe(TimeSpan now)
    {
        probeDeadline = null;
        if (!sackOn || Manual || done || config.CorruptFirstFin || recovery != Recovery.None || probeSent || sndNxt == sndUna || rtt.Srtt is not { } srtt || rtxDeadline is not { } rto)
        {
            return;
        }

        var pto = srtt * 2 < TimeSpan.FromMilliseconds(10) ? TimeSpan.FromMilliseconds(10) : srtt * 2;
        if (sndNxt - sndUna <= SegmentPayloadLimit(now))
        {
            var delayed = (srtt * 1.5) + TimeSpan.FromMilliseconds(200);
            pto = pto > delayed ? pto : delayed;
        }

        if (now + pto < rto)
        {
            probeDeadline = now + pto;
        }
    }

    /// <summary>The tail loss probe: one new segment when the windows allow it, else the last segment again.</summary>
    private void Probe(TimeSpan now, ISessionOutput output)
    {
        probeSent = true;
        var smss = SegmentPayloadLimit(now);
        var offset = sndNxt - (iss + 1);
        var unsent = sendLength - offset;
        var inFlight = (uint)(sndNxt - sndUna);
        var room = sndWnd > inFlight ? (int)Math.Min(sndWnd - inFlight, int.MaxValue) : 0;
        if (unsent > 0 && room > 0 && State is TcpState.Established or TcpState.CloseWait && !finSent)
        {
            var n = Math.Min(Math.Min(unsent, smss), room);
            output.Raise(new SessionNote("tail loss probe (RFC 8985): one new segment, its ACK will show what is missing"));
            Emit(output, new OutgoingSegment(TcpFlags.Ack | (offset + n == sendPushMark ? TcpFlags.Psh : 0), sndNxt, rcvNxt, advertisedWindow, TsOnly(now), sendBuffer.AsMemory(offset, n)));
            sndNxt += n;
            return;
        }

        var dataEnd = finSent ? finSeq : sndNxt;
        var length = Math.Min(smss, dataEnd - sndUna);
        var start = dataEnd - length;
        SendLost(start, length + (finSent ? 1 : 0), now, output, "tail loss probe (RFC 8985): the last segment again, its ACK will show what is missing");
    }

    private bool Acceptable(in TcpSegment seg, uint window) => Acceptability.SegmentInWindow(seg.Seq, seg.SeqLength, rcvNxt, window);

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
        finAckedAt = now;
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

    /// <summary>
    /// Sends what the congestion window lets into the network: first data taken as lost (after a timeout, three
    /// duplicate ACKs or SACK holes), then new data as the server's window and the segment size allow, then the FIN when
    /// a close is queued and the data is out.
    /// </summary>
    private void Pump(TimeSpan now, ISessionOutput output)
    {
        if (done || Manual || State is not (TcpState.Established or TcpState.CloseWait or TcpState.FinWait1 or TcpState.Closing or TcpState.LastAck))
        {
            return;
        }

        var smss = SegmentPayloadLimit(now);
        for (var guard = 0; guard < 100_000; guard++)
        {
            var cwnd = cc?.Cwnd ?? long.MaxValue;
            var pipe = Pipe(smss);
            if (NextLost(smss) is { } lost && (retransmitNow || pipe < cwnd))
            {
                retransmitNow = false;
                SendLost(lost.Start, lost.Length, now, output);
                continue;
            }

            retransmitNow = false;
            if (State is not (TcpState.Established or TcpState.CloseWait))
            {
                return;
            }

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

                    persistBackoff = rtt.Rto;
                    persistDeadline = now + persistBackoff;
                }

                return;
            }

            if (pipe >= cwnd)
            {
                return; // the congestion window is full: ACKs will open it
            }

            persistDeadline = null;
            var n = Math.Min(Math.Min(unsent, smss), room);
            var flags = TcpFlags.Ack | (offset + n == sendPushMark ? TcpFlags.Psh : 0);
            Emit(output, new OutgoingSegment(flags, sndNxt, rcvNxt, advertisedWindow, TsOnly(now), sendBuffer.AsMemory(offset, n)));
            timed ??= (sndNxt + n, now);
            sndNxt += n;
            ArmRtx(now);
            if (probeDeadline is null)
            {
                ScheduleProbe(now);
            }
        }

        if (finQueued && !finSent && State is TcpState.Established or TcpState.CloseWait && sndNxt - (iss + 1) >= sendLength)
        {
            finSent = true;
            finSeq = sndNxt;
            Emit(output, new OutgoingSegment(TcpFlags.Fin | TcpFlags.Ack, sndNxt, rcvNxt, advertisedWindow, TsOnly(now), ReadOnlyMemory<byte>.Empty) { CorruptChecksum = config.CorruptFirstFin });
            sndNxt += 1;
            ArmRtx(now);
            if (config.CorruptFirstFin && rtxDeadline is { } armed && armed < now + config.InitialRto)
            {
                // The FIN the server never sees is a deliberate wait for it to close first: the configured RTO, not the
                // RTT estimate's (which on a LAN is 200 ms, before the server closes by itself).
                rtxDeadline = now + config.InitialRto;
            }
            Move(State == TcpState.CloseWait ? TcpState.LastAck : TcpState.FinWait1, output, "FIN sent");
        }
    }

    /// <summary>
    /// Bytes in the network (RFC 6675's pipe): what is outstanding, less what the server holds (SACKed, or one segment
    /// per duplicate ACK without SACK) and less what is taken as lost and not yet sent again.
    /// </summary>
    private long Pipe(int smss)
    {
        long outstanding = sndNxt - sndUna;
        var held = sackOn ? board.SackedBytes : Math.Min((long)dupAcks * smss, outstanding);
        return Math.Max(0, outstanding - held - LostNotResent());
    }

    private long LostNotResent()
    {
        var from = SeqNum.Max(rtxNext, sndUna);
        var to = SeqNum.Min(lossEnd, sndNxt);
        return to > from ? (to - from) - board.SackedBetween(from, to) : 0;
    }

    /// <summary>The next range taken as lost and not yet sent again (at most one segment), skipping what the server SACKed.</summary>
    private (SeqNum Start, int Length)? NextLost(int smss)
    {
        if (recovery == Recovery.None)
        {
            return null;
        }

        var from = SeqNum.Max(rtxNext, sndUna);
        var to = SeqNum.Min(lossEnd, sndNxt);
        return from < to ? board.NextHole(from, to, smss) : null;
    }

    /// <summary>Sends a range again (its data, with the FIN when it ends there), visible in the trace with its reason.</summary>
    private void SendLost(SeqNum start, int length, TimeSpan now, ISessionOutput output, string? why = null)
    {
        var dataEnd = finSent ? finSeq : sndNxt;
        var n = Math.Max(0, Math.Min(length, dataEnd - start));
        var fin = finSent && start + n == finSeq && start + length > finSeq;
        if (n == 0 && !fin)
        {
            rtxNext = start + length;
            return;
        }

        var what = n > 0 ? "data" : "FIN";
        var reason = why ?? recovery switch
        {
            Recovery.Timeout => null, // the note says "next timeout"
            Recovery.Sack => "SACK recovery: the server holds data beyond this hole",
            Recovery.PathMtu => $"the path MTU fell to {pathMtu}: sent again in smaller segments",
            _ => "fast retransmit: 3 duplicate ACKs",
        };
        output.Raise(new Retransmitting(what, recovery == Recovery.Timeout && why is null ? Math.Max(1, rtxCount) : 1, rtt.Rto, reason));
        if (timed is { } t && t.End > start)
        {
            timed = null; // Karn: an RTT measured over a retransmitted segment is ambiguous
        }

        var flags = n > 0 ? TcpFlags.Ack | TcpFlags.Psh | (fin ? TcpFlags.Fin : 0) : TcpFlags.Fin | TcpFlags.Ack;
        Emit(output, new OutgoingSegment(flags, start, rcvNxt, advertisedWindow, TsOnly(now), sendBuffer.AsMemory(start - (iss + 1), n), SegmentKind.Retransmission));
        rtxNext = start + n + (fin ? 1 : 0);
        ArmRtx(now);
    }

    /// <summary>How lost data is being recovered.</summary>
    private enum Recovery
    {
        None,

        /// <summary>Three duplicate ACKs (RFC 5681 §3.2, NewReno's partial ACKs: RFC 6582).</summary>
        DupAcks,

        /// <summary>SACK-based loss recovery (RFC 6675).</summary>
        Sack,

        /// <summary>The retransmission timer expired (RFC 6298 §5).</summary>
        Timeout,

        /// <summary>ICMP said the path takes smaller packets (RFC 1191).</summary>
        PathMtu,
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

    private void SendAck(TimeSpan now, ISessionOutput output, SegmentKind kind, bool deferrable = false)
    {
        ackedThisInput = true;
        (uint, uint)[]? sack = null;
        if (sackOn && outOfOrder.Count > 0)
        {
            sack = SackBlocks(tsOn ? 3 : 4);
        }

        Emit(output, new OutgoingSegment(TcpFlags.Ack, sndNxt, rcvNxt, advertisedWindow, TsOnly(now), ReadOnlyMemory<byte>.Empty, kind) { SackBlocks = sack, Deferrable = deferrable && sack is null });
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

    /// <summary>Everything outstanding is taken as lost (a timeout, or a smaller path MTU): from SND.UNA it goes again,
    /// what the server SACKed excepted.</summary>
    private void ResendAllOutstanding(Recovery why, TimeSpan now, ISessionOutput output)
    {
        recovery = why;
        recoveryPoint = sndNxt;
        lossEnd = sndNxt;
        rtxNext = sndUna;
        retransmitNow = true;
        Pump(now, output);
    }

    private void ArmRtx(TimeSpan now) => rtxDeadline ??= now + rtt.Rto;

    private void EnterTimeWait(TimeSpan now, ISessionOutput output, string why)
    {
        rtxDeadline = null;
        probeDeadline = null;
        persistDeadline = null;
        Move(TcpState.TimeWait, output, why);
        output.Raise(new SessionNote($"holding TIME-WAIT for {config.TimeWait.TotalMilliseconds:0} ms (2·MSL is 60 s on Linux)"));
        timeWaitDeadline = now + config.TimeWait;
    }

    private void Finish(ISessionOutput output, string? how, TcpState final)
    {
        rtxDeadline = null;
        probeDeadline = null;
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

    private static TimeSpan Clamp(TimeSpan t, TimeSpan lo, TimeSpan hi) => t < lo ? lo : t > hi ? (hi > lo ? hi : lo) : t;

    private static TimeSpan? Min(TimeSpan? a, TimeSpan? b) => a is null ? b : b is null ? a : a < b ? a : b;
}
