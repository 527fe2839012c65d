using RawHandshake.Link;

namespace RawHandshake.Cli;

/// <summary>Where a verb reads and writes: the console in the program, strings in tests.</summary>
public sealed class CliContext(TextWriter output, TextWriter error, TextReader input, Interrupts? interrupts = null)
{
    public TextWriter Out { get; } = output;
    public TextWriter Err { get; } = error;
    public TextReader In { get; } = input;

    /// <summary>The one source of interrupts for every verb: the process's signals in the program, a test's own instance in tests.</summary>
    public Interrupts Interrupts { get; } = interrupts ?? Interrupts.Process;

    /// <summary>Standard output is a terminal (not a pipe or a file): <c>--color auto</c> colours only then.</summary>
    public bool OutIsTerminal { get; init; }

    /// <summary>Reads an environment variable (NO_COLOR); tests give their own.</summary>
    public Func<string, string?> Environment { get; init; } = System.Environment.GetEnvironmentVariable;

    /// <summary>Set once a frame has gone out: a failure after that exits 1, not 2.</summary>
    public bool SentSomething { get; set; }
}
