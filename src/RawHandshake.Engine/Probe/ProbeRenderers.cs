using System.Globalization;
using System.Text;
using System.Text.Json;
using RawHandshake.Engine.Trace;
using RawHandshake.Wire.Dissection;

namespace RawHandshake.Engine.Probe;

/// <summary>
/// The probe's text, like hping3 and ping: one line per frame that came back (which frame it answers, the RTT, the
/// Wireshark summary), notes, and the statistics at the end. With <c>perReply</c> off only notes and statistics.
/// </summary>
public sealed class ProbeTextRenderer(TextWriter output, bool perReply = true) : ITraceSink
{
    public void Publish(TraceEvent e)
    {
        switch (e)
        {
            case NoteTraced n:
                output.WriteLine((n.Level switch { NoteLevel.Warning => "warning: ", NoteLevel.Error => "error: ", _ => "" }) + n.Text);
                break;
            case ProbeReplyTraced r when perReply:
                output.WriteLine(ReplyLine(r));
                break;
            case ProbeStatisticsTraced s:
                output.WriteLine();
                output.WriteLine($"--- {s.Target} statistics ---");
                output.WriteLine(StatisticsLine(s.Statistics));
                break;
        }
    }

    public void Complete() => output.Flush();

    /// <summary><c>#3     0.213 ms  198.18.2.10 → 198.18.0.1 TCP 58 20000 → 40002 [SYN, ACK] …</c>.</summary>
    public static string ReplyLine(ProbeReplyTraced r)
    {
        var reply = r.Reply;
        var frame = reply.Frame.Span;
        var f = r.Parsed;
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"#{reply.Index + 1,-5} ");
        sb.Append(reply.Kind == ProbeReplyKind.Kernel ? "   kernel  " : string.Create(CultureInfo.InvariantCulture, $"{reply.Rtt.TotalMilliseconds,8:0.000} ms"));
        sb.Append(CultureInfo.InvariantCulture, $"  {PacketSummary.Source(f)} → {PacketSummary.Destination(f)} {PacketSummary.Protocol(f)} {frame.Length} {PacketSummary.Info(f, frame)}");
        if (reply.Kind == ProbeReplyKind.Kernel)
        {
            sb.Append(" [sent by our own kernel, not by rawhandshake]");
        }

        if (reply.Duplicate)
        {
            sb.Append(" (DUP!)");
        }

        return sb.ToString();
    }

    /// <summary><c>5 sent, 4 answered, +1 error, 20% loss, rtt min/avg/max/mdev = 0.153/0.201/0.254/0.033 ms</c>.</summary>
    public static string StatisticsLine(ProbeStatistics s)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{s.Sent} sent, {s.Answered} answered");
        if (s.Refused > 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $", {s.Refused} refused by the link (queue full)");
        }

        if (s.Errors > 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $", +{s.Errors} {(s.Errors == 1 ? "error" : "errors")}");
        }

        if (s.Duplicates > 0)
        {
            sb.Append(CultureInfo.InvariantCulture, $", +{s.Duplicates} {(s.Duplicates == 1 ? "duplicate" : "duplicates")}");
        }

        sb.Append(CultureInfo.InvariantCulture, $", {s.LossPercent:0.#}% loss");
        if (s.Min is { } min && s.Average is { } avg && s.Max is { } max && s.Mdev is { } mdev)
        {
            sb.Append(CultureInfo.InvariantCulture, $", rtt min/avg/max/mdev = {min.TotalMilliseconds:0.000}/{avg.TotalMilliseconds:0.000}/{max.TotalMilliseconds:0.000}/{mdev.TotalMilliseconds:0.000} ms");
        }

        return sb.ToString();
    }
}

/// <summary>
/// JSON lines for a probe: the trace's own objects (<c>packet</c>, <c>note</c>; <see cref="JsonTraceRenderer"/>), a
/// <c>{"event":"reply","probe":N,…}</c> after each frame that came back, and <c>{"event":"statistics",…}</c> last.
/// </summary>
public sealed class ProbeJsonRenderer(TextWriter output) : ITraceSink
{
    private static readonly JsonWriterOptions Options = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly JsonTraceRenderer trace = new(output);

    public void Publish(TraceEvent e)
    {
        switch (e)
        {
            case ProbeReplyTraced r:
                Write(w =>
                {
                    var reply = r.Reply;
                    w.WriteString("event", "reply"); // right after the packet object of the frame itself
                    w.WriteNumber("probe", reply.Index + 1);
                    w.WriteString("kind", reply.Kind switch { ProbeReplyKind.Answer => "answer", ProbeReplyKind.IcmpError => "icmp_error", _ => "kernel" });
                    w.WriteBoolean("duplicate", reply.Duplicate);
                    if (reply.Kind != ProbeReplyKind.Kernel)
                    {
                        w.WriteNumber("rtt_us", Math.Round(reply.Rtt.TotalMicroseconds, 1));
                    }

                    w.WriteString("summary", PacketSummary.Info(r.Parsed, reply.Frame.Span));
                });
                break;
            case ProbeStatisticsTraced s:
                Write(w =>
                {
                    var st = s.Statistics;
                    w.WriteString("event", "statistics");
                    w.WriteString("target", s.Target);
                    w.WriteString("end", s.End switch { RunEnd.Completed => "completed", RunEnd.TimedOut => "timeout", _ => "interrupted" });
                    w.WriteNumber("sent", st.Sent);
                    w.WriteNumber("answered", st.Answered);
                    w.WriteNumber("errors", st.Errors);
                    w.WriteNumber("duplicates", st.Duplicates);
                    w.WriteNumber("loss", Math.Round(st.LossPercent, 3));
                    Micro(w, "rtt_min_us", st.Min);
                    Micro(w, "rtt_avg_us", st.Average);
                    Micro(w, "rtt_max_us", st.Max);
                    Micro(w, "rtt_mdev_us", st.Mdev);
                    w.WriteNumber("duration_ms", Math.Round(st.Duration.TotalMilliseconds, 3));
                });
                break;
            case PacketTraced or NoteTraced:
                trace.Publish(e);
                break;
        }
    }

    public void Complete() => output.Flush();

    private static void Micro(Utf8JsonWriter w, string key, TimeSpan? value)
    {
        if (value is { } v)
        {
            w.WriteNumber(key, Math.Round(v.TotalMicroseconds, 1));
        }
        else
        {
            w.WriteNull(key);
        }
    }

    private void Write(Action<Utf8JsonWriter> body)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, Options))
        {
            w.WriteStartObject();
            body(w);
            w.WriteEndObject();
        }

        output.WriteLine(Encoding.UTF8.GetString(ms.ToArray()));
    }
}
