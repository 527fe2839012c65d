using System.Text;

namespace RawHandshake.Wire.Protocols;

/// <summary>One parser for every way people write TCP flags, and the output forms: Wireshark, letters, tcpdump.</summary>
public static class TcpFlagsText
{
    // Wireshark's order in the Info column: FIN, SYN, RST, PSH, ACK, URG, ECE, CWR, NS (AE).
    private static readonly (TcpFlags Flag, string Name, char Letter)[] Table =
    [
        (TcpFlags.Fin, "FIN", 'F'),
        (TcpFlags.Syn, "SYN", 'S'),
        (TcpFlags.Rst, "RST", 'R'),
        (TcpFlags.Psh, "PSH", 'P'),
        (TcpFlags.Ack, "ACK", 'A'),
        (TcpFlags.Urg, "URG", 'U'),
        (TcpFlags.Ece, "ECE", 'E'),
        (TcpFlags.Cwr, "CWR", 'C'),
        (TcpFlags.Ns, "NS", 'N'),
    ];

    private static readonly string[] Wireshark = BuildCache(Format);
    private static readonly string[] Letters = BuildCache(FormatLetters);

    private static string[] BuildCache(Func<TcpFlags, string> f)
    {
        var cache = new string[512];
        for (var i = 0; i < cache.Length; i++)
        {
            cache[i] = f((TcpFlags)i);
        }

        return cache;
    }

    /// <summary>Wireshark's form: <c>[SYN, ACK]</c>; <c>[&lt;None&gt;]</c> when no bit is set. Cached: no allocation.</summary>
    public static string ToWireshark(this TcpFlags flags) => Wireshark[(int)flags & 0x1FF];

    /// <summary>Letters in a fixed order, as JSON output uses: <c>SA</c>, <c>PA</c>, <c>FA</c>; empty when none.</summary>
    public static string ToLetters(this TcpFlags flags) => Letters[(int)flags & 0x1FF];

    /// <summary>tcpdump's form: <c>S</c>, <c>S.</c>, <c>P.</c>, <c>F.</c>, <c>R.</c>, <c>.</c>; <c>none</c> when no bit is set.</summary>
    public static string ToTcpdump(this TcpFlags flags)
    {
        // tcpdump's order (print-tcp.c tcp_flag_values): F S R P . U E W, then N for the AE/NS bit.
        var sb = new StringBuilder();
        if (flags.HasFlag(TcpFlags.Fin)) { sb.Append('F'); }
        if (flags.HasFlag(TcpFlags.Syn)) { sb.Append('S'); }
        if (flags.HasFlag(TcpFlags.Rst)) { sb.Append('R'); }
        if (flags.HasFlag(TcpFlags.Psh)) { sb.Append('P'); }
        if (flags.HasFlag(TcpFlags.Ack)) { sb.Append('.'); }
        if (flags.HasFlag(TcpFlags.Urg)) { sb.Append('U'); }
        if (flags.HasFlag(TcpFlags.Ece)) { sb.Append('E'); }
        if (flags.HasFlag(TcpFlags.Cwr)) { sb.Append('W'); }
        if (flags.HasFlag(TcpFlags.Ns)) { sb.Append('N'); }
        return sb.Length == 0 ? "none" : sb.ToString();
    }

    private static string Format(TcpFlags flags)
    {
        var names = Table.Where(t => flags.HasFlag(t.Flag)).Select(t => t.Name).ToArray();
        return names.Length == 0 ? "[<None>]" : "[" + string.Join(", ", names) + "]";
    }

    private static string FormatLetters(TcpFlags flags) =>
        new(Table.Where(t => flags.HasFlag(t.Flag)).Select(t => t.Letter).ToArray());

    /// <summary>
    /// Parses flags in any of these spellings: tcpdump/packetdrill (<c>S</c>, <c>S.</c>, <c>P.</c>, <c>F.</c>, <c>R</c>,
    /// <c>.</c>, where <c>.</c> is ACK and <c>W</c> is CWR), letter sets (<c>SA</c>, <c>PA</c>, <c>FA</c>, <c>RA</c>,
    /// <c>U E C N</c>), names (<c>syn,ack</c>, <c>SYN|ACK</c>, <c>[SYN, ACK]</c>), a number (<c>0x12</c>, <c>18</c>), or
    /// <c>none</c>. On failure <paramref name="error"/> names the offending part.
    /// </summary>
    public static bool TryParse(string? text, out TcpFlags flags, out string? error)
    {
        flags = TcpFlags.None;
        error = null;
        if (text is null)
        {
            error = "empty flags";
            return false;
        }

        var t = text.Trim();
        var bracketed = t.StartsWith('[') && t.EndsWith(']');
        if (bracketed)
        {
            t = t[1..^1].Trim(); // Wireshark's form: names only, "[NS]" and "[AE]" included
        }

        if (t.Length == 0)
        {
            error = "empty flags (use 'none' for no flag)";
            return false;
        }

        if (t.Equals("none", StringComparison.OrdinalIgnoreCase) || t == "<None>")
        {
            return true;
        }

        if (t.StartsWith("0x", StringComparison.OrdinalIgnoreCase) || t.All(char.IsAsciiDigit))
        {
            var ok = t.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
                ? ushort.TryParse(t.AsSpan(2), System.Globalization.NumberStyles.HexNumber, null, out var v)
                : ushort.TryParse(t, out v);
            if (!ok || v > 0x1FF)
            {
                error = $"flag value '{t}' is out of range (0 to 0x1ff)";
                return false;
            }

            flags = (TcpFlags)v;
            return true;
        }

        var words = t.Split([',', '|', '+', ' '], StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (words.Length == 0)
        {
            error = $"no flag in '{text.Trim()}' (only separators)";
            return false;
        }

        var named = bracketed || words.Length > 1 || (words[0].Length > 2 && words[0].All(char.IsAsciiLetter) && NameToFlag(words[0]) is not null);
        if (named)
        {
            foreach (var w in words)
            {
                if (NameToFlag(w) is { } f)
                {
                    flags |= f;
                }
                else if (!bracketed && w.Length <= 2 && LettersToFlags(w, out var lf, out _))
                {
                    flags |= lf; // "U E C N" and "S ." as separate letters
                }
                else
                {
                    error = $"unknown flag '{w}' (expected SYN ACK FIN RST PSH URG ECE CWR NS, or letters S . P F R U E W C N A)";
                    return false;
                }
            }

            return true;
        }

        return LettersToFlags(t, out flags, out error);
    }

    /// <summary>Parses flags or throws <see cref="FormatException"/> with the parser's message.</summary>
    public static TcpFlags Parse(string text) =>
        TryParse(text, out var f, out var e) ? f : throw new FormatException(e);

    private static TcpFlags? NameToFlag(string word) => word.ToUpperInvariant() switch
    {
        "FIN" => TcpFlags.Fin,
        "SYN" => TcpFlags.Syn,
        "RST" or "RESET" => TcpFlags.Rst,
        "PSH" or "PUSH" => TcpFlags.Psh,
        "ACK" => TcpFlags.Ack,
        "URG" => TcpFlags.Urg,
        "ECE" => TcpFlags.Ece,
        "CWR" => TcpFlags.Cwr,
        "NS" or "AE" => TcpFlags.Ns,
        _ => null,
    };

    private static bool LettersToFlags(string letters, out TcpFlags flags, out string? error)
    {
        flags = TcpFlags.None;
        error = null;
        foreach (var c in letters)
        {
            TcpFlags f = char.ToUpperInvariant(c) switch
            {
                'F' => TcpFlags.Fin,
                'S' => TcpFlags.Syn,
                'R' => TcpFlags.Rst,
                'P' => TcpFlags.Psh,
                'A' or '.' => TcpFlags.Ack,
                'U' => TcpFlags.Urg,
                'E' => TcpFlags.Ece,
                'C' or 'W' => TcpFlags.Cwr,
                'N' => TcpFlags.Ns,
                _ => (TcpFlags)0xFFFF,
            };
            if (f == (TcpFlags)0xFFFF)
            {
                error = $"unknown flag '{c}' (expected S . P F R U E W C N A)";
                return false;
            }

            flags |= f;
        }

        return true;
    }
}
