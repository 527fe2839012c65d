using System.Globalization;
using System.Text;
using RawHandshake.Recipes.Syntax;
using RawHandshake.Session;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Recipes;

/// <summary>
/// Prints a recipe tree canonically: one line per node, <c>line:col</c> first, children indented. Every slot of a step
/// is printed; <c>-</c> means "not written" (the default applies), <c>*</c> a written wildcard. Used by golden tests
/// and by <c>--dump-tree</c>-style debugging.
/// </summary>
public static class RecipePrinter
{
    public static string Print(Recipe recipe)
    {
        ArgumentNullException.ThrowIfNull(recipe);
        var sb = new StringBuilder();
        sb.Append("recipe ").Append(recipe.File).Append('\n');
        sb.Append("header\n");
        var h = recipe.Header;
        if (h.Target is { } t)
        {
            Line(sb, 1, t.Pos, $"target {t.Endpoint}");
        }

        var d = h.Defaults;
        var settings = new List<(SourcePos Pos, string Text)>();
        void Add<T>(string name, T? value, Func<T, string> format)
            where T : struct
        {
            if (value is { } v)
            {
                settings.Add((d.Positions.TryGetValue(name, out var p) ? p : default, $"option {name} {format(v)}"));
            }
        }

        string Num<T>(T v) where T : IFormattable => v.ToString(null, CultureInfo.InvariantCulture);
        string Bool(bool b) => b ? "on" : "off";
        Add("mss", d.Mss, Num);
        Add("wscale", d.WindowScale, Num);
        Add("sackok", d.SackPermitted, Bool);
        Add("timestamps", d.Timestamps, Bool);
        Add("window", d.Window, Num);
        Add("rto", d.Rto, Duration);
        Add("retries", d.Retries, Num);
        Add("time-wait", d.TimeWait, Duration);
        Add("timeout", d.Timeout, Duration);
        Add("ttl", d.Ttl, Num);
        Add("sport", d.SourcePort, Num);
        Add("isn", d.Isn, Num);
        Add("tolerance", d.Tolerance, Duration);
        foreach (var (pos, text) in settings.OrderBy(s => s.Pos.Line).ThenBy(s => s.Pos.Column))
        {
            Line(sb, 1, pos, text);
        }

        if (h.Description is { } desc)
        {
            Line(sb, 1, h.DescriptionPos ?? default, "description " + Quote(Encoding.UTF8.GetBytes(desc)));
        }

        sb.Append("steps\n");
        foreach (var step in recipe.Steps)
        {
            PrintStep(sb, step);
        }

        return sb.ToString();
    }

    private static void Line(StringBuilder sb, int depth, SourcePos pos, string text) =>
        sb.Append(' ', depth * 2).Append(pos.Line).Append(':').Append(pos.Column).Append(' ').Append(text).Append('\n');

    private static string Opt<T>(T? value)
        where T : class => value?.ToString() ?? "-";

    private static string Within(TimeSpan? within) => within is { } w ? Duration(w) : "-";

    private static void PrintStep(StringBuilder sb, Step step)
    {
        switch (step)
        {
            case SendStep s:
                Line(sb, 1, s.Pos, $"send flags={s.Flags.ToTcpdump()} seq={Opt(s.Seq)} len={(s.Length is { } l ? l.ToString(CultureInfo.InvariantCulture) : "-")} " +
                                   $"ack={Opt(s.Ack)} win={Opt(s.Window)} options={Count(s.Options)} payload={Quote(s.Payload)}");
                PrintOptions(sb, s.Options);
                foreach (var f in s.Fields)
                {
                    Line(sb, 2, f.Pos, f.Bytes is { } b ? $"field {f.Name} hex {Convert.ToHexStringLower(b)}" : $"field {f.Name} {f.Value.ToString(CultureInfo.InvariantCulture)}");
                }

                break;

            case ExpectStep e:
                Line(sb, 1, e.Pos, $"expect flags={e.Flags} seq={Opt(e.Seq)} len={Opt(e.Length)} ack={Opt(e.Ack)} win={Opt(e.Window)} " +
                                   $"options={Count(e.Options)} payload={(e.Payload is null ? "-" : Quote(e.Payload))} within={Within(e.Within)}");
                foreach (var o in e.Options ?? [])
                {
                    Line(sb, 2, o.Pos, OptionMatchText(o));
                }

                foreach (var f in e.Fields)
                {
                    Line(sb, 2, f.Pos, $"field {f.Name} {(f.Verdict ?? f.Value?.ToString() ?? "-")}");
                }

                break;

            case ExpectNothingStep n:
                Line(sb, 1, n.Pos, $"expect nothing within={Duration(n.Within)}");
                break;
            case ExpectRstStep r:
                Line(sb, 1, r.Pos, $"expect rst within={Within(r.Within)}");
                break;
            case ExpectIcmpStep i:
                Line(sb, 1, i.Pos, $"expect icmp type={(i.Type?.ToString(CultureInfo.InvariantCulture) ?? "-")} code={(i.Code?.ToString(CultureInfo.InvariantCulture) ?? "-")} within={Within(i.Within)}");
                break;
            case ExpectStateStep st:
                Line(sb, 1, st.Pos, $"expect state side={(st.Side == Side.Client ? "client" : "server")} {st.State.ToRfc()}");
                break;
            case ConnectStep c:
                Line(sb, 1, c.Pos, $"connect options={Count(c.Options)}");
                PrintOptions(sb, c.Options);
                break;
            case PushStep p:
                Line(sb, 1, p.Pos, $"push {Quote(p.Data)} then-ack={Opt(p.ThenAck)}");
                break;
            case RecvStep rv:
                Line(sb, 1, rv.Pos, $"recv {(rv.Data is { } data ? Quote(data) : $"{rv.Count} bytes")} within={Within(rv.Within)}");
                break;
            case CloseStep cl:
                Line(sb, 1, cl.Pos, "close");
                break;
            case WaitCloseStep wc:
                Line(sb, 1, wc.Pos, $"wait-close within={Within(wc.Within)}");
                break;
            case AbortStep a:
                Line(sb, 1, a.Pos, "abort");
                break;
            case SleepStep sl:
                Line(sb, 1, sl.Pos, $"sleep {Duration(sl.Duration)}");
                break;
            case WindowStep w:
                Line(sb, 1, w.Pos, $"window {w.Bytes.ToString(CultureInfo.InvariantCulture)}");
                break;
            case EchoStep ec:
                Line(sb, 1, ec.Pos, $"echo {Quote(Encoding.UTF8.GetBytes(ec.Note))}");
                break;
            default:
                Line(sb, 1, step.Pos, step.GetType().Name);
                break;
        }
    }

    private static string Count<T>(IReadOnlyList<T>? list) => list is null ? "-" : list.Count.ToString(CultureInfo.InvariantCulture);

    private static void PrintOptions(StringBuilder sb, IReadOnlyList<OptionSpec>? options)
    {
        foreach (var o in options ?? [])
        {
            Line(sb, 2, o.Pos, OptionText(o));
        }
    }

    /// <summary>One option in packetdrill spelling: <c>mss 1460</c>, <c>sackOK</c>, <c>TS val 1 ecr 0</c>, <c>sack 1:10</c>, <c>kind 30 hex 0102</c>.</summary>
    public static string OptionText(OptionSpec o) => o.Kind switch
    {
        OptionKindName.Mss => $"mss {o.Value}",
        OptionKindName.WindowScale => $"wscale {o.Value}",
        OptionKindName.SackPermitted => "sackOK",
        OptionKindName.Timestamps => "TS" + (o.TsVal is null ? "" : $" val {o.TsVal}") + (o.TsEcr is null ? "" : $" ecr {o.TsEcr}"),
        OptionKindName.Sack => "sack " + string.Join(' ', (o.Sack ?? []).Select(b => $"{b.Left}:{b.Right}")),
        OptionKindName.Nop => "nop",
        OptionKindName.Eol => "eol",
        _ => $"kind {o.RawKind}" + (o.RawData is { Length: > 0 } data ? " hex " + Convert.ToHexStringLower(data) : ""),
    };

    /// <summary>One option matcher: <c>mss 1460</c>, <c>wscale *</c>, <c>TS val * ecr 0</c>; a bare name means "present, any value".</summary>
    public static string OptionMatchText(OptionMatch o) => o.Kind switch
    {
        OptionKindName.Mss => "mss" + (o.Value is null ? "" : $" {o.Value}"),
        OptionKindName.WindowScale => "wscale" + (o.Value is null ? "" : $" {o.Value}"),
        OptionKindName.SackPermitted => "sackOK",
        OptionKindName.Timestamps => "TS" + (o.TsVal is null ? "" : $" val {o.TsVal}") + (o.TsEcr is null ? "" : $" ecr {o.TsEcr}"),
        OptionKindName.Sack => "sack" + string.Concat((o.Sack ?? []).Select(b => $" {b.Left}:{b.Right}")),
        OptionKindName.Nop => "nop",
        OptionKindName.Eol => "eol",
        _ => $"kind {o.RawKind}" + (o.RawData is { } data ? " hex " + Convert.ToHexStringLower(data) : ""),
    };

    /// <summary>The shortest exact spelling: <c>2m</c>, <c>1s</c>, <c>1500ms</c>, <c>500us</c>, <c>0.5us</c>.</summary>
    public static string Duration(TimeSpan d)
    {
        var ticks = d.Ticks;
        if (ticks == 0)
        {
            return "0s";
        }

        string N(long v) => v.ToString(CultureInfo.InvariantCulture);
        return ticks % TimeSpan.TicksPerMinute == 0 ? N(ticks / TimeSpan.TicksPerMinute) + "m"
            : ticks % TimeSpan.TicksPerSecond == 0 ? N(ticks / TimeSpan.TicksPerSecond) + "s"
            : ticks % TimeSpan.TicksPerMillisecond == 0 ? N(ticks / TimeSpan.TicksPerMillisecond) + "ms"
            : ticks % TimeSpan.TicksPerMicrosecond == 0 ? N(ticks / TimeSpan.TicksPerMicrosecond) + "us"
            : (ticks / 10m).ToString(CultureInfo.InvariantCulture) + "us";
    }

    /// <summary>Bytes as a C string literal: printable ASCII as is, <c>\r \n \t \0 \\ \"</c>, others <c>\xHH</c>.</summary>
    public static string Quote(byte[] bytes)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        var sb = new StringBuilder("\"");
        foreach (var b in bytes)
        {
            sb.Append(b switch
            {
                (byte)'\r' => "\\r",
                (byte)'\n' => "\\n",
                (byte)'\t' => "\\t",
                0 => "\\0",
                (byte)'\\' => "\\\\",
                (byte)'"' => "\\\"",
                >= 0x20 and < 0x7f => ((char)b).ToString(),
                _ => $"\\x{b:x2}",
            });
        }

        return sb.Append('"').ToString();
    }
}
