using System.Diagnostics;
using System.Runtime.InteropServices;
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

    /// <summary>Runs every (exercise, stack), <paramref name="jobs"/> at once. Ctrl-C or SIGTERM stops the runs (each child
    /// gets SIGTERM and cleans up as <c>run</c> does) and starts no more; the code says which signal came (130, 143).</summary>
    public static (List<(Exercise Exercise, ExerciseOutcome Outcome)> Outcomes, int? Interrupted) RunAll(IReadOnlyList<(Exercise Exercise, ExerciseStack Stack)> runs, string lab, int jobs)
    {
        var running = new HashSet<Process>();
        int? interrupted = null;
        void Stop(int code)
        {
            lock (running)
            {
                interrupted ??= code;
                foreach (var p in running)
                {
                    kill(p.Id, 15);
                }
            }
        }

        ConsoleCancelEventHandler onCancel = (_, e) =>
        {
            e.Cancel = true;
            Stop(ExitCodes.Interrupted);
        };
        Console.CancelKeyPress += onCancel;
        using var term = PosixSignalRegistration.Create(PosixSignal.SIGTERM, ctx =>
        {
            ctx.Cancel = true;
            Stop(ExitCodes.Terminated);
        });
        try
        {
            var results = new (Exercise, ExerciseOutcome)[runs.Count];
            Parallel.For(0, runs.Count, new ParallelOptions { MaxDegreeOfParallelism = jobs }, i =>
            {
                var (e, s) = runs[i];
                results[i] = (e, RunOne(e, s, lab, running, () => interrupted is not null));
            });
            return ([.. results], interrupted);
        }
        finally
        {
            Console.CancelKeyPress -= onCancel;
        }
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);

    private static ExerciseOutcome RunOne(Exercise e, ExerciseStack stack, string lab, HashSet<Process> running, Func<bool> stopped)
    {
        if (stopped())
        {
            return new ExerciseOutcome(stack, [], [], "not run: interrupted");
        }

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
            lock (running)
            {
                running.Add(child);
                if (stopped())
                {
                    kill(child.Id, 15);
                }
            }

            var stdout = child.StandardOutput.ReadToEndAsync();
            var stderr = child.StandardError.ReadToEndAsync();
            if (!child.WaitForExit(Bound))
            {
                child.Kill(entireProcessTree: true);
                child.WaitForExit();
                lock (running)
                {
                    running.Remove(child);
                }

                return new ExerciseOutcome(stack, [], [], $"the run did not end within {Bound.TotalSeconds:0} s");
            }

            child.WaitForExit();
            lock (running)
            {
                running.Remove(child);
            }

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
