using RawHandshake.Cli.Args;
using RawHandshake.Cli.Output;
using RawHandshake.Engine;
using RawHandshake.Engine.Trace;
using RawHandshake.Link;
using RawHandshake.Wire.Matching;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Cli.Verbs;

/// <summary><c>craft --send</c>: one crafted frame on the wire and the replies that answer it (Scapy's sr1, hping3's everyday use).</summary>
public static class CraftSend
{
    public static int Run(CraftOptions o, CliContext context)
    {
        if (NetnsExec.RunInside(o.Netns, context) is { } code)
        {
            return code;
        }

        var spec = FrameSpec.From(o);
        var timeout = LiveRun.Duration(o.Timeout, "--timeout", TimeSpan.FromSeconds(1));
        Privileges.RequireNetRaw("craft --send");
        var dst = spec.IPv4.Destination;
        var route = Routing.Resolve(dst, o.Iface, spec.SourceGiven ? spec.IPv4.Source : null);
        if (route.InterfaceMac is null)
        {
            throw new UsageException($"{dst} is reached over {route.Interface}, which has no Ethernet header: crafted Ethernet frames cannot go there (use a namespace of the lab)");
        }

        var clock = new SystemClock();
        var bus = new TraceBus();
        var text = o.Json ? null : new TextTraceRenderer(context.Out, showStates: false);
        if (text is not null)
        {
            bus.Add(text);
        }

        JsonTraceRenderer? json = o.Json ? new JsonTraceRenderer(context.Out) : null;
        if (json is not null)
        {
            bus.Add(json);
        }

        using var link = LiveLink.Open(route.Interface, spec.Arp is not null ? "arp" : $"arp or icmp or host {dst}");
        var engine = new TcpEngine(link, clock, bus);
        var interrupt = context.Interrupts.OnInterrupt(() => engine.StopRequested = true); // the one interrupt mechanism
        try
        {
            var localMac = link.HardwareAddress ?? route.InterfaceMac.Value;
            var eth = spec.Ethernet;
            if (!spec.SourceMacGiven)
            {
                eth = eth with { Source = localMac };
            }

            if (!spec.SourceGiven)
            {
                spec.IPv4 = spec.IPv4 with { Source = route.Source };
            }

            if (!spec.DestinationMacGiven && spec.Arp is null)
            {
                context.SentSomething = true;
                eth = eth with { Destination = engine.Resolve(route.NextHop, route.Source, localMac, TimeSpan.FromMilliseconds(700)) };
            }

            if (spec.Arp is { } arp)
            {
                spec.Arp = arp with { SenderIp = spec.SourceGiven ? arp.SenderIp : route.Source, SenderMac = spec.SourceMacGiven ? arp.SenderMac : localMac };
            }

            spec.Ethernet = eth;
            var frame = spec.Build();
            var sent = FrameParser.Parse(frame);
            var replies = new List<(byte[] Frame, bool Answer)>();
            DateTimeOffset? firstAnswer = null;
            engine.Observer = (ReadOnlySpan<byte> f, DateTimeOffset wall, in ParsedFrame p) =>
            {
                var answer = Answers.IsAnswer(sent, p);
                var sameFlow = Answers.SameConnection(sent, p);
                if (answer || sameFlow)
                {
                    replies.Add((f.ToArray(), answer));
                    firstAnswer ??= answer ? DateTimeOffset.UtcNow : null;
                    engine.TraceReceived(f, wall, Answers.FromOurSide(sent, p) ? Direction.Kernel : Direction.In);
                }
            };
            context.SentSomething = true;
            engine.SendRaw(frame, "crafted");
            // Stop shortly after the first answer (what follows at once, such as our kernel's RST, is shown too), or at the timeout.
            engine.Pump(timeout, () => firstAnswer is { } t && DateTimeOffset.UtcNow - t > TimeSpan.FromMilliseconds(50));
            bus.Complete();

            var answers = replies.Where(r => r.Answer).ToList();
            if (!o.Json)
            {
                context.Out.WriteLine();
                if (answers.Count == 0)
                {
                    context.Out.WriteLine($"no answer within {timeout.TotalMilliseconds:0} ms");
                }

                foreach (var (bytes, _) in answers)
                {
                    var parsed = FrameParser.Parse(bytes);
                    context.Out.Write(FrameText.Render(1, null, 0, parsed, bytes, null));
                    context.Out.WriteLine();
                }
            }

            return answers.Count > 0 ? ExitCodes.Ok : ExitCodes.Failed;
        }
        finally
        {
            interrupt.Dispose();
        }
    }
}
