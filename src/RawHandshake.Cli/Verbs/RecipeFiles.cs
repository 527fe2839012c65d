namespace RawHandshake.Cli.Verbs;

/// <summary>Where <c>run NAME</c> finds its recipe.</summary>
public static class RecipeFiles
{
    /// <summary>
    /// <paramref name="name"/> as given when it exists; else, for a bare name, <c>NAME.rh</c>, <c>recipes/NAME</c> or
    /// <c>recipes/NAME.rh</c> under <paramref name="baseDirectory"/> (so <c>run seed-web</c> works from the repository);
    /// else the name as given, for the error to name it.
    /// </summary>
    public static string Resolve(string name, string baseDirectory)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (File.Exists(Path.Combine(baseDirectory, name)))
        {
            return name;
        }

        string[] candidates = name.Contains('/', StringComparison.Ordinal)
            ? [name + ".rh"]
            : [name + ".rh", Path.Combine("recipes", name), Path.Combine("recipes", name + ".rh")];
        return candidates.FirstOrDefault(c => File.Exists(Path.Combine(baseDirectory, c))) ?? name;
    }
}
