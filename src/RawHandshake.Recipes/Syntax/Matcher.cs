using RawHandshake.Wire.Protocols;

namespace RawHandshake.Recipes.Syntax;

/// <summary>The forms a matcher takes in an <c>expect</c>.</summary>
public enum MatchKind
{
    /// <summary><c>*</c></summary>
    Any,

    /// <summary><c>N</c></summary>
    Equal,

    /// <summary><c>!=N</c></summary>
    NotEqual,

    /// <summary><c>A..B</c>, both ends included.</summary>
    Range,

    /// <summary><c>&gt;=N</c></summary>
    AtLeast,

    /// <summary><c>&lt;=N</c></summary>
    AtMost,

    /// <summary><c>&gt;N</c></summary>
    Greater,

    /// <summary><c>&lt;N</c></summary>
    Less,
}

/// <summary>
/// A value test in an <c>expect</c>: <see cref="A"/> is the operand (the low end of a range), <see cref="B"/> the high
/// end of a range; both null for <c>*</c>. Equality ignores <see cref="Pos"/>.
/// </summary>
public sealed record Matcher(MatchKind Kind, NumberExpr? A, NumberExpr? B, SourcePos Pos = default)
{
    public static Matcher Any { get; } = new(MatchKind.Any, null, null);

    public static Matcher EqualTo(long value) => new(MatchKind.Equal, NumberExpr.Literal(value), null);

    /// <summary>
    /// Tests <paramref name="value"/> (the observed field, in the same terms the evaluator uses: relative for
    /// sequence slots once the runner has translated it) against this matcher.
    /// </summary>
    public bool Matches(long value, Func<NumberExpr, long> evaluate)
    {
        ArgumentNullException.ThrowIfNull(evaluate);
        long Eval(NumberExpr? e) => e is null ? 0 : evaluate(e);
        return Kind switch
        {
            MatchKind.Any => true,
            MatchKind.Equal => value == Eval(A),
            MatchKind.NotEqual => value != Eval(A),
            MatchKind.Range => value >= Eval(A) && value <= Eval(B),
            MatchKind.AtLeast => value >= Eval(A),
            MatchKind.AtMost => value <= Eval(A),
            MatchKind.Greater => value > Eval(A),
            MatchKind.Less => value < Eval(A),
            _ => throw new InvalidOperationException($"a matcher of kind {Kind} cannot be tested"),
        };
    }

    /// <summary>Matches with constants only (no variables); variables evaluate to their offset.</summary>
    public bool Matches(long value) => Matches(value, e => e.Offset);

    public bool Equals(Matcher? other) => other is not null && Kind == other.Kind && Equals(A, other.A) && Equals(B, other.B);

    public override int GetHashCode() => HashCode.Combine(Kind, A, B);

    /// <summary>The canonical spelling: <c>*</c>, <c>5</c>, <c>!=5</c>, <c>1..5</c>, <c>&gt;=5</c> …</summary>
    public override string ToString() => Kind switch
    {
        MatchKind.Any => "*",
        MatchKind.Equal => $"{A}",
        MatchKind.NotEqual => $"!={A}",
        MatchKind.Range => $"{A}..{B}",
        MatchKind.AtLeast => $">={A}",
        MatchKind.AtMost => $"<={A}",
        MatchKind.Greater => $">{A}",
        MatchKind.Less => $"<{A}",
        _ => throw new InvalidOperationException($"a matcher of kind {Kind} cannot be printed"),
    };
}

/// <summary>
/// The flags an <c>expect</c> wants: exactly <see cref="Exact"/>, or anything when it is null (<c>*</c>).
/// <see cref="Order"/> is the order the step wrote them in (one flag per entry), so that messages print them that way.
/// </summary>
public sealed record FlagsMatch(TcpFlags? Exact, SourcePos Pos = default)
{
    public bool IsAny => Exact is null;

    /// <summary>The flags in the order written (<c>.P</c> → ACK, PSH); empty when not known (canonical order then).</summary>
    public IReadOnlyList<TcpFlags> Order { get; init; } = [];

    /// <summary>Written in the packetdrill dialect: AE prints as <c>A</c>.</summary>
    public bool Packetdrill { get; init; }

    public bool Matches(TcpFlags flags) => Exact is null || Exact.Value == flags;

    public bool Equals(FlagsMatch? other) => other is not null && Exact == other.Exact;

    public override int GetHashCode() => Exact.GetHashCode();

    public override string ToString() => Exact is { } f ? Format(f) : "*";

    /// <summary>
    /// <paramref name="flags"/> in tcpdump letters (<c>.</c> for ACK, <c>W</c> CWR, <c>N</c> AE, <c>-</c> for none), those
    /// the step wrote first in its order, the others after them in tcpdump's.
    /// </summary>
    public string Format(TcpFlags flags)
    {
        if (flags == TcpFlags.None)
        {
            return "-";
        }

        var sb = new System.Text.StringBuilder();
        var left = flags;
        foreach (var f in Order)
        {
            if ((left & f) != 0)
            {
                sb.Append(f == TcpFlags.Ns && Packetdrill ? "A" : f.ToTcpdump());
                left &= ~f;
            }
        }

        if (left != TcpFlags.None)
        {
            sb.Append(left.ToTcpdump());
        }

        return sb.ToString();
    }
}

/// <summary>
/// A header field set by hand on a <c>send</c>, sent exactly as set: <see cref="Name"/> is the canonical name of a
/// settable field of <see cref="RecipeFields"/>, or <see cref="RecipeFields.IpOptions"/>, which carries its bytes in
/// <see cref="Bytes"/> (<see cref="Value"/> is their count).
/// </summary>
public sealed record FieldOverride(string Name, long Value, SourcePos Pos = default, byte[]? Bytes = null);

/// <summary>
/// A field tested by name on an <c>expect</c> (any field of <see cref="RecipeFields"/> outside the segment grammar):
/// <see cref="Value"/> is a matcher, or for a field with a checksum verdict a <see cref="Verdict"/> (one of
/// <see cref="RecipeFields.Verdicts"/>) instead.
/// </summary>
public sealed record FieldMatch(string Name, Matcher? Value, string? Verdict, SourcePos Pos = default);
