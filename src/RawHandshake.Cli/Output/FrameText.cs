using System.Globalization;
using System.Text;
using RawHandshake.Wire.Dissection;
using RawHandshake.Wire.Parsing;

namespace RawHandshake.Cli.Output;

/// <summary>Wireshark-style text for one frame: the summary line, the field tree with byte offsets, the annotated hex dump.</summary>
public static class FrameText
{
    /// <summary>Wireshark's Info column, with its analysis tags in front: <c>[TCP Retransmission] 35834 → 20000 …</c>.</summary>
    public static string Info(in ParsedFrame f, ReadOnlySpan<byte> frame, RelativeSeq? rel, IReadOnlyList<string>? tags) =>
        (tags is { Count: > 0 } ? string.Concat(tags.Select(t => $"[{t}] ")) : "") + PacketSummary.Info(f, frame, rel);

    /// <summary>The summary line; <paramref name="info"/>, when given, is the whole Info column (<see cref="PacketSummary.Info(AnalyzedFrame, ReadOnlySpan{byte})"/>).</summary>
    public static string SummaryLine(int number, double seconds, in ParsedFrame f, ReadOnlySpan<byte> frame, RelativeSeq? rel, IReadOnlyList<string>? tags = null, string? info = null, string? protocol = null) =>
        string.Create(CultureInfo.InvariantCulture,
            $"{number,5} {seconds,10:F6} {PacketSummary.Source(f)} → {PacketSummary.Destination(f)} {protocol ?? PacketSummary.Protocol(f)} {frame.Length} {info ?? Info(f, frame, rel, tags)}");

    public static string Render(int number, DateTimeOffset? time, double seconds, in ParsedFrame f, ReadOnlySpan<byte> frame, RelativeSeq? rel, IReadOnlyList<string>? extraLayers = null, string? comment = null, IReadOnlyList<string>? tags = null, string? info = null, string? protocol = null)
    {
        var sb = new StringBuilder();
        sb.Append(SummaryLine(number, seconds, f, frame, rel, tags, info, protocol)).Append('\n');
        sb.Append(CultureInfo.InvariantCulture, $"Frame {number}: {frame.Length} bytes on wire ({frame.Length * 8} bits), {frame.Length} bytes captured ({frame.Length * 8} bits)");
        if (time is { } t && t != DateTimeOffset.UnixEpoch)
        {
            sb.Append(CultureInfo.InvariantCulture, $", {t.UtcDateTime:yyyy-MM-dd HH:mm:ss.ffffff} UTC");
        }

        sb.Append('\n');
        if (comment is not null)
        {
            sb.Append("    [Comment: ").Append(comment).Append("]\n");
        }

        var layers = Dissector.Dissect(frame, f, rel);
        foreach (var layer in layers)
        {
            Node(sb, layer.Root, 0);
        }

        if (extraLayers is not null)
        {
            foreach (var line in extraLayers)
            {
                sb.Append(line).Append('\n');
            }
        }

        var spans = layers.Where(l => l.Offset >= 0 && l.Length > 0).Select(l => (l.Offset, l.Length, LayerLabel(l.Key))).ToList();
        var covered = spans.Count == 0 ? 0 : spans.Max(s => s.Offset + s.Length);
        if (covered < frame.Length)
        {
            spans.Add((covered, frame.Length - covered, "rest"));
        }

        sb.Append('\n').Append(HexText.AnnotatedDump(frame, spans));
        return sb.ToString();
    }

    private static string LayerLabel(string key) => key switch
    {
        "eth" => "Ethernet",
        "sll" => "Linux SLL",
        "arp" => "ARP",
        "ip" => "IPv4",
        "tcp" => "TCP",
        "udp" => "UDP",
        "icmp" => "ICMP",
        "data" => "Data",
        "trailer" => "Padding",
        _ => key,
    };

    private static void Node(StringBuilder sb, DissectionNode n, int depth)
    {
        var offset = n.Offset >= 0 ? n.Offset.ToString("x4", CultureInfo.InvariantCulture) : "    ";
        sb.Append(depth == 0 ? "" : offset + "  ").Append(new string(' ', Math.Max(0, depth - 1) * 4)).Append(n.Text).Append('\n');
        foreach (var c in n.Children)
        {
            Node(sb, c, depth + 1);
        }
    }
}
