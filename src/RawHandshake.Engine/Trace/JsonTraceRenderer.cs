using System.Text;
using System.Text.Json;
using RawHandshake.Session;
using RawHandshake.Wire.Dissection;

namespace RawHandshake.Engine.Trace;

/// <summary>
/// JSON lines, one object per event: <c>{"event":"packet","dir":"out",…}</c>, <c>{"event":"state","side":"client",…}</c>,
/// <c>{"event":"note",…}</c>, last <c>{"event":"result","ok":…}</c>. Packet keys are <see cref="FrameJson"/>'s.
/// </summary>
public sealed class JsonTraceRenderer(TextWriter output) : ITraceSink
{
    private static readonly JsonWriterOptions Options = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public void Publish(TraceEvent e)
    {
        if (e is TimerTraced)
        {
            return; // a rendering boundary only
        }

        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, Options))
        {
            w.WriteStartObject();
            switch (e)
            {
                case PacketTraced p:
                    w.WriteString("event", "packet");
                    w.WriteNumber("no", p.Number);
                    w.WriteNumber("time", Math.Round(p.Time.TotalSeconds, 6));
                    w.WriteString("dir", p.Dir switch { Direction.Out => "out", Direction.In => "in", _ => "kernel" });
                    FrameJson.WriteFields(w, p.Parsed, p.Frame, p.Rel);
                    if (p.Tags.Count > 0)
                    {
                        w.WriteStartArray("analysis");
                        foreach (var t in p.Tags)
                        {
                            w.WriteStringValue(t);
                        }

                        w.WriteEndArray();
                    }

                    if (p.Note is not null)
                    {
                        w.WriteString("note", p.Note);
                    }

                    break;
                case StateTraced s:
                    w.WriteString("event", "state");
                    w.WriteNumber("time", Math.Round(s.Time.TotalSeconds, 6));
                    w.WriteString("side", s.Side == Side.Client ? "client" : "server");
                    State(w, "from", s.From);
                    w.WriteString("to", s.To.ToRfc());
                    if (s.Reason is not null)
                    {
                        w.WriteString("reason", s.Reason);
                    }

                    break;
                case NoteTraced n:
                    w.WriteString("event", "note");
                    w.WriteNumber("time", Math.Round(n.Time.TotalSeconds, 6));
                    w.WriteString("level", n.Level.ToString().ToLowerInvariant());
                    w.WriteString("text", n.Text);
                    break;
                case ResultTraced r:
                    WriteResult(w, r);
                    break;
                case StepTraced st:
                    w.WriteString("event", "step");
                    w.WriteNumber("time", Math.Round(st.Time.TotalSeconds, 6));
                    w.WriteString("file", st.File);
                    w.WriteNumber("line", st.Line);
                    w.WriteString("step", st.Text);
                    w.WriteBoolean("ok", st.Passed);
                    if (st.Message is not null)
                    {
                        w.WriteString("error", st.Message);
                    }

                    if (st.Diffs.Count > 0)
                    {
                        w.WriteStartArray("diffs");
                        foreach (var d in st.Diffs)
                        {
                            w.WriteStringValue(d);
                        }

                        w.WriteEndArray();
                    }

                    break;
            }

            w.WriteEndObject();
        }

        output.WriteLine(Encoding.UTF8.GetString(ms.ToArray()));
    }

    private static void WriteResult(Utf8JsonWriter w, ResultTraced r)
    {
        var s = r.Summary;
        w.WriteString("event", "result");
        w.WriteBoolean("ok", r.Ok);
        if (r.Error is null)
        {
            w.WriteNull("error");
        }
        else
        {
            w.WriteString("error", r.Error);
        }

        w.WriteString("flow", s.Flow);
        w.WriteString("echoed", Encoding.UTF8.GetString(s.Received));
        w.WriteString("received_hex", Convert.ToHexString(s.Received).ToLowerInvariant());
        if (s.Ending is not null)
        {
            w.WriteString("ending", s.Ending);
        }

        if (s.Rtt is { } rtt)
        {
            w.WriteNumber("rtt_us", Math.Round(rtt.TotalMicroseconds, 1));
        }

        if (s.ServerMss is { } mss)
        {
            w.WriteNumber("server_mss", mss);
        }

        if (s.ServerWindow is { } win)
        {
            w.WriteNumber("server_window", win);
        }

        if (s.ServerWindowScale is { } ws)
        {
            w.WriteNumber("server_wscale", ws);
        }

        w.WriteBoolean("sack_perm", s.SackPermitted);
        w.WriteBoolean("timestamps", s.Timestamps);
        w.WriteNumber("bytes_sent", s.BytesSent);
        w.WriteNumber("bytes_acked", s.BytesAcknowledged);
        w.WriteNumber("bytes_received", s.BytesReceived);
        w.WriteNumber("packets_out", s.PacketsOut);
        w.WriteNumber("packets_in", s.PacketsIn);
        w.WriteNumber("retransmissions", s.Retransmissions);
        w.WriteNumber("server_retransmissions", s.ServerRetransmissions);
        w.WriteString("client_state", s.ClientState.ToRfc());
        State(w, "server_state", s.ServerState);
        w.WriteNumber("duration_ms", Math.Round(s.Duration.TotalMilliseconds, 3));
    }

    public void Complete() => output.Flush();

    /// <summary>A state by its RFC name, or null while unknown (the server before it answered).</summary>
    private static void State(Utf8JsonWriter w, string name, TcpState? state)
    {
        if (state is { } known)
        {
            w.WriteString(name, known.ToRfc());
        }
        else
        {
            w.WriteNull(name);
        }
    }
}
