using RawHandshake.Engine.Trace;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Bench;

/// <summary>
/// The bench's only trace sink: it renders nothing and keeps nothing. It takes the send stamp of our first SYN (where a
/// bench session's time starts; <see cref="Flow.SynSentWall"/> is the last SYN, for the RTT) and watches the session for
/// the server's FIN and the send stamp of our first ACK that covers it (where the time ends).
/// </summary>
public sealed class FinAckSink : ITraceSink
{
    private SeqNum? peerFinEnd;

    /// <summary>The send stamp of our first SYN (null until it went out).</summary>
    public DateTimeOffset? FirstSynWall { get; private set; }

    /// <summary>The send stamp of our ACK of the server's FIN (null until it went out).</summary>
    public DateTimeOffset? FinAckedWall { get; private set; }

    /// <summary>Frames the engine traced since <see cref="Reset"/>.</summary>
    public int Packets { get; private set; }

    public void Reset()
    {
        peerFinEnd = null;
        FirstSynWall = null;
        FinAckedWall = null;
        Packets = 0;
    }

    public void Publish(TraceEvent e)
    {
        if (e is not PacketTraced p || p.Parsed.Tcp is not { } tcp)
        {
            return;
        }

        Packets++;
        if (p.Dir == Direction.In && tcp.Has(TcpFlags.Fin))
        {
            // The FIN occupies the sequence number after the segment's data.
            var end = tcp.Seq + SequenceSpace.Of(tcp.Flags, p.Parsed.PayloadLength);
            if (peerFinEnd is not { } known || end > known)
            {
                peerFinEnd = end;
            }
        }
        else if (p.Dir == Direction.Out && FirstSynWall is null && tcp.Has(TcpFlags.Syn))
        {
            FirstSynWall = p.Wall;
        }
        else if (p.Dir == Direction.Out && FinAckedWall is null && peerFinEnd is { } finEnd && tcp.Has(TcpFlags.Ack) && tcp.Ack >= finEnd)
        {
            FinAckedWall = p.Wall;
        }
    }

    public void Complete()
    {
    }
}
