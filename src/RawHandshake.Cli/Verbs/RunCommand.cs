using System.Diagnostics;
using RawHandshake.Cli.Args;
using RawHandshake.Engine;
using RawHandshake.Engine.Live;
using RawHandshake.Engine.Trace;
using RawHandshake.Recipes;
using RawHandshake.Recipes.Runner;
using RawHandshake.Recipes.Syntax;
using RawHandshake.Session;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Cli.Verbs;

public sealed partial class RunOptions : ICommand
{
    public int Execute(CliContext context)
    {
        if (Lab is not null && Netns is not null)
        {
            throw new UsageException("--lab and --netns cannot be combined (--lab runs in the lab's client namespace)");
        }

        if (Quiet && (Json || Ladder))
        {
            throw new UsageException($"-q/--quiet prints failures, warnings and the summary table only: it cannot be combined with {(Json ? "--json" : "--ladder")}");
        }

        if (NetnsExec.RunInside(Netns, context) is { } code)
        {
            return code;
        }

        // Compile everything first: a syntax or semantic error stops the run before anything is sent.
        var recipes = new List<Recipe>();
        var errors = new List<string>();
        foreach (var name in Files)
        {
            var path = RecipeFiles.Resolve(name, Environment.CurrentDirectory);
            RecipeCompileResult result;
            try
            {
                // Bounded: /dev/zero or a huge file is refused after 1 MiB, in one line.
                using var source = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                result = RecipeCompiler.CompileFrom(source, path);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UsageException($"{path}: cannot read the recipe ({e.Message.Split('\n')[0]})");
            }

            if (result.Errors.Count > 0 || result.Recipe is null)
            {
                errors.AddRange(result.Errors.Select(e => e.ToString()));
                continue;
            }

            if (result.Recipe.Header.Target is null && Target is null)
            {
                errors.Add($"{path}:1:1: no target: add a line 'target IP:PORT' or give --target");
                continue;
            }

            recipes.Add(result.Recipe);
        }

        if (errors.Count > 0)
        {
            foreach (var e in errors)
            {
                context.Err.WriteLine(e);
            }

            return ExitCodes.Usage;
        }

        if (Check)
        {
            foreach (var r in recipes)
            {
                context.Out.WriteLine($"{r.File}: ok, {r.Steps.Count} steps");
            }

            return ExitCodes.Ok;
        }

        var repeat = (int)ArgParse.Number(Repeat ?? "1", "--repeat", 1000);
        if (repeat == 0)
        {
            throw new UsageException("--repeat: must be at least 1");
        }

        // Before anything is sent: every target and time limit, privilege (like handshake, exit 2) and every output path.
        var targets = recipes.Select(r => Plan(r).Target).ToList();
        if (Lab is not null && WhereToRun(recipes, targets, context) is { } labCode)
        {
            return labCode;
        }

        Link.Privileges.RequireNetRaw("run");
        using var junit = JUnit is null ? null : LiveRun.OpenOutput(JUnit, "--junit");
        var report = new JUnitReport();
        var table = new List<(string File, int Passed, int Total, string? Error)>();
        using var run = new LiveRun(this, context, quiet: Quiet);
        foreach (var recipe in recipes)
        {
            if (run.Interrupted is not null)
            {
                break;
            }

            if (!Json && !Quiet)
            {
                context.Out.WriteLine($"== {recipe.File}{(recipe.Header.Description is { } d ? " — " + d : "")}");
            }

            var watch = Stopwatch.StartNew();
            var (steps, error, passedRuns) = RunOne(recipe, run, context, repeat);
            report.AddRecipe(recipe.File, steps, error, watch.Elapsed, recipe.Steps.Count);
            table.Add((recipe.File, repeat == 1 ? steps.Count(s => s.Passed) : passedRuns, repeat == 1 ? recipe.Steps.Count : repeat, error));
            if (!Json && !Quiet)
            {
                context.Out.WriteLine();
            }
        }

        if (junit is not null)
        {
            try
            {
                report.Save(junit);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                context.Err.WriteLine($"rawhandshake: --junit {JUnit}: {e.Message}");
            }
        }

        if (!Json)
        {
            var width = Math.Max(6, table.Max(t => t.File.Length));
            var counts = Math.Max(6, table.Max(t => $"{t.Passed}/{t.Total}".Length));
            context.Out.WriteLine($"{"recipe".PadRight(width)}  {(repeat == 1 ? "steps" : "runs").PadRight(counts)}  result");
            foreach (var (file, passed, total, error) in table)
            {
                context.Out.WriteLine($"{file.PadRight(width)}  {$"{passed}/{total}".PadRight(counts)}  {(error is null ? "pass" : "FAIL  " + error)}");
            }
        }

        if (run.Interrupted is { } interrupted)
        {
            return interrupted;
        }

        return table.All(t => t.Error is null) && table.Count == recipes.Count ? ExitCodes.Ok : ExitCodes.Failed;
    }

    /// <summary>
    /// <c>--lab NAME</c>: recipes aimed at the lab's server (or any <c>--target</c>) run in lab NAME's client namespace,
    /// brought up if needed; recipes aimed elsewhere run here. Returns the exit code when the run happened in the lab,
    /// null to run here.
    /// </summary>
    private int? WhereToRun(List<Recipe> recipes, List<IpAddress> targets, CliContext context)
    {
        var name = Lab!;
        var client = global::RawHandshake.Lab.Topology.LabPlan.Namespace(name, global::RawHandshake.Lab.Topology.LabRole.Client);
        if (Environment.GetEnvironmentVariable(NetnsExec.Marker) == client)
        {
            return null; // already inside the lab
        }

        var lab = Target is not null ? recipes.Count : targets.Count(LabFront.IsLabServer);
        if (lab == 0)
        {
            return null;
        }

        if (lab < recipes.Count)
        {
            var other = recipes[targets.FindIndex(t => !LabFront.IsLabServer(t))];
            throw new UsageException($"--lab {name}: {other.File} aims at {targets[recipes.IndexOf(other)]}, not the lab's server: run recipes for the lab and for other servers separately");
        }

        var info = LabFront.Up(name, context, $"run --lab {name}");
        context.Err.WriteLine($"rawhandshake: run: in lab {name}'s client namespace {info.ClientNamespace}{(info.AlreadyUp ? "" : $" (brought up; 'lab down --name {name}' removes it)")}");
        return NetnsExec.RunInside(info.ClientNamespace, context);
    }

    /// <summary>Where a recipe goes and for how long: checked for every recipe before the first is sent.</summary>
    private (IpAddress Target, ushort Port, TimeSpan Limit) Plan(Recipe recipe)
    {
        var (target, port) = Target is not null
            ? LiveRun.Target(Target, "--target")
            : LiveRun.Target(recipe.Header.Target!.Endpoint, $"{recipe.File}:{recipe.Header.Target.Pos.Line}: target");
        var limit = Timeout is not null ? LiveRun.Duration(Timeout, "--timeout", RecipeSession.DefaultTimeout) : recipe.Header.Defaults.Timeout ?? RecipeSession.DefaultTimeout;
        return (target, port, limit);
    }

    private (IReadOnlyList<StepTraced> Steps, string? Error, int PassedRuns) RunOne(Recipe recipe, LiveRun run, CliContext context, int repeat)
    {
        var (target, port, limit) = Plan(recipe);
        // Recipes set any window and run flows side by side: the bulk ring.
        var request = LiveRun.Request(this, target) with { WarmupFlow = RecipeRun.WarmupFlow, CaptureRing = Link.CaptureRing.Bulk };
        try
        {
            // A recorder for this recipe only (the ladder, the last packets of a failure), attached for its run.
            var recorder = new TraceRecorder();
            var trace = new TraceBus().Add(run.Trace).Add(recorder);
            using var live = LiveSetup.Open(request, run.Clock, trace, "run");
            run.Attach(live.Engine);
            if (RecipeDriver.FrameTooLarge(recipe, live.Route.Mtu, live.Route.Interface) is { } tooLarge)
            {
                // Refused before anything of this recipe is sent (exit 2 when nothing was sent at all).
                return context.SentSomething ? ([], tooLarge, 0) : throw new UsageException(tooLarge);
            }

            live.ResolveNextHop(request);
            context.SentSomething = true;
            var result = RecipeRun.Execute(recipe, live, target, port, repeat, limit);
            if (Ladder && !Json && repeat == 1)
            {
                context.Out.WriteLine();
                context.Out.Write(LadderRenderer.Render(recorder.Events));
            }

            if (result.Error is not null && !Json && !Quiet)
            {
                // The failure with what led to it: the last packets of the flow.
                var last = recorder.Events.OfType<PacketTraced>().TakeLast(5).ToList();
                if (last.Count > 0)
                {
                    context.Out.WriteLine("  last packets seen:");
                    foreach (var p in last)
                    {
                        context.Out.WriteLine("  " + TextTraceRenderer.PacketLine(p));
                    }
                }
            }

            return (result.Steps, result.Error, result.PassedRuns);
        }
        catch (Link.LinkException e) when (context.SentSomething)
        {
            // Once frames went out, one recipe's trouble with the host ends that recipe; before, it is the run's (exit 2).
            context.Err.WriteLine($"rawhandshake: {recipe.File}: {e.Message}");
            return ([], e.Message, 0);
        }
    }
}
