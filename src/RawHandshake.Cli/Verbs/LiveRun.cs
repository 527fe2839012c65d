using System.Globalization;
using RawHandshake.Cli.Args;
using RawHandshake.Cli.Output;
using RawHandshake.Engine;
using RawHandshake.Engine.Live;
using RawHandshake.Engine.Trace;
using RawHandshake.Link;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Cli.Verbs;

/// <summary>What live verbs share: target parsing, the trace sinks chosen by options, signals, and cleanup.</summary>
public sealed class LiveRun : IDisposable
{
    private readonly List<IDisposable> owned = [];
    private readonly CancellationTokenRegistration interrupt;
    private volatile TcpEngine? engine;

    /// <param name="quiet">No line per packet, state or passing step (<c>run -q</c>): failed steps, failed flows and
    /// warnings only, before the verb's summary.</param>
    public LiveRun(LiveOptions options, CliContext context, TextWriter? textOut = null, bool quiet = false)
    {
        Context = context;
        Trace = new TraceBus();
        Trace.Add(Recorder);
        if (options.Json)
        {
            Trace.Add(new JsonTraceRenderer(context.Out));
        }
        else
        {
            Trace.Add(new TextTraceRenderer(textOut ?? context.Out, color: ColorChoice.Enabled(options.Color, context), quiet: quiet));
        }

        if (options.Write is not null)
        {
            try
            {
                var writer = new CaptureTraceWriter(Link.CaptureFiles.Create(options.Write));
                owned.Add(writer);
                Trace.Add(writer);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                throw new UsageException($"-w {options.Write}: {e.Message.Split('\n')[0].Trim()}");
            }
        }

        if (options is IPictureOptions pictures)
        {
            PictureOutputs.Attach(this, pictures);
        }

        // The one shutdown path: a signal only stops the engine; the run then resets the server, publishes its result,
        // and the guard goes last, when this run is disposed.
        interrupt = context.Interrupts.OnInterrupt(() =>
        {
            if (engine is not null)
            {
                engine.StopRequested = true;
            }
        });
    }

    public CliContext Context { get; }
    public TraceBus Trace { get; }
    public TraceRecorder Recorder { get; } = new();
    public SystemClock Clock { get; } = new();

    /// <summary>130 after Ctrl-C, 143 after SIGTERM, else null.</summary>
    public int? Interrupted => Context.Interrupts.ExitCode;

    public void Attach(TcpEngine e)
    {
        engine = e;
        if (Context.Interrupts.Requested)
        {
            e.StopRequested = true;
        }
    }

    public static LiveRequest Request(LiveOptions o, IpAddress target) => new(target)
    {
        Interface = o.Iface,
        Source = o.Source is null ? null : ArgParse.AnyAddress(o.Source, "--source"),
        Guard = Guard(o.RstGuard),
    };

    /// <summary>Parses <c>--rst-guard</c> (handshake, run, bench, craft --send).</summary>
    public static RstGuardMode Guard(string? text) => (text?.ToLowerInvariant()) switch
    {
        null or "auto" => RstGuardMode.Auto,
        "nft" => RstGuardMode.Nft,
        "phantom" => RstGuardMode.Phantom,
        "none" => RstGuardMode.None,
        _ => throw new UsageException($"--rst-guard: '{text}' is not one of nft, phantom, none"),
    };

    /// <summary>Parses <c>IP:PORT</c>, <c>[IPv6]:PORT</c> or <c>host:port</c>, naming the option in errors.</summary>
    public static (IpAddress Address, ushort Port) Target(string text, string option)
    {
        var t = text.Trim();
        if (!t.StartsWith('[') && t.Count(c => c == ':') > 1)
        {
            throw new UsageException($"{option}: '{text}' is IPv6 without brackets: write [ADDRESS]:PORT, e.g. [2001:db8::10]:20000");
        }

        if (!IpEndpoint.TrySplit(t, out var host, out var portText) || host.Length == 0 || portText.Length == 0)
        {
            throw new UsageException($"{option}: '{text}' should be IP:PORT, e.g. 198.18.2.10:20000 or [2001:db8::10]:20000");
        }

        var port = (ushort)ArgParse.Number(portText, option + " port", 65535);
        if (port == 0)
        {
            throw new UsageException($"{option}: port 0 cannot be connected to");
        }

        IpAddress address;
        if (IpAddress.TryParse(host, out var ip))
        {
            address = ip;
        }
        else if (t.StartsWith('['))
        {
            throw new UsageException($"{option}: '{host}' is not an IPv6 address");
        }
        else
        {
            try
            {
                address = Routing.ParseTarget(host);
            }
            catch (LinkException e)
            {
                throw new UsageException($"{option}: {e.Message}");
            }
        }

        if (TcpTargets.WhyNot(address) is { } why)
        {
            throw new UsageException($"{option}: {why}");
        }

        return (address, port);
    }

    /// <summary>
    /// Opens an output file the user named (created or emptied now), so a path that cannot be written stops the run
    /// before anything is sent (exit 2) instead of losing what the run produced.
    /// </summary>
    public static FileStream OpenOutput(string path, string option)
    {
        try
        {
            return new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new UsageException($"{option} {path}: {e.Message.Split('\n')[0].Trim()}");
        }
    }

    public static TimeSpan Duration(string? text, string option, TimeSpan fallback) =>
        text is null ? fallback : ArgParse.Duration(text, option);

    public T Own<T>(T d)
        where T : IDisposable
    {
        owned.Add(d);
        return d;
    }

    public void Dispose()
    {
        Trace.Complete();
        for (var i = owned.Count - 1; i >= 0; i--)
        {
            owned[i].Dispose();
        }

        interrupt.Dispose();
    }

    public static string Micro(TimeSpan t) => t.TotalMicroseconds.ToString("0", CultureInfo.InvariantCulture);
}
