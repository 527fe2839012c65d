using CommandLine;
using CommandLine.Text;
using RawHandshake.Cli.Args;
using RawHandshake.Cli.Verbs;

namespace RawHandshake.Cli;

/// <summary>Parses the verb and its options, runs it, and turns every failure into one line on stderr and an exit code.</summary>
public static class CliApp
{
    public static readonly Type[] Verbs =
    [
        typeof(CraftOptions), typeof(DissectOptions), typeof(HandshakeOptions), typeof(InterfacesOptions), typeof(ServeOptions), typeof(LabOptions),
        typeof(RunOptions), typeof(BenchOptions), typeof(ExplainOptions), typeof(ExerciseOptions), typeof(DoctorOptions), typeof(ProbeOptions),
        typeof(TracerouteOptions), typeof(ImportOptions),
    ];

    public static int Run(string[] args, CliContext context)
    {
        using var parser = new Parser(s =>
        {
            s.HelpWriter = null;
            s.CaseInsensitiveEnumValues = true;
            s.AllowMultiInstance = true;
            s.AutoHelp = true;
            s.AutoVersion = true;
            s.EnableDashDash = true;
        });

        // "VERB … --help" is the verb's help wherever --help stands (after a value too: "serve echo --help").
        if (args.Length > 1 && args.Skip(1).TakeWhile(a => a != "--").Any(a => a is "--help" or "-h"))
        {
            args = [args[0], "--help"];
        }

        var result = parser.ParseArguments(NamingTable.Rewrite(args), Verbs);
        int code;
        try
        {
            code = result.MapResult(
                (ICommand command) => command.Execute(context),
                errors => Errors(result, errors, context));
        }
        catch (Link.InterruptedException e)
        {
            return Fail(context, "interrupted", e.ExitCode);
        }
        catch (Exception e) when (context.Interrupts.ExitCode is { } interrupted && e is not OutOfMemoryException)
        {
            // Whatever failed after a signal failed because of it (an ARP request cut short, nft killed by Ctrl-C):
            // interrupted is 130/143, whenever it happens.
            return Fail(context, "interrupted", interrupted);
        }
        catch (UsageException e)
        {
            return Fail(context, e.Message, ExitCodes.Usage);
        }
        catch (Link.LinkException e)
        {
            return Fail(context, e.Message, context.SentSomething ? ExitCodes.Failed : ExitCodes.Usage);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Never a stack trace: name the failure in one line. Exit 1 once frames went out, else 2.
            var message = e.Message.Split('\n')[0].Trim();
            return Fail(context, $"{e.GetType().Name}: {message}", context.SentSomething ? ExitCodes.Failed : ExitCodes.Usage);
        }

        // A verb that ended on its own after a signal (a server stopped, a run cut short) was interrupted all the same.
        return context.Interrupts.ExitCode ?? code;
    }

    public static int Fail(CliContext context, string message, int code)
    {
        context.Err.WriteLine($"rawhandshake: {message}");
        return code;
    }

    private static int Errors(ParserResult<object> result, IEnumerable<Error> errors, CliContext context)
    {
        var list = errors.ToList();
        if (list.Any(e => e is HelpRequestedError or HelpVerbRequestedError or VersionRequestedError))
        {
            var help = list.Any(e => e is VersionRequestedError)
                ? HeadingInfo.Default.ToString()
                : HelpText.AutoBuild(result, h =>
                {
                    h.AdditionalNewLineAfterOption = false;
                    h.Heading = "rawhandshake — TCP by hand";
                    h.Copyright = "";
                    h.AddDashesToOption = true;
                    h.MaximumDisplayWidth = 110;
                    return h;
                }, e => e, verbsIndex: true).ToString();
            if (list.Any(e => e is HelpRequestedError) && result.TypeInfo.Current is { } helped && helped != typeof(NullInstance))
            {
                help = VerbHelp.Wrap(VerbName(helped), help);
            }

            context.Out.WriteLine(help);
            return ExitCodes.Ok;
        }

        var verb = result.TypeInfo.Current is { } t && t != typeof(NullInstance)
            ? ((VerbAttribute?)Attribute.GetCustomAttribute(t, typeof(VerbAttribute)))?.Name
            : null;
        var where = verb is null ? "" : verb + ": ";
        return Fail(context, where + Describe(list[0]) + " (see rawhandshake " + (verb is null ? "--help" : verb + " --help") + ")", ExitCodes.Usage);
    }

    private static string Describe(Error e) => e switch
    {
        NoVerbSelectedError => "no verb given; verbs: " + string.Join(", ", Verbs.Select(VerbName)),
        BadVerbSelectedError b => $"unknown verb '{b.Token}'; verbs: " + string.Join(", ", Verbs.Select(VerbName)),
        UnknownOptionError u => $"unknown option '{(u.Token.Length == 1 ? "-" : "--")}{u.Token}'",
        MissingValueOptionError m => $"option '{Name(m.NameInfo)}' needs a value",
        MissingRequiredOptionError r => r.NameInfo.NameText.Length == 0 ? "a required value is missing" : $"option '{Name(r.NameInfo)}' is required",
        BadFormatConversionError f when f.NameInfo.NameText.Length == 0 => "a value is not one of those allowed (see the verb's help)",
        BadFormatConversionError f => $"option '{Name(f.NameInfo)}' has a bad value",
        BadFormatTokenError t => $"bad token '{t.Token}'",
        SequenceOutOfRangeError s => $"option '{Name(s.NameInfo)}' has the wrong number of values",
        RepeatedOptionError r => $"option '{Name(r.NameInfo)}' is given more than once",
        SetValueExceptionError v => $"option '{Name(v.NameInfo)}': {v.Exception.Message}",
        MutuallyExclusiveSetError x => $"option '{Name(x.NameInfo)}' cannot be combined with the others given",
        _ => e.Tag.ToString(),
    };

    private static string Name(NameInfo n) => n.LongName.Length > 0 ? "--" + n.LongName : "-" + n.ShortName;

    private static string VerbName(Type t) => ((VerbAttribute)Attribute.GetCustomAttribute(t, typeof(VerbAttribute))!).Name;
}
