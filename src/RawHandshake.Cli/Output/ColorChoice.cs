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
