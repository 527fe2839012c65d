using CommandLine;
using RawHandshake.Cli;
using RawHandshake.Cli.Args;
using RawHandshake.Cli.Verbs;

namespace RawHandshake.Lab.Tests;

/// <summary>
/// This test assembly as a program: <c>dotnet RawHandshake.Lab.Tests.dll serve …</c> or <c>… lab up|down|status …</c>,
/// running the CLI's own <see cref="ServeOptions"/> and <see cref="LabOptions"/> through CommandLineParser. The lab
/// launches its servers as "this program's serve verb", so tests that make a lab, or kill a <c>lab up</c> half-way,
/// need a program that has those verbs whether or not <c>CliApp.Verbs</c> lists them yet.
/// </summary>
public static class TestHost
{
    public static int Main(string[] args)
    {
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
}
