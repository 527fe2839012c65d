using System.Globalization;
using RawHandshake.Cli.Args;
using RawHandshake.Lab.Topology;
using RawHandshake.Recipes.Runner.Exercises;

namespace RawHandshake.Cli.Verbs;

public sealed partial class ExerciseOptions
{
    public const string DefaultDirectory = "recipes/exercises";

    public int Execute(CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var dir = Dir ?? DefaultFolder();
        if (!Directory.Exists(dir))
        {
            throw new UsageException(Dir is null
                ? $"exercise: no folder {DefaultDirectory} here or above the program (give --dir DIR)"
                : $"exercise: --dir {Dir}: no such folder");
        }

        switch (Action)
        {
            case ExerciseAction.List:
                Refuse(Name is not null, "list takes no NAME");
                Refuse(All || Answer is not null, "--all and --answer belong to run");
                return List(dir, context);
            case ExerciseAction.Show:
                Refuse(Name is null, "show needs the exercise's NAME (see: exercise list)");
                Refuse(All || Answer is not null, "--all and --answer belong to run");
                return Show(Load(Resolve(dir, Name!), context), context);
            default:
                Refuse(Name is null && !All, "run needs an exercise's NAME, or --all");
                Refuse(Name is not null && All, "give either NAME or --all, not both");
                Refuse(All && Answer is not null, "--answer checks one exercise: give its NAME instead of --all");
                Refuse(Answer is { } a && a.Trim().Length == 0, "--answer is empty");
                return Run(dir, context);
        }
    }

    /// <summary><c>recipes/exercises</c> under the current directory, else above the program (a build inside the
    /// repository, as <c>./run-as-root.sh</c> makes it), else the relative path for the error to name.</summary>
    private static string DefaultFolder()
    {
        if (Directory.Exists(DefaultDirectory))
        {
            return DefaultDirectory;
        }

        var d = new DirectoryInfo(AppContext.BaseDirectory);
        for (var i = 0; i < 8 && d is not null; i++, d = d.Parent)
        {
            var candidate = Path.Combine(d.FullName, DefaultDirectory);
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        return DefaultDirectory;
    }

    private static void Refuse(bool condition, string message)
    {
        if (condition)
        {
            throw new UsageException("exercise: " + message);
        }
    }

    private static string Resolve(string dir, string name)
    {
        if (File.Exists(name) && name.EndsWith(ExerciseParser.Extension, StringComparison.Ordinal))
        {
            return name;
        }

        var path = Path.Combine(dir, name.EndsWith(ExerciseParser.Extension, StringComparison.Ordinal) ? name : name + ExerciseParser.Extension);
        if (!File.Exists(path))
        {
            throw new UsageException($"exercise: no exercise '{name}' in {dir} (see: exercise list)");
        }

        return path;
    }

    /// <summary>Parses every exercise of the folder; a malformed one is reported (file:line:col) and stops the command.</summary>
    private static List<Exercise> LoadAll(string dir, CliContext context)
    {
        var files = Directory.GetFiles(dir, "*" + ExerciseParser.Extension).OrderBy(f => f, StringComparer.Ordinal).ToList();
        if (files.Count == 0)
        {
            throw new UsageException($"exercise: no exercises (*{ExerciseParser.Extension}) in {dir}");
        }

        var list = new List<Exercise>();
        var bad = 0;
        foreach (var f in files)
        {
            var r = ExerciseParser.Parse(ReadText(f), f);
            if (r.Exercise is null)
            {
                bad++;
                foreach (var e in r.Errors)
                {
                    context.Err.WriteLine(e);
                }
            }
            else
            {
                list.Add(r.Exercise);
            }
        }

        if (bad > 0)
        {
            throw new UsageException($"exercise: {bad} exercise file(s) in {dir} are invalid (errors above)");
        }

        return list;
    }

    private static Exercise Load(string path, CliContext context)
    {
        var r = ExerciseParser.Parse(ReadText(path), path);
        if (r.Exercise is null)
        {
            foreach (var e in r.Errors)
            {
                context.Err.WriteLine(e);
            }

            throw new UsageException($"exercise: {path} is invalid (errors above)");
        }

        return r.Exercise;
    }

    private static string ReadText(string path)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"{path}: cannot read the exercise ({e.Message.Split('\n')[0]})");
        }
    }

    private static int List(string dir, CliContext context)
    {
        var all = LoadAll(dir, context);
        var width = all.Max(e => e.Name.Length);
        foreach (var e in all)
        {
            var stacks = string.Join('+', e.Stacks.Select(Exercise.StackName));
            context.Out.WriteLine($"{e.Name.PadRight(width)}  {stacks,-11}  {e.Title}");
        }

        context.Out.WriteLine($"{all.Count} exercises; show one with: exercise show NAME");
        return ExitCodes.Ok;
    }

    private static int Show(Exercise e, CliContext context)
    {
        var o = context.Out;
        o.WriteLine($"{e.Name} — {e.Title}{(e.Seed is null ? "" : $" (seed {e.Seed})")}");
        o.WriteLine($"goal:     {e.Goal}");
        o.WriteLine($"change:   {e.Change}");
        o.WriteLine($"question: {e.Question}");
        o.WriteLine($"runs on:  {string.Join(", ", e.Stacks.Select(s => $"{Exercise.StackName(s)} {Target(e, s)}"))}");
        o.WriteLine("observes: " + string.Join(", ", e.Observations.Select(x => $"{x.Name} ({x.Field} {(x.Packet == ObservedPacket.Received ? "received" : "sent")} at [{x.Label}])")));
        o.WriteLine("recipe (its expectations give the answer away: predict first):");
        foreach (var line in e.RecipeSource.Split('\n'))
        {
            o.WriteLine("  " + line);
        }

        o.WriteLine($"predict the answer, then: ./run-as-root.sh exercise run {e.Name} --answer TEXT");
        return ExitCodes.Ok;
    }

    internal static string Target(Exercise e, ExerciseStack s) =>
        (s == ExerciseStack.Linux ? LabPlan.ServerAddress : LabPlan.SlirpGatewayAddress) + ":" + e.Port.ToString(CultureInfo.InvariantCulture);

    private int Run(string dir, CliContext context)
    {
        var lab = Lab ?? LabPlan.DefaultName;
        if (!LabPlan.IsValidName(lab))
        {
            throw new UsageException($"exercise: --lab: {LabPlan.BadName(lab)}");
        }

        var exercises = All ? LoadAll(dir, context) : [Load(Resolve(dir, Name!), context)];
        if (!Environment.IsPrivilegedProcess)
        {
            throw new UsageException("exercise: run enters the lab's namespaces and puts frames on the wire: run it as root (./run-as-root.sh exercise run …)");
        }

        var jobs = Jobs is null ? 4 : (int)ArgParse.Number(Jobs, "--jobs", 64);
        Refuse(jobs == 0, "--jobs must be at least 1");
        foreach (var role in exercises.SelectMany(e => e.Stacks).Distinct().Select(s => s == ExerciseStack.Linux ? LabRole.Client : LabRole.SlirpClient))
        {
            var ns = LabPlan.Namespace(lab, role);
            if (!Link.NetNs.Exists(ns))
            {
                throw new UsageException($"exercise: the lab '{lab}' is not up (no namespace {ns}): start it with ./run-as-root.sh lab up{(lab == LabPlan.DefaultName ? "" : " --name " + lab)}");
            }
        }

        var runs = exercises.SelectMany(e => e.Stacks.Select(s => (Exercise: e, Stack: s))).ToList();
        context.SentSomething = true;
        var (outcomes, interrupted) = ExerciseRunner.RunAll(runs, lab, jobs);
        var results = exercises.Select(e => (Exercise: e, Outcomes: outcomes.Where(o => o.Exercise == e).Select(o => o.Outcome).ToList())).ToList();

        var ok = true;
        foreach (var (e, list) in results)
        {
            ExerciseText.Write(context.Out, e, list, verbose: !All);
            ok &= list.All(x => x.Ok);
        }

        if (All)
        {
            var width = exercises.Max(e => e.Name.Length);
            context.Out.WriteLine($"{"exercise".PadRight(width)}  result");
            foreach (var (e, list) in results)
            {
                context.Out.WriteLine($"{e.Name.PadRight(width)}  {string.Join("  ", list.Select(x => $"{Exercise.StackName(x.Stack)} {(x.Ok ? "pass" : "FAIL")}"))}");
            }

            context.Out.WriteLine($"{results.Count(r => r.Outcomes.All(x => x.Ok))} of {results.Count} exercises pass");
        }

        if (Answer is { } answer)
        {
            var (e, list) = results[0];
            var outcome = list.First(x => x.Stack == e.AnswerStack);
            var field = outcome.Fields.FirstOrDefault(f => f.Observation.Name == e.Answer);
            if (field is null)
            {
                context.Out.WriteLine($"your answer \"{answer.Trim()}\": not checked — the exercise did not run");
                return interrupted ?? ExitCodes.Failed;
            }

            var right = ExerciseCheck.AnswerMatches(e, field.Value, answer);
            context.Out.WriteLine($"your answer \"{answer.Trim()}\": {(right ? "right" : "wrong")} — observed {field.Observation.Field} = {field.Value ?? "(absent)"}");
            ok &= right;
        }

        if (interrupted is { } signal)
        {
            return signal;
        }

        return ok ? ExitCodes.Ok : ExitCodes.Failed;
    }
}
