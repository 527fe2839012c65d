using RawHandshake.Session;
using RawHandshake.Wire.Capture;

namespace RawHandshake.Engine.Trace;

/// <summary>
/// <c>-w FILE</c>: every frame sent and received, in true order (sent frames are stamped just before sending), as pcap,
/// or pcapng with a comment per packet saying who sent it and the states after it.
/// </summary>
public sealed class CaptureTraceWriter(ICaptureWriter writer) : ITraceSink, IDisposable
{
    private PacketTraced? pending;
    private readonly List<string> notes = [];

    public void Publish(TraceEvent e)
    {
        switch (e)
        {
            case PacketTraced p:
                Flush();
                pending = p;
                break;
            case StateTraced s when pending is not null:
                notes.Add($"{(s.Side == Side.Client ? "client" : "server")} {s.From.ToRfc()}→{s.To.ToRfc()}");
                break;
            case ResultTraced or TimerTraced or StepTraced:
                Flush();
                break;
        }
    }

    private void Flush()
    {
        if (pending is { } p)
        {
            var who = p.Dir switch { Direction.Out => "sent by rawhandshake", Direction.In => "received", _ => "sent by our kernel (not rawhandshake)" };
            var comment = string.Join("; ", new[] { who }.Concat(p.Tags).Concat(p.Note is null ? [] : [p.Note]).Concat(notes));
            writer.Write(p.Wall, p.Frame, comment);
        }

        pending = null;
        notes.Clear();
    }

    public void Complete()
    {
        Flush();
        writer.Flush();
    }

    public void Dispose() => writer.Dispose();
}
