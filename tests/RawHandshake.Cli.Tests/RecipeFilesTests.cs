using RawHandshake.Cli.Verbs;

namespace RawHandshake.Cli.Tests;

/// <summary>How <c>run NAME</c> finds its file: as given, then NAME.rh, then under recipes/.</summary>
public sealed class RecipeFilesTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("rh-recipes-").FullName;

    public RecipeFilesTests()
    {
        Directory.CreateDirectory(Path.Combine(dir, "recipes"));
        File.WriteAllText(Path.Combine(dir, "recipes", "seed-web.rh"), "");
        File.WriteAllText(Path.Combine(dir, "mine.rh"), "");
        File.WriteAllText(Path.Combine(dir, "plain"), "");
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("mine", "mine.rh")]
    [InlineData("mine.rh", "mine.rh")]
    [InlineData("seed-web", "recipes/seed-web.rh")]
    [InlineData("seed-web.rh", "recipes/seed-web.rh")]
    [InlineData("recipes/seed-web", "recipes/seed-web.rh")]
    [InlineData("missing", "missing")]
    [InlineData("other/seed-web", "other/seed-web")]
    public void Finds_the_file(string name, string expected) =>
        RecipeFiles.Resolve(name, dir).ShouldBe(expected);

    public void Dispose() => Directory.Delete(dir, recursive: true);
}
