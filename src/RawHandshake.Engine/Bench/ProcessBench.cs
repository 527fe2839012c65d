using System.Globalization;
using RawHandshake.Link;

namespace RawHandshake.Engine.Bench;

/// <summary>What <c>bench process</c> runs: <see cref="Runs"/> times our command and the reference, alternating.</summary>
public sealed record ProcessBenchRequest(IReadOnlyList<string> Ours, IReadOnlyList<string>? Reference)
{
    public int Runs { get; init; } = 5;
}

/// <summary>One process: its exit code, start-to-exit wall time, and peak resident set (<c>wait4</c>'s ru_maxrss).</summary>
public sealed record ProcessRun(int Exit, TimeSpan Wall, long PeakRssKb);

public sealed record ProcessBenchResult(IReadOnlyList<ProcessRun> Ours, IReadOnlyList<ProcessRun> Reference)
{
    public TimeSpan OursWall => TimeSpan.FromSeconds(InjectBenchResult.Median(Ours.Select(r => r.Wall.TotalSeconds)));
    public double OursRssMb => InjectBenchResult.Median(Ours.Select(r => r.PeakRssKb / 1024.0));
    public TimeSpan? ReferenceWall => Reference.Count == 0 ? null : TimeSpan.FromSeconds(InjectBenchResult.Median(Reference.Select(r => r.Wall.TotalSeconds)));
    public double? ReferenceRssMb => Reference.Count == 0 ? null : InjectBenchResult.Median(Reference.Select(r => r.PeakRssKb / 1024.0));

    /// <summary>Our median wall time over the reference's (null without one).</summary>
    public double? WallRatio => ReferenceWall is { } r && r > TimeSpan.Zero ? OursWall / r : null;

    public double? RssRatio => ReferenceRssMb is { } r && r > 0 ? OursRssMb / r : null;
}

/// <summary>
/// <c>bench process</c>: whole processes, start to exit, measured from outside by a small C meter compiled here
/// (<c>fork</c>, <c>exec</c>, <c>wait4</c>: wall time and the child's peak RSS), ours and the reference alternating.
/// </summary>
public static class ProcessBench
{
    public const int MaxRuns = 1000;

    /// <summary>Where <paramref name="program"/> is on PATH, or null.</summary>
    public static string? OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin").Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, program)).FirstOrDefault(File.Exists);

    public static ProcessBenchResult Run(ProcessBenchRequest request, Func<bool>? stop = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        var meter = CTools.Compile("meter", BenchPrograms.Meter);
        var ours = new List<ProcessRun>();
        var reference = new List<ProcessRun>();
        for (var i = 0; i < request.Runs && !(stop?.Invoke() ?? false); i++)
        {
            ours.Add(Measure(meter, request.Ours));
            if (request.Reference is { } r)
            {
                reference.Add(Measure(meter, r));
            }
        }

        return new ProcessBenchResult(ours, reference);
    }

    private static ProcessRun Measure(string meter, IReadOnlyList<string> command)
    {
        var (code, output) = CTools.Run(meter, command, TimeSpan.FromMinutes(1));
        var parts = output.Trim().Split(' ');
        if (code != 0 || parts.Length != 3)
        {
            throw new LinkException($"measuring '{string.Join(' ', command)}' failed: {output.Trim()}");
        }

        return new ProcessRun(int.Parse(parts[0], CultureInfo.InvariantCulture), TimeSpan.FromSeconds(double.Parse(parts[1], CultureInfo.InvariantCulture)),
            long.Parse(parts[2], CultureInfo.InvariantCulture));
    }
}
