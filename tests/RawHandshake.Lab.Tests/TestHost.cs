using CommandLine;
using RawHandshake.Cli;
using RawHandshake.Cli.Args;
using RawHandshake.Cli.Verbs;
using RawHandshake.Lab.Topology;

namespace RawHandshake.Lab.Tests;

/// <summary>
/// This test assembly as a program: <c>dotnet RawHandshake.Lab.Tests.dll serve …</c> or <c>… lab up|down|status …</c>,
/// running the CLI's own <see cref="ServeOptions"/> and <see cref="LabOptions"/> through CommandLineParser. The lab
/// launches its servers as "this program's serve verb", so tests that make a lab, or kill a <c>lab up</c> half-way,
/// need a program that has those verbs whether or not <c>CliApp.Verbs</c> lists them yet.
/// </summary>
public static class TestHost
{
    /// <summary>The hidden command <c>lab-up-stall NAME</c>: <c>lab up</c> that stops for good when it is about to
    /// start its second server (namespaces, veths, routes and one server made), after printing <c>stalled</c> — so a
    /// test can kill it half-way at a known point, whatever the machine's speed.</summary>
    public const string StallCommand = "lab-up-stall";

    public static int Main(string[] args)
    {
        ArgumentNullException.ThrowIfNull(args);
        if (args.Length == 2 && args[0] == StallCommand)
        {
            return UpAndStall(args[1]);
        }

        var context = new CliContext(Console.Out, Console.Error, Console.In);
        using var parser = new Parser(s =>
        {
            s.HelpWriter = null;
            s.CaseInsensitiveEnumValues = true;
            s.AllowMultiInstance = true;
            s.EnableDashDash = true;
        });
        try
        {
            return parser.ParseArguments(args, typeof(ServeOptions), typeof(LabOptions)).MapResult(
                (ICommand command) => command.Execute(context),
                errors => CliApp.Fail(context, "test host: cannot parse: " + string.Join(", ", errors.Select(e => e.Tag)), ExitCodes.Usage));
        }
        catch (UsageException e)
        {
            return CliApp.Fail(context, e.Message, ExitCodes.Usage);
        }
    }

    private static int UpAndStall(string name)
    {
        var servers = 0;
        LabTopology.Up(name, new LabUpOptions
        {
            Progress = step =>
            {
                if (step.Contains(" serve ", StringComparison.Ordinal) && ++servers == 2)
                {
                    Console.Out.WriteLine("stalled");
                    Console.Out.Flush();
                    Thread.Sleep(Timeout.Infinite);
                }
            },
        });
        Console.Error.WriteLine("lab up finished without stalling");
        return 1;
    }
}
