using RawHandshake.Recipes.Syntax;

namespace RawHandshake.Recipes.Tests.Support;

/// <summary>Compile helpers: every test recipe is called <c>t.rh</c> unless it says otherwise.</summary>
internal static class Compiled
{
    public const string File = "t.rh";

    public static Recipe Ok(string text, string file = File)
    {
        var r = RecipeCompiler.Compile(text, file);
        r.Errors.ShouldBeEmpty(string.Join("\n", r.Errors));
        r.Success.ShouldBeTrue();
        return r.Recipe.ShouldNotBeNull();
    }

    public static string Print(string text, string file = File) => RecipePrinter.Print(Ok(text, file));

    public static T Step<T>(string text, int index = -1)
        where T : Step => Step<T>(text, File, index);

    public static T Step<T>(string text, string file, int index = -1)
        where T : Step
    {
        var steps = Ok(text, file).Steps;
        return steps[index < 0 ? steps.Count + index : index].ShouldBeOfType<T>();
    }

    public static IReadOnlyList<string> Errors(string text, string file = File)
    {
        var r = RecipeCompiler.Compile(text, file);
        r.Recipe.ShouldBeNull();
        r.Success.ShouldBeFalse();
        r.Errors.ShouldNotBeEmpty();
        return r.Errors.Select(e => e.ToString()).ToList();
    }
}
