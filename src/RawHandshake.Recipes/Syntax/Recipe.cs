namespace RawHandshake.Recipes.Syntax;

/// <summary>A position in the recipe file: 1-based line and column (columns count UTF-16 characters; a tab is one).</summary>
public readonly record struct SourcePos(int Line, int Column)
{
    public override string ToString() => $"{Line}:{Column}";
}

/// <summary>A validated recipe: the header, then the steps in file order. Only produced when there are no errors.</summary>
public sealed record Recipe(string File, RecipeHeader Header, IReadOnlyList<Step> Steps);

/// <summary>
/// The lines before the first step. <see cref="Target"/> is null when the recipe has no <c>target</c> line (the command
/// line's <c>--target</c> must then supply it; when both are given, <c>--target</c> wins).
/// </summary>
public sealed record RecipeHeader(TargetSpec? Target, SessionDefaults Defaults, string? Description)
{
    /// <summary>Where the <c>description</c> line is, when there is one.</summary>
    public SourcePos? DescriptionPos { get; init; }

    public bool HasTarget => Target is not null;

    /// <summary>The dialect the steps were read in: <c>dialect packetdrill</c>, or a <c>.pkt</c> file.</summary>
    public RecipeDialect Dialect { get; init; }

    /// <summary>Where the <c>dialect</c> line is, when there is one.</summary>
    public SourcePos? DialectPos { get; init; }
}

/// <summary>How clashing spellings are read (docs/recipe-packetdrill.md).</summary>
public enum RecipeDialect
{
    /// <summary>Ours: flag letter <c>A</c> is ACK; an expect's option list is checked for presence (<c>exact &lt;…&gt;</c> for all of it).</summary>
    RawHandshake,

    /// <summary>packetdrill's: <c>A</c> is AE; an expect's option list is compared exactly (order, NOPs, extras).</summary>
    Packetdrill,
}

/// <summary><c>target IP:PORT</c>. <see cref="Host"/> is a dotted IPv4 address, checked with <c>IPv4Address.TryParse</c>.</summary>
public sealed record TargetSpec(string Host, ushort Port, SourcePos Pos);

/// <summary>
/// The <c>option</c>/<c>options</c> lines: defaults for our side of every connection. Null means "not given": the
/// runner's (or the command line's) default applies.
/// </summary>
public sealed record SessionDefaults
{
    /// <summary>The <c>within</c> slack when the recipe does not set <c>tolerance</c>.</summary>
    public static readonly TimeSpan DefaultTolerance = TimeSpan.FromMilliseconds(50);

    public ushort? Mss { get; init; }

    public byte? WindowScale { get; init; }

    public bool? SackPermitted { get; init; }

    public bool? Timestamps { get; init; }

    /// <summary>The window field of our SYN (the raw 16-bit field; a SYN's window is never scaled).</summary>
    public ushort? Window { get; init; }

    public TimeSpan? Rto { get; init; }

    public int? Retries { get; init; }

    public TimeSpan? TimeWait { get; init; }

    /// <summary>The limit for the whole run; also the wait of an <c>expect</c> without <c>within</c>.</summary>
    public TimeSpan? Timeout { get; init; }

    public byte? Ttl { get; init; }

    public ushort? SourcePort { get; init; }

    /// <summary>Our initial sequence number (absolute). Relative numbers in the recipe do not change with it.</summary>
    public uint? Isn { get; init; }

    /// <summary>Slack added to every <c>within</c>; <see cref="EffectiveTolerance"/> applies the default.</summary>
    public TimeSpan? Tolerance { get; init; }

    public TimeSpan EffectiveTolerance => Tolerance ?? DefaultTolerance;

    /// <summary>Where each option was given, by its canonical name (<c>mss</c>, <c>wscale</c>, <c>time-wait</c> …).</summary>
    public IReadOnlyDictionary<string, SourcePos> Positions { get; init; } = new Dictionary<string, SourcePos>();
}
