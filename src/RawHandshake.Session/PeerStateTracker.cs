using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Session;

/// <summary>
/// Infers the server's RFC 9293 state from what it sent and what we sent. Until the server answers, its state is
/// unknown (null, shown as <c>?</c>): a listening port, a closed one and an absent host look the same after our SYN. Its
/// SYN-ACK shows it was listening and is now SYN-RECEIVED; a RST instead shows a closed port (CLOSED). ESTABLISHED once
/// our acceptable ACK of the SYN-ACK goes out, then the closing states by who sent FIN first and which FINs are
/// acknowledged. A segment of ours the server would reject (an ACK of data it never sent, a RST at the wrong sequence
/// number) moves nothing, and a FIN beyond a gap counts once the server's ACK shows it took it; and when the server speaks again after a RST of ours, it did not take
/// that RST. It cannot see the server's kernel: an inference, named as such in the trace.
/// </summary>
public sealed class PeerStateTracker
{
    private SeqNum? peerFinSeq;    // sequence number of the server's FIN
    private SeqNum? ourFinSeq;     // sequence number of our FIN, once the server can have taken it
    private SeqNum? heldFinSeq;    // our FIN beyond a gap: the server holds it until its ACK shows it took it
    private bool peerFinAcked;     // we acknowledged the server's FIN
    private bool ourFinAcked;      // the server acknowledged our FIN
    private SeqNum? peerNxt;       // the end of what the server sent (its SND.NXT as far as we saw), SYN and FIN included
    private SeqNum? peerAck;       // the highest acknowledgment the server sent (its RCV.NXT as it told us)
    private SeqNum? ourNxt;        // the end of what we sent in order (SYN, data, FIN)
    private TcpState? beforeOurRst; // the state before a RST of ours closed it, until the server shows it took it

    /// <summary>The server's inferred state; null while unknown (before it answered).</summary>
    public TcpState? State { get; private set; }

    /// <summary>The state before the last change (LISTEN when a SYN-ACK shows it was listening).</summary>
    public TcpState? Previous { get; private set; }

    /// <summary>A segment we sent. Returns the new state when it changed.</summary>
    public TcpState? OnSent(TcpFlags flags, SeqNum seq, SeqNum ack, int payloadLength)
    {
        var before = State;
        var syn = (flags & TcpFlags.Syn) != 0;
        var fin = (flags & TcpFlags.Fin) != 0;
        if (syn && (flags & TcpFlags.Ack) == 0)
        {
            ourNxt = seq + 1; // our SYN: it tells nothing about the server yet
            return null;
        }

        if (State is null or TcpState.Closed or TcpState.Listen)
        {
            return null; // a server we never heard from, or one without the connection, has nothing to move
        }

        var beyondGap = ourNxt is { } n && seq > n;
        if ((flags & TcpFlags.Rst) != 0)
        {
            // RFC 5961: a RST must carry exactly the server's RCV.NXT. Ours carries SND.NXT, which it has unless our data
            // was lost (then it answers with a challenge ACK, and OnReceived undoes this inference).
            var plausible = !beyondGap && (peerAck is not { } pa || seq >= pa);
            if (plausible)
            {
                beforeOurRst = State;
                State = TcpState.Closed;
            }

            return Changed(before);
        }

        // The server takes an ACK only of what it sent (RFC 9293 §3.10.7.4: SEG.ACK =< SND.NXT; in SYN-RECEIVED exactly
        // its SYN), and a segment only in order; anything else is dropped (with an ACK), so it moves nothing.
        var hasAck = (flags & TcpFlags.Ack) != 0;
        var badAck = hasAck && peerNxt is { } pn && (ack > pn || (State == TcpState.SynReceived && ack != pn));
        if (badAck || (!hasAck && State != TcpState.SynReceived))
        {
            return null;
        }

        // Beyond a gap the server still takes the ACK field, but holds data and FIN until the gap is filled (its ACK
        // then shows it took the FIN).
        if (beyondGap)
        {
            if (fin)
            {
                heldFinSeq ??= seq + payloadLength;
            }
        }
        else
        {
            var end = seq + payloadLength + (fin ? 1 : 0);
            if (ourNxt is not { } known || end > known)
            {
                ourNxt = end;
            }

            if (fin)
            {
                ourFinSeq ??= seq + payloadLength;
            }
        }

        if (hasAck)
        {
            if (State == TcpState.SynReceived)
            {
                State = TcpState.Established;
            }

            if (peerFinSeq is { } pf && ack > pf)
            {
                peerFinAcked = true;
            }
        }

        Advance();
        return Changed(before);
    }

    /// <summary>A segment the server sent. Returns the new state when it changed.</summary>
    public TcpState? OnReceived(TcpFlags flags, SeqNum seq, SeqNum ack, int payloadLength)
    {
        var before = State;
        var hasAck = (flags & TcpFlags.Ack) != 0;
        if ((flags & TcpFlags.Rst) != 0)
        {
            // Its RST: it holds no connection (to our SYN: the port is closed).
            State = TcpState.Closed;
            beforeOurRst = null;
            return Changed(before);
        }

        if ((flags & TcpFlags.Syn) != 0 && hasAck && State is null or TcpState.Listen or TcpState.Closed)
        {
            // Its SYN-ACK: it was listening, and is now SYN-RECEIVED (a repeat after our RST: it never took that RST).
            peerNxt = seq + 1;
            peerAck = ack;
            ourNxt ??= ack;
            beforeOurRst = null;
            State = TcpState.SynReceived;
            return Changed(before ?? TcpState.Listen);
        }

        if (State is null)
        {
            return null; // something without a SYN-ACK first: nothing to infer from
        }

        if (beforeOurRst is { } undo && State == TcpState.Closed)
        {
            // It speaks after our RST: it did not take the RST (a challenge ACK, RFC 5961 §3.2), so it is where it was.
            State = undo;
            beforeOurRst = null;
        }

        var end = seq + payloadLength + ((flags & TcpFlags.Fin) != 0 ? 1 : 0) + ((flags & TcpFlags.Syn) != 0 ? 1 : 0);
        if (peerNxt is not { } pn || end > pn)
        {
            peerNxt = end;
        }

        if ((flags & TcpFlags.Fin) != 0)
        {
            peerFinSeq ??= seq + payloadLength;
        }

        if (hasAck)
        {
            if (peerAck is not { } pa || ack > pa)
            {
                peerAck = ack;
            }

            if (ourFinSeq is null && heldFinSeq is { } held && ack > held)
            {
                ourFinSeq = held; // it held our FIN beyond a gap and has now taken it
            }

            if (ourFinSeq is { } of && ack > of)
            {
                ourFinAcked = true;
            }
        }

        Advance();
        return Changed(before);
    }

    private void Advance()
    {
        if (State is null or TcpState.Listen or TcpState.SynReceived or TcpState.Closed)
        {
            return;
        }

        var weFinned = ourFinSeq is not null;
        var theyFinned = peerFinSeq is not null;
        State = (weFinned, theyFinned) switch
        {
            (false, false) => TcpState.Established,

            // We closed first: the server sits in CLOSE-WAIT until its FIN, then LAST-ACK until our ACK of it.
            (true, false) => TcpState.CloseWait,
            (true, true) when State is TcpState.LastAck => peerFinAcked ? TcpState.Closed : TcpState.LastAck,

            // Its FIN does not acknowledge ours: it sent FIN before ours arrived — a simultaneous close (CLOSING).
            (true, true) when State is TcpState.CloseWait => ourFinAcked
                ? (peerFinAcked ? TcpState.Closed : TcpState.LastAck)
                : (peerFinAcked ? TcpState.TimeWait : TcpState.Closing),

            // The server closed first: FIN-WAIT-1 until its FIN is acked, FIN-WAIT-2, then TIME-WAIT after our FIN.
            (false, true) => peerFinAcked ? TcpState.FinWait2 : TcpState.FinWait1,
            (true, true) when State is TcpState.FinWait2 => TcpState.TimeWait,
            (true, true) when State is TcpState.FinWait1 => peerFinAcked ? TcpState.TimeWait : TcpState.Closing,
            (true, true) when State is TcpState.Closing => peerFinAcked ? TcpState.TimeWait : TcpState.Closing,
            (true, true) when State is TcpState.Established => peerFinAcked ? TcpState.TimeWait : (ourFinAcked ? TcpState.LastAck : TcpState.Closing),
            _ => State,
        };
    }

    private TcpState? Changed(TcpState? before)
    {
        if (State == before)
        {
            return null;
        }

        Previous = before;
        return State;
    }
}

/// <summary>The inferred state's spelling: RFC 9293 names, and <c>?</c> while unknown.</summary>
public static class InferredStateNames
{
    public static string ToRfc(this TcpState? state) => state is { } s ? s.ToRfc() : "?";
}
