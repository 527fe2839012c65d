using System.Globalization;
using System.Runtime.InteropServices;
using RawHandshake.Cli.Args;
using RawHandshake.Cli.Output;
using RawHandshake.Engine;
using RawHandshake.Engine.Live;
using RawHandshake.Engine.Probe;
using RawHandshake.Engine.Trace;
using RawHandshake.Wire.Dissection;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Cli.Verbs;

/// <summary>
/// <c>craft --send</c>: the crafted frame on the wire, once or hping3-style <c>--count</c> times at <c>--interval</c> or
/// <c>--rate</c>, through the engine's probe API (<see cref="Prober"/>); this verb parses options and picks renderers.
/// </summary>
public static class CraftSend
{
    /// <summary>Below this interval (above 1,000 frames a second) only the statistics are printed, not a line per reply.</summary>
    private static readonly TimeSpan LinePerReply = TimeSpan.FromMilliseconds(1);

    public const int MaxCount = 1_000_000;

    public static int Run(CraftOptions o, CliContext context)
    {
        if (NetnsExec.RunInside(o.Netns, context) is { } code)
        {
            return code;
        }

        // Everything the user typed is checked before a frame goes out.
        var spec = FrameSpec.From(o);
        if (spec.IPv6 is { } six)
        {
            if (o.Ndp is not null)
            {
                throw new UsageException("--send --ndp: neighbour discovery messages are printed or written (-w), not sent (the live path does its own neighbour discovery)");
            }

            if (six.Destination.IsMulticast)
            {
                throw new UsageException($"--send: --dst {six.Destination} is a multicast group; frames are sent to one host (give its unicast address)");
            }
        }

        var pace = Pace.From(o);
        _ = o.SplitForSend(spec.Build()); // a --fragment that cannot be is a usage error before the live set-up
        var tcp = spec.Arp is null && spec.Icmp is null && spec.Udp is null && spec.Icmpv6 is null;
        var guard = LiveRun.Guard(o.RstGuard);
        // Frame i leaves from port first + i: a block of as many ports as frames (at most the whole range; past it the
        // ports go on counting up, as hping3's do).
        if (tcp && o.Sport is null)
        {
            spec.Tcp = spec.Tcp with { SourcePort = SourcePorts.Shared.Take(Math.Min(pace.Count, SourcePorts.Shared.Size)) };
        }
        else if (spec.Udp is { } u && o.Sport is null)
        {
            spec.Udp = u with { SourcePort = SourcePorts.Shared.Take(Math.Min(pace.Count, SourcePorts.Shared.Size)) };
        }

        var perReply = pace.Interval >= LinePerReply || pace.Count == 1 || o.Verbose;
        var bus = new TraceBus();
        bus.Add(o.Json ? new ProbeJsonRenderer(context.Out) : new ProbeTextRenderer(context.Out, perReply));
        using var capture = o.Write is null ? null : CaptureSink(o.Write);
        if (capture is not null)
        {
            bus.Add(capture);
        }

        IpAddress target = spec.Arp is { } ask ? ask.TargetIp : spec.IPv6 is { } ip6 ? ip6.Destination : spec.IPv4.Destination;
        var request = new LiveRequest(target)
        {
            Interface = o.Iface,
            Source = !spec.SourceGiven ? null : spec.IPv6 is { } given6 ? given6.Source : spec.IPv4.Source,
            Guard = tcp ? guard : RstGuardMode.None, // only a SYN-ACK makes our kernel reset anything
            Warmup = false, // RTTs come from the frames' own stamps, which compilation does not delay
        };
        if (!perReply && o.Write is null)
        {
            // Only the headers of replies are judged: a short snap length makes each ring slot small, so the ring holds
            // a reply for each frame of a burst at rate max (up to its 32 MiB) instead of 64 whole frames.
            request = request.ForHighRate(pace.Count);
        }

        using var live = LiveSetup.Open(request, new SystemClock(), bus, "craft --send");
        using var interrupt = context.Interrupts.OnInterrupt(() => live.Engine.StopRequested = true);
        var eth = spec.Ethernet;
        if (!spec.SourceMacGiven)
        {
            eth = eth with { Source = live.LocalMac };
        }

        if (!spec.SourceGiven && spec.IPv6 is { } route6)
        {
            spec.IPv6 = route6 with { Source = live.Source.V6Address };
        }
        else if (!spec.SourceGiven)
        {
            spec.IPv4 = spec.IPv4 with { Source = live.Source.V4 };
        }

        if (spec.Arp is { } arp)
        {
            spec.Arp = arp with { SenderIp = spec.SourceGiven ? arp.SenderIp : live.Source.V4, SenderMac = spec.SourceMacGiven ? arp.SenderMac : live.LocalMac };
        }
        else if (!spec.DestinationMacGiven)
        {
            context.SentSomething = true;
            eth = eth with { Destination = live.ResolveNextHop(request) };
        }

        spec.Ethernet = eth;
        var vary = (o.Sport is null ? TemplateVary.SourcePort : 0) | (o.Id is null ? TemplateVary.IpId : 0) | (o.IcmpSeq is null ? TemplateVary.IcmpSequence : 0);
        var built = spec.Build();
        var split = o.SplitForSend(built);
        var frames = new FrameTemplate(built, pace.Count, vary, ipChecksumAsSet: o.IpChecksum is not null, transportChecksumAsSet: o.TcpChecksum is not null || o.IcmpChecksum is not null || o.UdpChecksum is not null);
        if (tcp)
        {
            var ports = (frames.Vary & TemplateVary.SourcePort) != 0 ? pace.Count : 1;
            var (from, to) = spec.IPv6 is { } sent6 ? ((IpAddress)sent6.Source, (IpAddress)sent6.Destination) : (spec.IPv4.Source, spec.IPv4.Destination);
            ProbeGuard.Ports(live, from, spec.Tcp.SourcePort, ports, to, spec.Tcp.DestinationPort);
        }

        var route = live.Route;
        var parts = new List<string> { $"{pace.Count} {(pace.Count == 1 ? "frame" : "frames")} to {target} via {route.Interface}{(route.Gateway is { } gw ? $" and gateway {gw}" : " (on-link)")}" };
        if (tcp)
        {
            parts.Add($"guard {live.Guard.ToString().ToLowerInvariant()}");
        }

        if (split is not null)
        {
            var pieces = split(built, 0).Count;
            parts.Add($"each as {pieces} fragments of at most {o.Fragment} bytes");
        }

        if (pace.Count > 1)
        {
            parts.Add(pace.Interval == TimeSpan.Zero ? "as fast as possible" : string.Create(CultureInfo.InvariantCulture, $"one every {pace.Interval.TotalMilliseconds:0.###} ms"));
            if (frames.Vary != TemplateVary.None)
            {
                parts.Add($"{Varied(frames)} +1 per frame");
            }
        }

        bus.Publish(new NoteTraced(TimeSpan.Zero, NoteLevel.Info, string.Join(", ", parts)));
        if (tcp && live.Guard == RstGuardMode.None)
        {
            bus.Publish(new NoteTraced(TimeSpan.Zero, NoteLevel.Warning, "no RST guard: our kernel will probably reset what a SYN opens"));
        }

        var first = frames.Frame(0);
        if (UnusualFields.Of(first, FrameParser.Parse(first)) is { Count: > 0 } unusual)
        {
            // The fields the user set to something unusual, named once before anything goes out (JSON has them in each packet).
            bus.Publish(new NoteTraced(TimeSpan.Zero, NoteLevel.Info, "sent with " + string.Join(" ", unusual.Select(u => u.Text))));
        }

        context.SentSomething = true;
        var result = Prober.Run(live.Engine, new ProbeRequest(split is null ? frames : new FragmentedFrames(frames, split))
        {
            Interval = pace.Interval,
            Timeout = pace.Timeout,
            Linger = TimeSpan.FromMilliseconds(50), // what follows an answer at once (a kernel's RST) is shown too
            TraceEach = perReply || o.Write is not null,
        });
        if (result.Statistics.Answered == 0 && result.End != RunEnd.Cancelled)
        {
            // Say why nothing answered: what the frame's own fields make likely, and what came back instead.
            var errors = result.Replies.Where(r => r.Kind == ProbeReplyKind.IcmpError && !r.Frame.IsEmpty).Select(r => r.Frame);
            var mtu = Link.InterfaceList.List().FirstOrDefault(i => i.Name == route.Interface)?.Mtu;
            foreach (var why in Silence.Explain(frames.Frame(0), errors, mtu))
            {
                bus.Publish(new NoteTraced(result.Statistics.Duration, NoteLevel.Info, "why: " + why));
            }
        }

        live.ReportDrops();
        bus.Complete();

        if (pace.Count == 1 && !o.Json)
        {
            foreach (var reply in result.Replies.Where(r => r.Kind != ProbeReplyKind.Kernel && !r.Frame.IsEmpty))
            {
                var bytes = reply.Frame.Span;
                context.Out.WriteLine();
                context.Out.Write(FrameText.Render(1, null, 0, FrameParser.Parse(bytes), bytes, null));
            }
        }

        if (result.End == RunEnd.Cancelled)
        {
            return context.Interrupts.ExitCode ?? ExitCodes.Interrupted;
        }

        return result.Statistics.Answered > 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }

    private static string Varied(FrameTemplate t)
    {
        var names = new List<string>();
        if ((t.Vary & TemplateVary.SourcePort) != 0)
        {
            names.Add($"source port from {t.BasePort}");
        }

        if ((t.Vary & TemplateVary.IpId) != 0)
        {
            names.Add($"IP ID from {t.BaseId}");
        }

        if ((t.Vary & TemplateVary.IcmpSequence) != 0)
        {
            names.Add($"ICMP sequence from {t.BaseIcmpSequence}");
        }

        return string.Join(", ", names);
    }

    private static CaptureTraceWriter CaptureSink(string path)
    {
        try
        {
            return new CaptureTraceWriter(Link.CaptureFiles.Create(path));
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new UsageException($"-w {path}: {e.Message}");
        }
    }

    /// <summary>How many frames, how far apart, and how long to wait for answers after the last.</summary>
    private sealed record Pace(int Count, TimeSpan Interval, TimeSpan Timeout)
    {
        public static Pace From(CraftOptions o)
        {
            var count = ArgParse.Optional(o.Count, "--count", ulong.MaxValue, v => v) ?? 1;
            if (count is 0 or > MaxCount)
            {
                throw new UsageException($"--count: {o.Count} is out of range (1 to {MaxCount})");
            }

            if (o.Interval is not null && o.Rate is not null)
            {
                throw new UsageException("--interval and --rate: give one or the other");
            }

            var interval = LiveRun.Duration(o.Interval, "--interval", TimeSpan.FromSeconds(1));
            if (o.Interval is not null && interval <= TimeSpan.Zero)
            {
                throw new UsageException("--interval: must be more than 0 (--rate max sends as fast as possible)");
            }

            if (o.Rate is { } rate)
            {
                interval = rate.Trim().Equals("max", StringComparison.OrdinalIgnoreCase) ? TimeSpan.Zero
                    : double.TryParse(rate, NumberStyles.Float, CultureInfo.InvariantCulture, out var pps) && pps > 0 && pps <= 10_000_000
                        ? ProbeRequest.IntervalForRate(pps)
                        : throw new UsageException($"--rate: '{rate}' is not a number of frames per second (more than 0, at most 10000000) or max");
            }

            return new Pace((int)count, interval, LiveRun.Duration(o.Timeout, "--timeout", TimeSpan.FromSeconds(1)));
        }
    }
}
