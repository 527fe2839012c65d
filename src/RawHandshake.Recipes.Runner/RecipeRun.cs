using RawHandshake.Engine;
using RawHandshake.Engine.Live;
using RawHandshake.Engine.Trace;
using RawHandshake.Recipes.Syntax;
using RawHandshake.Session;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Recipes.Runner;

/// <summary>How one recipe run ended: each run's steps, the first failure, and how many of the runs passed.</summary>
public sealed record RecipeRunResult(IReadOnlyList<StepTraced> Steps, string? Error, int PassedRuns, int Runs);

/// <summary>
/// Runs a validated recipe on an engine that is set up (route, link, next hop, guard): one flow per run, and with
/// <c>repeat</c> &gt; 1 all runs at once through the one sniffer on distinct source ports.
/// </summary>
public static class RecipeRun
{
    /// <summary>
    /// A step without <c>within</c> waits up to the run's limit and reports its own failure first, within this grace;
    /// when the run as a whole passes the limit, the trace names the recipe's own limit (option timeout 3s: "time limit
    /// of 3 s"), not the limit plus the grace.
    /// </summary>
    public static readonly TimeSpan Grace = TimeSpan.FromSeconds(1);

    private const string WarmupText = """
        description "warm-up: compiles the recipe path before the first live flow"
        target 198.18.255.2:20000
        connect
        push "warm"
        expect * ack >=1 within 1s
        recv "warm" within 1s
        close
        """;

    private static readonly Lazy<Recipe?> WarmupRecipe = new(() => RecipeCompiler.Compile(WarmupText, "<warm-up>").Recipe);

    /// <summary>A recipe flow for <see cref="Warmup.Run"/>: the recipe steps, the expectation matcher and the step trace
    /// are compiled before the first live flow, which then answers the SYN-ACK as promptly as later ones.</summary>
    public static (SessionConfig Config, IFlowDriver Driver) WarmupFlow()
    {
        var recipe = WarmupRecipe.Value ?? throw new InvalidOperationException("the built-in warm-up recipe does not compile");
        return (RecipeSession.Config(recipe, Warmup.Flow, 1), new RecipeDriver(recipe, TimeSpan.FromSeconds(5)));
    }

    public static RecipeRunResult Execute(Recipe recipe, LiveSetup live, IpAddress target, ushort port, int repeat, TimeSpan limit)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(repeat, 1);
        var d = recipe.Header.Defaults;
        var first = d.SourcePort ?? SourcePorts.Shared.Take(repeat);
        var drivers = new List<RecipeDriver>();
        var guarded = Enumerable.Range(0, repeat).Select(i => new Link.GuardedFlow(live.Source, (ushort)(first + i), target, port)).ToList();
        live.GuardFlows(guarded); // one batch for all the runs, before any of them sends
        for (var i = 0; i < repeat; i++)
        {
            var sport = (ushort)(first + i);
            var key = new FlowKey(live.Source, sport, target, port);
            var (isn, tsOffset) = live.Engine.FirstNumbers(key);
            var driver = new RecipeDriver(recipe, limit);
            drivers.Add(driver);
            live.Engine.AddFlow(RecipeSession.Config(recipe, key, d.Isn ?? isn.Value, tsOffset), driver, live.LocalMac, live.NextHopMac, new FlowFrameOptions { Ttl = d.Ttl ?? 64 });
        }

        var end = live.Engine.Run(limit, Grace);
        live.ReleaseFlows(guarded);
        var passed = drivers.Count(x => x.Outcome is { Ok: true });
        var failed = drivers.FirstOrDefault(x => x.Outcome is not { Ok: true });
        var error = end switch
        {
            RunEnd.Cancelled => "interrupted",
            _ when failed is null => null,
            _ => failed.Outcome is { Ok: false } o ? o.Error : $"time limit of {limit.TotalSeconds:0.###} s reached",
        };
        if (repeat > 1 && error is not null)
        {
            error = $"{passed} of {repeat} runs passed; first failure: {error}";
        }

        return new RecipeRunResult((failed ?? drivers[0]).Results, error, passed, repeat);
    }
}
