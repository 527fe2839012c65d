using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Session.Tests.Support;

/// <summary>A segment the session emitted, copied out of its <see cref="OutgoingSegment"/> (whose payload memory the session owns).</summary>
public sealed record Sent(
    TcpFlags Flags,
    SeqNum Seq,
    SeqNum Ack,
    ushort Window,
    TcpOptionSet Options,
    byte[] Payload,
    SegmentKind Kind,
    (uint Left, uint Right)[]? Sack)
{
    public int SeqLength => Payload.Length + (Has(TcpFlags.Syn) ? 1 : 0) + (Has(TcpFlags.Fin) ? 1 : 0);

    /// <summary>An ACK the output may hold for a segment sent in answer to carry (<see cref="OutgoingSegment.Deferrable"/>).</summary>
    public bool Deferrable { get; init; }

    public bool Has(TcpFlags f) => (Flags & f) == f;

    public override string ToString() =>
        $"{Flags.ToWireshark()} seq={Seq} ack={Ack} win={Window} len={Payload.Length} {Kind}" +
        (Options.IsEmpty ? string.Empty : $" opts={Options}") +
        (Sack is null ? string.Empty : $" sack={string.Join(",", Sack.Select(b => $"{b.Left}-{b.Right}"))}");
}

/// <summary>An <see cref="ISessionOutput"/> that keeps everything, with cursors so a test can take "what happened since".</summary>
public sealed class Collector : ISessionOutput
{
    private readonly List<Sent> segments = [];
    private readonly List<SessionEvent> events = [];
    private int segmentCursor;
    private int eventCursor;

    /// <summary>Called on every transmitted segment, as it is transmitted (for invariants in property tests).</summary>
    public Action<Sent>? OnTransmit { get; set; }

    public IReadOnlyList<Sent> AllSegments => segments;

    public IReadOnlyList<SessionEvent> AllEvents => events;

    public void Transmit(in OutgoingSegment segment)
    {
        var sent = new Sent(segment.Flags, segment.Seq, segment.Ack, segment.Window, segment.Options, segment.Payload.ToArray(), segment.Kind, segment.SackBlocks?.ToArray()) { Deferrable = segment.Deferrable };
        segments.Add(sent);
        OnTransmit?.Invoke(sent);
    }

    public void Raise(SessionEvent e) => events.Add(e);

    public List<Sent> TakeSegments()
    {
        var taken = segments.Skip(segmentCursor).ToList();
        segmentCursor = segments.Count;
        return taken;
    }

    public List<SessionEvent> TakeEvents()
    {
        var taken = events.Skip(eventCursor).ToList();
        eventCursor = events.Count;
        return taken;
    }
}
