using RawHandshake.Cli.Args;
using RawHandshake.Engine;
using RawHandshake.Engine.Live;
using RawHandshake.Engine.Probe;
using RawHandshake.Engine.Trace;

namespace RawHandshake.Cli.Verbs;

/// <summary><c>traceroute TARGET -p PORT</c>: parses options, runs <see cref="TcpTraceroute"/>, prints a line (or a JSON
/// object) per hop as soon as it is known. Exit 0 when the target answered, 1 when the path ended before it.</summary>
public sealed partial class TracerouteOptions : ICommand
{
    public const int MaxQueries = 10;

    public int Execute(CliContext context)
    {
        if (NetnsExec.RunInside(Netns, context) is { } code)
        {
            return code;
        }

        // Everything the user typed is checked before a frame goes out.
        var hosts = ProbeTargets.Hosts(Target);
        if (hosts.Count != 1)
        {
            throw new UsageException($"TARGET: {Target} is a range; traceroute takes one host");
        }

        var target = hosts[0];
        var port = ArgParse.U16(Port, "--port") ?? 80;
        if (port == 0)
        {
            throw new UsageException("--port: port 0 cannot be connected to");
        }

        var queries = ArgParse.U8(Queries, "--queries", MaxQueries) ?? 3;
        var maxHops = ArgParse.U8(MaxHops, "--max-hops") ?? 30;
        var firstHop = ArgParse.U8(FirstHop, "--first-hop") ?? 1;
        if (queries == 0)
        {
            throw new UsageException("--queries: at least 1 probe per hop");
        }

        if (firstHop == 0 || maxHops == 0 || firstHop > maxHops)
        {
            throw new UsageException($"--first-hop {firstHop} and --max-hops {maxHops}: need 1 ≤ first hop ≤ max hops");
        }

        var timeout = LiveRun.Duration(Timeout, "--timeout", TimeSpan.FromSeconds(1));
        var source = Source is null ? (Wire.Primitives.IpAddress?)null : ArgParse.AnyAddress(Source, "--source");
        var guard = LiveRun.Guard(RstGuard);

        var bus = new TraceBus();
        using var capture = Write is null ? null : ProbeOptions.CaptureSink(Write);
        if (capture is not null)
        {
            bus.Add(capture);
        }

        var request = new LiveRequest(target) { Interface = Iface, Source = source, Guard = guard, Warmup = false };
        using var live = LiveSetup.Open(request, new SystemClock(), bus, "traceroute");
        using var interrupt = context.Interrupts.OnInterrupt(() => live.Engine.StopRequested = true);
        context.SentSomething = true;
        var nextHop = live.ResolveNextHop(request);
        if (!Json)
        {
            context.Out.WriteLine($"traceroute to {target}, port {port}, {maxHops} hops max, {queries} probe{(queries == 1 ? "" : "s")} per hop, TCP SYN, via {live.Route.Interface}{(live.Route.Gateway is { } gw ? $" and gateway {gw}" : " (on-link)")}, guard {live.Guard.ToString().ToLowerInvariant()}");
        }

        var hops = TcpTraceroute.Run(
            live,
            nextHop,
            new TracerouteRequest(target, port) { FirstHop = firstHop, MaxHops = maxHops, ProbesPerHop = queries, Timeout = timeout },
            SourcePorts.Shared,
            hop =>
            {
                context.Out.WriteLine(Json ? HopText.Json(hop) : HopText.Line(hop));
                context.Out.Flush();
            });
        bus.Complete();
        if (context.Interrupts.ExitCode is { } stop)
        {
            return stop;
        }

        var reached = hops.Count > 0 && hops[^1].Replies.Any(r => r is { FromTarget: true });
        if (!reached && !Json)
        {
            var silentHops = hops.Where(h => h.Replies.All(r => r is null)).Select(h => h.Ttl).ToList();
            context.Out.WriteLine($"why: {target} did not answer within {maxHops} hops" + (hops.Count > 0 && hops[^1].Ends ? $" (the path ended at hop {hops[^1].Ttl} with an unreachable)" : ""));
            if (silentHops.Count > 0)
            {
                context.Out.WriteLine($"why: no time exceeded came back from hop{(silentHops.Count == 1 ? "" : "s")} {string.Join(", ", silentHops)}: the router there drops or rate-limits its ICMP, or a firewall drops our SYNs before it");
            }
        }

        return reached ? ExitCodes.Ok : ExitCodes.Failed;
    }
}
