using System.Globalization;
using System.Text;
using RawHandshake.Session;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Dissection;

namespace RawHandshake.Engine.Trace;

/// <summary>
/// <c>--report</c>: one self-contained HTML page of a run (no script, no network: styles inline, pictures as inline SVG,
/// the capture as a data: URL): the summary, the ladder, time–sequence graphs of both directions, the trace table with
/// the analysis tags and both sides' states, a header diagram per frame, and the pcapng to download.
/// </summary>
public static class HtmlReportRenderer
{
    private const string Style = """
        body{font-family:DejaVu Sans,Arial,sans-serif;margin:20px;color:#222;max-width:1150px}
        h1{font-size:20px}h2{font-size:16px;border-bottom:1px solid #ccc;margin-top:28px}
        table.trace{border-collapse:collapse;font-family:DejaVu Sans Mono,monospace;font-size:11px}
        table.trace td,table.trace th{border:1px solid #ddd;padding:2px 5px;text-align:left;vertical-align:top}
        tr.out{background:#eef4ff}tr.in{background:#fff}tr.kernel{background:#f2f2f2;color:#666}tr.bad{background:#ffe0e0}
        .tag{color:#a00;font-weight:bold}
        table.hdr{border-collapse:collapse;table-layout:fixed;width:960px;margin:6px 0 12px;font-size:11px}
        table.hdr caption{text-align:left;font-weight:bold;padding:2px}
        table.hdr th{font-weight:normal;font-size:9px;color:#666;width:30px;text-align:left;padding:0 0 0 2px}
        table.hdr td{border:1px solid #333;text-align:center;padding:3px 1px;overflow:hidden;word-break:break-all}
        table.hdr td.bad{background:#ffd0d0;border-color:#c00}table.hdr td.odd{background:#fff3b0}
        table.hdr .n{display:block;color:#555;font-size:9px}table.hdr .v{display:block;font-family:DejaVu Sans Mono,monospace}
        details{margin:4px 0}summary{font-family:DejaVu Sans Mono,monospace;font-size:11px;cursor:pointer}
        .summary td{padding:1px 10px 1px 0}
        """;

    public static void Render(IReadOnlyList<TraceEvent> events, TextWriter output)
    {
        var packets = events.OfType<PacketTraced>().ToList();
        var w = new StringBuilder();
        w.Append("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"/><title>RawHandshake report</title><style>").Append(Style).Append("</style></head><body>\n");
        w.Append("<h1>RawHandshake report</h1>\n");
        foreach (var r in events.OfType<ResultTraced>())
        {
            var s = r.Summary;
            w.Append("<table class=\"summary\">");
            Row(w, "flow", s.Flow);
            Row(w, "result", (r.Ok ? "ok" : "FAILED") + (s.Ending is null ? "" : " — " + s.Ending) + (r.Error is null ? "" : " — " + r.Error));
            if (s.Rtt is { } rtt)
            {
                Row(w, "rtt", string.Create(CultureInfo.InvariantCulture, $"{rtt.TotalMilliseconds:0.000} ms (SYN → SYN-ACK)"));
            }

            Row(w, "packets", $"{s.PacketsOut} out, {s.PacketsIn} in; retransmissions: ours {s.Retransmissions}, server's {s.ServerRetransmissions}");
            Row(w, "bytes", $"sent {s.BytesSent} (acknowledged {s.BytesAcknowledged}), received {s.BytesReceived}");
            Row(w, "states", $"client {s.ClientState.ToRfc()}, server {s.ServerState.ToRfc()} (inferred)");
            w.Append("</table>\n");
        }

        foreach (var step in events.OfType<StepTraced>())
        {
            w.Append(CultureInfo.InvariantCulture, $"<div class=\"step\">{(step.Passed ? "pass" : "<b class=\"tag\">FAIL</b>")} {Esc($"{step.File}:{step.Line}: {step.Text}{(step.Message is null ? "" : " — " + step.Message)}")}</div>\n");
        }

        w.Append(CultureInfo.InvariantCulture, $"<p>{packets.Count} frames. <a download=\"rawhandshake.pcapng\" href=\"data:application/octet-stream;base64,{Capture(events)}\">Download the capture (pcapng, a comment per packet)</a></p>\n");

        w.Append("<h2>Ladder</h2>\n");
        w.Append(SvgLadderRenderer.Render(events));

        w.Append("<h2>Time–sequence graphs</h2>\n");
        foreach (var graph in TimeSequenceGraph.Render(events))
        {
            w.Append("<div>").Append(graph).Append("</div>\n");
        }

        w.Append("<h2>Trace</h2>\n<table class=\"trace\"><tr><th>No.</th><th>Time</th><th></th><th>Source</th><th>Destination</th><th>Protocol</th><th>Length</th><th>Info</th><th>Analysis</th><th>client · server after</th></tr>\n");
        var states = LadderRows.Sessions(events).SelectMany(s => LadderRows.Of(s, _ => true)).Where(r => r.Packet is not null).ToDictionary(r => (object)r.Packet!, ReferenceEqualityComparer.Instance);
        foreach (var p in packets)
        {
            var f = p.Parsed;
            var bad = f.IpChecksum(p.Frame) == Wire.Primitives.ChecksumVerdict.Bad || f.TransportChecksum(p.Frame) == Wire.Primitives.ChecksumVerdict.Bad || p.Tags.Count > 0;
            var cls = bad ? "bad" : p.Dir.ToString().ToLowerInvariant();
            var arrow = p.Dir switch { Direction.Out => "→", Direction.In => "←", _ => "⇢ kernel" };
            var st = states.TryGetValue(p, out var row) && f.Tcp is not null ? $"{row.Client.ToRfc()} · {row.Server.ToRfc()}" : "";
            w.Append(CultureInfo.InvariantCulture, $"<tr class=\"{cls}\"><td>{p.Number}</td><td>{p.Time.TotalSeconds:F6}</td><td>{arrow}</td><td>{Esc(PacketSummary.Source(f))}</td><td>{Esc(PacketSummary.Destination(f))}</td><td>{Esc(PacketSummary.Protocol(f))}</td><td>{p.Frame.Length}</td>");
            w.Append(CultureInfo.InvariantCulture, $"<td>{Esc(PacketSummary.Info(f, p.Frame, p.Rel))}{(p.Note is null ? "" : Esc($" ({p.Note})"))}</td><td class=\"tag\">{Esc(string.Join(", ", p.Tags))}</td><td>{Esc(st)}</td></tr>\n");
        }

        w.Append("</table>\n");
        var notes = events.OfType<NoteTraced>().ToList();
        if (notes.Count > 0)
        {
            w.Append("<h2>Notes</h2>\n<ul>");
            foreach (var n in notes)
            {
                w.Append("<li>").Append(Esc((n.Level == NoteLevel.Info ? "" : n.Level.ToString().ToLowerInvariant() + ": ") + n.Text)).Append("</li>");
            }

            w.Append("</ul>\n");
        }

        w.Append("<h2>Headers, frame by frame</h2>\n");
        // The first TCP frame (the SYN, usually) open; the others a click away.
        var open = packets.FirstOrDefault(p => p.Parsed.Tcp is not null);
        foreach (var p in packets)
        {
            w.Append(CultureInfo.InvariantCulture, $"<details{(ReferenceEquals(p, open) ? " open=\"open\"" : "")}><summary>{Esc(TextTraceRenderer.PacketLine(p))}</summary>{HeaderDiagram.Html(p)}</details>\n");
        }

        w.Append("</body></html>\n");
        output.Write(w.ToString());
    }

    /// <summary>The frames as pcapng, base64, through the same writer as <c>-w</c>.</summary>
    private static string Capture(IReadOnlyList<TraceEvent> events)
    {
        using var memory = new MemoryStream();
        using (var capture = new CaptureTraceWriter(CaptureFileWriter.Create(memory, pcapng: true)))
        {
            foreach (var e in events)
            {
                capture.Publish(e);
            }

            capture.Complete();
        }

        return Convert.ToBase64String(memory.ToArray());
    }

    private static void Row(StringBuilder w, string name, string value) =>
        w.Append("<tr><td>").Append(Esc(name)).Append("</td><td>").Append(Esc(value)).Append("</td></tr>");

    private static string Esc(string s) => SvgLadderRenderer.Esc(s);
}
