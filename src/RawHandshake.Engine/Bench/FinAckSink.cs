using RawHandshake.Engine.Trace;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Bench;

/// <summary>
/// The bench's only trace sink: it renders nothing and keeps nothing. It takes the send stamp of our first SYN (where a
/// bench session's time starts; <see cref="Flow.SynSentWall"/> is the last SYN, for the RTT) and watches the session for
/// the server's FIN and the send stamp of our first ACK that covers it (where the time ends). It takes frames as stamps
/// (<see cref="IPacketStampSink"/>): the engine copies none and holds none for capture order, as a renderer needs.
/// </summary>
public sealed class FinAckSink : IPacketStampSink
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

    public void Packet(Direction dir, ReadOnlySpan<byte> frame, in ParsedFrame parsed, DateTimeOffset wall) => Packet(dir, parsed, wall);

    /// <summary>The same frames as events, when the sink is behind another (a <see cref="TraceBus"/>).</summary>
    public void Publish(TraceEvent e)
    {
        if (e is PacketTraced p)
        {
            Packet(p.Dir, p.Parsed, p.Wall);
        }
    }

    private void Packet(Direction dir, in ParsedFrame parsed, DateTimeOffset wall)
    {
        if (parsed.Tcp is not { } tcp)
        {
            return;
        }

        Packets++;
        if (dir == Direction.In && tcp.Has(TcpFlags.Fin))
        {
            // The FIN occupies the sequence number after the segment's data.
            var end = tcp.Seq + SequenceSpace.Of(tcp.Flags, parsed.PayloadLength);
            if (peerFinEnd is not { } known || end > known)
            {
                peerFinEnd = end;
            }
        }
        else if (dir == Direction.Out && FirstSynWall is null && tcp.Has(TcpFlags.Syn))
        {
            FirstSynWall = wall;
        }
        else if (dir == Direction.Out && FinAckedWall is null && peerFinEnd is { } finEnd && tcp.Has(TcpFlags.Ack) && tcp.Ack >= finEnd)
        {
            FinAckedWall = wall;
        }
    }

    public void Complete()
    {
    }
}
