using System.Globalization;
using RawHandshake.Cli.Args;
using RawHandshake.Cli.Output;
using RawHandshake.Engine;
using RawHandshake.Engine.Live;
using RawHandshake.Engine.Probe;
using RawHandshake.Engine.Trace;
using RawHandshake.Link;

namespace RawHandshake.Cli.Verbs;

/// <summary><c>probe TARGET -p PORTS</c>: parses options, runs <see cref="PortScan"/> host by host, prints the table or one
/// JSON object per port.</summary>
public sealed partial class ProbeOptions : ICommand
{
    public const int MaxCount = 1000;
    public const int MaxRetries = 10;
    public const double MaxRate = 100_000;
    public const int RequestLimit = 1400;

    public int Execute(CliContext context)
    {
        if (NetnsExec.RunInside(Netns, context) is { } code)
        {
            return code;
        }

        // Everything the user typed is checked before a frame goes out.
        var (hostText, ports) = HostAndPorts(Target, Ports);
        var hosts = ProbeTargets.Hosts(hostText);
        var count = (int)(ArgParse.Optional(Count, "--count", MaxCount, v => (long)v) ?? 1);
        if (count < 1)
        {
            throw new UsageException($"--count: {Count} is out of range (1 to {MaxCount})");
        }

        var retries = (int)(ArgParse.Optional(Retries, "--retries", MaxRetries, v => (long)v) ?? 1);
        var ttl = ArgParse.U8(Ttl, "--ttl") ?? 64;
        if (ttl == 0)
        {
            throw new UsageException("--ttl: 0 dies at once (1 to 255)");
        }

        var scan = (Scan?.ToLowerInvariant()) switch
        {
            null or "syn" => ScanType.Syn,
            "ack" => ScanType.Ack,
            "fin" => ScanType.Fin,
            "null" => ScanType.Null,
            "xmas" => ScanType.Xmas,
            "window" => ScanType.Window,
            _ => throw new UsageException($"--scan: '{Scan}' is not one of syn, ack, fin, null, xmas, window"),
        };
        if (Udp)
        {
            scan = Scan is null ? ScanType.Udp : throw new UsageException($"--udp and --scan {Scan}: UDP probes carry no TCP flags; give one or the other");
        }

        var interval = ProbeTargets.Rate(Rate, PortScan.DefaultRate, MaxRate);
        var timeout = LiveRun.Duration(Timeout, "--timeout", TimeSpan.FromSeconds(1));
        var colored = !Json && ColorChoice.Enabled(Color, context);
        var deepTimeout = LiveRun.Duration(DeepTimeout, "--deep-timeout", TimeSpan.FromSeconds(10));
        if (DeepTimeout is not null && !Deep)
        {
            throw new UsageException("--deep-timeout: only with --deep");
        }

        if (Deep && scan != ScanType.Syn)
        {
            throw new UsageException($"--deep: needs SYN probes (not --scan {Scan}{(Udp ? " or --udp" : "")})");
        }
        if (Request is not null && !Deep)
        {
            throw new UsageException("--request: only with --deep");
        }

        var deepRequest = Request is null ? null : ArgParse.Escaped(Request, "--request");
        if (deepRequest is { Length: 0 or > RequestLimit })
        {
            throw new UsageException($"--request: {deepRequest.Length} bytes (1 to {RequestLimit}: the request goes in one segment)");
        }

        var source = Source is null ? (Wire.Primitives.IpAddress?)null : ArgParse.AnyAddress(Source, "--source");
        if (source is { } s && hosts[0].Family != s.Family)
        {
            throw new UsageException($"--source {s} and TARGET {hosts[0]}: one is IPv4, the other IPv6; give a source of the target's family");
        }

        var guard = LiveRun.Guard(RstGuard);
        var sourcePorts = SourcePorts.Shared;
        if (ports.Count * count > sourcePorts.Size)
        {
            throw new UsageException($"-p/--count: {ports.Count} ports × {count} probes need {ports.Count * count} source ports; this namespace has {sourcePorts.Size} outside its ephemeral range");
        }

        var bus = new TraceBus();
        var progress = ProbeProgress.ForTerminal(context, hosts.Count * ports.Count * count);
        if (progress is not null)
        {
            bus.Add(progress);
        }

        using var capture = Write is null ? null : CaptureSink(Write);
        if (capture is not null)
        {
            bus.Add(capture);
        }

        using var report = PictureOutputs.Open(Report, "--report", HtmlReportRenderer.Render);
        if (report is not null)
        {
            bus.Add(report);
        }

        var open = 0;
        foreach (var host in hosts)
        {
            var request = new LiveRequest(host) { Interface = Iface, Source = source, Guard = scan == ScanType.Udp ? RstGuardMode.None : guard, Warmup = false };
            using var live = LiveSetup.Open(request, new SystemClock(), bus, "probe");
            using var interrupt = context.Interrupts.OnInterrupt(() => live.Engine.StopRequested = true);
            Wire.Primitives.MacAddress nextHop;
            try
            {
                context.SentSomething = true;
                nextHop = live.ResolveNextHop(request);
            }
            catch (LinkException e) when (hosts.Count > 1)
            {
                progress?.Clear();
                context.Out.WriteLine(Json ? $"{{\"event\":\"host\",\"host\":\"{host}\",\"state\":\"down\",\"reason\":\"no-arp-reply\"}}" : $"{host}: down ({e.Message})");
                continue;
            }

            if (!Json)
            {
                var route = live.Route;
                context.Out.WriteLine(string.Create(CultureInfo.InvariantCulture, $"probe {host}: {ports.Count} {(ports.Count == 1 ? "port" : "ports")}, {count} {What(scan, count)} each, {1 / interval.TotalSeconds:0.#} probes/s, retries {retries}, via {route.Interface}{(route.Gateway is { } gw ? $" and gateway {gw}" : " (on-link)")}{(scan == ScanType.Udp ? "" : $", guard {live.Guard.ToString().ToLowerInvariant()}")}"));
            }

            var reports = PortScan.Run(live, nextHop, new PortScanRequest(host, ports) { Count = count, Interval = interval, Timeout = timeout, Retries = retries, Ttl = ttl, Scan = scan }, sourcePorts);
            progress?.Clear();
            if (Deep)
            {
                foreach (var r in reports.Where(r => r.State == PortState.Open && !live.Engine.StopRequested))
                {
                    r.Deep = DeepProbe.Run(live, nextHop, r, deepTimeout, sourcePorts, timeout, deepRequest);
                }
            }

            open += reports.Count(r => r.State == PortState.Open);
            if (Json)
            {
                foreach (var r in reports.OrderBy(r => r.Port))
                {
                    context.Out.WriteLine(PortReportJson.Line(r));
                }
            }
            else
            {
                var table = PortReportText.Table(reports, count > 1);
                context.Out.Write(colored ? ProbeColors.Paint(table) : table);
            }

            if (live.Engine.StopRequested)
            {
                break;
            }
        }

        bus.Complete();
        context.Out.Flush();
        if (context.Interrupts.ExitCode is { } stop)
        {
            return stop;
        }

        return ExitCodes.Ok;
    }

    /// <summary>TARGET and <c>-p</c>: TARGET may name its port as handshake's <c>--target</c> does (<c>198.18.2.10:20000</c>,
    /// <c>[2001:db8::10]:20000</c>) instead of <c>-p</c>; a bare IPv6 address has no port.</summary>
    private static (string Host, IReadOnlyList<ushort> Ports) HostAndPorts(string target, string? ports)
    {
        var t = target.Trim();
        if (!t.Contains('/', StringComparison.Ordinal) && Wire.Primitives.IpEndpoint.TrySplit(t, out var host, out var portText))
        {
            var port = (ushort)ArgParse.Number(portText, "TARGET port", 65535);
            if (port == 0)
            {
                throw new UsageException($"TARGET: '{target}': port 0 cannot be probed (1 to 65535)");
            }

            return ports is null
                ? (host, [port])
                : throw new UsageException($"TARGET '{target}' names its port and -p names ports too: give them once (TARGET without the port, or no -p)");
        }

        return ports is null
            ? throw new UsageException("-p: which ports? Give -p PORTS (e.g. -p 22,80,8000-8100), or TARGET as HOST:PORT ([2001:db8::10]:20000 for IPv6)")
            : (t, ProbeTargets.Ports(ports));
    }

    /// <summary>"SYN", "ACKs", "FIN|PSH|URG" …: what each probe carries.</summary>
    private static string What(ScanType scan, int count)
    {
        if (scan == ScanType.Udp)
        {
            return count == 1 ? "UDP datagram" : "UDP datagrams";
        }

        var flags = PortScanRequest.Flags(scan);
        var name = flags == 0 ? "flagless segment" : Wire.Protocols.TcpFlagsText.ToWireshark(flags).Trim('[', ']').Replace(", ", "|", StringComparison.Ordinal);
        return count == 1 ? name : name + "s";
    }

    internal static CaptureTraceWriter CaptureSink(string path)
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
}

/// <summary>The progress line on stderr while probes go out, only when stderr is a terminal: rewritten in place at most
/// ten times a second, and cleared before the table is printed.</summary>
public sealed class ProbeProgress(TextWriter err, int total) : ITraceSink
{
    private static readonly TimeSpan Every = TimeSpan.FromMilliseconds(100);
    private int sent;
    private int answers;
    private DateTime last;
    private bool shown;

    public static ProbeProgress? ForTerminal(CliContext context, int total) =>
        ReferenceEquals(context.Err, Console.Error) && !Console.IsErrorRedirected ? new ProbeProgress(context.Err, total) : null;

    public void Publish(TraceEvent e)
    {
        if (e is not PacketTraced p)
        {
            return;
        }

        if (p.Dir == Direction.Out && p.Parsed.Tcp is { } t && t.Has(Wire.Protocols.TcpFlags.Syn))
        {
            sent++;
        }
        else if (p.Dir == Direction.In && p.Parsed.Tcp is not null)
        {
            answers++;
        }

        var now = DateTime.UtcNow;
        if (now - last >= Every)
        {
            last = now;
            shown = true;
            err.Write(string.Create(CultureInfo.InvariantCulture, $"\r{sent}/{total} probes sent, {answers} TCP answers   "));
            err.Flush();
        }
    }

    public void Clear()
    {
        if (shown)
        {
            err.Write("\r\u001b[K");
            err.Flush();
            shown = false;
        }
    }

    public void Complete() => Clear();
}
