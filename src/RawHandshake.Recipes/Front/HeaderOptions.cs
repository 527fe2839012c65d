using System.Globalization;
using RawHandshake.Recipes.Syntax;

namespace RawHandshake.Recipes.Front;

/// <summary>
/// One <c>option NAME VALUE</c> of the header: how its value is read (<see cref="Parse"/>), where it goes in
/// <see cref="SessionDefaults"/> (<see cref="Apply"/>) and how the printer writes it back (<see cref="Show"/>, null when
/// not given).
/// </summary>
internal sealed record HeaderOption(string Name, Func<Cursor, object> Parse, Func<SessionDefaults, object, SessionDefaults> Apply, Func<SessionDefaults, string?> Show);

/// <summary>The one table of header options; the parser, the validator and the printer read it.</summary>
internal static class HeaderOptions
{
    private static HeaderOption Number<T>(string name, long min, long max, Func<long, T> convert, Func<SessionDefaults, T?> get, Func<SessionDefaults, T, SessionDefaults> set)
        where T : struct, IFormattable =>
        new(name, c => convert(c.Literal("a number", name, min, max)), (d, v) => set(d, (T)v), d => get(d)?.ToString(null, CultureInfo.InvariantCulture));

    private static HeaderOption Switch(string name, Func<SessionDefaults, bool?> get, Func<SessionDefaults, bool, SessionDefaults> set) =>
        new(name, OptionalBool, (d, v) => set(d, (bool)v), d => get(d) is { } b ? (b ? "on" : "off") : null);

    private static HeaderOption Time(string name, bool positive, Func<SessionDefaults, TimeSpan?> get, Func<SessionDefaults, TimeSpan, SessionDefaults> set) =>
        new(name, c => positive ? Positive(c, name) : c.Duration("a duration"), (d, v) => set(d, (TimeSpan)v), d => get(d) is { } t ? RecipePrinter.Duration(t) : null);

    /// <summary>Every header option, in the order messages list them.</summary>
    public static IReadOnlyList<HeaderOption> All { get; } =
    [
        Number("mss", 1, 65535, v => (ushort)v, d => d.Mss, (d, v) => d with { Mss = v }),
        Number("wscale", 0, 14, v => (byte)v, d => d.WindowScale, (d, v) => d with { WindowScale = v }),
        Switch("sackok", d => d.SackPermitted, (d, v) => d with { SackPermitted = v }),
        Switch("timestamps", d => d.Timestamps, (d, v) => d with { Timestamps = v }),
        Number("window", 0, 65535, v => (ushort)v, d => d.Window, (d, v) => d with { Window = v }),
        Time("rto", positive: true, d => d.Rto, (d, v) => d with { Rto = v }),
        Number("retries", 0, 100, v => (int)v, d => d.Retries, (d, v) => d with { Retries = v }),
        Time("time-wait", positive: false, d => d.TimeWait, (d, v) => d with { TimeWait = v }),
        Time("timeout", positive: true, d => d.Timeout, (d, v) => d with { Timeout = v }),
        Number("ttl", 0, 255, v => (byte)v, d => d.Ttl, (d, v) => d with { Ttl = v }),
        Number("sport", 1, 65535, v => (ushort)v, d => d.SourcePort, (d, v) => d with { SourcePort = v }),
        Number("isn", 0, Cursor.MaxUInt32, v => (uint)v, d => d.Isn, (d, v) => d with { Isn = v }),
        Time("tolerance", positive: false, d => d.Tolerance, (d, v) => d with { Tolerance = v }),
    ];

    private static readonly Dictionary<string, HeaderOption> ByName = All.ToDictionary(o => o.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>The names, as error messages list them.</summary>
    public static string Known { get; } = string.Join(", ", All.Select(o => o.Name));

    public static HeaderOption? Find(string name) => ByName.GetValueOrDefault(name);

    private static TimeSpan Positive(Cursor c, string name)
    {
        var d = c.Duration("a duration");
        return d > TimeSpan.Zero ? d : throw Cursor.Fail(c.Previous, $"{name} must be longer than 0");
    }

    /// <summary><c>sackok</c> alone is on; <c>on yes true 1</c> and <c>off no false 0</c> say it.</summary>
    private static object OptionalBool(Cursor c)
    {
        var t = c.Peek();
        if (t is not { IsWord: true })
        {
            return true;
        }

        switch (t.Text.ToLowerInvariant())
        {
            case "on" or "yes" or "true" or "1":
                c.Next();
                return true;
            case "off" or "no" or "false" or "0":
                c.Next();
                return false;
            default:
                return true;
        }
    }
}
