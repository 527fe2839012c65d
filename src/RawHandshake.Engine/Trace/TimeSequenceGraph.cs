using System.Globalization;
using System.Text;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Trace;

/// <summary>
/// Time–sequence graphs as tcptrace draws them, one per direction of each TCP flow: time across, relative sequence
/// number up; each segment the sender sent an I-beam from its first to its last byte (retransmissions red, with an R),
/// the receiver's ACK as a green step line, the right edge of its receive window (ACK + window, scaled) in yellow, and
/// its SACK blocks in purple. Pure ACKs are not segments of the sender's data and are left out, as tcptrace does.
/// </summary>
public static class TimeSequenceGraph
{
    private const int Width = 1000;
    private const int Height = 300;
    private const int Left = 90;
    private const int Right = 20;
    private const int TopMargin = 30;
    private const int Bottom = 36;

    private sealed record Segment(double T, double Seq, double Len, bool Retransmission);

    private sealed record AckPoint(double T, double Ack, double Edge);

    private sealed record SackBlock(double T, double From, double To);

    /// <summary>One SVG per direction of every TCP flow in the events, client to server first.</summary>
    public static IEnumerable<string> Render(IReadOnlyList<TraceEvent> events)
    {
        var packets = events.OfType<PacketTraced>().Where(p => p.Parsed is { Tcp: not null, IPv4: not null } && p.Rel is not null).ToList();
        foreach (var flow in packets.GroupBy(FlowName))
        {
            var list = flow.ToList();
            var start = list[0].Time;
            yield return Graph($"{flow.Key}: client → server", list, fromClient: true, start);
            yield return Graph($"{flow.Key}: server → client", list, fromClient: false, start);
        }
    }

    /// <summary>The flow as the client sees it, whichever way the frame went.</summary>
    public static string FlowName(PacketTraced p)
    {
        var ip = p.Parsed.IPv4!.Value;
        var tcp = p.Parsed.Tcp!.Value;
        return p.Dir == Direction.In
            ? $"{ip.Destination}:{tcp.DestinationPort} ↔ {ip.Source}:{tcp.SourcePort}"
            : $"{ip.Source}:{tcp.SourcePort} ↔ {ip.Destination}:{tcp.DestinationPort}";
    }

    private static string Graph(string title, List<PacketTraced> packets, bool fromClient, TimeSpan start)
    {
        var segments = new List<Segment>();
        var acks = new List<AckPoint>();
        var sacks = new List<SackBlock>();
        foreach (var p in packets)
        {
            var tcp = p.Parsed.Tcp!.Value;
            var rel = p.Rel!.Value;
            var t = (p.Time - start).TotalMilliseconds;
            if ((p.Dir != Direction.In) == fromClient)
            {
                var len = p.Parsed.SegmentLength + (tcp.Has(TcpFlags.Syn) ? 1 : 0) + (tcp.Has(TcpFlags.Fin) ? 1 : 0);
                if (len > 0)
                {
                    var retransmission = p.Tags.Any(x => x.Contains("Retransmission", StringComparison.Ordinal))
                        || p.Note?.Contains("retransmission", StringComparison.OrdinalIgnoreCase) == true;
                    segments.Add(new Segment(t, rel.Seq, len, retransmission));
                }
            }
            else if (tcp.Has(TcpFlags.Ack) && rel.AckKnown)
            {
                var window = (double)tcp.Window * (tcp.Has(TcpFlags.Syn) || rel.WindowShift < 0 ? 1 : 1 << rel.WindowShift);
                acks.Add(new AckPoint(t, rel.Ack, rel.Ack + window));
                var offset = tcp.Ack.Value - rel.Ack;
                foreach (var o in new TcpOptionReader(p.Parsed.TcpOptions(p.Frame)))
                {
                    if (o.Kind == TcpOptionKind.Sack)
                    {
                        for (var i = 0; i < o.SackBlockCount; i++)
                        {
                            var (l, r) = o.SackBlock(i);
                            sacks.Add(new SackBlock(t, l - offset, r - offset));
                        }
                    }
                }
            }
        }

        var tMax = Math.Max(1e-3, packets.Max(p => (p.Time - start).TotalMilliseconds));
        var dataMax = Math.Max(1, Math.Max(segments.Select(s => s.Seq + s.Len).DefaultIfEmpty(0).Max(), acks.Select(a => a.Ack).DefaultIfEmpty(0).Max()));
        var edgeMax = acks.Select(a => a.Edge).DefaultIfEmpty(0).Max();
        // A window far above the data would squash it to the floor: the axis stops short and says where the edge is.
        var yMax = edgeMax <= dataMax * 3 ? Math.Max(dataMax, edgeMax) * 1.05 : dataMax * 1.6;
        var clipped = edgeMax > yMax;
        double X(double t) => Left + (t / tMax * (Width - Left - Right));
        double Y(double s) => Height - Bottom - (Math.Min(s, yMax) / yMax * (Height - Bottom - TopMargin));

        var w = new StringBuilder();
        w.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"tsg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"DejaVu Sans, sans-serif\" font-size=\"10\">");
        w.Append(CultureInfo.InvariantCulture, $"<rect width=\"{Width}\" height=\"{Height}\" fill=\"#fff\"/><text x=\"{Left}\" y=\"16\" font-size=\"12\" font-weight=\"bold\">{SvgLadderRenderer.Esc(title)}</text>");
        w.Append(CultureInfo.InvariantCulture, $"<line x1=\"{Left}\" y1=\"{Height - Bottom}\" x2=\"{Width - Right}\" y2=\"{Height - Bottom}\" stroke=\"#000\"/><line x1=\"{Left}\" y1=\"{TopMargin}\" x2=\"{Left}\" y2=\"{Height - Bottom}\" stroke=\"#000\"/>");
        for (var i = 0; i <= 5; i++)
        {
            var t = tMax * i / 5;
            var anchor = i == 0 ? "start" : i == 5 ? "end" : "middle";
            w.Append(CultureInfo.InvariantCulture, $"<text x=\"{X(t):0.#}\" y=\"{Height - Bottom + 14}\" text-anchor=\"{anchor}\">{t:0.###} ms</text>");
        }

        var step = NiceStep(yMax / 5);
        for (var s = 0.0; s <= yMax; s += step)
        {
            w.Append(CultureInfo.InvariantCulture, $"<text x=\"{Left - 6}\" y=\"{Y(s) + 3:0.#}\" text-anchor=\"end\">{s:0}</text><line x1=\"{Left}\" y1=\"{Y(s):0.#}\" x2=\"{Width - Right}\" y2=\"{Y(s):0.#}\" stroke=\"#eee\"/>");
        }

        w.Append(CultureInfo.InvariantCulture, $"<text x=\"{(Left + Width) / 2}\" y=\"{Height - 4}\" text-anchor=\"middle\">time since the flow's first frame</text>");
        w.Append(CultureInfo.InvariantCulture, $"<text transform=\"translate(14 {Height / 2}) rotate(-90)\" text-anchor=\"middle\">relative sequence number</text>");
        Steps(w, acks.Select(a => (a.T, a.Edge)).ToList(), "#c8a000", "window", X, Y, tMax);
        Steps(w, acks.Select(a => (a.T, a.Ack)).ToList(), "#008000", "ack", X, Y, tMax);
        foreach (var s in sacks)
        {
            w.Append(CultureInfo.InvariantCulture, $"<line class=\"sack\" x1=\"{X(s.T) + 3:0.#}\" y1=\"{Y(s.From):0.#}\" x2=\"{X(s.T) + 3:0.#}\" y2=\"{Y(s.To):0.#}\" stroke=\"#8000c0\" stroke-width=\"3\"/>");
        }

        foreach (var s in segments)
        {
            var colour = s.Retransmission ? "#d00000" : "#000";
            var (x, y1, y2) = (X(s.T), Y(s.Seq), Y(s.Seq + s.Len));
            w.Append(CultureInfo.InvariantCulture, $"<g class=\"{(s.Retransmission ? "seg retrans" : "seg")}\" stroke=\"{colour}\"><line x1=\"{x:0.#}\" y1=\"{y1:0.#}\" x2=\"{x:0.#}\" y2=\"{y2:0.#}\"/><line x1=\"{x - 3:0.#}\" y1=\"{y1:0.#}\" x2=\"{x + 3:0.#}\" y2=\"{y1:0.#}\"/><line x1=\"{x - 3:0.#}\" y1=\"{y2:0.#}\" x2=\"{x + 3:0.#}\" y2=\"{y2:0.#}\"/></g>");
            if (s.Retransmission)
            {
                w.Append(CultureInfo.InvariantCulture, $"<text x=\"{x + 4:0.#}\" y=\"{y2 - 2:0.#}\" fill=\"#d00000\" font-weight=\"bold\">R</text>");
            }
        }

        var lx = Width - Right - 430;
        foreach (var (label, colour) in new[] { ("segment", "#000"), ("retransmission", "#d00000"), ("ACK", "#008000"), ("window edge", "#c8a000"), ("SACK", "#8000c0") })
        {
            w.Append(CultureInfo.InvariantCulture, $"<rect x=\"{lx}\" y=\"8\" width=\"10\" height=\"10\" fill=\"{colour}\"/><text x=\"{lx + 13}\" y=\"17\">{label}</text>");
            lx += 20 + (label.Length * 6);
        }

        if (clipped)
        {
            w.Append(CultureInfo.InvariantCulture, $"<text x=\"{Width - Right}\" y=\"{TopMargin + 12}\" text-anchor=\"end\" fill=\"#a08000\">window edge up to {edgeMax:0} (above the scale)</text>");
        }

        if (segments.Count == 0)
        {
            w.Append(CultureInfo.InvariantCulture, $"<text x=\"{(Left + Width) / 2}\" y=\"{Height / 2}\" text-anchor=\"middle\" fill=\"#777\">no segments carrying sequence space this way</text>");
        }

        w.Append("</svg>");
        return w.ToString();
    }

    /// <summary>1, 2 or 5 times a power of ten, at least <paramref name="raw"/> and at least 1 (sequence numbers are whole).</summary>
    private static double NiceStep(double raw)
    {
        var power = Math.Pow(10, Math.Floor(Math.Log10(Math.Max(raw, 1))));
        var step = new[] { 1, 2, 5, 10 }.Select(m => m * power).First(c => c >= raw);
        return Math.Max(1, step);
    }

    private static void Steps(StringBuilder w, List<(double T, double V)> points, string colour, string cls, Func<double, double> x, Func<double, double> y, double tMax)
    {
        if (points.Count == 0)
        {
            return;
        }

        var sb = new StringBuilder();
        for (var i = 0; i < points.Count; i++)
        {
            if (i > 0)
            {
                sb.Append(CultureInfo.InvariantCulture, $" {x(points[i].T):0.#},{y(points[i - 1].V):0.#}");
            }

            sb.Append(CultureInfo.InvariantCulture, $" {x(points[i].T):0.#},{y(points[i].V):0.#}");
        }

        sb.Append(CultureInfo.InvariantCulture, $" {x(tMax):0.#},{y(points[^1].V):0.#}");
        w.Append(CultureInfo.InvariantCulture, $"<polyline class=\"{cls}\" points=\"{sb.ToString().Trim()}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\"/>");
    }
}
