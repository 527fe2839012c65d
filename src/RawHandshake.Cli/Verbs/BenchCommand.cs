using System.Globalization;
using System.Text;
using System.Text.Json;
using RawHandshake.Cli.Args;
using RawHandshake.Engine.Bench;
using RawHandshake.Engine.Live;

namespace RawHandshake.Cli.Verbs;

public sealed partial class BenchOptions : ICommand
{
    public const int MaxSessions = 100_000;

    /// <summary>What <c>bench loss</c> echoes: 64 KiB, as issue 9's measurements.</summary>
    public const int LossPayloadBytes = 65536;

    public int Execute(CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);

        // Everything typed is checked before anything else (and before re-entering a namespace).
        var benchmark = Benchmark?.Trim().ToLowerInvariant();
        if (benchmark is null || !Known.Contains(benchmark))
        {
            throw new UsageException($"bench: unknown benchmark '{Benchmark}' (known: {string.Join(", ", Known)})");
        }

        if (benchmark == "inject")
        {
            return ExecuteInject(context);
        }

        if (Target.Length == 0)
        {
            throw new UsageException($"bench {benchmark}: --target IP:PORT is required (the lab's echo server: 198.18.2.10:20000)");
        }

        if (benchmark == "process")
        {
            return ExecuteProcess(context, Target);
        }

        var (target, port) = LiveRun.Target(Target, "bench: --target");
        if (benchmark == "parallel")
        {
            return ExecuteParallel(context, target, port);
        }

        if (Rounds is not null)
        {
            throw new UsageException($"bench: --rounds is for 'bench parallel', not '{benchmark}'");
        }

        var loss = benchmark == "loss";
        var sessions = Whole(Count, "-c", 1, MaxSessions, loss ? 5 : 100);
        var warmup = Whole(Warmup, "--warmup", 0, MaxSessions, loss ? 0 : 20);
        var timeout = CheckedTimeout(TimeSpan.FromSeconds(loss ? 30 : 10));

        if (NetnsExec.RunInside(Netns, context) is { } code)
        {
            return code;
        }

        var request = new SessionBenchRequest(LiveRun.Request(this, target), port)
        {
            Sessions = sessions,
            Warmup = warmup,
            SessionTimeout = timeout,
        };
        if (loss)
        {
            // 64 KiB that no compression or pattern helps, the same for both kinds of session.
            var data = new byte[LossPayloadBytes];
            new Random(64).NextBytes(data);
            request = request with { Payload = data, KernelLikeOptions = true };
        }

        using var bench = SessionBench.Open(request, "bench");
        var interrupt = context.Interrupts.OnInterrupt(bench.RequestStop); // the one interrupt mechanism
        try
        {
            bench.ResolveNextHop();
            context.SentSomething = true;
            var result = bench.Run();
            if (result.Stopped)
            {
                return CliApp.Fail(context, "bench: interrupted", context.Interrupts.ExitCode ?? ExitCodes.Interrupted);
            }

            if (result.Failure is { } failure)
            {
                if (Json)
                {
                    context.Out.WriteLine(ToJson(request, bench, result));
                }

                return CliApp.Fail(context, $"bench: {failure}", ExitCodes.Failed);
            }

            context.Out.WriteLine(Json ? ToJson(request, bench, result) : ToText(request, bench, result));
            var (low, high) = SourcePorts.EphemeralRange();
            var kernelSessions = result.WarmupSessions + result.Kernel.Count;
            if (result.TimeWaitBefore is { } tw && TimeWaitCount.Crowded(tw, kernelSessions, high - low + 1))
            {
                context.Err.WriteLine($"rawhandshake: bench: warning: {tw} sockets were in TIME-WAIT here and the run left {kernelSessions} more, in {high - low + 1} ephemeral ports: " +
                                      "the kernel's connect() slows down as they fill up, so its times are too high (wait 60 s, or run fewer sessions)");
            }

            return ExitCodes.Ok;
        }
        finally
        {
            interrupt.Dispose();
        }
    }

    private static int Whole(string? text, string option, int min, int max, int fallback)
    {
        if (text is null)
        {
            return fallback;
        }

        if (!int.TryParse(text.Trim().Replace("_", "", StringComparison.Ordinal), NumberStyles.None, CultureInfo.InvariantCulture, out var v) || v < min || v > max)
        {
            throw new UsageException($"bench: {option} must be {min} to {max}, not '{text}'");
        }

        return v;
    }

    /// <summary>What every bench against a server checks of its own options: --timeout more than 0 (else
    /// <paramref name="fallback"/>), and no -w (a bench traces nothing).</summary>
    private TimeSpan CheckedTimeout(TimeSpan fallback)
    {
        var timeout = LiveRun.Duration(Timeout, "bench: --timeout", fallback);
        if (timeout <= TimeSpan.Zero)
        {
            throw new UsageException("bench: --timeout must be more than 0");
        }

        if (Write is not null)
        {
            throw new UsageException("bench: -w is not supported (a bench traces nothing; capture one session with handshake -w)");
        }

        return timeout;
    }

    /// <summary>Where a bench against a server ran, for its first text line: target, source, route and guard.</summary>
    private static string Where(LiveRequest request, ushort port, LiveSetup live, string guardDescription)
    {
        var via = live.Route.Gateway is { } gw ? $"via {live.Route.Interface} and gateway {gw}" : $"on-link on {live.Route.Interface}";
        return $"{request.Target}:{port} from {live.Source} {via}, guard {guardDescription}";
    }

    /// <summary>The keys every bench against a server starts its JSON with: whether it passed, why not, and where it ran.</summary>
    private static void WriteRun(Utf8JsonWriter w, bool ok, BenchFailure? failure, LiveRequest request, ushort port, LiveSetup live, string guardDescription)
    {
        w.WriteBoolean("ok", ok);
        if (failure is { } f)
        {
            w.WriteString("error", f.ToString());
        }

        w.WriteString("target", $"{request.Target}:{port}");
        w.WriteString("source", live.Source.ToString());
        w.WriteString("interface", live.Route.Interface);
        w.WriteString("guard", live.Guard.ToString().ToLowerInvariant());
        w.WriteString("guard_detail", guardDescription);
    }

    /// <summary>The engine/kernel ratio of medians, rounded, or null when a side measured nothing.</summary>
    private static void WriteRatio(Utf8JsonWriter w, double? ratio)
    {
        if (ratio is { } r)
        {
            w.WriteNumber("ratio", Math.Round(r, 3));
        }
        else
        {
            w.WriteNull("ratio");
        }
    }

    private static string ToText(SessionBenchRequest request, SessionBench bench, SessionBenchResult result)
    {
        var e = result.EngineStats!;
        var k = result.KernelStats!;
        var sb = new StringBuilder();
        var loss = request.KernelLikeOptions;
        sb.AppendLine(CultureInfo.InvariantCulture, $"bench {(loss ? "loss" : "session")}: {Where(request.Live, request.Port, bench.Live, bench.GuardDescription)}");
        var settle = result.WarmupSessions > request.Warmup
            ? $" (+{result.WarmupSessions - request.Warmup} until the JIT {(result.JitSettled ? "settled" : "still compiled: measured anyway")})"
            : "";
        var what = loss ? $"{request.Payload.Length} bytes echoed (SYN with MSS, SACK, timestamps, window scale 7 on both)" : $"\"{Encoding.ASCII.GetString(request.Payload.Span)}\" echoed";
        sb.AppendLine(CultureInfo.InvariantCulture, $"{request.Sessions} sessions of each kind, alternating, after {request.Warmup} warm-up of each{settle}; {what}, active close");
        sb.AppendLine(loss ? "time from our SYN until the server's FIN is acknowledged, in ms:" : "time from our SYN until the server's FIN is acknowledged, in µs:");
        sb.AppendLine("            median      p10      p90      min      max");
        Row(sb, "engine", e, loss ? 1000 : 1);
        Row(sb, "kernel", k, loss ? 1000 : 1);
        sb.Append(CultureInfo.InvariantCulture, $"ratio engine/kernel (medians): {result.Ratio:0.00}");
        return sb.ToString();
    }

    private static void Row(StringBuilder sb, string name, LatencyStats s, double unit) =>
        sb.AppendLine(CultureInfo.InvariantCulture, $"{name,-8}{s.Median / unit,10:0.0}{s.P10 / unit,9:0.0}{s.P90 / unit,9:0.0}{s.Min / unit,9:0.0}{s.Max / unit,9:0.0}");

    private static string ToJson(SessionBenchRequest request, SessionBench bench, SessionBenchResult result)
    {
        using var buffer = new MemoryStream();
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            w.WriteString("benchmark", request.KernelLikeOptions ? "loss" : "session");
            w.WriteNumber("payload_bytes", request.Payload.Length);
            WriteRun(w, result.Ok, result.Failure, request.Live, request.Port, bench.Live, bench.GuardDescription);
            w.WriteNumber("n", request.Sessions);
            w.WriteNumber("warmup", request.Warmup);
            w.WriteNumber("warmup_sessions", result.WarmupSessions);
            w.WriteBoolean("jit_settled", result.JitSettled);
            if (result.TimeWaitBefore is { } tw)
            {
                w.WriteNumber("time_wait_before", tw);
            }

            w.WriteNumber("engine_sessions", result.Engine.Count);
            w.WriteNumber("kernel_sessions", result.Kernel.Count);
            Stats(w, "engine", result.EngineStats);
            Stats(w, "kernel", result.KernelStats);
            WriteRatio(w, result.Ratio);

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }

    private static void Stats(Utf8JsonWriter w, string side, LatencyStats? s)
    {
        void Field(string name, double? v)
        {
            if (v is { } x)
            {
                w.WriteNumber($"{side}_{name}_us", Math.Round(x, 1));
            }
            else
            {
                w.WriteNull($"{side}_{name}_us");
            }
        }

        Field("median", s?.Median);
        Field("p10", s?.P10);
        Field("p90", s?.P90);
        Field("min", s?.Min);
        Field("max", s?.Max);
        Field("mean", s?.Mean);
    }
}
