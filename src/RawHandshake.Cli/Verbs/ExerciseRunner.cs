using System.Diagnostics;
using System.Text;
using RawHandshake.Lab.Topology;
using RawHandshake.Recipes.Runner.Exercises;

namespace RawHandshake.Cli.Verbs;

/// <summary>
/// Runs exercises against the lab: each (exercise, stack) is this program's <c>run --json</c> on the exercise's recipe,
/// as a child process inside the stack's client namespace (one RST guard per process and namespace, so parallel runs
/// need processes), several at once; the checker reads the child's JSON lines.
/// </summary>
internal static class ExerciseRunner
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);

    public static List<(Exercise Exercise, ExerciseOutcome Outcome)> RunAll(IReadOnlyList<(Exercise Exercise, ExerciseStack Stack)> runs, string lab, int jobs)
    {
        var results = new (Exercise, ExerciseOutcome)[runs.Count];
        Parallel.For(0, runs.Count, new ParallelOptions { MaxDegreeOfParallelism = jobs }, i =>
        {
            var (e, s) = runs[i];
            results[i] = (e, RunOne(e, s, lab));
        });
        return [.. results];
    }

    private static ExerciseOutcome RunOne(Exercise e, ExerciseStack stack, string lab)
    {
        var ns = LabPlan.Namespace(lab, stack == ExerciseStack.Linux ? LabRole.Client : LabRole.SlirpClient);
        var recipe = Path.Combine(Path.GetTempPath(), $"rh-exercise-{e.Name}-{Guid.NewGuid():N}.rh");
        File.WriteAllText(recipe, e.RecipeText);
        try
        {
            var start = new ProcessStartInfo("ip")
            {
                UseShellExecute = false,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                StandardOutputEncoding = Encoding.UTF8,
            };
            foreach (var a in Self(["run", "--netns", ns, "--target", ExerciseOptions.Target(e, stack), "--json", recipe], ns))
            {
                start.ArgumentList.Add(a);
            }

            start.Environment[NetnsExec.Marker] = ns;
            using var child = Process.Start(start) ?? throw new InvalidOperationException("could not start 'ip netns exec'");
            var stdout = child.StandardOutput.ReadToEndAsync();
            var stderr = child.StandardError.ReadToEndAsync();
            if (!child.WaitForExit(Bound))
            {
                child.Kill(entireProcessTree: true);
                child.WaitForExit();
                return new ExerciseOutcome(stack, [], [], $"the run did not end within {Bound.TotalSeconds:0} s");
            }

            child.WaitForExit();
            var lines = stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries);
            var err = stderr.Result.Replace(recipe, e.File, StringComparison.Ordinal);
            return ExerciseCheck.Evaluate(e, stack, lines, child.ExitCode, err);
        }
        finally
        {
            File.Delete(recipe);
        }
    }

    /// <summary><c>ip netns exec NS</c> + this program (the dotnet host and its dll, or the native executable) + args.</summary>
    private static List<string> Self(IEnumerable<string> args, string ns)
    {
        var list = new List<string> { "netns", "exec", ns, Environment.ProcessPath ?? "dotnet" };
        var own = Environment.GetCommandLineArgs();
        if (own.Length > 0 && own[0].EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            list.Add(own[0]);
        }

        list.AddRange(args);
        return list;
    }
}
