namespace RawHandshake.Recipes.Syntax;

/// <summary>The TCP options a recipe can write, in packetdrill spelling.</summary>
public enum OptionKindName
{
    /// <summary><c>mss N</c> (kind 2)</summary>
    Mss,

    /// <summary><c>wscale N</c> (kind 3)</summary>
    WindowScale,

    /// <summary><c>sackOK</c> (kind 4)</summary>
    SackPermitted,

    /// <summary><c>TS val N ecr N</c> (kind 8)</summary>
    Timestamps,

    /// <summary><c>sack L:R L:R …</c> (kind 5)</summary>
    Sack,

    /// <summary><c>nop</c> (kind 1, one byte)</summary>
    Nop,

    /// <summary><c>eol</c> (kind 0, one byte)</summary>
    Eol,

    /// <summary><c>kind N [hex …]</c>: written as kind, length (2 + data), data.</summary>
    Raw,
}

/// <summary>One SACK block to send: <c>L:R</c>. Relative to the server's ISN (we acknowledge its data).</summary>
public sealed record SackBlockSpec(NumberExpr Left, NumberExpr Right, SourcePos Pos = default);

/// <summary>
/// One option of a <c>send</c> or <c>connect</c>, in the order written. Which values are set depends on
/// <see cref="Kind"/>: <see cref="Value"/> for mss and wscale (always set); <see cref="TsVal"/>/<see cref="TsEcr"/> for
/// TS (always set on a <c>send</c>; on a <c>connect</c> both may be null: the session chooses them);
/// <see cref="Sack"/> for sack; <see cref="RawKind"/>/<see cref="RawData"/> for <c>kind N hex …</c>.
/// </summary>
public sealed record OptionSpec(
    OptionKindName Kind,
    NumberExpr? Value,
    NumberExpr? TsVal,
    NumberExpr? TsEcr,
    IReadOnlyList<SackBlockSpec>? Sack,
    byte? RawKind,
    byte[]? RawData,
    SourcePos Pos = default)
{
    /// <summary>Bytes the option takes on the wire (before padding).</summary>
    public int WireLength => Kind switch
    {
        OptionKindName.Mss => 4,
        OptionKindName.WindowScale => 3,
        OptionKindName.SackPermitted => 2,
        OptionKindName.Timestamps => 10,
        OptionKindName.Sack => 2 + (8 * (Sack?.Count ?? 0)),
        OptionKindName.Nop or OptionKindName.Eol => 1,
        OptionKindName.Raw => 2 + (RawData?.Length ?? 0),
        _ => throw new InvalidOperationException($"an option of kind {Kind} has no known length"),
    };
}

/// <summary>One SACK block an <c>expect</c> wants: <c>L:R</c> with matchers, relative to our ISN (the server acknowledges our data).</summary>
public sealed record SackBlockMatch(Matcher Left, Matcher Right, SourcePos Pos = default);

/// <summary>
/// One option an <c>expect</c> wants present. A null matcher means any value; <see cref="Sack"/> null means any blocks;
/// <see cref="RawData"/> null means any data.
/// </summary>
public sealed record OptionMatch(
    OptionKindName Kind,
    Matcher? Value,
    Matcher? TsVal,
    Matcher? TsEcr,
    IReadOnlyList<SackBlockMatch>? Sack,
    byte? RawKind,
    byte[]? RawData,
    SourcePos Pos = default);
