using RawHandshake.Session;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine;

/// <summary>
/// Watches one connection from beside it without taking part: frames out and in, retransmissions on both sides, the
/// states our side went through, how the handshake, a failure or the end came, the stamps the RTT is taken from, and
/// how far our data got. The endpoint (the session and the frames the flow builds for it) and the engine report to it;
/// nothing here changes what is sent.
/// </summary>
public sealed class ConnectionTracker
{
    private readonly HashSet<TcpState> visited = [];

    /// <summary>Every state our side has been in during the connection.</summary>
    public IReadOnlySet<TcpState> VisitedStates => visited;

    public int PacketsOut { get; private set; }
    public int PacketsIn { get; private set; }
    public int Retransmissions { get; private set; }
    public int ServerRetransmissions { get; private set; }
    public HandshakeCompleted? Handshake { get; private set; }
    public SessionFailed? Failure { get; private set; }
    public SessionFinished? Finish { get; private set; }

    /// <summary>When our last SYN before the answer went out (Karn: a retransmitted SYN makes the RTT ambiguous).</summary>
    public DateTimeOffset? SynSentWall { get; private set; }

    /// <summary>When the SYN-ACK was captured (its own stamp, not when the engine got round to it).</summary>
    public DateTimeOffset? SynAckWall { get; private set; }

    /// <summary>The end of the data that went out (highest sequence number sent), if any did.</summary>
    public SeqNum? SentEnd { get; private set; }

    /// <summary>A segment is about to go out (counted also when the link then refuses it).</summary>
    internal void Sending(in OutgoingSegment segment)
    {
        PacketsOut++;
        if (segment.Kind == SegmentKind.Retransmission)
        {
            Retransmissions++;
        }
    }

    /// <summary>The segment went out at <paramref name="wall"/>.</summary>
    internal void Sent(in OutgoingSegment segment, DateTimeOffset wall)
    {
        if (segment.Payload.Length > 0 && (SentEnd is not { } end || segment.Seq + segment.Payload.Length > end))
        {
            SentEnd = segment.Seq + segment.Payload.Length;
        }

        if ((segment.Flags & TcpFlags.Syn) != 0 && SynAckWall is null)
        {
            SynSentWall = wall;
        }
    }

    /// <summary>A frame of the connection came in (a segment, or an ICMP error about it when <paramref name="flags"/> is null).</summary>
    internal void Received(TcpFlags? flags, DateTimeOffset wall)
    {
        PacketsIn++;
        if (flags is { } f && (f & (TcpFlags.Syn | TcpFlags.Ack)) == (TcpFlags.Syn | TcpFlags.Ack) && SynSentWall is not null && SynAckWall is null)
        {
            SynAckWall = wall;
        }
    }

    /// <summary>What the session said happened.</summary>
    internal void Observe(SessionEvent e)
    {
        switch (e)
        {
            case StateChanged { Side: Side.Client } s:
                visited.Add(s.To);
                break;
            case HandshakeCompleted h:
                Handshake = h;
                break;
            case PeerRetransmission:
                ServerRetransmissions++;
                break;
            case SessionFailed f:
                Failure = f;
                break;
            case SessionFinished fin:
                Finish = fin;
                break;
        }
    }

    /// <summary>A new connection on the same 4-tuple: what describes one connection starts over, the counters go on.</summary>
    internal void NewConnection()
    {
        visited.Clear();
        Handshake = null;
        Failure = null;
        Finish = null;
        SynSentWall = null;
        SynAckWall = null;
    }
}
