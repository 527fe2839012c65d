using System.Globalization;
using RawHandshake.Recipes.Syntax;
using RawHandshake.Wire.Dissection;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;
using F = RawHandshake.Recipes.Syntax.RecipeFields;

namespace RawHandshake.Recipes.Runner;

/// <summary>
/// Compares an arrived segment with an <c>expect</c> step, field by field, in the recipe's relative terms, and words every
/// mismatch as packetdrill does: <c>tcp.ack: expected 3 (0x3) vs actual 1 (0x1)</c>.
/// </summary>
public static class StepMatch
{
    /// <param name="serverIsn">The server's ISN (its sequence numbers are relative to it); null before its SYN-ACK, when
    /// its sequence numbers are compared raw (a closed port's RST has Seq 0).</param>
    /// <param name="ourIsn">Our ISN (the server's acknowledgments are relative to it).</param>
    /// <param name="value">Evaluates a number of the recipe in a slot whose origin is the given ISN.</param>
    public static List<string> Diff(ExpectStep e, Inbound seg, SeqNum? serverIsn, SeqNum ourIsn, Func<NumberExpr, SeqNum?, long> value)
    {
        var diffs = new List<string>();
        var tcp = seg.Tcp;
        if (!e.Flags.Matches(tcp.Flags))
        {
            diffs.Add($"{F.Flags.Shown}: expected {e.Flags} vs actual {tcp.Flags.ToTcpdump()} {tcp.Flags.ToWireshark()}");
        }

        if (serverIsn is { } isn)
        {
            Check(diffs, F.Seq.Shown, e.Seq, tcp.Seq.RelativeTo(isn), x => value(x, isn));
        }
        else if (e.Seq is { } m && !m.Matches(tcp.Seq.Value, x => value(x, null)))
        {
            // No SYN-ACK yet: the server's sequence space has no origin (a RST from a closed port has none at all), so
            // its numbers are compared as they are on the wire: "0" is raw 0.
            diffs.Add(Mismatch(F.Seq.Shown, m, tcp.Seq.Value, x => value(x, null)) + " (raw: the server's ISN is unknown before its SYN-ACK)");
        }

        Check(diffs, F.Len.Shown, e.Length, seg.Parsed.PayloadLength, x => value(x, null));
        if (e.Ack is not null && !tcp.Has(TcpFlags.Ack) && e.Ack.Kind != MatchKind.Any)
        {
            diffs.Add($"{F.Ack.Shown}: expected the ACK flag with an acknowledgment, the segment has none");
        }
        else
        {
            Check(diffs, F.Ack.Shown, e.Ack, tcp.Ack.RelativeTo(ourIsn), x => value(x, ourIsn));
        }

        Check(diffs, F.Win.Shown, e.Window, tcp.Window, x => value(x, null));
        if (e.Payload is { } want && !seg.Payload.SequenceEqual(want))
        {
            diffs.Add($"tcp.payload: expected \"{Escape(want)}\" vs actual \"{Escape(seg.Payload)}\"");
        }

        if (e.Options is { } opts)
        {
            if (e.ExactOptions)
            {
                ExactOptionDiffs(diffs, opts, seg.Options, x => value(x, null), x => value(x, ourIsn), ourIsn);
            }
            else
            {
                OptionDiffs(diffs, opts, seg.Options, x => value(x, null), x => value(x, ourIsn), ourIsn);
            }
        }

        foreach (var f in e.Fields)
        {
            FieldDiff(diffs, f, seg, x => value(x, null));
        }

        return diffs;
    }

    private static void Check(List<string> diffs, string name, Matcher? m, long actual, Func<NumberExpr, long> value)
    {
        if (m is null || m.Matches(actual, value))
        {
            return;
        }

        diffs.Add(Mismatch(name, m, actual, value));
    }

    /// <summary>
    /// packetdrill's wording: <c>tcp.ack: expected 3 (0x3) vs actual 1 (0x1)</c>, or the matcher when not a plain value.
    /// A matcher with variables also shows what it came to: <c>tcp.options.tsval: expected &gt;=$t+10 (= &gt;=81244) vs
    /// actual 81230 (0x13d4e)</c>, <c>tcp.options.tsecr: expected $srv.tsval (= 5, 0x5) vs actual 4 (0x4)</c>.
    /// </summary>
    public static string Mismatch(string name, Matcher m, long actual, Func<NumberExpr, long> value)
    {
        ArgumentNullException.ThrowIfNull(m);
        ArgumentNullException.ThrowIfNull(value);
        var constant = m.A is not { IsConstant: false } && m.B is not { IsConstant: false };
        if (m.Kind == MatchKind.Equal)
        {
            var v = value(m.A!);
            return constant
                ? string.Create(CultureInfo.InvariantCulture, $"{name}: expected {v} (0x{v:x}) vs actual {actual} (0x{actual:x})")
                : string.Create(CultureInfo.InvariantCulture, $"{name}: expected {m} (= {v}, 0x{v:x}) vs actual {actual} (0x{actual:x})");
        }

        if (constant)
        {
            return string.Create(CultureInfo.InvariantCulture, $"{name}: expected {m} vs actual {actual} (0x{actual:x})");
        }

        var evaluated = m with { A = m.A is null ? null : NumberExpr.Literal(value(m.A)), B = m.B is null ? null : NumberExpr.Literal(value(m.B)) };
        return string.Create(CultureInfo.InvariantCulture, $"{name}: expected {m} (= {evaluated}) vs actual {actual} (0x{actual:x})");
    }

    private static void OptionDiffs(List<string> diffs, IReadOnlyList<OptionMatch> wanted, ReadOnlySpan<byte> options, Func<NumberExpr, long> value, Func<NumberExpr, long> sackValue, SeqNum ourIsn)
    {
        var got = TcpOptionsSummary.From(options);
        var text = OptionText(options);
        if (wanted.Count == 0)
        {
            if (options.Length > 0)
            {
                diffs.Add($"tcp.options: expected none vs actual <{text}>");
            }

            return;
        }

        foreach (var o in wanted)
        {
            switch (o.Kind)
            {
                case OptionKindName.Mss:
                    OptionValue(diffs, F.Mss, o.Value, got.Mss, value, text);
                    break;
                case OptionKindName.WindowScale:
                    OptionValue(diffs, F.WindowScale, o.Value, got.WindowScale, value, text);
                    break;
                case OptionKindName.SackPermitted when !got.SackPermitted:
                    diffs.Add($"tcp.options: expected sackOK vs actual <{text}>");
                    break;
                case OptionKindName.Timestamps:
                    if (got.TsVal is null)
                    {
                        diffs.Add($"tcp.options: expected TS vs actual <{text}>");
                    }
                    else
                    {
                        Check(diffs, F.TsVal.Shown, o.TsVal, got.TsVal.Value, value);
                        Check(diffs, F.TsEcr.Shown, o.TsEcr, got.TsEcr!.Value, value);
                    }

                    break;
                case OptionKindName.Sack when got.SackBlocks == 0:
                    diffs.Add($"tcp.options: expected sack vs actual <{text}>");
                    break;
                case OptionKindName.Sack when o.Sack is { Count: > 0 } blocks:
                    // The server's SACK blocks cover our data: relative to our ISN, compared in order.
                    var actualBlocks = new List<(long L, long R)>();
                    foreach (var opt in new TcpOptionReader(options))
                    {
                        for (var b = 0; opt.Kind == TcpOptionKind.Sack && b < opt.SackBlockCount; b++)
                        {
                            var (l, r) = opt.SackBlock(b);
                            actualBlocks.Add((new SeqNum(l).RelativeTo(ourIsn), new SeqNum(r).RelativeTo(ourIsn)));
                        }
                    }

                    for (var b = 0; b < blocks.Count; b++)
                    {
                        if (b >= actualBlocks.Count)
                        {
                            diffs.Add($"tcp.options.sack[{b}]: expected {blocks[b].Left}:{blocks[b].Right} vs actual none (<{text}>)");
                            continue;
                        }

                        Check(diffs, $"tcp.options.sack[{b}].left", blocks[b].Left, actualBlocks[b].L, sackValue);
                        Check(diffs, $"tcp.options.sack[{b}].right", blocks[b].Right, actualBlocks[b].R, sackValue);
                    }

                    break;
                case OptionKindName.Raw:
                    var found = false;
                    foreach (var opt in new TcpOptionReader(options))
                    {
                        found |= (byte)opt.Kind == o.RawKind && (o.RawData is null || opt.Data.SequenceEqual(o.RawData));
                    }

                    if (!found)
                    {
                        diffs.Add($"tcp.options: expected kind {o.RawKind} vs actual <{text}>");
                    }

                    break;
            }
        }
    }

    /// <summary>
    /// The whole list, as packetdrill compares it: the same options in the same order, NOPs and EOL included, nothing
    /// more; values as matchers. One line for the lists when they differ in shape, then the values that differ.
    /// </summary>
    private static void ExactOptionDiffs(List<string> diffs, IReadOnlyList<OptionMatch> wanted, ReadOnlySpan<byte> options, Func<NumberExpr, long> value, Func<NumberExpr, long> sackValue, SeqNum ourIsn)
    {
        var kinds = new List<byte>();
        foreach (var opt in new TcpOptionReader(options))
        {
            kinds.Add((byte)opt.Kind);
        }

        var text = OptionText(options);
        var shapeOk = kinds.Count == wanted.Count;
        for (var i = 0; shapeOk && i < wanted.Count; i++)
        {
            shapeOk = KindOf(wanted[i]) == kinds[i];
        }

        if (!shapeOk)
        {
            var expected = string.Join(",", wanted.Select(RecipePrinter.OptionMatchText));
            diffs.Add($"tcp.options: expected exactly <{expected}> vs actual <{text}>");
            return;
        }

        var at = 0;
        foreach (var a in new TcpOptionReader(options))
        {
            var o = wanted[at++];
            switch (o.Kind)
            {
                case OptionKindName.Mss:
                    Check(diffs, F.Mss.Shown, o.Value, a.Mss, value);
                    break;
                case OptionKindName.WindowScale:
                    Check(diffs, F.WindowScale.Shown, o.Value, a.WindowScale, value);
                    break;
                case OptionKindName.Timestamps:
                    Check(diffs, F.TsVal.Shown, o.TsVal, a.TsVal, value);
                    Check(diffs, F.TsEcr.Shown, o.TsEcr, a.TsEcr, value);
                    break;
                case OptionKindName.Sack when o.Sack is { } blocks:
                    if (blocks.Count != a.SackBlockCount)
                    {
                        diffs.Add($"tcp.options.sack: expected {blocks.Count} blocks vs actual {a.SackBlockCount} (<{text}>)");
                        break;
                    }

                    for (var b = 0; b < blocks.Count; b++)
                    {
                        var (l, r) = a.SackBlock(b);
                        Check(diffs, $"tcp.options.sack[{b}].left", blocks[b].Left, new SeqNum(l).RelativeTo(ourIsn), sackValue);
                        Check(diffs, $"tcp.options.sack[{b}].right", blocks[b].Right, new SeqNum(r).RelativeTo(ourIsn), sackValue);
                    }

                    break;
                case OptionKindName.Raw when o.RawData is { } data && !a.Data.SequenceEqual(data):
                    diffs.Add($"tcp.options: expected kind {o.RawKind} hex {Convert.ToHexStringLower(data)} vs actual kind {o.RawKind} hex {Convert.ToHexStringLower(a.Data)}");
                    break;
            }
        }
    }

    private static byte KindOf(OptionMatch o) => o.Kind switch
    {
        OptionKindName.Mss => (byte)TcpOptionKind.Mss,
        OptionKindName.WindowScale => (byte)TcpOptionKind.WindowScale,
        OptionKindName.SackPermitted => (byte)TcpOptionKind.SackPermitted,
        OptionKindName.Timestamps => (byte)TcpOptionKind.Timestamps,
        OptionKindName.Sack => (byte)TcpOptionKind.Sack,
        OptionKindName.Nop => (byte)TcpOptionKind.Nop,
        OptionKindName.Eol => (byte)TcpOptionKind.EndOfOptions,
        OptionKindName.Raw => o.RawKind ?? throw new ArgumentException("kind N without its number", nameof(o)),
        _ => throw new ArgumentOutOfRangeException(nameof(o), o.Kind, "an option kind the matcher does not know"),
    };

    private static void OptionValue(List<string> diffs, RecipeField field, Matcher? m, long? actual, Func<NumberExpr, long> value, string text)
    {
        if (actual is null)
        {
            diffs.Add($"tcp.options: expected {field.Name}{(m is null ? "" : " " + m)} vs actual <{text}>");
            return;
        }

        Check(diffs, field.Shown, m, actual.Value, value);
    }

    private static void FieldDiff(List<string> diffs, FieldMatch f, Inbound seg, Func<NumberExpr, long> value)
    {
        var field = RecipeFields.Get(f.Name);
        if (f.Verdict is { } verdict)
        {
            var read = field.Verdict ?? throw new InvalidOperationException($"{field.Name} has no checksum verdict to match '{verdict}'");
            var actual = FrameJson.Status(read(seg.Parsed, seg.Frame));
            if (!string.Equals(verdict, actual, StringComparison.OrdinalIgnoreCase))
            {
                diffs.Add($"{field.Shown}: expected {verdict} vs actual {actual}");
            }

            return;
        }

        if (field.Read(seg.Parsed, seg.Frame) is not { } observed)
        {
            diffs.Add($"{field.Shown}: expected {f.Value} vs actual none (the segment does not carry it)");
            return;
        }

        Check(diffs, field.Shown, f.Value, observed, value);
    }

    public static string OptionText(ReadOnlySpan<byte> options)
    {
        var parts = new List<string>();
        foreach (var o in new TcpOptionReader(options))
        {
            parts.Add(o.Kind switch
            {
                TcpOptionKind.Mss => $"mss {o.Mss}",
                TcpOptionKind.WindowScale => $"wscale {o.WindowScale}",
                TcpOptionKind.SackPermitted => "sackOK",
                TcpOptionKind.Timestamps => $"TS val {o.TsVal} ecr {o.TsEcr}",
                TcpOptionKind.Sack => "sack",
                TcpOptionKind.Nop => "nop",
                TcpOptionKind.EndOfOptions => "eol",
                _ => $"kind {(byte)o.Kind}",
            });
        }

        return string.Join(",", parts);
    }

    public static string Escape(ReadOnlySpan<byte> bytes) => Engine.Trace.TextTraceRenderer.Escape(bytes);
}
