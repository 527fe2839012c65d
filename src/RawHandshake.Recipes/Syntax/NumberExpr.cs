using System.Globalization;

namespace RawHandshake.Recipes.Syntax;

/// <summary>How a number in a recipe is meant.</summary>
public enum NumberBase
{
    /// <summary>
    /// A plain number. In a sequence slot it is relative to the ISN of the side that owns that sequence space (ours for
    /// <c>seq</c> of what we send and <c>ack</c> of what the server sends; the server's for the other two). Elsewhere
    /// (window, TS val/ecr, mss …) it is just the value.
    /// </summary>
    Relative,

    /// <summary><c>raw:N</c>: the value exactly as on the wire, never translated.</summary>
    Raw,

    /// <summary>
    /// <c>$name±N</c>: a captured value (see <see cref="RecipeVariables"/>) plus <see cref="NumberExpr.Offset"/>. In a
    /// sequence slot it names that sequence number itself, so no ISN translation applies (<c>ack $rcv.nxt</c>,
    /// <c>ack $srv.isn+1</c>, <c>seq $snd.nxt-1</c>).
    /// </summary>
    Variable,
}

/// <summary>
/// A number as written: <c>5</c> (Relative, Offset 5), <c>raw:5</c> (Raw, Offset 5), <c>$srv.tsval+1</c> (Variable
/// <c>$srv.tsval</c>, Offset 1). Variable names are lower case. <see cref="Pos"/> is where it was written; equality
/// ignores it.
/// </summary>
public sealed record NumberExpr(NumberBase Base, string? Variable, long Offset, SourcePos Pos = default)
{
    public static NumberExpr Literal(long value) => new(NumberBase.Relative, null, value);

    public static NumberExpr RawValue(long value) => new(NumberBase.Raw, null, value);

    public static NumberExpr Var(string name, long offset = 0) => new(NumberBase.Variable, name, offset);

    /// <summary>A number known without running anything (not a variable).</summary>
    public bool IsConstant => Base != NumberBase.Variable;

    public bool Equals(NumberExpr? other) =>
        other is not null && Base == other.Base && Variable == other.Variable && Offset == other.Offset;

    public override int GetHashCode() => HashCode.Combine(Base, Variable, Offset);

    /// <summary>The canonical spelling: <c>5</c>, <c>raw:5</c>, <c>$srv.tsval+1</c>.</summary>
    public override string ToString() => Base switch
    {
        NumberBase.Raw => "raw:" + Offset.ToString(CultureInfo.InvariantCulture),
        NumberBase.Variable => Variable + (Offset switch
        {
            > 0 => "+" + Offset.ToString(CultureInfo.InvariantCulture),
            < 0 => Offset.ToString(CultureInfo.InvariantCulture),
            _ => "",
        }),
        _ => Offset.ToString(CultureInfo.InvariantCulture),
    };
}
