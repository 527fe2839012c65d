using System.Globalization;
using System.Security;
using System.Text;
using RawHandshake.Session;
using RawHandshake.Wire.Dissection;

namespace RawHandshake.Engine.Trace;

/// <summary>
/// <c>--ladder-svg</c>: the exchange as an SVG sequence diagram, drawn as the articles draw it — the client's line on
/// the left, the server's on the right, one sloping arrow per frame labelled with Wireshark's Info column (analysis
/// tags first), and each side's state written at its margin whenever it changes (the server's inferred). Frames our own
/// kernel sent are dashed; retransmissions and resets are red. Each arrow is a <c>&lt;line class="arrow"&gt;</c>
/// with the frame number in <c>data-frame</c> and the whole trace line as its tooltip.
/// </summary>
public static class SvgLadderRenderer
{
    private const int Width = 1100;
    private const int ClientX = 170;
    private const int ServerX = Width - 170;
    private const int Top = 64;
    private const int RowHeight = 36;
    private const int Slope = 18;
    private const int MaxLabel = 118;

    public static void Render(IReadOnlyList<TraceEvent> events, TextWriter output)
    {
        var parts = LadderRows.Sessions(events);
        var sessions = parts.Select(s => LadderRows.Of(s, _ => true)).ToList();
        var height = Top + sessions.Sum(rows => (rows.Count + 1) * RowHeight) + 20;
        var first = events.OfType<PacketTraced>().FirstOrDefault(p => p.Parsed.IPv4 is not null && p.Dir != Direction.In);
        var clientName = first?.Parsed.IPv4 is { } ip ? $"client {ip.Source}" : "client";
        var serverName = first?.Parsed.IPv4 is { } ip2 ? $"server {ip2.Destination}" : "server";

        var w = new StringBuilder();
        w.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"ladder\" width=\"{Width}\" height=\"{height}\" viewBox=\"0 0 {Width} {height}\" font-family=\"DejaVu Sans Mono, monospace\" font-size=\"10\">\n");
        w.Append("<title>TCP exchange as a ladder diagram</title>\n");
        w.Append("<defs>");
        foreach (var (id, colour) in new[] { ("rh-head", "#222"), ("rh-head-red", "#c00000"), ("rh-head-grey", "#888") })
        {
            w.Append(CultureInfo.InvariantCulture, $"<marker id=\"{id}\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" markerWidth=\"8\" markerHeight=\"8\" orient=\"auto-start-reverse\"><path d=\"M0,0 L10,5 L0,10 z\" fill=\"{colour}\"/></marker>");
        }

        w.Append("</defs>\n");
        w.Append(CultureInfo.InvariantCulture, $"<rect width=\"{Width}\" height=\"{height}\" fill=\"#fff\"/>\n");
        w.Append(CultureInfo.InvariantCulture, $"<text x=\"{ClientX}\" y=\"20\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">{Esc(clientName)}</text>\n");
        w.Append(CultureInfo.InvariantCulture, $"<text x=\"{ServerX}\" y=\"20\" text-anchor=\"middle\" font-size=\"13\" font-weight=\"bold\">{Esc(serverName)}</text>\n");
        w.Append(CultureInfo.InvariantCulture, $"<line x1=\"{ClientX}\" y1=\"{Top - 14}\" x2=\"{ClientX}\" y2=\"{height - 10}\" stroke=\"#444\" stroke-width=\"2\"/>\n");
        w.Append(CultureInfo.InvariantCulture, $"<line x1=\"{ServerX}\" y1=\"{Top - 14}\" x2=\"{ServerX}\" y2=\"{height - 10}\" stroke=\"#444\" stroke-width=\"2\"/>\n");
        var y = Top;
        for (var k = 0; k < sessions.Count; k++)
        {
            // Each session starts from CLOSED and the server's first known state (a run of several recipes draws one after the other).
            var rows = sessions[k];
            var (client, server) = LadderRows.Initial(parts[k]);
            if (y > Top)
            {
                w.Append(CultureInfo.InvariantCulture, $"<line x1=\"{ClientX - 150}\" y1=\"{y - 26}\" x2=\"{ServerX + 150}\" y2=\"{y - 26}\" stroke=\"#bbb\" stroke-dasharray=\"2 3\"/>\n");
            }

            State(w, Side.Client, client, y - 18);
            State(w, Side.Server, server, y - 18);
            y = Rows(w, rows, y);
            y += RowHeight;
        }

        w.Append("</svg>\n");
        output.Write(w.ToString());
    }

    private static int Rows(StringBuilder w, List<LadderRow> rows, int y)
    {
        foreach (var row in rows)
        {
            if (row.Packet is { } p)
            {
                var fromClient = p.Dir != Direction.In;
                var (x1, x2) = fromClient ? (ClientX, ServerX) : (ServerX, ClientX);
                var red = p.Tags.Any(t => t.Contains("Retransmission", StringComparison.Ordinal)) || p.Note?.Contains("retransmission", StringComparison.OrdinalIgnoreCase) == true
                    || p.Parsed.Tcp is { } tcp && tcp.Has(Wire.Protocols.TcpFlags.Rst);
                var kernel = p.Dir == Direction.Kernel;
                var colour = red ? "#c00000" : kernel ? "#888" : "#222";
                var head = red ? "rh-head-red" : kernel ? "rh-head-grey" : "rh-head";
                var label = Label(p);
                var mid = (ClientX + ServerX) / 2;
                w.Append(CultureInfo.InvariantCulture, $"<g class=\"frame\" data-frame=\"{p.Number}\"><title>{Esc(TextTraceRenderer.PacketLine(p))}</title>");
                w.Append(CultureInfo.InvariantCulture, $"<text x=\"{ClientX - 8}\" y=\"{y + 4}\" text-anchor=\"end\" fill=\"#777\" font-size=\"9\">{p.Number} · {p.Time.TotalMilliseconds:0.000} ms</text>");
                w.Append(CultureInfo.InvariantCulture, $"<line class=\"arrow\" data-frame=\"{p.Number}\" x1=\"{x1}\" y1=\"{y}\" x2=\"{x2}\" y2=\"{y + Slope}\" stroke=\"{colour}\" stroke-width=\"1.5\"{(kernel ? " stroke-dasharray=\"6 4\"" : "")} marker-end=\"url(#{head})\"/>");
                // The label sits just above the arrow and follows its slope, as the articles letter theirs.
                var angle = Math.Atan2(Slope, ServerX - ClientX) * 180 / Math.PI * (fromClient ? 1 : -1);
                var cy = y + (Slope / 2);
                w.Append(CultureInfo.InvariantCulture, $"<text x=\"{mid}\" y=\"{cy - 4}\" transform=\"rotate({angle:0.###} {mid} {cy})\" text-anchor=\"middle\" fill=\"{colour}\">{Esc(label)}</text></g>\n");
            }

            if (row.ClientChanged)
            {
                State(w, Side.Client, row.Client, y + Slope + 4);
            }

            if (row.ServerChanged)
            {
                State(w, Side.Server, row.Server, y + Slope + 4);
            }

            y += RowHeight;
        }

        return y;
    }

    public static string Render(IReadOnlyList<TraceEvent> events)
    {
        var s = new StringWriter(CultureInfo.InvariantCulture);
        Render(events, s);
        return s.ToString();
    }

    /// <summary>The arrow's label: Wireshark's analysis tags, then its Info column (relative numbers), shortened.</summary>
    public static string Label(PacketTraced p)
    {
        var info = p.Parsed.Tcp is not null || p.Parsed.IPv4 is not null || p.Parsed.Arp is not null
            ? PacketSummary.Info(p.Parsed, p.Frame, p.Rel)
            : $"{p.Frame.Length} bytes";
        var text = string.Concat(p.Tags.Select(t => $"[{t}] ")) + info + (p.Dir == Direction.Kernel ? " (our kernel)" : "");
        return text.Length > MaxLabel ? text[..(MaxLabel - 1)] + "…" : text;
    }

    private static void State(StringBuilder w, Side side, TcpState? state, int y)
    {
        var x = side == Side.Client ? ClientX - 10 : ServerX + 10;
        var anchor = side == Side.Client ? "end" : "start";
        w.Append(CultureInfo.InvariantCulture, $"<text class=\"state\" x=\"{x}\" y=\"{y + 4}\" text-anchor=\"{anchor}\" font-size=\"11\" font-weight=\"bold\" fill=\"#1a4d8f\">{Esc(state.ToRfc())}</text>\n");
    }

    internal static string Esc(string s) => SecurityElement.Escape(s) ?? "";
}
