using System.Text;

namespace RawHandshake.Engine.Trace;

/// <summary>
/// A picture of the whole run (<c>--ladder-svg</c>, <c>--report</c>): keeps every event and, when disposed after the
/// run, renders them once into its stream. The stream is opened by the caller before anything is sent.
/// </summary>
public sealed class RenderOnCloseWriter(Stream stream, Action<IReadOnlyList<TraceEvent>, TextWriter> render) : ITraceSink, IDisposable
{
    private readonly List<TraceEvent> events = [];
    private bool done;

    public void Publish(TraceEvent e) => events.Add(e);

    public void Complete()
    {
    }

    public void Dispose()
    {
        if (done)
        {
            return;
        }

        done = true;
        using (var writer = new StreamWriter(stream, new UTF8Encoding(false), leaveOpen: true))
        {
            render(events, writer);
        }

        stream.Dispose();
    }
}
