using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace RawHandshake.Wire.Dissection;

/// <summary>Hex in and out: reading frames typed or pasted as hex, and the annotated hex dump.</summary>
public static partial class HexText
{
    [GeneratedRegex(@"^\s*(?:(?<mark>0x)(?<off>[0-9a-fA-F]{4,8}):?|(?<off>[0-9a-fA-F]{4,8})(?<mark>:)?)\s{1,}(?<rest>.*)$")]
    private static partial Regex OffsetLine();

    /// <summary>
    /// Reads one or more frames from hex text: plain (<c>b0958e0b…</c>), space/colon/dash separated (<c>b0 95 8e</c>,
    /// <c>b0:95:8e</c>), or a dump with offsets (<c>tcpdump -xx</c>/<c>-X</c>, Wireshark's "hex dump"), where every line
    /// at offset 0 starts a new frame and ASCII columns are ignored. Throws <see cref="FormatException"/> with the line
    /// and column of the first bad character.
    /// </summary>
    public static List<byte[]> ParseFrames(string text) => [.. ReadFrames(new StringReader(text))];

    /// <summary>
    /// As <see cref="ParseFrames"/>, each frame with the last text line before its first hex line that is not hex itself
    /// (tcpdump's header line with the time stamp and decode), or null when there is none.
    /// </summary>
    public static List<(byte[] Bytes, string? Header)> ParseBlocks(string text) => [.. ReadBlocks(new StringReader(text))];

    // An offset of 4 hex digits followed by bytes: a dump line when more than one group follows, or when the offset has
    // tcpdump's 0x prefix or colon (its last line may hold a single group: "0x0040:  8330").
    private static bool IsDumpOffset(string offset, string rest, bool marked = false) =>
        offset.Length >= 4 && rest.Length > 0 && char.IsAsciiHexDigit(rest[0]) && (offset.Length > 4 || marked || rest.Contains(' ', StringComparison.Ordinal));

    private static bool IsDumpLine(Match m) =>
        m.Success && IsDumpOffset(m.Groups["off"].Value, m.Groups["rest"].Value, m.Groups["mark"].Success);

    private static void AppendHex(List<byte> into, string text, int line, int column)
    {
        int? high = null;
        var highCol = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is ' ' or '\t' or ':' or '-' or ',' || (c == '0' && i + 1 < text.Length && text[i + 1] is 'x' or 'X' && high is null))
            {
                if (c == '0')
                {
                    i++; // skip a 0x prefix
                }
                else if (high is not null && c is not (' ' or '\t'))
                {
                    throw new FormatException($"line {line}, column {column + i}: separator '{c}' splits a byte");
                }

                continue;
            }

            if (!char.IsAsciiHexDigit(c))
            {
                throw new FormatException($"line {line}, column {column + i}: '{c}' is not a hex digit");
            }

            var v = Convert.ToInt32(c.ToString(), 16);
            if (high is null)
            {
                high = v;
                highCol = column + i;
            }
            else
            {
                into.Add((byte)((high.Value << 4) | v));
                high = null;
            }
        }

        if (high is not null)
        {
            throw new FormatException($"line {line}, column {highCol}: odd number of hex digits");
        }
    }

    /// <summary>A plain hex string, no separators.</summary>
    public static string ToHex(ReadOnlySpan<byte> bytes) => Convert.ToHexString(bytes).ToLowerInvariant();

    /// <summary>Wireshark's hex dump: offset, 16 bytes in two groups of 8, ASCII.</summary>
    public static string Dump(ReadOnlySpan<byte> bytes, string indent = "")
    {
        var sb = new StringBuilder();
        for (var row = 0; row < bytes.Length; row += 16)
        {
            var chunk = bytes.Slice(row, Math.Min(16, bytes.Length - row));
            sb.Append(indent);
            Row(sb, row, chunk);
        }

        return sb.ToString();
    }

    /// <summary>
    /// The annotated dump: one block per layer, each row labelled with the layer it belongs to, so the bytes of the
    /// Ethernet, IP and TCP headers, the options and the payload stand apart.
    /// </summary>
    public static string AnnotatedDump(ReadOnlySpan<byte> bytes, IReadOnlyList<(int Offset, int Length, string Label)> spans)
    {
        var sb = new StringBuilder();
        var width = spans.Count == 0 ? 0 : spans.Max(s => s.Label.Length);
        foreach (var (offset, length, label) in spans)
        {
            if (offset < 0 || length <= 0 || offset >= bytes.Length)
            {
                continue;
            }

            var part = bytes.Slice(offset, Math.Min(length, bytes.Length - offset));
            for (var row = 0; row < part.Length; row += 16)
            {
                var chunk = part.Slice(row, Math.Min(16, part.Length - row));
                sb.Append(row == 0 ? label.PadRight(width) : new string(' ', width)).Append("  ");
                Row(sb, offset + row, chunk);
            }
        }

        return sb.ToString();
    }

    /// <summary>One row of a dump: the offset, up to 16 bytes in two groups of 8, and the bytes as ASCII.</summary>
    private static void Row(StringBuilder sb, int offset, ReadOnlySpan<byte> chunk)
    {
        sb.Append(offset.ToString("x4", CultureInfo.InvariantCulture)).Append("  ");
        for (var i = 0; i < 16; i++)
        {
            sb.Append(i < chunk.Length ? chunk[i].ToString("x2", CultureInfo.InvariantCulture) + " " : "   ");
            if (i == 7)
            {
                sb.Append(' ');
            }
        }

        sb.Append("  ").Append(Dissector.Printable(chunk)).Append('\n');
    }
}
