using RawHandshake.Cli.Args;

namespace RawHandshake.Cli.Output;

/// <summary>
/// <c>--color auto|always|never</c>: auto (the default) colours only when standard output is a terminal and NO_COLOR
/// (no-color.org) is unset or empty; always and never are what the user asked for, NO_COLOR or not. JSON is never coloured.
/// </summary>
public static class ColorChoice
{
    public static bool Enabled(string? option, CliContext context) => (option?.Trim().ToLowerInvariant() ?? "auto") switch
    {
        "always" => true,
        "never" => false,
        "auto" => context.OutIsTerminal && string.IsNullOrEmpty(context.Environment("NO_COLOR")),
        _ => throw new UsageException($"--color: '{option}' is not one of auto, always, never"),
    };
}

/// <summary>The probe's port table coloured by state, as nmap's users read it: open green, closed red, filtered yellow.</summary>
public static class ProbeColors
{
    public const string Open = "\u001b[32m", Closed = "\u001b[31m", Filtered = "\u001b[33m", Reset = "\u001b[0m";

    public static string Paint(string table) => string.Join('\n', table.Split('\n').Select(PaintLine));

    private static string PaintLine(string line)
    {
        var words = line.Split(' ', 3, StringSplitOptions.RemoveEmptyEntries);
        if (words.Length < 2 || !words[0].Contains('/', StringComparison.Ordinal) || !char.IsAsciiDigit(words[0][0]))
        {
            return line;
        }

        var color = words[1] switch
        {
            "open" or "unfiltered" => Open,
            "closed" => Closed,
            _ when words[1].Contains("filtered", StringComparison.Ordinal) => Filtered,
            _ => null,
        };
        return color is null ? line : color + line + Reset;
    }
}
