using RawHandshake.Cli.Args;
using RawHandshake.Engine;
using RawHandshake.Engine.Live;
using RawHandshake.Engine.Trace;
using RawHandshake.Link;
using RawHandshake.Session;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Cli.Verbs;

public sealed partial class HandshakeOptions : ICommand
{
    public int Execute(CliContext context)
    {
        if (NetnsExec.RunInside(Netns, context) is { } code)
        {
            return code;
        }

        // Everything the user typed is checked before a frame goes out.
        var (target, port) = LiveRun.Target(Target, "--target");
        var items = DataItems();
        var mode = (Close?.ToLowerInvariant()) switch
        {
            null or "active" => CloseMode.Active,
            "passive" => CloseMode.Passive,
            "simultaneous" or "simul" => CloseMode.Simultaneous,
            "half" => CloseMode.Half,
            "rst" or "abort" => CloseMode.Rst,
            "none" => CloseMode.None,
            _ => throw new UsageException($"--close: '{Close}' is not one of active, passive, simultaneous, half, rst, none"),
        };
        var mss = ArgParse.U16(Mss, "--mss");
        var wscale = ArgParse.U8(Wscale, "--wscale", 14);
        var window = (int)(ArgParse.Optional(Window, "--window", 1 << 30, v => (long)v) ?? 64240);
        CheckWindowFits(window, wscale);
        var sport = ArgParse.U16(Sport, "--sport") ?? SourcePorts.Shared.Take(1);
        var isn = ArgParse.U32(Isn, "--isn");
        var ttl = ArgParse.U8(Ttl, "--ttl") ?? 64;
        // For a simultaneous close our (correct) FIN retransmission must come after the server's own FIN: a longer RTO.
        var rto = LiveRun.Duration(Rto, "--rto", mode == CloseMode.Simultaneous ? TimeSpan.FromSeconds(3) : TimeSpan.FromSeconds(1));
        var retries = (int)(ArgParse.Optional(Retries, "--retries", 20, v => (long)v) ?? 4);
        var timeWait = LiveRun.Duration(TimeWait, "--time-wait", TimeSpan.FromMilliseconds(500));
        var limit = LiveRun.Duration(Timeout, "--timeout", TimeSpan.FromSeconds(10));
        if (rto <= TimeSpan.Zero)
        {
            throw new UsageException("--rto: must be more than 0");
        }

        // Output paths are opened before anything is sent: one that cannot be written is a usage error, not lost bytes.
        using var received = ReceivedFile is null ? null : LiveRun.OpenOutput(ReceivedFile, "--received-file");
        using var run = new LiveRun(this, context);
        // The ring holds one receive window of full segments, in slots that hold the largest frame one window allows
        // (3.75 MiB for the default window, not the bulk ring's 64 MiB).
        var snap = Link.CaptureRing.SessionSnapLength(window);
        var request = LiveRun.Request(this, target) with { CaptureRing = Link.CaptureRing.ForSession(window, snap), SnapLength = snap, FirstFlows = [(sport, port)] };
        using var live = LiveSetup.Open(request, run.Clock, run.Trace, "handshake");
        run.Attach(live.Engine);
        live.ResolveNextHop(request);
        context.SentSomething = true;

        var flowKey = new FlowKey(live.Source, sport, target, port);
        live.GuardFlow(live.Source, sport, target, port);
        if (live.Guard == RstGuardMode.None)
        {
            live.Engine.Trace.Publish(new NoteTraced(TimeSpan.Zero, NoteLevel.Warning, "no RST guard: our kernel will probably reset this flow"));
        }

        var (firstSeq, tsOffset) = live.Engine.FirstNumbers(flowKey);
        var config = new SessionConfig(flowKey, isn is { } given ? new SeqNum(given) : firstSeq)
        {
            Mss = mss is 0 ? null : mss ?? SessionConfig.DefaultMss(target.Family, live.Route.Mtu),
            WindowScale = wscale,
            SackPermitted = SackOk,
            Timestamps = Timestamps,
            TsOffset = tsOffset,
            ReceiveWindow = window,
            InitialRto = rto,
            Retries = retries,
            DataRetries = Retries is null ? 15 : retries, // --retries N is for data too
            TimeWait = timeWait,
            CorruptFirstFin = mode == CloseMode.Simultaneous,
        };
        var driver = new HandshakeDriver(items, ExpectEcho, mode);
        var flow = live.Engine.AddFlow(config, driver, live.LocalMac, live.NextHopMac, new FlowFrameOptions { Ttl = ttl });
        live.Engine.Trace.Publish(new NoteTraced(TimeSpan.Zero, NoteLevel.Info, // through the engine: in capture order
            $"{flowKey} via {live.Route.Interface}{(live.Route.Gateway is { } gw ? $" and gateway {gw}" : " (on-link)")}, next hop {live.NextHopMac}, guard {live.Guard.ToString().ToLowerInvariant()}"));

        var end = live.Engine.Run(limit);
        if (received is not null)
        {
            try
            {
                received.Write(flow.Session.Received);
                received.Flush();
            }
            catch (IOException e)
            {
                context.Err.WriteLine($"rawhandshake: --received-file {ReceivedFile}: {e.Message}");
            }
        }

        if (Ladder && !Json)
        {
            run.Trace.Complete();
            context.Out.WriteLine();
            context.Out.Write(LadderRenderer.Render(run.Recorder.Events));
        }

        if (Write is not null && !Json)
        {
            var frames = run.Recorder.Events.OfType<PacketTraced>().Count();
            context.Out.WriteLine($"wrote {frames} frame{(frames == 1 ? "" : "s")} to {Write}"); // as craft -w says
        }

        if (end == RunEnd.Cancelled)
        {
            return run.Interrupted ?? ExitCodes.Interrupted;
        }

        return driver.Outcome is { Ok: true } ? ExitCodes.Ok : ExitCodes.Failed;
    }

    private List<byte[]> DataItems()
    {
        var items = Payloads.Read(Data, DataHex, DataFile);
        return items.Where(i => i.Length > 0).ToList();
    }

    /// <summary>
    /// A window is 16 bits on the wire, times 2^wscale once scaling is agreed: one that cannot be advertised is refused
    /// with the shift that would carry it, never clamped in silence.
    /// </summary>
    public static void CheckWindowFits(int window, byte? wscale)
    {
        var shift = wscale ?? 0;
        if (window <= ushort.MaxValue << shift)
        {
            return;
        }

        var needed = 0;
        while (window > ushort.MaxValue << needed)
        {
            needed++;
        }

        throw new UsageException(wscale is null
            ? $"--window {window}: the window field holds at most 65535; a larger window needs window scaling: add --wscale {needed} (65535 << {needed} = {ushort.MaxValue << needed})"
            : $"--window {window}: with --wscale {shift} at most {ushort.MaxValue << shift} can be advertised; use --wscale {needed} or a smaller window");
    }
}
