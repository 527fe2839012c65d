using System.Globalization;
using System.Text;
using RawHandshake.Wire.Dissection;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Cli.Args;

/// <summary>Turns option strings into values, with errors that name the option and the bad text.</summary>
public static class ArgParse
{
    /// <summary>A number in decimal, 0x-hex or 0b-binary, at most <paramref name="max"/>.</summary>
    public static ulong Number(string text, string option, ulong max)
    {
        var t = text.Trim().Replace("_", "", StringComparison.Ordinal);
        ulong v;
        var ok = t.StartsWith("0x", StringComparison.OrdinalIgnoreCase)
            ? ulong.TryParse(t.AsSpan(2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out v)
            : t.StartsWith("0b", StringComparison.OrdinalIgnoreCase)
                ? TryBinary(t[2..], out v)
                : ulong.TryParse(t, NumberStyles.None, CultureInfo.InvariantCulture, out v);
        if (!ok)
        {
            throw new UsageException($"{option}: '{text}' is not a number (decimal, 0x-hex or 0b-binary)");
        }

        if (v > max)
        {
            throw new UsageException($"{option}: {text} is out of range (0 to {max}, 0x{max:x})");
        }

        return v;
    }

    public static T? Optional<T>(string? text, string option, ulong max, Func<ulong, T> convert)
        where T : struct => text is null ? null : convert(Number(text, option, max));

    public static ushort? U16(string? text, string option) => Optional(text, option, ushort.MaxValue, v => (ushort)v);

    public static uint? U32(string? text, string option) => Optional(text, option, uint.MaxValue, v => (uint)v);

    public static byte? U8(string? text, string option, byte max = byte.MaxValue) => Optional(text, option, max, v => (byte)v);

    private static bool TryBinary(string s, out ulong v)
    {
        v = 0;
        if (s.Length is 0 or > 64)
        {
            return false;
        }

        foreach (var c in s)
        {
            if (c is not ('0' or '1'))
            {
                return false;
            }

            v = (v << 1) | (c == '1' ? 1UL : 0UL);
        }

        return true;
    }

    public static IPv4Address Address(string text, string option)
    {
        if (IPv4Address.TryParse(text, out var a))
        {
            return a.Value;
        }

        if (text.Contains(':', StringComparison.Ordinal))
        {
            throw new UsageException($"{option}: '{text}' is an IPv6 address (IPv4 only for now)");
        }

        throw new UsageException($"{option}: '{text}' is not an IPv4 address");
    }

    /// <summary>An IPv4 or IPv6 address (a live verb's <c>--source</c>), naming the option in errors.</summary>
    public static IpAddress AnyAddress(string text, string option) =>
        Wire.Primitives.IpAddress.TryParse(text, out var a) ? a : throw new UsageException($"{option}: '{text}' is not an IPv4 or IPv6 address");

    public static MacAddress Mac(string text, string option) =>
        MacAddress.TryParse(text, out var m) ? m.Value : throw new UsageException($"{option}: '{text}' is not a MAC address (expected aa:bb:cc:dd:ee:ff)");

    public static TcpFlags Flags(string text, string option) =>
        TcpFlagsText.TryParse(text, out var f, out var e) ? f : throw new UsageException($"{option}: {e}");

    /// <summary>Hex bytes with optional separators (spaces, colons) and an optional 0x prefix.</summary>
    public static byte[] Hex(string text, string option)
    {
        try
        {
            var frames = HexText.ParseFrames(text.Replace("\n", " ", StringComparison.Ordinal));
            return frames.SelectMany(f => f).ToArray();
        }
        catch (FormatException e)
        {
            throw new UsageException($"{option}: {e.Message}");
        }
    }

    /// <summary>Text with C escapes: <c>\r \n \t \0 \\ \" \' \a \b \f \v \e \xHH \NNN</c> (octal); other characters as UTF-8.</summary>
    public static byte[] Escaped(string text, string option)
    {
        var bytes = new List<byte>(text.Length);
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c != '\\')
            {
                bytes.AddRange(Encoding.UTF8.GetBytes(c.ToString()));
                continue;
            }

            if (++i >= text.Length)
            {
                throw new UsageException($"{option}: a lone backslash ends the text (write \\\\ for a backslash)");
            }

            var e = text[i];
            switch (e)
            {
                case 'r': bytes.Add(13); break;
                case 'n': bytes.Add(10); break;
                case 't': bytes.Add(9); break;
                case 'a': bytes.Add(7); break;
                case 'b': bytes.Add(8); break;
                case 'f': bytes.Add(12); break;
                case 'v': bytes.Add(11); break;
                case 'e': bytes.Add(27); break;
                case '\\': bytes.Add((byte)'\\'); break;
                case '"': bytes.Add((byte)'"'); break;
                case '\'': bytes.Add((byte)'\''); break;
                case 'x':
                    var hex = new string(text.Skip(i + 1).Take(2).TakeWhile(char.IsAsciiHexDigit).ToArray());
                    if (hex.Length == 0)
                    {
                        throw new UsageException($"{option}: \\x at position {i} needs hex digits");
                    }

                    bytes.Add(Convert.ToByte(hex, 16));
                    i += hex.Length;
                    break;
                case >= '0' and <= '7':
                    var oct = new string(text.Skip(i).Take(3).TakeWhile(ch => ch is >= '0' and <= '7').ToArray());
                    var ov = Convert.ToInt32(oct, 8);
                    if (ov > 255)
                    {
                        throw new UsageException($"{option}: octal escape \\{oct} is above 255");
                    }

                    bytes.Add((byte)ov);
                    i += oct.Length - 1;
                    break;
                default:
                    throw new UsageException($"{option}: unknown escape '\\{e}' (known: \\r \\n \\t \\0 \\\\ \\\" \\xHH \\NNN)");
            }
        }

        return [.. bytes];
    }

    /// <summary>A duration such as <c>200ms</c>, <c>1.5s</c>, <c>2m</c>, <c>500us</c>; a bare number is seconds.</summary>
    public static TimeSpan Duration(string text, string option)
    {
        var t = text.Trim();
        var (num, unit) = t.EndsWith("ms", StringComparison.OrdinalIgnoreCase) ? (t[..^2], 1e-3)
            : t.EndsWith("us", StringComparison.OrdinalIgnoreCase) || t.EndsWith("µs", StringComparison.Ordinal) ? (t[..^2], 1e-6)
            : t.EndsWith('s') ? (t[..^1], 1.0)
            : t.EndsWith('m') ? (t[..^1], 60.0)
            : (t, 1.0);
        if (!double.TryParse(num, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || v < 0 || double.IsNaN(v))
        {
            throw new UsageException($"{option}: '{text}' is not a duration (e.g. 200ms, 1.5s, 2m)");
        }

        if (double.IsInfinity(v) || v * unit > 86400)
        {
            throw new UsageException($"{option}: '{text}' is too long (at most 24 h, 86400s)");
        }

        return TimeSpan.FromSeconds(v * unit);
    }
}
