using System.Globalization;
using System.Text;
using RawHandshake.Session;
using RawHandshake.Wire.Dissection;

namespace RawHandshake.Engine.Trace;

/// <summary>
/// The human trace: one Wireshark-style line per packet with both sides' states after it, the state changes under it,
/// notes, and a summary at the end. A packet line waits for the state events it causes, so it can show where each
/// side ended up.
/// </summary>
public sealed partial class TextTraceRenderer(TextWriter output, bool showStates = true, bool color = false, bool quiet = false) : ITraceSink
{
    private readonly List<string> pendingBelow = [];
    private PacketTraced? pending;
    // Each flow's own states: nothing carries over from one flow (a recipe, a run of --repeat) to the next.
    private readonly Dictionary<FlowKey, (TcpState Client, TcpState? Server)> states = [];
    private FlowKey? lastFlow; // for state events that name no flow
    private bool headerDone;

    public void Publish(TraceEvent e)
    {
        if (quiet)
        {
            PublishQuiet(e);
            return;
        }

        switch (e)
        {
            case PacketTraced p:
                Flush();
                pending = p;
                lastFlow = FlowOf(p) ?? lastFlow;
                break;
            case StateTraced s:
                if ((s.Flow ?? lastFlow) is { } flow)
                {
                    var (c, sv) = StatesOf(flow);
                    states[flow] = s.Side == Side.Client ? (s.To, sv) : (c, s.To);
                }

                var line = $"{(s.Side == Side.Client ? "client" : "server")} {s.From.ToRfc()} → {s.To.ToRfc()}{(s.Reason is null ? "" : $" ({s.Reason})")}";
                if (pending is null)
                {
                    output.WriteLine(Indent + line);
                }
                else
                {
                    pendingBelow.Add(line);
                }

                break;
            case NoteTraced n:
                var text = n.Level switch { NoteLevel.Warning => "warning: ", NoteLevel.Error => "error: ", _ => "" } + n.Text;
                if (pending is null)
                {
                    output.WriteLine(Indent + text);
                }
                else
                {
                    pendingBelow.Add(text);
                }

                break;
            case TimerTraced:
                Flush();
                break;
            case StepTraced st:
                Flush();
                output.WriteLine($"  {(st.Passed ? "pass" : "FAIL")}  {st.File}:{st.Line}: {Shorten(st.Text)}{(st.Message is null ? "" : " — " + Shorten(st.Message))}");
                foreach (var d in st.Diffs)
                {
                    output.WriteLine("          " + d);
                }

                break;
            case ResultTraced r:
                Flush();
                WriteSummary(r);
                break;
        }
    }

    /// <summary>Quiet (<c>-q</c>): no packet, state or passing step lines; failed steps, warnings and errors only.</summary>
    private void PublishQuiet(TraceEvent e)
    {
        switch (e)
        {
            case StepTraced { Passed: false } st:
                output.WriteLine($"  FAIL  {st.File}:{st.Line}: {Shorten(st.Text)}{(st.Message is null ? "" : " — " + Shorten(st.Message))}");
                foreach (var d in st.Diffs)
                {
                    output.WriteLine("          " + Shorten(d));
                }

                break;
            case NoteTraced { Level: not NoteLevel.Info } n:
                output.WriteLine((n.Level == NoteLevel.Warning ? "warning: " : "error: ") + n.Text);
                break;
            case ResultTraced { Ok: false } r:
                output.WriteLine($"  {r.Summary.Flow}: FAILED{(r.Summary.Ending is null ? "" : " — " + r.Summary.Ending)}{(r.Error is null ? "" : " — " + r.Error)}");
                break;
        }
    }

    /// <summary>Longest payload text or hex shown whole on a trace line; longer ones are cut to their start and <c>… (N bytes)</c>.</summary>
    public const int LongPayload = 32;

    /// <summary>Long quoted texts and long hex runs in a line cut to their first <see cref="LongPayload"/> bytes and <c>… (N bytes)</c>.</summary>
    public static string Shorten(string text)
    {
        text = LongQuoted().Replace(text, m =>
        {
            var inner = m.Groups[1].Value;
            var (bytes, cut) = (0, inner.Length);
            for (var i = 0; i < inner.Length; i++)
            {
                if (bytes == LongPayload)
                {
                    cut = i;
                }

                i += inner[i] != '\\' ? 0 : i + 1 < inner.Length && inner[i + 1] == 'x' ? 3 : 1;
                bytes++;
            }

            return bytes <= LongPayload ? m.Value : $"\"{inner[..cut]}…\" ({bytes} bytes)";
        });
        return LongHex().Replace(text, m =>
        {
            var digits = m.Value.Where(char.IsAsciiHexDigit).Count();
            var keep = 0;
            for (var seen = 0; keep < m.Value.Length && seen < LongPayload * 2; keep++)
            {
                seen += char.IsAsciiHexDigit(m.Value[keep]) ? 1 : 0;
            }

            return $"{m.Value[..keep]}… ({digits / 2} bytes)";
        });
    }

    [System.Text.RegularExpressions.GeneratedRegex("\"((?:[^\"\\\\]|\\\\.){33,})\"")]
    private static partial System.Text.RegularExpressions.Regex LongQuoted();

    [System.Text.RegularExpressions.GeneratedRegex("(?<![0-9A-Fa-f])(?:[0-9A-Fa-f]{2}[ :]?){33,}(?![0-9A-Fa-f])")]
    private static partial System.Text.RegularExpressions.Regex LongHex();

    public void Complete()
    {
        Flush();
        output.Flush();
    }

    private const string Indent = "                     ";

    public static string PacketLine(PacketTraced p)
    {
        var f = p.Parsed;
        var sb = new StringBuilder();
        var arrow = p.Dir switch { Direction.Out => "→", Direction.In => "←", _ => "⇢" };
        sb.Append(CultureInfo.InvariantCulture, $"{p.Number,4}  {p.Time.TotalSeconds,9:F6}  {arrow} ");
        if (f.Tcp is { } tcp && f.IPv4 is { } ip)
        {
            sb.Append(CultureInfo.InvariantCulture, $"{ip.Source}:{tcp.SourcePort} → {ip.Destination}:{tcp.DestinationPort} ");
            sb.Append(PacketSummary.TcpDetails(f, p.Frame, p.Rel));
        }
        else
        {
            sb.Append(CultureInfo.InvariantCulture, $"{PacketSummary.Source(f)} → {PacketSummary.Destination(f)} {PacketSummary.Protocol(f)} {PacketSummary.Info(f, p.Frame, p.Rel)}");
        }

        if (p.Dir == Direction.Out)
        {
            // What the user set to something unusual shows on the line itself, not only in the tree or the JSON.
            sb.Append(UnusualFields.Suffix(p.Frame, f));
        }

        foreach (var t in p.Tags)
        {
            sb.Append(" [").Append(t).Append(']');
        }

        if (p.Dir == Direction.Kernel)
        {
            sb.Append(" [sent by our own kernel, not by rawhandshake]");
        }

        if (p.Note is not null)
        {
            sb.Append(" (").Append(p.Note).Append(')');
        }

        return sb.ToString();
    }

    private void Flush()
    {
        if (!headerDone && pending is not null)
        {
            output.WriteLine("  No.       Time     Packet" + (showStates ? "   | client state · server state (inferred)" : ""));
            headerDone = true;
        }

        if (pending is { } p)
        {
            var line = PacketLine(p);
            if (color)
            {
                line = TraceColors.Paint(line, p.Frame, p.Parsed, p.Tags, p.Dir == Direction.Out);
            }

            if (FlowOf(p) is { } flow && showStates)
            {
                var (client, server) = StatesOf(flow);
                line += $"   | {client.ToRfc()} · {server.ToRfc()}";
            }

            output.WriteLine(line);
            foreach (var below in pendingBelow)
            {
                output.WriteLine(Indent + below);
            }
        }

        pending = null;
        pendingBelow.Clear();
    }

    /// <summary>The flow a TCP frame belongs to: ours and our kernel's go from the local end, received ones come to it.</summary>
    private static FlowKey? FlowOf(PacketTraced p) => p.Parsed.Tcp is { } tcp && p.Parsed.IPv4 is { } ip
        ? p.Dir == Direction.In
            ? new FlowKey(ip.Destination, tcp.DestinationPort, ip.Source, tcp.SourcePort)
            : new FlowKey(ip.Source, tcp.SourcePort, ip.Destination, tcp.DestinationPort)
        : null;

    /// <summary>A flow's states as the trace last showed them: before anything, our side CLOSED and the server unknown.</summary>
    private (TcpState Client, TcpState? Server) StatesOf(FlowKey flow) =>
        states.TryGetValue(flow, out var known) ? known : (TcpState.Closed, null);

    private void WriteSummary(ResultTraced r)
    {
        var s = r.Summary;
        output.WriteLine();
        output.WriteLine($"Summary of {s.Flow}");
        output.WriteLine($"  result    {(r.Ok ? "ok" : "FAILED")}{(s.Ending is null ? "" : " — " + s.Ending)}{(r.Error is null ? "" : " — " + r.Error)}");
        if (s.Rtt is { } rtt)
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  rtt       {rtt.TotalMilliseconds:0.000} ms (SYN → SYN-ACK)"));
        }

        if (s.ServerMss is not null || s.ServerWindow is not null)
        {
            var opts = new List<string>();
            if (s.ServerWindow is { } w)
            {
                opts.Add($"window {w}");
            }

            if (s.ServerMss is { } mss)
            {
                opts.Add($"MSS {mss}");
            }

            opts.Add(s.ServerWindowScale is { } ws ? $"window scale {ws} (×{1 << ws})" : "no window scaling");
            opts.Add(s.SackPermitted ? "SACK permitted" : "no SACK");
            opts.Add(s.Timestamps ? "timestamps" : "no timestamps");
            output.WriteLine("  server    " + string.Join(", ", opts));
        }

        output.WriteLine($"  bytes     sent {s.BytesSent} (acknowledged {s.BytesAcknowledged}), received {s.BytesReceived}");
        output.WriteLine($"  packets   {s.PacketsOut} out, {s.PacketsIn} in; retransmissions: ours {s.Retransmissions}, server's {s.ServerRetransmissions}");
        output.WriteLine($"  states    client {s.ClientState.ToRfc()}, server {s.ServerState.ToRfc()} (inferred)");
        if (s.Received.Length > 0)
        {
            output.WriteLine($"  received  \"{Escape(s.Received)}\"");
        }

        output.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  duration  {s.Duration.TotalMilliseconds:0.000} ms"));
    }

    public static string Escape(ReadOnlySpan<byte> bytes)
    {
        var sb = new StringBuilder();
        foreach (var b in bytes[..Math.Min(bytes.Length, 512)])
        {
            sb.Append(b switch
            {
                (byte)'\r' => "\\r",
                (byte)'\n' => "\\n",
                (byte)'\t' => "\\t",
                (byte)'"' => "\\\"",
                (byte)'\\' => "\\\\",
                >= 0x20 and < 0x7F => ((char)b).ToString(),
                _ => $"\\x{b:x2}",
            });
        }

        if (bytes.Length > 512)
        {
            sb.Append(CultureInfo.InvariantCulture, $"… ({bytes.Length} bytes)");
        }

        return sb.ToString();
    }
}
