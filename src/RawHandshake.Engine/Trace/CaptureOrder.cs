using RawHandshake.Wire.Dissection;
using RawHandshake.Wire.Parsing;

namespace RawHandshake.Engine.Trace;

/// <summary>
/// The one place the trace gets capture order, for every output (text, JSON, ladder, pcap): frames are numbered, timed,
/// tracked (relative numbers) and analysed in timestamp order, not in the order the engine handled them. Sent frames are
/// stamped in the process just before sending, received ones by the kernel, so a frame that arrived before one of our
/// sends can be handled after it (under load the kernel stamps a frame well before it reaches the capture ring). Frames
/// wait here in a small reorder window and leave sorted by timestamp once a later frame, or the clock while the engine
/// is idle, is <see cref="Window"/> past them, and all of them before a timer, step or result. A frame later still is
/// stamped no earlier than the one before it. The events a frame causes (state changes, notes) travel with it and carry its time; every
/// time is on one base (seconds since the first frame) and never goes backwards.
/// </summary>
public sealed class CaptureOrder : ITraceSink
{
    /// <summary>How much later a frame may be handled than one stamped after it.</summary>
    public static readonly TimeSpan Window = TimeSpan.FromMilliseconds(50);

    private readonly ITraceSink next;
    private readonly DateTimeOffset origin;
    private readonly CaptureAnalysis analysis = new(conversationsFromStart: true); // a flow's trace starts with the flow
    private readonly List<Held> held = [];
    private Held? lastHandled;
    private DateTimeOffset? newest;
    private DateTimeOffset? firstWall;
    private DateTimeOffset? lastWall;
    private TimeSpan lastTime;
    private long arrival;

    /// <param name="next">Where ordered events go.</param>
    /// <param name="origin">The wall time of the engine's time 0 (events other than frames carry engine time).</param>
    public CaptureOrder(ITraceSink next, DateTimeOffset origin)
    {
        this.next = next;
        this.origin = origin;
    }

    /// <summary>A frame sent or received, with its stamp; numbered and analysed when it leaves the window.</summary>
    public void Packet(Direction dir, byte[] frame, ParsedFrame parsed, DateTimeOffset wall, string? note)
    {
        lastHandled = new Held(dir, frame, parsed, wall, note, arrival++);

        // Kept sorted as frames come: almost always in stamp order, so the place is found from the end at once (a
        // thousand flows' burst no longer sorts the whole window on every frame).
        var at = held.Count;
        while (at > 0 && held[at - 1].Wall > wall)
        {
            at--;
        }

        held.Insert(at, lastHandled);
        if (newest is not { } n || wall > n)
        {
            newest = wall;
        }

        Release(newest.Value - Window);
    }

    public void Publish(TraceEvent e)
    {
        switch (e)
        {
            case PacketTraced p:
                Packet(p.Dir, p.Frame, p.Parsed, p.Wall, p.Note);
                break;
            case StateTraced or NoteTraced when lastHandled is { Released: false } last:
                // A consequence of the frame handled last: it goes out right after that frame, at its time.
                (last.Followers ??= []).Add(e);
                break;
            case StateTraced or NoteTraced:
                Emit(e, OnBase(e.Time));
                break;
            default:
                // A timer, a step, a result: time has moved on past every frame handled so far.
                ReleaseAll();
                Emit(e, OnBase(e.Time));
                break;
        }
    }

    /// <summary>Whether frames wait in the window (the engine then wakes up within <see cref="Window"/> to release them).</summary>
    public bool Holding => held.Count > 0;

    /// <summary>The engine is idle at wall time <paramref name="now"/>: frames stamped more than a window ago go out. (A
    /// frame the kernel stamped can reach the capture ring some time later under load, so idle is not enough.)</summary>
    public void ReleaseIdle(DateTimeOffset now) => Release(now - Window);

    /// <summary>Everything held goes out (before a timer, step or result, and when the engine stops).</summary>
    public void ReleaseAll() => Release(DateTimeOffset.MaxValue);

    public void Complete()
    {
        ReleaseAll();
        next.Complete();
    }

    private void Release(DateTimeOffset before)
    {
        if (held.Count == 0)
        {
            return;
        }

        var n = 0; // held is in stamp order, and in arrival order among equal stamps (see Packet)
        while (n < held.Count && held[n].Wall < before)
        {
            n++;
        }

        if (n == 0)
        {
            return;
        }

        var going = held.GetRange(0, n);
        held.RemoveRange(0, n);
        foreach (var h in going)
        {
            h.Released = true;
            // A frame that reached us more than a window late is stamped no earlier than the one before it: the pcap,
            // too, never goes backwards.
            var wall = lastWall is { } lw && h.Wall < lw ? lw : h.Wall;
            lastWall = wall;
            firstWall ??= wall;
            var a = analysis.Next(h.Frame, h.Parsed, wall); // parsed once, when the frame was sent or received
            var time = Monotonic(wall - firstWall.Value);
            next.Publish(new PacketTraced(time, wall, a.Number, h.Dir, h.Frame, a.Parsed, a.Rel, a.Tags) { Note = h.Note });
            if (h.Followers is { } followers)
            {
                foreach (var f in followers)
                {
                    next.Publish(f with { Time = time });
                }
            }
        }
    }

    /// <summary>Engine time on the trace's base (seconds since the first frame).</summary>
    private TimeSpan OnBase(TimeSpan engineTime) => firstWall is { } first ? origin + engineTime - first : engineTime;

    private void Emit(TraceEvent e, TimeSpan time) => next.Publish(e with { Time = Monotonic(time) });

    private TimeSpan Monotonic(TimeSpan time)
    {
        if (time < lastTime)
        {
            time = lastTime;
        }

        lastTime = time;
        return time;
    }

    private sealed record Held(Direction Dir, byte[] Frame, ParsedFrame Parsed, DateTimeOffset Wall, string? Note, long Arrival)
    {
        /// <summary>The events the frame caused (null until it caused one: most frames cause none).</summary>
        public List<TraceEvent>? Followers { get; set; }

        /// <summary>Left the window (numbered and passed on).</summary>
        public bool Released { get; set; }
    }
}
