using System.Text;
using RawHandshake.Recipes.Syntax;
using RawHandshake.Session;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Recipes.Front;

/// <summary>A parsed line before validation: a header line, a step, or a line that had an error.</summary>
internal abstract record Item(SourcePos Pos, string Keyword);

internal sealed record TargetItem(SourcePos Pos, TargetSpec Target) : Item(Pos, "target");

internal sealed record OptionsItem(SourcePos Pos, string Keyword, IReadOnlyList<Setting> Settings) : Item(Pos, Keyword);

/// <summary>One <c>option NAME VALUE</c>; <see cref="Value"/> is a ushort, byte, int, uint, bool or TimeSpan.</summary>
internal sealed record Setting(string Name, SourcePos Pos, object Value);

internal sealed record DescriptionItem(SourcePos Pos, string Text) : Item(Pos, "description");

/// <summary><c>dialect packetdrill|rawhandshake</c>.</summary>
internal sealed record DialectItem(SourcePos Pos, RecipeDialect Dialect) : Item(Pos, "dialect");

internal sealed record StepItem(Step Step, string Keyword) : Item(Step.Pos, Keyword);

/// <summary>A line with an error (already reported). <see cref="Item.Keyword"/> is its first word, lower case, or "".</summary>
internal sealed record BrokenItem(SourcePos Pos, string Keyword) : Item(Pos, Keyword);

/// <summary>Turns logical lines into header items and steps; reports the first error of each line.</summary>
internal static class Parser
{
    public const string StepKeywords = "send expect connect push recv close wait-close abort sleep window echo";
    public const string HeaderKeywords = "target option options description dialect";

    /// <summary>The largest window a <c>window N</c> step can ask for: 65535 scaled by 14.</summary>
    public const long MaxScaledWindow = 65535L << 14;

    public static List<Item> Parse(List<LogicalLine> lines, string file, List<RecipeDiagnostic> diagnostics)
    {
        var items = new List<Item>();
        // A .pkt file is read in packetdrill's dialect unless it says otherwise; a dialect line changes it from there on.
        var dialect = file.EndsWith(".pkt", StringComparison.OrdinalIgnoreCase) ? RecipeDialect.Packetdrill : RecipeDialect.RawHandshake;
        var captured = new HashSet<string>(StringComparer.Ordinal);
        foreach (var line in lines)
        {
            var first = line.Tokens.Count > 0 ? line.Tokens[0] : null;
            var keyword = first is { IsWord: true } ? first.Text.ToLowerInvariant() : "";
            var pos = first?.Pos ?? (line.Error is { } le ? new SourcePos(le.Line, le.Column) : new SourcePos(line.Line, 1));
            if (line.Error is not null)
            {
                items.Add(new BrokenItem(pos, keyword));
                continue;
            }

            try
            {
                var item = ParseLine(new Cursor(line) { Captured = captured }, dialect);
                if (item is DialectItem d)
                {
                    dialect = d.Dialect;
                }

                if (item is StepItem { Step: ExpectStep { Captures: { Count: > 0 } caps } })
                {
                    captured.UnionWith(caps.Select(x => x.Variable));
                }

                items.Add(item);
            }
            catch (ParseError e)
            {
                diagnostics.Add(new RecipeDiagnostic(file, e.Pos.Line, e.Pos.Column, e.Message));
                items.Add(new BrokenItem(pos, keyword));
            }
        }

        return items;
    }

    private static Item ParseLine(Cursor c, RecipeDialect dialect)
    {
        var first = c.Next();
        if (!first.IsWord)
        {
            throw Cursor.Fail(first, $"expected a step or a header line, found '{first.Shown}'");
        }

        var keyword = first.Text.ToLowerInvariant();
        var text = c.Line.Text;
        if (keyword.StartsWith('+'))
        {
            // packetdrill's relative time before an expect: +0.3 (exactly) or +0.3~+0.4 (a range), in seconds.
            var (low, high) = RelativeTime(c, first);
            var kw = c.AtEnd ? throw Cursor.Fail(first, $"'{first.Shown}' needs a step after it: +0.3 expect …") : c.Next();
            if (!kw.Is("expect"))
            {
                throw Cursor.Fail(kw, $"a packetdrill time ('{first.Shown}') goes only before expect; before a send write sleep first");
            }

            return new StepItem(ParseExpect(c, kw, text, dialect, (low, high, first)), "expect");
        }

        return keyword switch
        {
            "dialect" => ParseDialect(c, first),
            "target" => ParseTarget(c, first),
            "option" or "options" => ParseOptions(c, first, keyword),
            "description" => ParseDescription(c, first),
            "send" => new StepItem(ParseSend(c, first, text, dialect), keyword),
            "expect" => new StepItem(ParseExpect(c, first, text, dialect, null), keyword),
            "connect" => new StepItem(ParseConnect(c, first, text), keyword),
            "push" => new StepItem(ParsePush(c, first, text), keyword),
            "recv" => new StepItem(ParseRecv(c, first, text), keyword),
            "close" => new StepItem(ParseClose(c, first, text), keyword),
            "abort" => new StepItem(Done(c, "abort", new AbortStep(first.Pos, text)), keyword),
            "wait-close" => new StepItem(ParseWaitClose(c, first, text), keyword),
            "sleep" => new StepItem(ParseSleep(c, first, text), keyword),
            "window" => new StepItem(ParseWindow(c, first, text), keyword),
            "echo" => new StepItem(ParseEcho(c, first, text), keyword),
            _ => throw Cursor.Fail(first, $"unknown step '{first.Shown}' (expected {StepKeywords}, or a header line: {HeaderKeywords})"),
        };
    }

    private static T Done<T>(Cursor c, string step, T value)
    {
        c.Finish(step);
        return value;
    }

    private static void FinishHeader(Cursor c, string keyword)
    {
        if (!c.AtEnd)
        {
            var t = c.Peek()!;
            throw t.Is("within") || t.Is("then") ? Cursor.Extra(t, keyword) : Cursor.Fail(t, $"unexpected '{t.Shown}' at the end of the {keyword} line");
        }
    }

    // ── header ──────────────────────────────────────────────────────────────────────────────────────────────

    private static DialectItem ParseDialect(Cursor c, Token keyword)
    {
        var t = c.AtEnd ? throw Cursor.Fail(keyword, "dialect needs a name: dialect packetdrill or dialect rawhandshake") : c.Next();
        var dialect = t.Is("packetdrill") ? RecipeDialect.Packetdrill
            : t.Is("rawhandshake") ? RecipeDialect.RawHandshake
            : throw Cursor.Fail(t, $"unknown dialect '{t.Shown}' (expected packetdrill or rawhandshake)");
        FinishHeader(c, "dialect");
        return new DialectItem(keyword.Pos, dialect);
    }

    /// <summary>packetdrill's <c>+0.3</c> or <c>+0.3~+0.4</c> (seconds after the previous step).</summary>
    private static (TimeSpan Low, TimeSpan High) RelativeTime(Cursor c, Token first)
    {
        var low = Seconds(first);
        var high = low;
        if (c.TakePunct("~"))
        {
            var t = c.AtEnd ? throw Cursor.Fail(c.Previous, "missing the end of the time range after '~' (+0.3~+0.4)") : c.Next();
            if (!t.IsWord || !t.Text.StartsWith('+'))
            {
                throw Cursor.Fail(t, $"expected a relative time such as +0.4 after '~', found '{t.Shown}'");
            }

            high = Seconds(t);
            if (high < low)
            {
                throw Cursor.Fail(t, $"empty time range {first.Text}~{t.Text}: the earlier time comes first");
            }
        }

        return (low, high);
    }

    private static TimeSpan Seconds(Token t)
    {
        var digits = t.Text[1..];
        if (digits.Length == 0 || !digits.All(ch => char.IsAsciiDigit(ch) || ch == '.') || digits.Count(ch => ch == '.') > 1 || digits == "."
            || !decimal.TryParse(digits, System.Globalization.NumberStyles.AllowDecimalPoint, System.Globalization.CultureInfo.InvariantCulture, out var seconds))
        {
            throw Cursor.Fail(t, $"bad relative time '{t.Shown}' (packetdrill's seconds: +0.3, +1, +0.3~+0.4)");
        }

        return seconds * TimeSpan.TicksPerSecond > Cursor.MaxDuration.Ticks
            ? throw Cursor.Fail(t, "a relative time is limited to 24 hours")
            : TimeSpan.FromTicks((long)(seconds * TimeSpan.TicksPerSecond));
    }

    private static TargetItem ParseTarget(Cursor c, Token keyword)
    {
        if (c.AtEnd)
        {
            throw Cursor.Fail(keyword, "missing IP:PORT after 'target' (e.g. target 198.18.2.10:20000)");
        }

        var host = c.Next();
        string shown;
        if (host.IsPunct("["))
        {
            // [IPv6]:PORT — the lexer splits the address at its colons; the tokens up to ']' spell it.
            var text = new System.Text.StringBuilder();
            while (c.Peek() is { } t && !t.IsPunct("]"))
            {
                text.Append(c.Next().Text);
            }

            if (!c.TakePunct("]") || !IpAddress.TryParse(text.ToString(), out var v6) || !v6.IsV6)
            {
                throw Cursor.Fail(host, $"'[{text}]' is not an IPv6 address in brackets (write target [IPv6]:PORT, e.g. target [2001:db8::10]:20000)");
            }

            shown = v6.ToString();
        }
        else if (!host.IsWord || !IPv4Address.TryParse(host.Text, out var address))
        {
            throw Cursor.Fail(host, $"'{host.Shown}' is not an IPv4 address (write target IP:PORT, e.g. target 198.18.2.10:20000, or [IPv6]:PORT)");
        }
        else
        {
            shown = address.Value.ToString();
        }

        if (!c.TakePunct(":"))
        {
            throw Cursor.Fail(c.Peek() ?? host, "missing ':PORT' after the address (write target IP:PORT)");
        }

        var port = (ushort)c.Literal("a port", "port", 1, 65535);
        FinishHeader(c, "target");
        return new TargetItem(keyword.Pos, new TargetSpec(shown, port, keyword.Pos));
    }

    private static OptionsItem ParseOptions(Cursor c, Token keyword, string kw)
    {
        var settings = new List<Setting>();
        do
        {
            if (c.AtEnd)
            {
                throw Cursor.Fail(c.Previous, $"missing an option name after '{c.Previous.Shown}' (one of {HeaderOptions.Known})");
            }

            var nameTok = c.Next();
            var option = (nameTok.IsWord ? HeaderOptions.Find(nameTok.Text) : null)
                ?? throw Cursor.Fail(nameTok, $"unknown option '{nameTok.Shown}' (expected {HeaderOptions.Known})");
            settings.Add(new Setting(option.Name, nameTok.Pos, option.Parse(c)));
        }
        while (c.TakePunct(","));

        if (!c.AtEnd && c.Peek()!.IsWord && !c.PeekWord("within") && !c.PeekWord("then"))
        {
            throw Cursor.Fail(c.Peek()!, $"expected ',' between options, found '{c.Peek()!.Shown}'");
        }

        FinishHeader(c, kw);
        return new OptionsItem(keyword.Pos, kw, settings);
    }

    private static DescriptionItem ParseDescription(Cursor c, Token keyword)
    {
        var t = c.AtEnd ? null : c.Next();
        if (t is not { Kind: TokenKind.String })
        {
            throw Cursor.Fail(t ?? keyword, "description needs a quoted text: description \"what this recipe shows\"");
        }

        FinishHeader(c, "description");
        return new DescriptionItem(keyword.Pos, Utf8(t.Bytes!));
    }

    private static string Bytes(long n) => n == 1 ? "1 byte" : $"{n} bytes";

    private static string Utf8(byte[] bytes) => new UTF8Encoding(false, false).GetString(bytes);

    // ── flags, sequence specs ───────────────────────────────────────────────────────────────────────────────

    private const string FlagsHint = "S, S., P., F., R, R., . or - for none";

    /// <summary>packetdrill's flag letters: <c>A</c> is AE there (ours: ACK, with <c>N</c> for AE).</summary>
    private static TcpFlags? PacketdrillLetter(char ch) => ch switch
    {
        'F' => TcpFlags.Fin,
        'S' => TcpFlags.Syn,
        'R' => TcpFlags.Rst,
        'P' => TcpFlags.Psh,
        '.' => TcpFlags.Ack,
        'U' => TcpFlags.Urg,
        'E' => TcpFlags.Ece,
        'W' => TcpFlags.Cwr,
        'A' => TcpFlags.Ns,
        _ => null,
    };

    /// <summary>The flags of a letter word in the order written (<c>.P</c> → ACK, PSH); empty for other spellings.</summary>
    private static List<TcpFlags> LetterOrder(string text, RecipeDialect dialect)
    {
        var order = new List<TcpFlags>();
        foreach (var ch in text)
        {
            TcpFlags? f = dialect == RecipeDialect.Packetdrill ? PacketdrillLetter(ch) : null;
            if (f is null && TcpFlagsText.TryParse(ch == '.' ? "." : ch.ToString(), out var one, out _) && ch is not ('0' or '1' or '2' or '3' or '4' or '5' or '6' or '7' or '8' or '9'))
            {
                f = one;
            }

            if (f is null || f == TcpFlags.None)
            {
                return [];
            }

            order.Add(f.Value);
        }

        return order;
    }

    /// <summary>
    /// FLAGS in any spelling <see cref="TcpFlagsText.TryParse"/> takes, or <c>-</c> for none; <c>*</c> (null) when
    /// allowed. In the packetdrill dialect a word of packetdrill's letters (<c>F S R P . U E W A</c>) reads <c>A</c> as AE.
    /// </summary>
    private static (TcpFlags? Flags, SourcePos Pos, List<TcpFlags> Order) ParseFlags(Cursor c, Token keyword, bool allowAny, RecipeDialect dialect)
    {
        if (c.AtEnd)
        {
            throw Cursor.Fail(keyword, allowAny
                ? $"expect needs flags ({FlagsHint}, or *) or one of nothing, rst, icmp, state, server-state"
                : $"send needs flags ({FlagsHint})");
        }

        var first = c.Next();
        if (first.IsPunct("*"))
        {
            return allowAny ? (null, first.Pos, []) : throw Cursor.Fail(first, "send needs exact flags, not '*'");
        }

        if (first.IsWord && first.Text == "-")
        {
            return (TcpFlags.None, first.Pos, []); // packetdrill's spelling of no flags at all
        }

        if (dialect == RecipeDialect.Packetdrill && first.IsWord && first.Text.All(ch => PacketdrillLetter(ch) is not null)
            && !(c.Peek() is { } glued && first.Touches(glued) && (glued.IsWord || glued.IsPunct(","))))
        {
            var pd = TcpFlags.None;
            foreach (var ch in first.Text)
            {
                pd |= PacketdrillLetter(ch)!.Value;
            }

            return (pd, first.Pos, LetterOrder(first.Text, dialect));
        }

        var parts = new List<Token>();
        if (first.IsPunct("["))
        {
            parts.Add(first);
            while (true)
            {
                var t = c.AtEnd ? throw Cursor.Fail(first, "missing ']' after the flag names") : c.Next();
                parts.Add(t);
                if (t.IsPunct("]"))
                {
                    break;
                }
            }
        }
        else if (first.IsWord)
        {
            parts.Add(first);
            while (c.Peek() is { } n && parts[^1].Touches(n) && (n.IsWord || n.IsPunct(",")))
            {
                parts.Add(c.Next());
            }
        }
        else
        {
            throw Cursor.Fail(first, $"expected flags ({FlagsHint}), found '{first.Shown}'");
        }

        // The text TcpFlagsText sees, with the column of each character, so its complaint points at the culprit.
        var sb = new StringBuilder();
        var columns = new List<int>();
        for (var i = 0; i < parts.Count; i++)
        {
            if (i > 0 && !parts[i - 1].Touches(parts[i]))
            {
                sb.Append(' ');
                columns.Add(parts[i].Column);
            }

            for (var k = 0; k < parts[i].Text.Length; k++)
            {
                sb.Append(parts[i].Text[k]);
                columns.Add(parts[i].Column + k);
            }
        }

        var text = sb.ToString();
        // Separators alone ("+", "[,]") are not flags (and TcpFlagsText.TryParse would index an empty word list).
        var inner = text.Trim();
        if (inner.Length >= 2 && inner[0] == '[' && inner[^1] == ']')
        {
            inner = inner[1..^1].Trim();
        }

        if (inner.Length > 0 && inner.All(ch => ch is ',' or '|' or '+' or ' '))
        {
            throw Cursor.Fail(first, $"expected flags ({FlagsHint}), found '{Token.Show(text)}'");
        }

        if (TcpFlagsText.TryParse(text, out var flags, out var error))
        {
            return (flags, first.Pos, parts.Count == 1 ? LetterOrder(text, dialect) : []);
        }

        var message = error ?? $"bad flags '{text}'";
        var column = first.Column;
        var q1 = message.IndexOf('\'', StringComparison.Ordinal);
        var q2 = q1 < 0 ? -1 : message.IndexOf('\'', q1 + 1);
        if (q2 > q1 + 1)
        {
            var at = text.IndexOf(message[(q1 + 1)..q2], StringComparison.OrdinalIgnoreCase);
            if (at >= 0 && at < columns.Count)
            {
                column = columns[at];
            }
        }

        throw Cursor.Fail(new SourcePos(first.Line, column), message);
    }

    /// <summary>END - START modulo 2^32 when both are written in the same terms (both relative, both raw, the same variable).</summary>
    private static long? Span(NumberExpr start, NumberExpr end) =>
        start.Base == end.Base && (start.Base != NumberBase.Variable || start.Variable == end.Variable)
            ? (end.Offset - start.Offset) & 0xFFFF_FFFFL
            : null;

    // ── send ────────────────────────────────────────────────────────────────────────────────────────────────

    private static void Once(HashSet<string> seen, string name, Token at, string? message = null)
    {
        if (!seen.Add(name))
        {
            throw Cursor.Fail(at, message ?? $"'{name}' given twice");
        }
    }

    /// <summary>
    /// What the one segment grammar read: <c>FLAGS [SEQ[:END](LEN)] [ack N] [win N] [&lt;OPTIONS&gt;] [PAYLOAD]</c> and the
    /// step's own clauses. On a send every value is exact (a matcher of kind Equal), on an expect any matcher.
    /// </summary>
    private sealed class SegmentParts
    {
        public TcpFlags? Flags { get; set; }
        public SourcePos FlagsPos { get; set; }
        public List<TcpFlags> Order { get; set; } = [];
        public Matcher? Seq { get; set; }
        public Matcher? Length { get; set; }
        public Token? LengthAt { get; set; }
        public Matcher? Ack { get; set; }
        public Matcher? Window { get; set; }
        public IReadOnlyList<OptionSpec>? SendOptions { get; set; }
        public IReadOnlyList<OptionMatch>? ExpectOptions { get; set; }
        public byte[]? Payload { get; set; }
        public Token? PayloadAt { get; set; }
        public HashSet<string> Seen { get; } = [];
    }

    /// <summary>
    /// The segment grammar that send and expect share. <paramref name="clause"/> reads one clause of the step's own (a
    /// field, <c>within</c>, a capture …) and returns false when the token is none of them.
    /// </summary>
    private static SegmentParts ParseSegment(Cursor c, Token keyword, bool expect, RecipeDialect dialect, SegmentParts parts, Func<Token, string?, bool> clause)
    {
        (parts.Flags, parts.FlagsPos, parts.Order) = ParseFlags(c, keyword, allowAny: expect, dialect);

        // A value of the segment, in its field's range from the table: exact on a send, any matcher on an expect.
        Matcher Value(string what, RecipeField field) => expect
            ? c.Matcher(what, field.Name, field.Min, field.Max)
            : c.Number(what, field.Name, field.SendMin, field.SendMax) is var n ? new Matcher(MatchKind.Equal, n, null, n.Pos) : null!;

        NumberExpr? end = null;
        Token? endTok = null;
        var atSeq = expect ? c.AtMatcher && !(c.Peek(1) is { } assign && assign.IsPunct("=")) : c.AtNumber;
        if (atSeq)
        {
            var seqTok = c.Peek()!;
            parts.Seq = Value("a sequence number", RecipeFields.Seq);
            if (c.PeekPunct(":"))
            {
                if (parts.Seq.Kind != MatchKind.Equal)
                {
                    throw Cursor.Fail(seqTok, $"SEQ:END needs an exact start, not '{parts.Seq}' (write the length as (LEN) instead)");
                }

                c.Next();
                endTok = c.Peek();
                end = c.Number("the end sequence number", "end", RecipeFields.Seq.Min, RecipeFields.Seq.Max);
            }
        }

        if (c.PeekPunct("("))
        {
            c.Next();
            parts.LengthAt = c.Peek();
            var len = RecipeFields.Len;
            parts.Length = expect
                ? c.Matcher("a length", "length", len.Min, len.Max)
                : Matcher.EqualTo(c.Literal("a length", "length", len.SendMin, len.SendMax)) with { Pos = parts.LengthAt?.Pos ?? default };
            if (!c.TakePunct(")"))
            {
                throw Cursor.Fail(c.Peek() ?? c.Previous, "missing ')' after the length");
            }
        }

        if (parts.Seq is { } seq && end is not null)
        {
            var span = Span(seq.A!, end);
            var len = parts.Length;
            if (span is null)
            {
                if (len is null)
                {
                    throw Cursor.Fail(endTok!, $"cannot tell the length of {seq}:{end}: add (LEN)");
                }
            }
            else if (len is null)
            {
                if (span > 65535)
                {
                    throw Cursor.Fail(endTok!, $"{seq}:{end} spans {span} bytes; at most 65535 fit in a segment");
                }

                parts.Length = new Matcher(MatchKind.Equal, NumberExpr.Literal(span.Value) with { Pos = endTok!.Pos }, null, endTok.Pos);
            }
            else if (len.Kind == MatchKind.Equal && len.A!.IsConstant && span != len.A.Offset)
            {
                throw Cursor.Fail(endTok!, $"{seq}:{end} spans {Bytes(span.Value)}, but the length says ({len})");
            }
        }

        var seen = parts.Seen;
        while (!c.AtEnd)
        {
            var t = c.Peek()!;
            var word = t.IsWord ? t.Text.ToLowerInvariant() : null;
            var named = word is null ? null : RecipeFields.Find(word);
            if (ReferenceEquals(named, RecipeFields.Ack))
            {
                Once(seen, named.Name, t);
                c.Next();
                parts.Ack = Value("a number", named);
            }
            else if (ReferenceEquals(named, RecipeFields.Win))
            {
                Once(seen, named.Name, t);
                c.Next();
                parts.Window = Value("a number", named);
            }
            else if (t.IsPunct("<"))
            {
                Once(seen, "<options>", t, "the options are given twice");
                if (expect)
                {
                    parts.ExpectOptions = ParseOptionMatches(c, c.Next());
                }
                else
                {
                    parts.SendOptions = ParseOptionSpecs(c, c.Next(), onSend: true);
                }
            }
            else if (t.Kind == TokenKind.String || word == "hex")
            {
                Once(seen, "payload", t, "the payload is given twice");
                c.Next();
                parts.PayloadAt = t;
                parts.Payload = t.Kind == TokenKind.String ? t.Bytes! : c.HexRun(t, stopAtDf: true);
            }
            else if (!clause(t, word))
            {
                throw Cursor.Extra(t, expect ? "expect" : "send");
            }
        }

        if (parts.Length is { Kind: MatchKind.Equal, A.IsConstant: true } l && parts.Payload is { } p && p.Length != l.A.Offset)
        {
            throw Cursor.Fail(parts.PayloadAt!, $"the payload is {Bytes(p.Length)} but the length says ({l})");
        }

        return parts;
    }

    private static SendStep ParseSend(Cursor c, Token keyword, string text, RecipeDialect dialect)
    {
        var fields = new List<FieldOverride>();
        var parts = new SegmentParts();
        var seen = parts.Seen;
        bool Clause(Token t, string? word)
        {
            if (word is not null && RecipeFields.FindOff(word) is { } off)
            {
                Once(seen, off.Name, t);
                c.Next();
                fields.Add(new FieldOverride(off.Name, 0, t.Pos));
            }
            else if (word == RecipeFields.IpOptions)
            {
                Once(seen, word, t);
                c.Next();
                if (!c.PeekWord("hex"))
                {
                    throw c.AtEnd
                        ? Cursor.Fail(t, "ip.options needs its bytes: ip.options hex 01 01 01 00")
                        : Cursor.Fail(c.Peek()!, $"ip.options needs its bytes as hex: ip.options hex 01 01 01 00, not '{c.Peek()!.Shown}'");
                }

                var hex = c.Next();
                var bytes = c.HexRun(hex, stopAtDf: true);
                if (bytes.Length > 40)
                {
                    throw Cursor.Fail(hex, $"ip.options: {bytes.Length} bytes, but at most 40 fit in an IPv4 header");
                }

                fields.Add(new FieldOverride(word, bytes.Length, t.Pos, bytes));
            }
            else if (word is not null && RecipeFields.Find(word) is { Settable: true } field)
            {
                Once(seen, field.Name, t);
                c.Next();
                var value = field.IsFlag && !Cursor.IsLiteral(c.Peek()) ? 1 : c.Literal("a number", field.Name, field.SendMin, field.SendMax);
                fields.Add(new FieldOverride(field.Name, value, t.Pos));
            }
            else if (word is not null && RecipeFields.Find(word) is { } other)
            {
                throw Cursor.Fail(t, other.Place == FieldPlace.Option
                    ? $"'{word}' is set inside <options> on send (<mss 1460, TS val 1 ecr 0 …>)"
                    : $"'{word}' is set by the segment itself on send (FLAGS SEQ:END(LEN) ack N win N)");
            }
            else
            {
                return false;
            }

            return true;
        }

        ParseSegment(c, keyword, expect: false, dialect, parts, Clause);
        var len = parts.Length?.A?.Offset;
        var payload = parts.Payload;
        var generated = false;
        if (payload is null && len > 0)
        {
            payload = new byte[len.Value]; // packetdrill's filler: (LEN) without a payload sends LEN zero bytes
            generated = true;
        }

        return new SendStep(keyword.Pos, text, parts.Flags!.Value, parts.Seq?.A, (uint?)len, parts.Ack?.A, parts.Window?.A, parts.SendOptions, payload ?? [], fields)
        {
            Generated = generated,
        };
    }

    // ── options ─────────────────────────────────────────────────────────────────────────────────────────────

    private const string KnownOptions = "mss, wscale, sackOK, TS, sack, nop, eol, kind";

    /// <summary>The options of a <c>send</c> (<paramref name="onSend"/>: every value given) or a <c>connect</c> (TS values may be left to the session).</summary>
    private static IReadOnlyList<OptionSpec> ParseOptionSpecs(Cursor c, Token open, bool onSend)
    {
        var list = new List<OptionSpec>();
        if (c.TakePunct(">"))
        {
            return list;
        }

        while (true)
        {
            var name = c.AtEnd ? throw Cursor.Fail(open, "missing '>' to close the options") : c.Next();
            var kind = name.IsWord ? name.Text.ToLowerInvariant() : throw Cursor.Fail(name, $"expected an option name ({KnownOptions}), found '{name.Shown}'");
            list.Add(kind switch
            {
                "mss" => new OptionSpec(OptionKindName.Mss, SendValue(c, RecipeFields.Mss), null, null, null, null, null, name.Pos),
                "wscale" => new OptionSpec(OptionKindName.WindowScale, SendValue(c, RecipeFields.WindowScale), null, null, null, null, null, name.Pos),
                "sackok" => new OptionSpec(OptionKindName.SackPermitted, null, null, null, null, null, null, name.Pos),
                "nop" => new OptionSpec(OptionKindName.Nop, null, null, null, null, null, null, name.Pos),
                "eol" => new OptionSpec(OptionKindName.Eol, null, null, null, null, null, null, name.Pos),
                "ts" => ParseTsSpec(c, name, onSend),
                "sack" => ParseSackSpec(c, name),
                "kind" => ParseRawSpec(c, name),
                _ => throw Cursor.Fail(name, $"unknown option '{name.Shown}' (expected {KnownOptions})"),
            });

            if (c.TakePunct(","))
            {
                continue;
            }

            if (c.TakePunct(">"))
            {
                break;
            }

            throw c.AtEnd
                ? Cursor.Fail(open, "missing '>' to close the options")
                : Cursor.Fail(c.Peek()!, $"expected ',' or '>' after the option, found '{c.Peek()!.Shown}'");
        }

        var total = list.Sum(o => o.WireLength);
        if (total > 40)
        {
            throw Cursor.Fail(open, $"the options take {total} bytes; at most 40 fit in a TCP header");
        }

        return list;
    }

    /// <summary>An option field's value on a send, in the range the table allows a send to write.</summary>
    private static NumberExpr SendValue(Cursor c, RecipeField field, string? label = null) => c.Number("a number", label ?? field.Name, field.SendMin, field.SendMax);

    /// <summary>The TS field a <c>val</c> or <c>ecr</c> names.</summary>
    private static RecipeField TsField(string key) => key == "val" ? RecipeFields.TsVal : RecipeFields.TsEcr;

    private static OptionSpec ParseTsSpec(Cursor c, Token name, bool onSend)
    {
        NumberExpr? val = null;
        NumberExpr? ecr = null;
        var seen = new HashSet<string>();
        while (c.PeekWord("val") || c.PeekWord("ecr"))
        {
            var w = c.Next();
            var key = w.Text.ToLowerInvariant();
            Once(seen, key, w);
            var v = SendValue(c, TsField(key), key);
            if (key == "val")
            {
                val = v;
            }
            else
            {
                ecr = v;
            }
        }

        if (onSend && (val is null || ecr is null))
        {
            throw Cursor.Fail(name, "TS on send needs both values: TS val N ecr N (connect <TS> lets the session choose them)");
        }

        return new OptionSpec(OptionKindName.Timestamps, null, val, ecr, null, null, null, name.Pos);
    }

    private static OptionSpec ParseSackSpec(Cursor c, Token name)
    {
        var blocks = new List<SackBlockSpec>();
        while (c.AtNumber)
        {
            var at = c.Peek()!;
            var left = c.Number("a number", "sack", 0, Cursor.MaxUInt32);
            if (!c.TakePunct(":"))
            {
                throw Cursor.Fail(c.Peek() ?? c.Previous, "a SACK block is written L:R (sack 1:100 200:300)");
            }

            blocks.Add(new SackBlockSpec(left, c.Number("a number", "sack", 0, Cursor.MaxUInt32), at.Pos));
        }

        if (blocks.Count == 0)
        {
            throw Cursor.Fail(name, "sack needs at least one block L:R (sack 1:100 200:300)");
        }

        if (blocks.Count > 4)
        {
            throw Cursor.Fail(name, $"sack has {blocks.Count} blocks; at most 4 fit in a TCP header");
        }

        return new OptionSpec(OptionKindName.Sack, null, null, null, blocks, null, null, name.Pos);
    }

    private static OptionSpec ParseRawSpec(Cursor c, Token name)
    {
        var kind = (byte)c.Literal("a number", "kind", 0, 255);
        byte[] data = [];
        if (c.PeekWord("hex"))
        {
            data = c.HexRun(c.Next(), stopAtDf: false);
        }

        return new OptionSpec(OptionKindName.Raw, null, null, null, null, kind, data, name.Pos);
    }

    private static IReadOnlyList<OptionMatch> ParseOptionMatches(Cursor c, Token open)
    {
        var list = new List<OptionMatch>();
        if (c.TakePunct(">"))
        {
            return list;
        }

        while (true)
        {
            var name = c.AtEnd ? throw Cursor.Fail(open, "missing '>' to close the options") : c.Next();
            var kind = name.IsWord ? name.Text.ToLowerInvariant() : throw Cursor.Fail(name, $"expected an option name ({KnownOptions}), found '{name.Shown}'");
            Matcher? Value(RecipeField field) => c.AtMatcher ? c.Matcher("a number", field.Name, field.Min, field.Max) : null;
            list.Add(kind switch
            {
                "mss" => new OptionMatch(OptionKindName.Mss, Value(RecipeFields.Mss), null, null, null, null, null, name.Pos),
                "wscale" => new OptionMatch(OptionKindName.WindowScale, Value(RecipeFields.WindowScale), null, null, null, null, null, name.Pos),
                "sackok" => new OptionMatch(OptionKindName.SackPermitted, null, null, null, null, null, null, name.Pos),
                "nop" => new OptionMatch(OptionKindName.Nop, null, null, null, null, null, null, name.Pos),
                "eol" => new OptionMatch(OptionKindName.Eol, null, null, null, null, null, null, name.Pos),
                "ts" => ParseTsMatch(c, name),
                "sack" => ParseSackMatch(c, name),
                "kind" => ParseRawMatch(c, name),
                _ => throw Cursor.Fail(name, $"unknown option '{name.Shown}' (expected {KnownOptions})"),
            });

            if (c.TakePunct(","))
            {
                continue;
            }

            if (c.TakePunct(">"))
            {
                break;
            }

            throw c.AtEnd
                ? Cursor.Fail(open, "missing '>' to close the options")
                : Cursor.Fail(c.Peek()!, $"expected ',' or '>' after the option, found '{c.Peek()!.Shown}'");
        }

        return list;
    }

    private static OptionMatch ParseTsMatch(Cursor c, Token name)
    {
        Matcher? val = null;
        Matcher? ecr = null;
        var seen = new HashSet<string>();
        while (c.PeekWord("val") || c.PeekWord("ecr"))
        {
            var w = c.Next();
            var key = w.Text.ToLowerInvariant();
            Once(seen, key, w);
            var field = TsField(key);
            var m = c.Matcher("a number", key, field.Min, field.Max);
            if (key == "val")
            {
                val = m;
            }
            else
            {
                ecr = m;
            }
        }

        return new OptionMatch(OptionKindName.Timestamps, null, val, ecr, null, null, null, name.Pos);
    }

    private static OptionMatch ParseSackMatch(Cursor c, Token name)
    {
        List<SackBlockMatch>? blocks = null;
        while (c.AtMatcher && !c.PeekPunct(">") && !c.PeekPunct("<"))
        {
            var at = c.Peek()!;
            var left = c.Matcher("a number", "sack", 0, Cursor.MaxUInt32);
            if (!c.TakePunct(":"))
            {
                throw Cursor.Fail(c.Peek() ?? c.Previous, "a SACK block is written L:R (sack 1:100 200:300)");
            }

            (blocks ??= []).Add(new SackBlockMatch(left, c.Matcher("a number", "sack", 0, Cursor.MaxUInt32), at.Pos));
        }

        return new OptionMatch(OptionKindName.Sack, null, null, null, blocks, null, null, name.Pos);
    }

    private static OptionMatch ParseRawMatch(Cursor c, Token name)
    {
        var kind = (byte)c.Literal("a number", "kind", 0, 255);
        byte[]? data = null;
        if (c.PeekWord("hex"))
        {
            data = c.HexRun(c.Next(), stopAtDf: false);
        }

        return new OptionMatch(OptionKindName.Raw, null, null, null, null, kind, data, name.Pos);
    }

    // ── expect ──────────────────────────────────────────────────────────────────────────────────────────────

    private static void Within(Cursor c, ref TimeSpan? within)
    {
        var t = c.Next();
        if (within is not null)
        {
            throw Cursor.Fail(t, "'within' given twice");
        }

        within = c.Duration("a duration");
        if (c.PeekPunct(".."))
        {
            throw Cursor.Fail(c.Peek()!, "a time range (within A..B) goes only on expect and expect rst");
        }
    }

    /// <summary><c>within D</c> or <c>within A..B</c> (the low end in <paramref name="notBefore"/>).</summary>
    private static void Within(Cursor c, ref TimeSpan? within, ref TimeSpan? notBefore, (TimeSpan Low, TimeSpan High, Token At)? prefix)
    {
        if (prefix is { } p)
        {
            throw Cursor.Fail(c.Peek()!, $"the time is given twice: '{p.At.Shown}' and 'within'");
        }

        Within(c, ref within, ref notBefore);
    }

    private static void Within(Cursor c, ref TimeSpan? within, ref TimeSpan? notBefore)
    {
        var t = c.Next();
        if (within is not null)
        {
            throw Cursor.Fail(t, "'within' given twice");
        }

        var low = c.Duration("a duration");
        if (!c.TakePunct(".."))
        {
            within = low;
            return;
        }

        var high = c.Duration("the end of the time range");
        if (high < low)
        {
            throw Cursor.Fail(c.Previous, $"empty time range {RecipePrinter.Duration(low)}..{RecipePrinter.Duration(high)}: the low end comes first");
        }

        within = high;
        notBefore = low;
    }

    private static Step ParseExpect(Cursor c, Token keyword, string text, RecipeDialect dialect, (TimeSpan Low, TimeSpan High, Token At)? prefix)
    {
        var head = c.Peek();
        var word = head is { IsWord: true } ? head.Text.ToLowerInvariant() : null;
        TimeSpan? within = prefix?.High;
        TimeSpan? notBefore = prefix?.Low;
        if (prefix is { } pre && word is "nothing" or "icmp" or "state" or "server-state")
        {
            throw Cursor.Fail(pre.At, $"a packetdrill time goes only before an expected segment or rst, not before 'expect {word}'");
        }

        switch (word)
        {
            case "nothing":
                {
                    c.Next();
                    if (!c.PeekWord("within"))
                    {
                        throw c.AtEnd
                            ? Cursor.Fail(head!, "expect nothing needs 'within DURATION' (expect nothing within 500ms)")
                            : Cursor.Fail(c.Peek()!, $"expected 'within DURATION' after 'expect nothing', found '{c.Peek()!.Shown}'");
                    }

                    Within(c, ref within);
                    if (within <= TimeSpan.Zero)
                    {
                        throw Cursor.Fail(c.Previous, "expect nothing needs a duration longer than 0");
                    }

                    while (c.PeekWord("within"))
                    {
                        Within(c, ref within);
                    }

                    c.Finish("expect nothing");
                    return new ExpectNothingStep(keyword.Pos, text, within!.Value);
                }

            case "rst" when c.Peek(1) is null || c.Peek(1)!.Is("within"):
                {
                    c.Next();
                    while (c.PeekWord("within"))
                    {
                        Within(c, ref within, ref notBefore, prefix);
                    }

                    c.Finish("expect rst");
                    return new ExpectRstStep(keyword.Pos, text, within) { NotBefore = notBefore };
                }

            case "icmp":
                c.Next();
                return ParseExpectIcmp(c, keyword, text);

            case "state" or "server-state":
                {
                    c.Next();
                    var side = word == "state" ? Side.Client : Side.Server;
                    var s = c.AtEnd ? throw Cursor.Fail(head!, $"expect {word} needs a state ({TcpStateNames.Known})") : c.Next();
                    if (!s.IsWord || !TcpStateNames.TryParse(s.Text, out var state))
                    {
                        throw Cursor.Fail(s, $"unknown state '{s.Shown}' (known: {TcpStateNames.Known})");
                    }

                    c.Finish($"expect {word}");
                    return new ExpectStateStep(keyword.Pos, text, side, state);
                }
        }

        return ParseExpectSegment(c, keyword, text, dialect, prefix);
    }

    private static ExpectIcmpStep ParseExpectIcmp(Cursor c, Token keyword, string text)
    {
        byte? type = null;
        byte? code = null;
        TimeSpan? within = null;
        var seen = new HashSet<string>();
        while (!c.AtEnd)
        {
            var t = c.Peek()!;
            var w = t.IsWord ? t.Text.ToLowerInvariant() : null;
            byte? named = w switch
            {
                "unreachable" => 3,
                "time-exceeded" => 11,
                "echo-reply" => 0,
                _ => null,
            };
            if (named is not null)
            {
                Once(seen, "type", t, "the ICMP type is given twice");
                c.Next();
                type = named;
            }
            else if (w == "type")
            {
                Once(seen, "type", t, "the ICMP type is given twice");
                c.Next();
                type = (byte)c.Literal("a number", "type", 0, 255);
            }
            else if (w == "code")
            {
                Once(seen, "code", t);
                c.Next();
                code = (byte)c.Literal("a number", "code", 0, 255);
            }
            else if (w == "within")
            {
                Within(c, ref within);
            }
            else if (w is not null && type is null && code is null && within is null && w != "then")
            {
                throw Cursor.Fail(t, $"unknown ICMP type '{t.Shown}' (expected unreachable, time-exceeded, echo-reply or type N)");
            }
            else
            {
                throw Cursor.Extra(t, "expect icmp");
            }
        }

        return new ExpectIcmpStep(keyword.Pos, text, type, code, within);
    }

    private static ExpectStep ParseExpectSegment(Cursor c, Token keyword, string text, RecipeDialect dialect, (TimeSpan Low, TimeSpan High, Token At)? prefix)
    {
        var exact = dialect == RecipeDialect.Packetdrill;
        TimeSpan? within = prefix?.High;
        TimeSpan? notBefore = prefix?.Low;
        var fields = new List<FieldMatch>();
        var captures = new List<Capture>();
        var parts = new SegmentParts();
        var seen = parts.Seen;
        bool Clause(Token t, string? word)
        {
            if (word == "exact")
            {
                c.Next();
                if (!c.PeekPunct("<"))
                {
                    throw Cursor.Fail(c.Peek() ?? t, "'exact' goes right before the option list: exact <mss 1460,nop,wscale 7>");
                }

                exact = true;
            }
            else if (word is not null && word.StartsWith('$') && c.Peek(1) is { } eq && eq.IsPunct("="))
            {
                captures.Add(ParseCapture(c, captures));
            }
            else if (word is not null && RecipeFields.FindOff(word) is { } off)
            {
                Once(seen, off.Name, t);
                c.Next();
                fields.Add(new FieldMatch(off.Name, Matcher.EqualTo(0) with { Pos = t.Pos }, null, t.Pos));
            }
            else if (word is not null && RecipeFields.Find(word) is { Place: not FieldPlace.Segment } field)
            {
                Once(seen, field.Name, t);
                c.Next();
                var v = c.Peek();
                var verdict = v is { IsWord: true } ? v.Text.ToLowerInvariant() : null;
                if (field.HasVerdict && verdict is not null && RecipeFields.Verdicts.Contains(verdict))
                {
                    c.Next();
                    fields.Add(new FieldMatch(field.Name, null, verdict, t.Pos));
                }
                else if (c.AtMatcher)
                {
                    fields.Add(new FieldMatch(field.Name, c.Matcher("a number", field.Name, field.Min, field.Max), null, t.Pos));
                }
                else if (field.IsFlag)
                {
                    fields.Add(new FieldMatch(field.Name, Matcher.EqualTo(1) with { Pos = t.Pos }, null, t.Pos));
                }
                else
                {
                    var want = field.HasVerdict ? string.Join(", ", RecipeFields.Verdicts) + " or a number" : "a number";
                    throw v is null
                        ? Cursor.Fail(t, $"missing {want} after '{field.Name}'")
                        : Cursor.Fail(v, $"expected {want} after '{field.Name}', found '{v.Shown}'");
                }
            }
            else if (word is not null && RecipeFields.Find(word) is { } segmentField)
            {
                throw Cursor.Fail(t, $"'{word}' is matched by the segment itself on expect (FLAGS SEQ:END(LEN) ack M win M); capture it with $NAME = {segmentField.Name}");
            }
            else if (word == "within")
            {
                Within(c, ref within, ref notBefore, prefix);
            }
            else
            {
                return false;
            }

            return true;
        }

        ParseSegment(c, keyword, expect: true, dialect, parts, Clause);
        var options = parts.ExpectOptions;
        return new ExpectStep(keyword.Pos, text, new FlagsMatch(parts.Flags, parts.FlagsPos) { Order = parts.Order, Packetdrill = dialect == RecipeDialect.Packetdrill },
            parts.Seq, parts.Length, parts.Ack, parts.Window, options, parts.Payload, fields, within)
        {
            NotBefore = notBefore,
            ExactOptions = exact && options is not null,
            Captures = captures,
        };
    }

    /// <summary><c>$NAME = FIELD</c>: NAME is new (not a built-in, not captured twice on the line), FIELD in the table.</summary>
    private static Capture ParseCapture(Cursor c, List<Capture> earlier)
    {
        var nameTok = c.Next();
        var name = nameTok.Text.ToLowerInvariant();
        if (!RecipeVariables.IsCapturable(name))
        {
            throw Cursor.Fail(nameTok, RecipeVariables.IsKnown(name)
                ? $"'{nameTok.Shown}' is a built-in value; capture into a name of your own ($t = tsval)"
                : $"bad variable name '{nameTok.Shown}' (write $ and letters, digits or _: $t, $srv_ts1)");
        }

        if (earlier.Any(e => e.Variable == name))
        {
            throw Cursor.Fail(nameTok, $"'{name}' is captured twice on this line");
        }

        c.Next(); // =
        var fieldTok = c.AtEnd ? throw Cursor.Fail(c.Previous, $"missing a field after '=' (one of {RecipeFields.CapturableNames})") : c.Next();
        var field = fieldTok.IsWord ? RecipeFields.Find(fieldTok.Text) : null;
        return field is null
            ? throw Cursor.Fail(fieldTok, $"unknown field '{fieldTok.Shown}' (one of {RecipeFields.CapturableNames})")
            : new Capture(name, field, nameTok.Pos);
    }

    // ── high-level steps ────────────────────────────────────────────────────────────────────────────────────

    private static ConnectStep ParseConnect(Cursor c, Token keyword, string text)
    {
        IReadOnlyList<OptionSpec>? options = null;
        if (c.PeekPunct("<"))
        {
            options = ParseOptionSpecs(c, c.Next(), onSend: false);
        }

        c.Finish("connect");
        return new ConnectStep(keyword.Pos, text, options);
    }

    /// <summary>A payload: a string, or <c>hex</c> and its digits; null when the next token is neither.</summary>
    private static (byte[]? Data, Token? At) Data(Cursor c)
    {
        var t = c.Peek();
        if (t is { Kind: TokenKind.String })
        {
            c.Next();
            return (t.Bytes, t);
        }

        if (t is not null && t.Is("hex"))
        {
            c.Next();
            return (c.HexRun(t, stopAtDf: false), t);
        }

        return (null, t);
    }

    /// <summary>The most a <c>push N bytes</c> generates.</summary>
    public const int MaxGeneratedPush = 16 << 20;

    private static CloseStep ParseClose(Cursor c, Token keyword, string text)
    {
        var half = c.TakeWord("half");
        c.Finish(half ? "close half" : "close");
        return new CloseStep(keyword.Pos, text) { Half = half };
    }

    private static PushStep ParsePush(Cursor c, Token keyword, string text)
    {
        var (data, at) = Data(c);
        var generated = false;
        if (data is null && Cursor.IsLiteral(at))
        {
            var n = (int)Cursor.CheckedLiteral(c.Next(), "a number", "push", 1, MaxGeneratedPush);
            if (!c.TakeWord("bytes") && !c.TakeWord("byte"))
            {
                throw Cursor.Fail(c.Peek() ?? at!, $"expected 'bytes' after 'push {at!.Shown}'");
            }

            data = new byte[n]; // generated filler: zeros, as packetdrill's
            generated = true;
        }

        if (data is null)
        {
            throw at is null
                ? Cursor.Fail(keyword, "push needs data: push \"text\", push hex 41 42 or push N bytes")
                : Cursor.Fail(at, $"expected \"text\", hex or N bytes after 'push', found '{at.Shown}'");
        }

        if (data.Length == 0)
        {
            throw Cursor.Fail(at!, "push needs at least 1 byte");
        }

        Matcher? thenAck = null;
        if (c.PeekWord("then"))
        {
            var then = c.Next();
            if (!c.TakeWord("ack"))
            {
                throw Cursor.Fail(c.Peek() ?? then, "expected 'ack' after 'then' (push \"AB\" then ack 3)");
            }

            thenAck = c.Matcher("a number", RecipeFields.Ack.Name, RecipeFields.Ack.Min, RecipeFields.Ack.Max);
        }

        c.Finish("push");
        return new PushStep(keyword.Pos, text, data, thenAck) { Generated = generated };
    }

    private static RecvStep ParseRecv(Cursor c, Token keyword, string text)
    {
        var (data, at) = Data(c);
        int? count = null;
        if (data is null)
        {
            if (at is null)
            {
                throw Cursor.Fail(keyword, "recv needs \"text\", hex … or N bytes");
            }

            if (!Cursor.IsLiteral(at))
            {
                throw Cursor.Fail(at, $"expected \"text\", hex or N bytes after 'recv', found '{at.Shown}'");
            }

            count = (int)Cursor.CheckedLiteral(c.Next(), "a number", "count", 0, int.MaxValue);
            if (!c.TakeWord("bytes") && !c.TakeWord("byte"))
            {
                throw Cursor.Fail(c.Peek() ?? at, $"expected 'bytes' after 'recv {at.Shown}'");
            }
        }

        if (data is { Length: 0 } || count == 0)
        {
            throw Cursor.Fail(at!, "recv needs at least 1 byte");
        }

        TimeSpan? within = null;
        while (c.PeekWord("within"))
        {
            Within(c, ref within);
        }

        c.Finish("recv");
        return new RecvStep(keyword.Pos, text, data, count, within);
    }

    private static WaitCloseStep ParseWaitClose(Cursor c, Token keyword, string text)
    {
        TimeSpan? within = null;
        while (c.PeekWord("within"))
        {
            Within(c, ref within);
        }

        c.Finish("wait-close");
        return new WaitCloseStep(keyword.Pos, text, within);
    }

    public static readonly TimeSpan MaxSleep = TimeSpan.FromMinutes(10);

    private static SleepStep ParseSleep(Cursor c, Token keyword, string text)
    {
        if (c.AtEnd)
        {
            throw Cursor.Fail(keyword, "sleep needs a duration (sleep 200ms)");
        }

        var d = c.Duration("a duration");
        if (d > MaxSleep)
        {
            throw Cursor.Fail(c.Previous, "sleep is limited to 10 minutes");
        }

        c.Finish("sleep");
        return new SleepStep(keyword.Pos, text, d);
    }

    private static WindowStep ParseWindow(Cursor c, Token keyword, string text)
    {
        if (c.AtEnd)
        {
            throw Cursor.Fail(keyword, "window needs a number of bytes (window 0 for a zero window)");
        }

        var bytes = (uint)c.Literal("a number of bytes", "window", 0, MaxScaledWindow);
        c.Finish("window");
        return new WindowStep(keyword.Pos, text, bytes);
    }

    private static EchoStep ParseEcho(Cursor c, Token keyword, string text)
    {
        var t = c.AtEnd ? null : c.Next();
        if (t is not { Kind: TokenKind.String })
        {
            throw Cursor.Fail(t ?? keyword, "echo needs a quoted text: echo \"a note for the trace\"");
        }

        c.Finish("echo");
        return new EchoStep(keyword.Pos, text, Utf8(t.Bytes!));
    }
}
