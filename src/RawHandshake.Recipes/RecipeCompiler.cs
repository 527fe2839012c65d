using RawHandshake.Recipes.Front;
using RawHandshake.Recipes.Syntax;

namespace RawHandshake.Recipes;

/// <summary>One error in a recipe, at an exact place: <c>file:line:col: message</c>.</summary>
public sealed record RecipeDiagnostic(string File, int Line, int Column, string Message)
{
    public override string ToString() => $"{File}:{Line}:{Column}: {Message}";
}

/// <summary>
/// What <see cref="RecipeCompiler.Compile"/> found: a recipe and no errors, or no recipe and at least one error (all of
/// them, in file order, at most one per line).
/// </summary>
public sealed record RecipeCompileResult(Recipe? Recipe, IReadOnlyList<RecipeDiagnostic> Errors)
{
    public bool Success => Recipe is not null && Errors.Count == 0;

    /// <summary>The errors one per line, as the CLI prints them on stderr.</summary>
    public override string ToString() => Success ? "ok" : string.Join('\n', Errors);
}

/// <summary>The recipe language front end: lexer → parser → syntax tree → validator. Never throws.</summary>
public static class RecipeCompiler
{
    /// <summary>A recipe is a small text file: anything larger (or endless, such as /dev/zero) is refused unread.</summary>
    public const int MaxSourceBytes = 1 << 20;

    /// <summary>Reads at most <see cref="MaxSourceBytes"/> from <paramref name="source"/> and compiles them; a larger
    /// input, or one with NUL bytes (not text), is one diagnostic. Memory stays bounded whatever the stream holds.</summary>
    public static RecipeCompileResult CompileFrom(Stream source, string fileName)
    {
        ArgumentNullException.ThrowIfNull(source);
        var file = string.IsNullOrEmpty(fileName) ? "<recipe>" : fileName;
        var buffer = new byte[MaxSourceBytes + 1];
        var length = 0;
        int n;
        while (length < buffer.Length && (n = source.Read(buffer, length, buffer.Length - length)) > 0)
        {
            length += n;
        }

        if (length > MaxSourceBytes)
        {
            return Refused(file, 1, 1, $"more than {MaxSourceBytes / 1024 / 1024} MiB: not a recipe (a recipe is a small text file)");
        }

        var nul = Array.IndexOf(buffer, (byte)0, 0, length);
        if (nul >= 0)
        {
            var before = buffer.AsSpan(0, nul);
            var line = before.Count((byte)'\n') + 1;
            var column = nul - (before.LastIndexOf((byte)'\n') + 1) + 1;
            return Refused(file, line, column, "a NUL byte: not a text file");
        }

        var bom = length >= 3 && buffer[0] == 0xEF && buffer[1] == 0xBB && buffer[2] == 0xBF ? 3 : 0;
        return Compile(new System.Text.UTF8Encoding(false).GetString(buffer, bom, length - bom), file);
    }

    public static RecipeCompileResult Compile(string text, string fileName)
    {
        var file = string.IsNullOrEmpty(fileName) ? "<recipe>" : fileName;
        if (text is { Length: > MaxSourceBytes })
        {
            return Refused(file, 1, 1, $"more than {MaxSourceBytes / 1024 / 1024} MiB: not a recipe (a recipe is a small text file)");
        }

        try
        {
            var diagnostics = new List<RecipeDiagnostic>();
            var lines = Lexer.Lex(text ?? "", file, diagnostics);
            var parsed = Parser.Parse(lines, file, diagnostics);
            var recipe = Validator.Validate(parsed, file, diagnostics);
            var errors = diagnostics
                .Select((d, i) => (d, i))
                .OrderBy(x => x.d.Line).ThenBy(x => x.d.Column).ThenBy(x => x.i)
                .Select(x => x.d)
                .ToList();
            return errors.Count == 0 && recipe is not null
                ? new RecipeCompileResult(recipe, [])
                : new RecipeCompileResult(null, errors.Count == 0 ? [new RecipeDiagnostic(file, 1, 1, "the recipe is invalid")] : errors);
        }
#pragma warning disable CA1031 // the front end must never throw: a bug becomes one diagnostic, not a stack trace
        catch (Exception e)
#pragma warning restore CA1031
        {
            return new RecipeCompileResult(null, [new RecipeDiagnostic(file, 1, 1, $"internal error in the recipe compiler: {e.GetType().Name}: {e.Message}")]);
        }
    }

    private static RecipeCompileResult Refused(string file, int line, int column, string message) =>
        new(null, [new RecipeDiagnostic(file, line, column, message)]);
}
