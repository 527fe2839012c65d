using System.Globalization;
using RawHandshake.Recipes.Syntax;

namespace RawHandshake.Recipes.Front;

/// <summary>The first error on a line: where, and what. Caught per line by the parser.</summary>
internal sealed class ParseError(SourcePos pos, string message) : Exception(message)
{
    public SourcePos Pos { get; } = pos;
}

/// <summary>Reads the tokens of one logical line, with the small grammar pieces every step shares.</summary>
internal sealed class Cursor(LogicalLine line)
{
    public const long MaxUInt32 = uint.MaxValue;

    private readonly IReadOnlyList<Token> tokens = line.Tokens;
    private int index;

    public LogicalLine Line { get; } = line;

    /// <summary>The <c>$NAME</c>s captured by earlier steps (<c>$t = tsval</c>): usable wherever a number goes.</summary>
    public IReadOnlySet<string> Captured { get; init; } = new HashSet<string>();

    public bool AtEnd => index >= tokens.Count;

    public Token? Peek(int ahead = 0) => index + ahead < tokens.Count ? tokens[index + ahead] : null;

    /// <summary>The last token read (the keyword a "missing …" error points at).</summary>
    public Token Previous => tokens[Math.Max(0, index - 1)];

    public Token Next() => index < tokens.Count ? tokens[index++] : throw Fail(Previous, "unexpected end of the line");

    public bool PeekWord(string word) => Peek() is { } t && t.Is(word);

    public bool PeekPunct(string p) => Peek() is { } t && t.IsPunct(p);

    public bool TakeWord(string word)
    {
        if (PeekWord(word))
        {
            index++;
            return true;
        }

        return false;
    }

    public bool TakePunct(string p)
    {
        if (PeekPunct(p))
        {
            index++;
            return true;
        }

        return false;
    }

    public static ParseError Fail(Token at, string message) => new(at.Pos, message);

    public static ParseError Fail(SourcePos at, string message) => new(at, message);

    /// <summary>The next token, or "missing WHAT after 'PREV'" at the previous token when the line ends.</summary>
    public Token Need(string what)
    {
        if (AtEnd)
        {
            throw Fail(Previous, $"missing {what} after '{Previous.Shown}'");
        }

        return tokens[index++];
    }

    // ── numbers ─────────────────────────────────────────────────────────────────────────────────────────────

    /// <summary>Decimal or 0x hex, no sign. <paramref name="overflow"/> when it does not fit a long.</summary>
    public static bool TryLiteral(string text, out long value, out bool overflow)
    {
        value = 0;
        overflow = false;
        var hex = text.Length > 2 && text[0] == '0' && (text[1] == 'x' || text[1] == 'X');
        var digits = hex ? text.AsSpan(2) : text.AsSpan();
        if (digits.Length == 0)
        {
            return false;
        }

        foreach (var c in digits)
        {
            if (hex ? !char.IsAsciiHexDigit(c) : !char.IsAsciiDigit(c))
            {
                return false;
            }
        }

        foreach (var c in digits)
        {
            var d = char.IsAsciiDigit(c) ? c - '0' : char.ToLowerInvariant(c) - 'a' + 10;
            var b = hex ? 16L : 10L;
            if (value > (long.MaxValue - d) / b)
            {
                overflow = true;
                value = long.MaxValue;
                return true;
            }

            value = (value * b) + d;
        }

        return true;
    }

    public static bool IsLiteral(Token? t) => t is { IsWord: true } && TryLiteral(t.Text, out _, out _);

    /// <summary>Where a number expression can start: a digit, <c>$</c>, or <c>raw:</c>.</summary>
    public static bool IsNumberStart(Token? t, Token? next) =>
        t is { IsWord: true } && (char.IsAsciiDigit(t.Text[0]) || t.Text[0] == '$' || (t.Is("raw") && next is not null && next.IsPunct(":")));

    public bool AtNumber => IsNumberStart(Peek(), Peek(1));

    /// <summary>Where a matcher can start: a number, <c>*</c>, <c>&gt;= &lt;= !=</c>, or <c>&lt;</c>/<c>&gt;</c> before a number.</summary>
    public bool AtMatcher
    {
        get
        {
            var t = Peek();
            if (t is null)
            {
                return false;
            }

            if (t.IsPunct("*") || t.IsPunct(">=") || t.IsPunct("<=") || t.IsPunct("!="))
            {
                return true;
            }

            if (t.IsPunct("<") || t.IsPunct(">"))
            {
                return IsNumberStart(Peek(1), Peek(2));
            }

            return IsNumberStart(t, Peek(1));
        }
    }

    /// <summary>A plain literal number in [min, max]; <paramref name="field"/> names it in messages.</summary>
    public long Literal(string what, string field, long min, long max)
    {
        var t = Need(what);
        return CheckedLiteral(t, what, field, min, max);
    }

    public static long CheckedLiteral(Token t, string what, string field, long min, long max)
    {
        if (!t.IsWord || !TryLiteral(t.Text, out var v, out var overflow))
        {
            throw Fail(t, $"expected {what}, found '{t.Shown}'");
        }

        if (overflow)
        {
            throw Fail(t, $"number '{t.Shown}' is too large");
        }

        if (v < min || v > max)
        {
            throw Fail(t, $"{field} {v.ToString(CultureInfo.InvariantCulture)} is out of range ({min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)})");
        }

        return v;
    }

    /// <summary><c>N</c>, <c>raw:N</c> or <c>$name±N</c>; constants are checked against [min, max].</summary>
    public NumberExpr Number(string what, string field, long min, long max)
    {
        var t = Need(what);
        if (t.Is("raw") && PeekPunct(":"))
        {
            index++;
            var v = Peek() is { } n && IsLiteral(n)
                ? CheckedLiteral(Next(), "a number after 'raw:'", field, min, max)
                : throw (AtEnd ? Fail(Previous, "missing a number after 'raw:'") : Fail(Peek()!, $"expected a number after 'raw:', found '{Peek()!.Shown}'"));
            return new NumberExpr(NumberBase.Raw, null, v, t.Pos);
        }

        if (t.IsWord && t.Text[0] == '$')
        {
            return Variable(t);
        }

        return new NumberExpr(NumberBase.Relative, null, CheckedLiteral(t, what, field, min, max), t.Pos);
    }

    private NumberExpr Variable(Token t)
    {
        var text = t.Text;
        var cut = text.IndexOfAny(['+', '-'], 1);
        var name = (cut < 0 ? text : text[..cut]).ToLowerInvariant();
        if (!RecipeVariables.IsKnown(name) && !Captured.Contains(name))
        {
            throw Fail(t, RecipeVariables.IsCapturable(name)
                ? $"'{name}' is used before a step captures it (write {name} = FIELD on an earlier expect)"
                : $"unknown variable '{Token.Show(cut < 0 ? text : text[..cut])}' (known: {RecipeVariables.Known}, or $NAME captured by an earlier expect)");
        }

        long offset = 0;
        if (cut >= 0)
        {
            offset = Offset(t, text[cut..], name);
        }
        else if (Peek() is { IsWord: true } p && (p.Text[0] == '+' || p.Text[0] == '-'))
        {
            index++;
            var signText = p.Text;
            if (signText.Length == 1)
            {
                // "$srv.tsval + 1": the number is the next word
                var num = Peek() is { } n && IsLiteral(n) ? Next() : throw Fail(p, $"bad offset after '{name}' (write {name}+N or {name}-N)");
                signText += num.Text;
            }

            offset = Offset(p, signText, name);
        }

        return new NumberExpr(NumberBase.Variable, name, offset, t.Pos);
    }

    private static long Offset(Token at, string signed, string name)
    {
        var negative = signed[0] == '-';
        if (!TryLiteral(signed[1..], out var v, out var overflow))
        {
            throw Fail(at, $"bad offset in '{Token.Show(at.Text)}' (write {name}+N or {name}-N)");
        }

        if (overflow || v > MaxUInt32)
        {
            throw Fail(at, $"offset in '{Token.Show(at.Text)}' is out of range (at most {MaxUInt32.ToString(CultureInfo.InvariantCulture)})");
        }

        return negative ? -v : v;
    }

    /// <summary>A matcher: <c>* N A..B &gt;=N &lt;=N &gt;N &lt;N !=N</c>, N being any number expression.</summary>
    public Matcher Matcher(string what, string field, long min, long max)
    {
        var t = Need(what);
        var kind = t.Kind == TokenKind.Punct ? t.Text switch
        {
            "*" => MatchKind.Any,
            ">=" => MatchKind.AtLeast,
            "<=" => MatchKind.AtMost,
            "!=" => MatchKind.NotEqual,
            ">" => MatchKind.Greater,
            "<" => MatchKind.Less,
            _ => throw Fail(t, $"expected {what}, found '{t.Shown}'"),
        } : MatchKind.Equal;

        if (kind == MatchKind.Any)
        {
            return new Matcher(MatchKind.Any, null, null, t.Pos);
        }

        if (kind != MatchKind.Equal)
        {
            return new Matcher(kind, Number("a number", field, min, max), null, t.Pos);
        }

        index--;
        var a = Number(what, field, min, max);
        if (TakePunct(".."))
        {
            var b = Number("the high end of the range", field, min, max);
            if (a.IsConstant && b.IsConstant && a.Base == b.Base && a.Offset > b.Offset)
            {
                throw Fail(t, $"empty range {a}..{b}: the low end comes first");
            }

            return new Matcher(MatchKind.Range, a, b, t.Pos);
        }

        return new Matcher(MatchKind.Equal, a, null, t.Pos);
    }

    // ── durations ───────────────────────────────────────────────────────────────────────────────────────────

    public static readonly TimeSpan MaxDuration = TimeSpan.FromHours(24);

    public TimeSpan Duration(string what)
    {
        var t = Need(what);
        return ParseDuration(t, what);
    }

    public static TimeSpan ParseDuration(Token t, string what)
    {
        if (!t.IsWord)
        {
            throw Fail(t, $"expected {what}, found '{t.Shown}'");
        }

        var text = t.Text;
        var unitStart = text.Length;
        while (unitStart > 0 && char.IsAsciiLetter(text[unitStart - 1]))
        {
            unitStart--;
        }

        var number = text[..unitStart];
        var unit = text[unitStart..].ToLowerInvariant();
        var numberOk = number.Length > 0 && char.IsAsciiDigit(number[0]) && char.IsAsciiDigit(number[^1]) &&
                       number.All(c => char.IsAsciiDigit(c) || c == '.') && number.Count(c => c == '.') <= 1;
        if (numberOk && unit.Length == 0)
        {
            throw Fail(t, $"duration '{t.Shown}' needs a unit (us, ms, s or m)");
        }

        long? ticksPerUnit = unit switch
        {
            "us" => TimeSpan.TicksPerMicrosecond,
            "ms" => TimeSpan.TicksPerMillisecond,
            "s" => TimeSpan.TicksPerSecond,
            "m" => TimeSpan.TicksPerMinute,
            _ => null,
        };
        if (!numberOk || ticksPerUnit is null)
        {
            throw Fail(t, $"bad duration '{t.Shown}' (write 500us, 200ms, 1.5s or 2m)");
        }

        if (!decimal.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) ||
            value > (decimal)MaxDuration.Ticks / ticksPerUnit.Value)
        {
            throw Fail(t, $"duration '{t.Shown}' is too long (at most 24 hours)");
        }

        return TimeSpan.FromTicks((long)Math.Round(value * ticksPerUnit.Value, MidpointRounding.AwayFromZero));
    }

    // ── payloads ────────────────────────────────────────────────────────────────────────────────────────────

    /// <summary>One word of hex digits, optionally with a 0x prefix.</summary>
    public static bool IsHexWord(Token? t)
    {
        if (t is not { IsWord: true })
        {
            return false;
        }

        var s = t.Text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? t.Text[2..] : t.Text;
        return s.Length > 0 && s.All(char.IsAsciiHexDigit);
    }

    /// <summary>
    /// The words after <c>hex</c>: pairs of hex digits, optionally with <c>0x</c>; the run stops at the first other
    /// token. In a step <c>df</c> ends the run (it is the field); write <c>0xdf</c> for the byte.
    /// </summary>
    public byte[] HexRun(Token hexKeyword, bool stopAtDf)
    {
        var bytes = new List<byte>();
        var words = 0;
        while (IsHexWord(Peek()) && !(stopAtDf && PeekWord("df")))
        {
            var w = Next();
            var digits = w.Text.StartsWith("0x", StringComparison.OrdinalIgnoreCase) ? w.Text[2..] : w.Text;
            if (digits.Length % 2 != 0)
            {
                throw Fail(w, $"odd number of hex digits in '{w.Shown}': write whole bytes, two digits each");
            }

            for (var i = 0; i < digits.Length; i += 2)
            {
                bytes.Add(byte.Parse(digits.AsSpan(i, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture));
            }

            words++;
        }

        if (words == 0)
        {
            throw AtEnd
                ? Fail(hexKeyword, "missing hex digits after 'hex' (hex 41 42 or hex 4142)")
                : Fail(Peek()!, $"expected hex digits after 'hex', found '{Peek()!.Shown}'");
        }

        return [.. bytes];
    }

    /// <summary>The rest of the line must be empty; otherwise the most helpful complaint about the first extra token.</summary>
    public void Finish(string step)
    {
        if (!AtEnd)
        {
            throw Extra(Peek()!, step);
        }
    }

    public static ParseError Extra(Token t, string step)
    {
        if (t.Is("within"))
        {
            return Fail(t, $"'within' is not allowed on {step}");
        }

        if (t.Is("then"))
        {
            return Fail(t, "'then ack' is only allowed on push");
        }

        return Fail(t, $"unexpected '{t.Shown}' after the step");
    }
}
