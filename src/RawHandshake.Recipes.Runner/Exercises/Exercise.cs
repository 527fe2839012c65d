using System.Globalization;
using RawHandshake.Recipes.Syntax;

namespace RawHandshake.Recipes.Runner.Exercises;

/// <summary>The two TCP stacks of the lab an exercise can run against.</summary>
public enum ExerciseStack
{
    /// <summary>Linux, in rh-NAME-srv, reached from rh-NAME-cli through the router at 198.18.2.10.</summary>
    Linux,

    /// <summary>slirp4netns's BSD-derived TCP, reached from rh-NAME-slirp at 198.19.64.2.</summary>
    Slirp,
}

/// <summary>Which packet an observation reads: the one a step received (matched) or the one it sent.</summary>
public enum ObservedPacket
{
    Received,
    Sent,
}

/// <summary>
/// <c>observe NAME FIELD received|sent at LABEL [expect M | expect linux M slirp M]</c>: one field of the packet a
/// labelled step received or sent, and what it should be (per stack).
/// </summary>
public sealed record ExerciseObservation(
    string Name,
    string Field,
    ObservedPacket Packet,
    string Label,
    int StepLine,
    IReadOnlyDictionary<ExerciseStack, FieldMatcher> Expected,
    int Line);

/// <summary>One exercise file (<c>recipes/exercises/NAME.rhx</c>), parsed and with its recipe compiled. <see cref="RecipeText"/>
/// is what runs (the file's other lines blank, labels blanked: lines and columns as in the file); <see cref="RecipeSource"/>
/// the recipe as written, labels included.</summary>
public sealed record Exercise(
    string Name,
    string File,
    string Title,
    string? Seed,
    string Goal,
    string Change,
    string Question,
    IReadOnlyList<ExerciseStack> Stacks,
    ushort Port,
    string RecipeText,
    Recipe Recipe,
    IReadOnlyList<ExerciseObservation> Observations,
    string Answer,
    ExerciseStack AnswerStack,
    IReadOnlyDictionary<string, IReadOnlyList<string>> Aliases,
    string RecipeSource)
{
    public static string StackName(ExerciseStack stack) => stack == ExerciseStack.Linux ? "linux" : "slirp";
}

/// <summary>What an observed field must be: <c>*</c>, <c>absent</c>, a value, <c>N..M</c>, <c>!=V</c>, <c>&gt;=N</c>, <c>&lt;=N</c>, <c>&gt;N</c>, <c>&lt;N</c>.</summary>
public sealed record FieldMatcher(string Text)
{
    /// <summary>Whether <paramref name="observed"/> (null: the field is not in the packet) satisfies the matcher.</summary>
    public bool Matches(string? observed)
    {
        if (Text == "*")
        {
            return observed is not null;
        }

        if (Text == "absent")
        {
            return observed is null;
        }

        if (observed is null)
        {
            return false;
        }

        if (Text.StartsWith("!=", StringComparison.Ordinal))
        {
            return !ExerciseValues.Same(observed, Text[2..]);
        }

        if (Comparison(Text) is { } c)
        {
            return ExerciseValues.Number(observed) is { } o && ExerciseValues.Number(Text[c.Length..]) is { } n && c switch
            {
                ">=" => o >= n,
                "<=" => o <= n,
                ">" => o > n,
                _ => o < n,
            };
        }

        var dots = Text.IndexOf("..", StringComparison.Ordinal);
        if (dots > 0 && ExerciseValues.Number(Text[..dots]) is { } lo && ExerciseValues.Number(Text[(dots + 2)..]) is { } hi)
        {
            return ExerciseValues.Number(observed) is { } v && v >= lo && v <= hi;
        }

        return ExerciseValues.Same(observed, Text);
    }

    /// <summary>Whether the text is a well-formed matcher (numbers where a comparison needs them).</summary>
    public static string? Problem(string text)
    {
        if (Comparison(text) is { } c)
        {
            return ExerciseValues.Number(text[c.Length..]) is null ? $"'{text}' compares with something that is not a number" : null;
        }

        if (text.StartsWith("!=", StringComparison.Ordinal) && text.Length == 2)
        {
            return "'!=' needs a value";
        }

        var dots = text.IndexOf("..", StringComparison.Ordinal);
        if (dots >= 0 && (ExerciseValues.Number(text[..dots]) is null || ExerciseValues.Number(text[(dots + 2)..]) is null))
        {
            return $"'{text}' is not a range of numbers (N..M)";
        }

        return null;
    }

    public override string ToString() => Text;

    private static string? Comparison(string text) =>
        text.StartsWith(">=", StringComparison.Ordinal) ? ">=" :
        text.StartsWith("<=", StringComparison.Ordinal) ? "<=" :
        text.StartsWith('>') ? ">" :
        text.StartsWith('<') ? "<" : null;
}

/// <summary>How observed values and written values compare: numbers by value (decimal or 0x hex), the rest case-insensitively.</summary>
public static class ExerciseValues
{
    public static long? Number(string text)
    {
        var t = text.Trim();
        if (t.StartsWith("0x", StringComparison.OrdinalIgnoreCase))
        {
            return long.TryParse(t[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var h) ? h : null;
        }

        return long.TryParse(t, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var d) ? d : null;
    }

    public static bool Same(string a, string b) =>
        Number(a) is { } x && Number(b) is { } y ? x == y : string.Equals(a.Trim(), b.Trim(), StringComparison.OrdinalIgnoreCase);
}
