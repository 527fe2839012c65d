using System.Globalization;
using System.Text;
using System.Text.Json;
using RawHandshake.Cli.Args;
using RawHandshake.Engine.Bench;
using RawHandshake.Link;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Cli.Verbs;

/// <summary><c>bench parallel</c>: options, run, and its text and JSON.</summary>
public sealed partial class BenchOptions
{
    private int ExecuteParallel(CliContext context, IpAddress target, ushort port)
    {
        var flows = Whole(Count, "-n", 1, ParallelBench.MaxFlows, 1000);
        var rounds = Whole(Rounds, "--rounds", 1, 1000, 5);
        var warmup = Whole(Warmup, "--warmup", 0, 1000, 1);
        var timeout = CheckedTimeout(TimeSpan.FromSeconds(30));

        if (NetnsExec.RunInside(Netns, context) is { } code)
        {
            return code;
        }

        var request = new ParallelBenchRequest(LiveRun.Request(this, target), port)
        {
            Flows = flows,
            Rounds = rounds,
            WarmupRounds = warmup,
            RoundTimeout = timeout,
        };
        ParallelBench bench;
        try
        {
            bench = ParallelBench.Open(request, "bench");
        }
        catch (LinkException e) when (e.Message.StartsWith("-n ", StringComparison.Ordinal))
        {
            throw new UsageException($"bench: {e.Message}");
        }

        using (bench)
        {
            using var interrupt = context.Interrupts.OnInterrupt(bench.RequestStop);
            bench.ResolveNextHop();
            context.SentSomething = true;
            var result = bench.Run();
            if (result.Stopped)
            {
                return CliApp.Fail(context, "bench: interrupted", context.Interrupts.ExitCode ?? ExitCodes.Interrupted);
            }

            if (Json)
            {
                context.Out.WriteLine(ParallelJson(request, bench, result));
            }

            if (result.Failure is { } failure)
            {
                return CliApp.Fail(context, $"bench: {failure}", ExitCodes.Failed);
            }

            if (!Json)
            {
                context.Out.WriteLine(ParallelText(request, bench, result));
            }

            var (low, high) = HostTcp.EphemeralPortRange();
            var kernelSockets = (request.WarmupRounds + request.Rounds) * request.Flows;
            if (result.TimeWaitBefore is { } tw && TimeWaitCount.Crowded(tw, kernelSockets, high - low + 1))
            {
                context.Err.WriteLine($"rawhandshake: bench: warning: {tw} sockets were in TIME-WAIT here and the run left {kernelSockets} more, in {high - low + 1} ephemeral ports: " +
                                      "the kernel's connect() slows down as they fill up, so its times are too high (wait 60 s, or run fewer rounds)");
            }

            return ExitCodes.Ok;
        }
    }

    private static string ParallelText(ParallelBenchRequest request, ParallelBench bench, ParallelBenchResult result)
    {
        var e = LatencyStats.From([.. result.Engine]);
        var k = LatencyStats.From([.. result.Kernel]);
        var sb = new StringBuilder();
        sb.AppendLine(CultureInfo.InvariantCulture, $"bench parallel: {Where(request.Live, request.Port, bench.Live, bench.GuardDescription)}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"{request.Flows} connections at once (handshake, active close until the server's FIN is acknowledged), {request.Rounds} rounds of each kind, alternating, after {request.WarmupRounds} warm-up round(s) of each");
        sb.AppendLine("time of a round, from the first flow or socket made until the last is closed, in ms:");
        sb.AppendLine("            median      min      max");
        sb.AppendLine(CultureInfo.InvariantCulture, $"{"engine",-8}{e.Median,10:0.0}{e.Min,9:0.0}{e.Max,9:0.0}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"{"kernel",-8}{k.Median,10:0.0}{k.Min,9:0.0}{k.Max,9:0.0}");
        sb.AppendLine(CultureInfo.InvariantCulture, $"engine retransmissions in the measured rounds: {result.EngineRetransmissions}; frames the capture ring dropped: {(result.EngineCaptureDrops is { } d ? d.ToString(CultureInfo.InvariantCulture) : "unknown")}");
        if (result.EngineCpu.Count > 0 && result.KernelCpu.Count > 0)
        {
            sb.AppendLine(CultureInfo.InvariantCulture, $"process CPU per round (median, ms): engine {LatencyStats.From([.. result.EngineCpu]).Median:0.0}, kernel {LatencyStats.From([.. result.KernelCpu]).Median:0.0}");
        }

        sb.Append(CultureInfo.InvariantCulture, $"ratio engine/kernel (medians): {result.Ratio:0.00}");
        return sb.ToString();
    }

    private static string ParallelJson(ParallelBenchRequest request, ParallelBench bench, ParallelBenchResult result)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("benchmark", "parallel");
            WriteRun(w, result.Ok, result.Failure, request.Live, request.Port, bench.Live, bench.GuardDescription);
            w.WriteNumber("n", request.Flows);
            w.WriteNumber("rounds", request.Rounds);
            w.WriteNumber("warmup_rounds", request.WarmupRounds);
            if (result.TimeWaitBefore is { } tw)
            {
                w.WriteNumber("time_wait_before", tw);
            }

            w.WriteNumber("engine_rounds", result.Engine.Count);
            w.WriteNumber("kernel_rounds", result.Kernel.Count);
            w.WriteNumber("engine_retransmissions", result.EngineRetransmissions);
            if (result.EngineCaptureDrops is { } drops)
            {
                w.WriteNumber("engine_capture_drops", drops);
            }
            else
            {
                w.WriteNull("engine_capture_drops");
            }

            Times(w, "engine", result.Engine);
            Times(w, "kernel", result.Kernel);
            foreach (var (side, cpu) in new[] { ("engine", result.EngineCpu), ("kernel", result.KernelCpu) })
            {
                if (cpu.Count > 0)
                {
                    w.WriteNumber($"{side}_cpu_median_ms", Math.Round(LatencyStats.From([.. cpu]).Median, 2));
                }
                else
                {
                    w.WriteNull($"{side}_cpu_median_ms");
                }
            }

            WriteRatio(w, result.Ratio);

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Times(Utf8JsonWriter w, string side, IReadOnlyList<double> ms)
    {
        var s = ms.Count > 0 ? LatencyStats.From([.. ms]) : null;
        foreach (var (name, v) in new[] { ("median", s?.Median), ("min", s?.Min), ("max", s?.Max) })
        {
            if (v is { } x)
            {
                w.WriteNumber($"{side}_{name}_ms", Math.Round(x, 2));
            }
            else
            {
                w.WriteNull($"{side}_{name}_ms");
            }
        }

        w.WriteStartArray($"{side}_rounds_ms");
        foreach (var x in ms)
        {
            w.WriteNumberValue(Math.Round(x, 2));
        }

        w.WriteEndArray();
    }
}
