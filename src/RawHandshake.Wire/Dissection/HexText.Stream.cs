using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace RawHandshake.Wire.Dissection;

/// <summary>Hex text read as a stream: frames come out as their lines are read, in bounded memory, whatever the size.</summary>
public static partial class HexText
{
    /// <summary>The longest line read (a tcpdump/Wireshark line is under 100 characters; one frame on one line fits).</summary>
    public const int MaxLineChars = 1 << 20;

    /// <summary>The largest frame (the capture snap length: GSO frames on veth reach 64 KiB and more).</summary>
    public const int MaxFrameBytes = 262144;

    /// <summary>How much text is read ahead to tell a dump with offsets (a line at offset 0) from plain hex.</summary>
    public const int LookaheadChars = 1 << 20;

    /// <summary>
    /// Reads frames from hex text as <see cref="ParseFrames"/> does, yielding each as soon as it is complete; memory is
    /// bounded by <see cref="MaxLineChars"/>, <see cref="MaxFrameBytes"/> and <see cref="LookaheadChars"/>, so endless
    /// input (<c>/dev/zero</c>) is refused in one line while any amount of <c>tcpdump -xx</c> text streams through.
    /// Throws <see cref="FormatException"/> with the line (and column) of the first problem.
    /// </summary>
    public static IEnumerable<byte[]> ReadFrames(TextReader reader) => ReadBlocks(reader).Select(b => b.Bytes);

    /// <summary>
    /// As <see cref="ReadFrames"/>, each frame with its header line (in a dump, the last line before the frame's first
    /// hex line that is not hex itself: tcpdump's time stamp and decode), or null. <paramref name="textLine"/> sees every
    /// line of a dump that is not hex (tcpdump's "link-type" line among them).
    /// </summary>
    public static IEnumerable<(byte[] Bytes, string? Header)> ReadBlocks(TextReader reader, Action<string>? textLine = null)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var state = new BlockState(textLine);
        var pending = new List<string>();
        var pendingChars = 0L;
        var dump = false;
        var line = new StringBuilder();
        var number = 0;
        while (true)
        {
            var next = ReadLine(reader, line, number + 1);
            if (next is null)
            {
                break;
            }

            number++;
            pending.Add(next);
            pendingChars += next.Length;
            if (IsOffsetZero(next))
            {
                dump = true;
                break;
            }

            if (pendingChars > LookaheadChars)
            {
                break;
            }
        }

        var current = new List<byte>();
        var any = false;
        var n = 0;
        foreach (var l in pending)
        {
            n++;
            if (Take(l, n, dump, current, state) is { } frame)
            {
                any = true;
                yield return frame;
            }
        }

        pending.Clear();
        string? more;
        while ((more = ReadLine(reader, line, n + 1)) is not null)
        {
            n++;
            if (Take(more, n, dump, current, state) is { } frame)
            {
                any = true;
                yield return frame;
            }
        }

        if (current.Count > 0)
        {
            any = true;
            yield return ([.. current], dump ? state.Current : null);
        }

        if (!any)
        {
            throw new FormatException("no hex bytes found");
        }
    }

    private static bool IsOffsetZero(string line) =>
        OffsetLine().Match(line) is var m && IsDumpLine(m)
        && int.Parse(m.Groups["off"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture) == 0;

    /// <summary>The header lines of a dump: the one seen last, and the one of the frame being read.</summary>
    private sealed class BlockState(Action<string>? textLine)
    {
        public string? Seen { get; set; }

        public string? Current { get; set; }

        public void Text(string line)
        {
            textLine?.Invoke(line);

            // tcpdump's decode line (its -v continuation lines start with blanks, its -ttt deltas with one blank and a digit).
            if ((line.Length > 0 && !char.IsWhiteSpace(line[0])) || (line.StartsWith(' ') && line.Length > 1 && char.IsAsciiDigit(line[1])))
            {
                Seen = line;
            }
        }
    }

    /// <summary>One line into the frame being read; returns the frame it completes, if it completes one.</summary>
    private static (byte[] Bytes, string? Header)? Take(string line, int n, bool dump, List<byte> current, BlockState state)
    {
        (byte[] Bytes, string? Header)? done = null;
        if (dump)
        {
            var m = OffsetLine().Match(line);
            if (!IsDumpLine(m))
            {
                state.Text(line); // a header line between frames (tcpdump's decode), or blank
                return null;
            }

            var offset = int.Parse(m.Groups["off"].Value, NumberStyles.HexNumber, CultureInfo.InvariantCulture);
            if (offset == 0)
            {
                if (current.Count > 0)
                {
                    done = ([.. current], state.Current);
                    current.Clear();
                }

                state.Current = state.Seen;
                state.Seen = null;
            }

            if (offset != current.Count)
            {
                throw new FormatException($"line {n}: offset 0x{offset:x4} does not follow the {current.Count} bytes before it");
            }

            // Hex tokens of 2 or 4 digits, at most 16 bytes a line; what follows is an ASCII column.
            var body = m.Groups["rest"].Value;
            var taken = 0;
            var end = 0;
            foreach (Match tok in Regex.Matches(body, @"\S+"))
            {
                var v = tok.Value;
                if (taken >= 16 || v.Length is not (2 or 4) || !v.All(char.IsAsciiHexDigit))
                {
                    break;
                }

                taken += v.Length / 2;
                end = tok.Index + v.Length;
            }

            AppendHex(current, body[..end], n, m.Groups["rest"].Index + 1);
        }
        else
        {
            var t = line.Trim();
            if (t.Length == 0 || t.StartsWith('#'))
            {
                if (current.Count > 0 && t.Length == 0)
                {
                    done = ([.. current], null);
                    current.Clear();
                }

                return done;
            }

            AppendHex(current, line, n, 1);
        }

        if (current.Count > MaxFrameBytes)
        {
            throw new FormatException($"line {n}: a frame of more than {MaxFrameBytes} bytes (the largest a capture holds)");
        }

        return done;
    }

    /// <summary>One line without its end (and without carriage returns); null at the end of input.</summary>
    private static string? ReadLine(TextReader reader, StringBuilder line, int number)
    {
        line.Clear();
        int c;
        while ((c = reader.Read()) >= 0)
        {
            if (c == '\n')
            {
                return line.ToString();
            }

            if (c == '\r')
            {
                continue;
            }

            if (line.Length >= MaxLineChars)
            {
                throw new FormatException($"line {number} is longer than {MaxLineChars / 1024} KiB: not hex text");
            }

            line.Append((char)c);
        }

        return line.Length > 0 ? line.ToString() : null;
    }
}
