using RawHandshake.Engine.Trace;
using RawHandshake.Link;
using RawHandshake.Session;
using RawHandshake.Wire.Building;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Live;

/// <summary>
/// One complete session in memory before the live one, so that the code on the reply path is compiled already.
/// Measured: the first live flow of a process answered the SYN-ACK 20-35 ms late (the JIT compiling the parser, the
/// session, the engine and the renderers on the way), later flows in ~0.2 ms. After this, the first flow is as prompt
/// as the later ones. Nothing leaves the process: a <see cref="MemoryLink"/> pair, a small answering peer on the other
/// end, and every renderer writing to nowhere.
/// </summary>
public static class Warmup
{
    /// <summary>Whether a warm-up helps: only under the JIT. Published ahead-of-time (run-as-root.sh) everything is
    /// compiled already; measured there, the first flow's SYN-ACK was answered as promptly without a warm-up as with
    /// one (see the README's bench section), so it is skipped.</summary>
    public static bool Needed => System.Runtime.CompilerServices.RuntimeFeature.IsDynamicCodeCompiled;

    private static readonly IPv4Address ClientIp = IPv4Address.Parse("198.18.255.1");
    private static readonly IPv4Address ServerIp = IPv4Address.Parse("198.18.255.2");
    private static readonly MacAddress ClientMac = MacAddress.Parse("02:00:00:00:ff:01");
    private static readonly MacAddress ServerMac = MacAddress.Parse("02:00:00:00:ff:02");

    /// <summary>The warm-up flow's address pair (in 198.18.0.0/15, never on a wire), for callers that build their own flow.</summary>
    public static FlowKey Flow { get; } = new(ClientIp, 40000, ServerIp, 20000);

    /// <summary>The handshake verb's kind of flow: handshake, "warm" echoed, active close.</summary>
    public static (SessionConfig Config, IFlowDriver Driver) HandshakeFlow() =>
        (new SessionConfig(Flow, new SeqNum(1))
        {
            Mss = 1460,
            WindowScale = 7,
            SackPermitted = true,
            Timestamps = true,
            TimeWait = TimeSpan.FromMilliseconds(1),
        }, new HandshakeDriver([[(byte)'w', (byte)'a', (byte)'r', (byte)'m']], true, CloseMode.Active));

    /// <summary>Runs the session (bounded to a few seconds; normally ~100 ms the first time, less after) and reports
    /// whether it completed. Never throws for a failed run: a cold first flow is slower, not wrong. The peer answers
    /// ARP, the handshake, echoes data and closes, so <paramref name="flow"/> (default <see cref="HandshakeFlow"/>) must
    /// be a flow on <see cref="Flow"/> that does that much.</summary>
    public static bool Run(Func<(SessionConfig Config, IFlowDriver Driver)>? flow = null)
    {
        var (a, b) = MemoryLink.CreatePair(null, ClientMac, ServerMac);
        using (a)
        using (b)
        using (var capture = new CaptureTraceWriter(CaptureFileWriter.Create(Stream.Null, pcapng: true)))
        {
            var recorder = new TraceRecorder();
            var bus = new TraceBus()
                .Add(recorder)
                .Add(new TextTraceRenderer(TextWriter.Null))
                .Add(new JsonTraceRenderer(TextWriter.Null))
                .Add(capture);
            var engine = new TcpEngine(a, new SystemClock(), bus);
            var peer = new Peer(b);
            using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            var thread = new Thread(() => peer.Serve(stop.Token)) { IsBackground = true, Name = "rawhandshake warm-up peer" };
            thread.Start();
            try
            {
                engine.Resolve(ServerIp, ClientIp, ClientMac, TimeSpan.FromSeconds(1), tries: 1);
                var (config, driver) = (flow ?? HandshakeFlow)();
                var added = engine.AddFlow(config, driver, ClientMac, ServerMac);
                var end = engine.Run(TimeSpan.FromSeconds(5));
                _ = LadderRenderer.Render(recorder.Events);
                return end == RunEnd.Completed && added.Driver.Outcome is { Ok: true };
            }
            catch (LinkException)
            {
                return false;
            }
            finally
            {
                stop.Cancel();
                thread.Join(TimeSpan.FromSeconds(2));
            }
        }
    }

    /// <summary>Answers ARP for the server address, the SYN with a SYN-ACK (Linux's options), data with an ACK and its
    /// echo, and a FIN with its own FIN.</summary>
    private sealed class Peer(MemoryLink end)
    {
        private readonly byte[] buffer = new byte[FrameBuilder.MaxFrameLength];
        private SeqNum sndNxt = new(5000);
        private SeqNum rcvNxt;

        public void Serve(CancellationToken stop)
        {
            while (!stop.IsCancellationRequested)
            {
                if (end.Poll(OnFrame) == 0)
                {
                    end.WaitReadable(TimeSpan.FromMilliseconds(20));
                }
            }
        }

        private void OnFrame(ReadOnlySpan<byte> frame, DateTimeOffset stamp)
        {
            FrameParser.Parse(frame, LinkType.Ethernet, out var f);
            if (f.Arp is { } arp)
            {
                if (arp.Operation == ArpPacket.Request && arp.TargetIp == ServerIp)
                {
                    end.Send(buffer.AsSpan(0, FrameBuilder.BuildArpReply(buffer, ServerMac, ServerIp, arp.SenderMac, arp.SenderIp)));
                }

                return;
            }

            if (f.Tcp is not { } tcp)
            {
                return;
            }

            var payload = f.Payload(frame);
            if (tcp.Has(TcpFlags.Syn))
            {
                rcvNxt = tcp.Seq + 1;
                Span<byte> options = stackalloc byte[40];
                var o = f.TcpOptionsSummary(frame);
                var length = new TcpOptionWriter(options).Mss(1460).SackPermitted().Timestamps(1, o.TsVal ?? 0).Nop().WindowScale(7).PadToWord().Length;
                Send(TcpFlags.Syn | TcpFlags.Ack, options[..length], []);
                sndNxt += 1;
                return;
            }

            if (payload.Length > 0 && tcp.Seq == rcvNxt)
            {
                rcvNxt += payload.Length;
                Send(TcpFlags.Ack, [], []);
                Send(TcpFlags.Psh | TcpFlags.Ack, [], payload);
                sndNxt += payload.Length;
            }

            if (tcp.Has(TcpFlags.Fin))
            {
                rcvNxt += 1;
                Send(TcpFlags.Fin | TcpFlags.Ack, [], []);
                sndNxt += 1;
            }
        }

        private void Send(TcpFlags flags, ReadOnlySpan<byte> options, ReadOnlySpan<byte> payload)
        {
            var ip = new IPv4Header { Source = ServerIp, Destination = ClientIp, Ttl = 64, DontFragment = true };
            var tcp = new TcpHeader(20000, 40000, sndNxt, rcvNxt, flags, 64240);
            var n = FrameBuilder.BuildTcp(buffer, new EthernetHeader(ClientMac, ServerMac), ip, tcp, options, payload);
            end.Send(buffer.AsSpan(0, n));
        }
    }
}
