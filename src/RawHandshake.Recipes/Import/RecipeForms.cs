namespace RawHandshake.Recipes.Import;

/// <summary>
/// Which of the recipe forms for packetdrill's constructs (<c>docs/recipe-packetdrill.md</c>) the importer writes. Each
/// one off means the nearest older form: our flag letters instead of <c>dialect packetdrill</c> (and presence-only
/// option lists), <c>within D</c> (an upper bound) instead of a <c>+T</c> prefix, a <c>hex 00…</c> payload instead of
/// a filler, no ECN check instead of an <c>ecn</c> matcher.
/// </summary>
public sealed record RecipeForms(bool Dialect, bool TimePrefix, bool Filler, bool EcnMatch)
{
    /// <summary>Every packetdrill form.</summary>
    public static RecipeForms All { get; } = new(true, true, true, true);

    /// <summary>None: only the forms of the recipe language before issue 13.</summary>
    public static RecipeForms Classic { get; } = new(false, false, false, false);

    /// <summary>The forms this build's recipe compiler accepts, each found by compiling a two-line recipe that uses it,
    /// so an import always compiles whatever forms the language has yet.</summary>
    public static RecipeForms Supported { get; } = new(
        Accepts("dialect packetdrill\nsend S 0:0(0) win 100\n"),
        Accepts("send S 0:0(0) win 100\n+0.1~+0.2 expect S. 0:0(0) ack 1\n+0 expect . 1:1(0)\n"),
        Accepts("send S 0:0(0) win 100\nsend P. 1:11(10) ack 1 win 100\n"),
        Accepts("send S 0:0(0) win 100\nexpect S. 0:0(0) ack 1 ecn 1..2\n"));

    private static bool Accepts(string recipe) => RecipeCompiler.Compile(recipe, "probe.rh").Success;
}
