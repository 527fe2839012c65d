using System.Globalization;
using System.Text;
using System.Text.Json;
using RawHandshake.Cli.Args;
using RawHandshake.Engine.Bench;
using RawHandshake.Link;

namespace RawHandshake.Cli.Verbs;

/// <summary><c>bench inject</c> and <c>bench process</c>: options, run, and their text and JSON.</summary>
public sealed partial class BenchOptions
{
    private int ExecuteInject(CliContext context)
    {
        var frames = Whole(Count, "-n", 1, InjectBench.MaxFrames, 200_000);
        var rounds = Whole(Rounds, "--rounds", 1, 100, 3);
        var warmup = Whole(Warmup, "--warmup", 0, 100, 1);
        if (Netns is not null || Target.Length > 0)
        {
            throw new UsageException("bench inject: it makes its own pair of namespaces; --netns and --target are not for it");
        }

        Link.Privileges.RequireNetRaw("bench inject");
        var stop = false;
        using var interrupt = context.Interrupts.OnInterrupt(() => stop = true);
        context.SentSomething = true;
        var result = InjectBench.Run(new InjectBenchRequest { Frames = frames, Rounds = rounds, Warmup = warmup }, () => stop);
        if (stop)
        {
            return CliApp.Fail(context, "bench: interrupted", context.Interrupts.ExitCode ?? ExitCodes.Interrupted);
        }

        context.Out.WriteLine(Json ? InjectJson(frames, warmup, result) : InjectText(frames, warmup, result));
        return ExitCodes.Ok;
    }

    private static string InjectText(int frames, int warmup, InjectBenchResult r)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"bench inject: {frames} prebuilt SYNs from one thread on veth {r.Interface} (a namespace pair of its own, 198.18.254.1 → .2), {r.Ours.Count} rounds of each, alternating, after {warmup} not counted");
        sb.AppendLine("                                     frames/s (median)   drops (all rounds)   CPU ns/frame (median)");
        foreach (var (name, rounds, fps, cpu) in Sides(r))
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"{name,-36}{fps,14:0}{rounds.Sum(x => x.Drops),21}{cpu,24:0}");
        }

        sb.AppendLine(CultureInfo.InvariantCulture, $"ratio ours/C (medians): {r.Ratio:0.00}   CPU per frame, C/ours: {r.CpuRatio:0.00}");
        sb.Append(CultureInfo.InvariantCulture, $"ratio ours one send per frame/C (the same system call: the overhead of ours): {r.SingleRatio:0.00}   CPU per frame, C/ours: {r.SingleCpuRatio:0.00}");
        return sb.ToString();
    }

    private static (string Name, IReadOnlyList<InjectRound> Rounds, double Fps, double Cpu)[] Sides(InjectBenchResult r) =>
    [
        ($"ours ({r.Batch} frames per sendmmsg)", r.Ours, r.OursMedian, r.OursCpuMedian),
        ("ours, one send per frame", r.OursSingle, r.OursSingleMedian, r.OursSingleCpuMedian),
        ("C loop (pcap_inject per frame)", r.C, r.CMedian, r.CCpuMedian),
    ];

    private static string InjectJson(int frames, int warmup, InjectBenchResult r)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("benchmark", "inject");
            w.WriteString("interface", r.Interface);
            w.WriteNumber("n", frames);
            w.WriteNumber("rounds", r.Ours.Count);
            w.WriteNumber("warmup", warmup);
            w.WriteNumber("batch", r.Batch);
            var sides = Sides(r);
            foreach (var (side, (_, rounds, median, cpu)) in new[] { "ours", "ours_single", "c" }.Zip(sides))
            {
                w.WriteNumber($"{side}_median_fps", Math.Round(median));
                w.WriteNumber($"{side}_median_cpu_ns_per_frame", Math.Round(cpu, 1));
                w.WriteNumber($"{side}_drops", rounds.Sum(x => x.Drops));
                w.WriteStartArray($"{side}_rounds");
                foreach (var x in rounds)
                {
                    w.WriteStartObject();
                    w.WriteNumber("fps", Math.Round(x.FramesPerSecond));
                    w.WriteNumber("sent", x.Sent);
                    w.WriteNumber("refused", x.Refused);
                    w.WriteNumber("received", x.Received);
                    w.WriteNumber("seconds", Math.Round(x.Elapsed.TotalSeconds, 6));
                    w.WriteNumber("cpu_seconds", Math.Round(x.Cpu.TotalSeconds, 6));
                    w.WriteEndObject();
                }

                w.WriteEndArray();
            }

            w.WriteNumber("ratio", Math.Round(r.Ratio, 3));
            w.WriteNumber("cpu_ratio", Math.Round(r.CpuRatio, 3));
            w.WriteNumber("single_ratio", Math.Round(r.SingleRatio, 3));
            w.WriteNumber("single_cpu_ratio", Math.Round(r.SingleCpuRatio, 3));
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private int ExecuteProcess(CliContext context, string target)
    {
        var runs = Whole(Count, "-n", 1, ProcessBench.MaxRuns, 10);
        if (NetnsExec.RunInside(Netns, context) is { } code)
        {
            return code;
        }

        var (address, port) = LiveRun.Target(target, "bench: --target");
        var self = new List<string> { Environment.ProcessPath ?? "dotnet" };
        var own = Environment.GetCommandLineArgs();
        if (own.Length > 0 && own[0].EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            self.Add(own[0]);
        }

        self.AddRange(["handshake", "--target", $"{address}:{port}", "--time-wait", "0"]);
        if (RstGuard is not null)
        {
            self.AddRange(["--rst-guard", RstGuard]);
        }

        var hping = ProcessBench.OnPath("hping3");
        string[]? reference = hping is null ? null : [hping, "-c", "1", "-S", "-p", port.ToString(CultureInfo.InvariantCulture), address.ToString()];
        var stop = false;
        using var interrupt = context.Interrupts.OnInterrupt(() => stop = true);
        context.SentSomething = true;
        var result = ProcessBench.Run(new ProcessBenchRequest(self, reference) { Runs = runs }, () => stop);
        if (stop)
        {
            return CliApp.Fail(context, "bench: interrupted", context.Interrupts.ExitCode ?? ExitCodes.Interrupted);
        }

        context.Out.WriteLine(Json ? ProcessJson(address + ":" + port, runs, result, hping is not null) : ProcessText(address + ":" + port, runs, result, hping is not null));
        return result.Ours.All(r => r.Exit == 0) ? ExitCodes.Ok : CliApp.Fail(context, $"bench: a handshake process exited {result.Ours.First(r => r.Exit != 0).Exit} (run 'handshake --target {address}:{port}' to see why)", ExitCodes.Failed);
    }

    private static string ProcessText(string target, int runs, ProcessBenchResult r, bool hping)
    {
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"bench process: one whole process, start to exit, {runs} runs of each, alternating (wall time and peak RSS from wait4), against {target}");
        sb.AppendLine("                          wall ms (median)   peak RSS MB (median)");
        sb.AppendLine(CultureInfo.InvariantCulture, $"{"ours: handshake",-26}{r.OursWall.TotalMilliseconds,16:0.0}{r.OursRssMb,23:0.0}");
        if (hping)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"{"hping3 -c 1 -S",-26}{r.ReferenceWall!.Value.TotalMilliseconds,16:0.0}{r.ReferenceRssMb,23:0.0}");
            sb.Append(CultureInfo.InvariantCulture, $"ratio ours/hping3 (medians): wall {r.WallRatio:0.00}, peak RSS {r.RssRatio:0.00}");
        }
        else
        {
            sb.Append("hping3: not installed, no reference measured (apt-get install hping3)");
        }

        return sb.ToString();
    }

    private static string ProcessJson(string target, int runs, ProcessBenchResult r, bool hping)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("benchmark", "process");
            w.WriteString("target", target);
            w.WriteNumber("n", runs);
            w.WriteNumber("ours_median_wall_ms", Math.Round(r.OursWall.TotalMilliseconds, 2));
            w.WriteNumber("ours_median_peak_rss_mb", Math.Round(r.OursRssMb, 2));
            Runs(w, "ours_runs", r.Ours);
            w.WriteBoolean("reference_measured", hping);
            if (hping)
            {
                w.WriteNumber("hping3_median_wall_ms", Math.Round(r.ReferenceWall!.Value.TotalMilliseconds, 2));
                w.WriteNumber("hping3_median_peak_rss_mb", Math.Round(r.ReferenceRssMb!.Value, 2));
                Runs(w, "hping3_runs", r.Reference);
                w.WriteNumber("wall_ratio", Math.Round(r.WallRatio ?? 0, 3));
                w.WriteNumber("rss_ratio", Math.Round(r.RssRatio ?? 0, 3));
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Runs(Utf8JsonWriter w, string name, IReadOnlyList<ProcessRun> runs)
    {
        w.WriteStartArray(name);
        foreach (var x in runs)
        {
            w.WriteStartObject();
            w.WriteNumber("exit", x.Exit);
            w.WriteNumber("wall_ms", Math.Round(x.Wall.TotalMilliseconds, 2));
            w.WriteNumber("peak_rss_kb", x.PeakRssKb);
            w.WriteEndObject();
        }

        w.WriteEndArray();
    }
}
