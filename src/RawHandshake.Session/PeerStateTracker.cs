using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Session;

/// <summary>
/// Infers the server's RFC 9293 state from what it sent and what we sent: LISTEN until it answers our SYN,
/// SYN-RECEIVED after its SYN-ACK, ESTABLISHED once our ACK of it goes out, then the closing states by who sent FIN
/// first and which FINs are acknowledged. It cannot see the server's kernel: an inference, named as such in the trace.
/// </summary>
public sealed class PeerStateTracker
{
    private SeqNum? peerFinSeq;    // sequence number of the server's FIN
    private SeqNum? ourFinSeq;     // sequence number of our FIN
    private bool peerFinAcked;     // we acknowledged the server's FIN
    private bool ourFinAcked;      // the server acknowledged our FIN

    public TcpState State { get; private set; } = TcpState.Listen;

    /// <summary>A segment we sent. Returns the new state when it changed.</summary>
    public TcpState? OnSent(TcpFlags flags, SeqNum seq, SeqNum ack, int payloadLength)
    {
        var before = State;
        if ((flags & TcpFlags.Rst) != 0)
        {
            // A RST the server accepts closes it (from LISTEN, a RST is ignored).
            State = State == TcpState.Listen ? TcpState.Listen : TcpState.Closed;
            return Changed(before);
        }

        if ((flags & TcpFlags.Fin) != 0)
        {
            ourFinSeq ??= seq + payloadLength;
        }

        if ((flags & TcpFlags.Ack) != 0)
        {
            if (State == TcpState.SynReceived && (flags & TcpFlags.Syn) == 0)
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
        if ((flags & TcpFlags.Rst) != 0)
        {
            State = TcpState.Closed;
            return Changed(before);
        }

        if ((flags & TcpFlags.Syn) != 0 && (flags & TcpFlags.Ack) != 0 && State is TcpState.Listen or TcpState.Closed)
        {
            State = TcpState.SynReceived;
            return Changed(before);
        }

        if ((flags & TcpFlags.Fin) != 0)
        {
            peerFinSeq ??= seq + payloadLength;
        }

        if ((flags & TcpFlags.Ack) != 0 && ourFinSeq is { } of && ack > of)
        {
            ourFinAcked = true;
        }

        Advance();
        return Changed(before);
    }

    private void Advance()
    {
        if (State is TcpState.Listen or TcpState.SynReceived or TcpState.Closed)
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

    private TcpState? Changed(TcpState before) => State != before ? State : null;
}
