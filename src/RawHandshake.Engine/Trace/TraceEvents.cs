using RawHandshake.Session;
using RawHandshake.Wire.Dissection;
using RawHandshake.Wire.Parsing;

namespace RawHandshake.Engine.Trace;

/// <summary>Which way a frame went. <see cref="Kernel"/>: sent by our own host's stack, not by us (captured).</summary>
public enum Direction
{
    Out,
    In,
    Kernel,
}

/// <summary>Everything a run reports goes through one stream of these; renderers turn it into text, JSON, ladders and pcaps.</summary>
public abstract record TraceEvent(TimeSpan Time);

/// <summary>A frame sent or received, decoded, with its relative numbers and Wireshark-style analysis tags.</summary>
public sealed record PacketTraced(TimeSpan Time, DateTimeOffset Wall, int Number, Direction Dir, byte[] Frame, ParsedFrame Parsed, RelativeSeq? Rel, IReadOnlyList<string> Tags) : TraceEvent(Time)
{
    /// <summary>Why the engine sent it, when not a plain segment ("retransmission", "window probe", "ARP").</summary>
    public string? Note { get; init; }
}

/// <summary>Time moved on without a frame (a timer fired): renderers close the packet line before it.</summary>
public sealed record TimerTraced(TimeSpan Time) : TraceEvent(Time);

/// <summary>A recipe step finished: passed, or failed with a message and one line per mismatching field.</summary>
public sealed record StepTraced(TimeSpan Time, string File, int Line, string Text, bool Passed, string? Message, IReadOnlyList<string> Diffs) : TraceEvent(Time);

/// <summary>A side's state changed. <see cref="From"/> is null when it was unknown (the server before it answered);
/// <see cref="Flow"/> names the connection, so nothing carries over between flows.</summary>
public sealed record StateTraced(TimeSpan Time, Side Side, TcpState? From, TcpState To, string? Reason) : TraceEvent(Time)
{
    public FlowKey? Flow { get; init; }
}

public enum NoteLevel
{
    Info,
    Warning,
    Error,
}

public sealed record NoteTraced(TimeSpan Time, NoteLevel Level, string Text) : TraceEvent(Time);

/// <summary>What a session amounted to: the last event of a run (one per flow).</summary>
public sealed record ResultTraced(TimeSpan Time, bool Ok, string? Error, RunSummary Summary) : TraceEvent(Time);

/// <summary>Figures for the end-of-run summary.</summary>
public sealed record RunSummary
{
    public string Flow { get; init; } = "";
    public TimeSpan? Rtt { get; init; }
    public ushort? ServerMss { get; init; }
    public byte? ServerWindowScale { get; init; }
    public uint? ServerWindow { get; init; }
    public bool SackPermitted { get; init; }
    public bool Timestamps { get; init; }
    public int BytesSent { get; init; }
    public int BytesAcknowledged { get; init; }
    public int BytesReceived { get; init; }
    public byte[] Received { get; init; } = [];
    public int PacketsOut { get; init; }
    public int PacketsIn { get; init; }
    public int Retransmissions { get; init; }
    public int ServerRetransmissions { get; init; }
    public TcpState ClientState { get; init; }
    /// <summary>The server's inferred state; null while unknown (it never answered).</summary>
    public TcpState? ServerState { get; init; }
    public string? Ending { get; init; }
    public TimeSpan Duration { get; init; }
}

/// <summary>Receives trace events in order. Renderers implement it.</summary>
public interface ITraceSink
{
    void Publish(TraceEvent e);

    /// <summary>The run is over: flush what is buffered.</summary>
    void Complete();
}

/// <summary>
/// A sink that takes the frames sent and received as they are handled, as a stamp and a parse, instead of as
/// <see cref="PacketTraced"/> events: the engine then keeps no copy of a frame and holds none in the capture-order window
/// (so there is no numbering, no relative numbers and no analysis either). For sinks that only time or count frames
/// (<c>bench session</c>); renderers take <see cref="PacketTraced"/>. Every other event comes through
/// <see cref="ITraceSink.Publish"/> as usual. The engine uses this only when it is the sink it was given.
/// </summary>
public interface IPacketStampSink : ITraceSink
{
    /// <summary>A frame sent (stamped just before sending) or received (the capture's stamp); the span, and the parse's
    /// offsets into it, are valid only during the call.</summary>
    void Packet(Direction dir, ReadOnlySpan<byte> frame, in ParsedFrame parsed, DateTimeOffset wall);
}

/// <summary>Fans one event stream out to every renderer.</summary>
public sealed class TraceBus : ITraceSink
{
    private readonly List<ITraceSink> sinks = [];

    public IReadOnlyList<ITraceSink> Sinks => sinks;

    public TraceBus Add(ITraceSink sink)
    {
        sinks.Add(sink);
        return this;
    }

    public void Publish(TraceEvent e)
    {
        foreach (var s in sinks)
        {
            s.Publish(e);
        }
    }

    public void Complete()
    {
        foreach (var s in sinks)
        {
            s.Complete();
        }
    }
}

/// <summary>Keeps every event: for tests, ladders and summaries.</summary>
public sealed class TraceRecorder : ITraceSink
{
    public List<TraceEvent> Events { get; } = [];

    public void Publish(TraceEvent e) => Events.Add(e);

    public void Complete()
    {
    }
}
