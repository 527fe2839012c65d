using System.Text;
using RawHandshake.Engine;
using RawHandshake.Link;
using RawHandshake.Testing;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Recipes.Runner.Tests.Infra;

/// <summary>What the server does when the client's FIN arrives.</summary>
public enum FinAnswer
{
    /// <summary>ACK it at once; the server's own FIN follows in a segment of its own (after <see cref="Service.FinDelay"/>).</summary>
    AckThenFin,

    /// <summary>One segment: FIN with the ACK of the client's FIN.</summary>
    FinAck,

    /// <summary>Only the ACK: the server keeps its side open (a program that never closes).</summary>
    AckOnly,
}

/// <summary>The behaviour of one listening port (a small program on the fake Linux server).</summary>
public sealed class Service
{
    /// <summary>The server's initial sequence number (absolute).</summary>
    public uint Isn { get; set; } = 0x0001_0000;

    public ushort Mss { get; set; } = 1460;

    /// <summary>Offered in the SYN-ACK when the client offered window scaling.</summary>
    public byte? WindowScale { get; set; } = 7;

    public bool Sack { get; set; } = true;

    /// <summary>Answer timestamps when the client offers them.</summary>
    public bool Timestamps { get; set; } = true;

    /// <summary>The server's receive window in bytes (the SYN-ACK's window field; later segments carry it scaled).</summary>
    public ushort Window { get; set; } = 65160;

    /// <summary>Echo what arrives (like an echo server: recv, send back).</summary>
    public bool Echo { get; set; } = true;

    /// <summary>Only the first read is echoed (article 003's C server); later data is only acknowledged.</summary>
    public bool ReadOnce { get; set; }

    /// <summary>How an echo is cut into segments (default: one segment).</summary>
    public Func<byte[], IReadOnlyList<byte[]>> Segmentation { get; set; } = b => [b];

    /// <summary>The ACK rides on the (first) echo segment instead of going alone before it.</summary>
    public bool Piggyback { get; set; }

    /// <summary>The server closes by itself this long after the handshake completes.</summary>
    public TimeSpan? CloseAfterAccept { get; set; }

    /// <summary>The server closes by itself this long after its first echo.</summary>
    public TimeSpan? CloseAfterEcho { get; set; }

    public FinAnswer OnClientFin { get; set; } = FinAnswer.AckThenFin;

    /// <summary>Between the ACK of the client's FIN and the server's own FIN (<see cref="FinAnswer.AckThenFin"/>).</summary>
    public TimeSpan FinDelay { get; set; }

    /// <summary>Sent after the client's FIN (half-close), one every <see cref="LateInterval"/>, then the FIN.</summary>
    public IReadOnlyList<string> LateData { get; set; } = [];

    public TimeSpan LateInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>An HTTP server: the response to a complete request, then a FIN (Connection: close).</summary>
    public string? HttpResponse { get; set; }

    /// <summary>Answer the SYN with an ICMP port unreachable instead (a REJECT rule).</summary>
    public bool IcmpReject { get; set; }

    /// <summary>Ignore SYNs (a DROP rule): nothing comes back.</summary>
    public bool SilentSyn { get; set; }

    /// <summary>What the echo sends back for what it read.</summary>
    public Func<byte[], byte[]> Transform { get; set; } = b => b;
}

/// <summary>
/// A fake Linux server on end B of a <see cref="MemoryLink"/> pair: it records every frame, and plays a small but honest
/// TCP per port: SYN-ACK with Linux's option layout, RST from closed ports, silent drop of bad checksums, duplicate ACKs
/// for unacceptable segments, RST Seq=SEG.ACK for a bad handshake ACK, echo (segmented as asked), the closes, a zero
/// window respected. <see cref="Step"/> runs between the engine's polls, on the test's thread, in virtual time.
/// </summary>
public sealed class LinuxPeer(MemoryLink end, IClock clock) : ISteppedPeer
{
    private readonly Dictionary<ushort, Conn> conns = [];
    private readonly List<(TimeSpan At, int Order, Action Act)> scheduled = [];
    private int order;

    public const uint TsBase = 0x7000_0000;

    public MemoryLink End => end;
    public IClock Clock => clock;

    /// <summary>Listening ports and their programs; a port not here is closed.</summary>
    public Dictionary<ushort, Service> Services { get; } = [];

    /// <summary>Every frame the engine sent, in order.</summary>
    public List<Seen> Seen { get; } = [];

    /// <summary>Every frame the server sent, in order.</summary>
    public List<byte[]> Sent { get; } = [];

    public int BadChecksums { get; private set; }

    /// <summary>Sees each frame first; returns true to take it (the model then ignores it).</summary>
    public Func<Seen, LinuxPeer, bool>? Intercept { get; set; }

    public IReadOnlyDictionary<ushort, Conn> Connections => conns;

    public IEnumerable<Seen> Tcp => Seen.Where(s => s.IsTcp);

    public Service Listen(ushort port, Action<Service>? configure = null)
    {
        var s = new Service();
        configure?.Invoke(s);
        Services[port] = s;
        return s;
    }

    public TimeSpan? NextScheduled => scheduled.Count == 0 ? null : scheduled.Min(s => s.At);

    public void Schedule(TimeSpan delay, Action act) => scheduled.Add((clock.Now + delay, order++, act));

    /// <summary>Handles what reached end B and the actions that are due.</summary>
    public void Step()
    {
        for (var guard = 0; guard < 10_000; guard++)
        {
            var polled = end.Poll(OnFrame);
            var due = scheduled.Where(s => s.At <= clock.Now).OrderBy(s => s.At).ThenBy(s => s.Order).FirstOrDefault();
            if (due.Act is not null)
            {
                scheduled.Remove(due);
                due.Act();
                continue;
            }

            if (polled == 0)
            {
                return;
            }
        }

        throw new InvalidOperationException("the fake server spun 10000 times in one step");
    }

    /// <summary>Sends a frame to the engine.</summary>
    public void Send(byte[] frame)
    {
        Sent.Add(frame);
        end.Send(frame);
    }

    private uint TsVal => unchecked((uint)clock.Now.TotalMilliseconds + TsBase);

    private void OnFrame(ReadOnlySpan<byte> frame, DateTimeOffset stamp)
    {
        var copy = frame.ToArray();
        var seen = new Seen(copy, clock.Now, FrameParser.Parse(copy));
        Seen.Add(seen);
        if (Intercept?.Invoke(seen, this) == true)
        {
            return;
        }

        if (seen.Parsed.Tcp is not { } tcp || seen.Parsed.IPv4 is not { } ip || ip.Destination != Net.ServerIp)
        {
            return;
        }

        if (seen.TcpChecksum != ChecksumVerdict.Good)
        {
            BadChecksums++; // Linux drops it (TcpInCsumErrors) and says nothing
            return;
        }

        var port = tcp.DestinationPort;
        if (!Services.TryGetValue(port, out var service))
        {
            ResetFromClosedPort(seen, tcp);
            return;
        }

        if (tcp.Has(TcpFlags.Syn) && !tcp.Has(TcpFlags.Ack))
        {
            OnSyn(seen, tcp, service);
            return;
        }

        if (!conns.TryGetValue(tcp.SourcePort, out var c) || c.State == "CLOSED")
        {
            ResetFromClosedPort(seen, tcp);
            return;
        }

        OnSegment(c, seen, tcp);
    }

    private void ResetFromClosedPort(Seen seen, TcpHeader tcp)
    {
        if (tcp.Has(TcpFlags.Rst))
        {
            return;
        }

        if (tcp.Has(TcpFlags.Ack))
        {
            Send(Net.FromServer(tcp.DestinationPort, tcp.SourcePort, TcpFlags.Rst, tcp.Ack.Value, 0, 0));
            return;
        }

        var len = (uint)seen.Parsed.PayloadLength + (tcp.Has(TcpFlags.Syn) ? 1u : 0u) + (tcp.Has(TcpFlags.Fin) ? 1u : 0u);
        Send(Net.FromServer(tcp.DestinationPort, tcp.SourcePort, TcpFlags.Rst | TcpFlags.Ack, 0, tcp.Seq.Value + len, 0));
    }

    private void OnSyn(Seen seen, TcpHeader tcp, Service service)
    {
        if (service.SilentSyn)
        {
            return;
        }

        if (service.IcmpReject)
        {
            Send(Net.IcmpError(IcmpHeader.DestinationUnreachable, 3, seen.Frame));
            return;
        }

        if (conns.TryGetValue(tcp.SourcePort, out var old) && old.State == "SYN-RECEIVED" && old.Irs == tcp.Seq.Value)
        {
            SendSynAck(old); // a retransmitted SYN: the same SYN-ACK again
            return;
        }

        var o = seen.Options;
        var c = new Conn(tcp.SourcePort, tcp.DestinationPort, service, tcp.Seq.Value)
        {
            WsOn = o.WindowScale is not null && service.WindowScale is not null,
            ClientWs = o.WindowScale ?? 0,
            SackOn = o.SackPermitted && service.Sack,
            TsOn = o.TsVal is not null && service.Timestamps,
            TsRecent = o.TsVal ?? 0,
            ClientWindow = tcp.Window,
            SynOptions = seen.RawOptions,
        };
        conns[tcp.SourcePort] = c;
        SendSynAck(c);
    }

    private void SendSynAck(Conn c)
    {
        var s = c.Service;
        var options = Net.Options(w =>
        {
            // Linux's tcp_options_write: MSS, then SACK_PERM+TS (or NOP NOP TS, or NOP NOP SACK_PERM), then NOP WS.
            w = w.Mss(s.Mss);
            if (c.TsOn)
            {
                w = c.SackOn ? w.SackPermitted().Timestamps(TsVal, c.TsRecent) : w.Nop().Nop().Timestamps(TsVal, c.TsRecent);
            }
            else if (c.SackOn)
            {
                w = w.Nop().Nop().SackPermitted();
            }

            if (c.WsOn)
            {
                w = w.Nop().WindowScale(s.WindowScale!.Value);
            }

            return w;
        });
        Send(Net.FromServer(c.ServerPort, c.ClientPort, TcpFlags.Syn | TcpFlags.Ack, c.Iss, c.RcvNxt, s.Window, options));
    }

    private void OnSegment(Conn c, Seen seen, TcpHeader tcp)
    {
        var payload = seen.Payload;
        if (c.TsOn && seen.Options.TsVal is { } tv)
        {
            c.TsRecent = tv;
        }

        if (c.State == "SYN-RECEIVED")
        {
            if (tcp.Has(TcpFlags.Rst))
            {
                c.State = "CLOSED";
                return;
            }

            if (!tcp.Has(TcpFlags.Ack))
            {
                return;
            }

            if (tcp.Ack.Value != c.Iss + 1)
            {
                // tcp_check_req: an ACK that does not acknowledge our SYN-ACK gets <SEQ=SEG.ACK><CTL=RST>.
                Send(Net.FromServer(c.ServerPort, c.ClientPort, TcpFlags.Rst, tcp.Ack.Value, 0, 0));
                return;
            }

            c.SndUna = tcp.Ack.Value;
            c.State = "ESTABLISHED";
            c.ClientWindow = (uint)tcp.Window << (c.WsOn ? c.ClientWs : 0);
            if (c.Service.CloseAfterAccept is { } after)
            {
                Schedule(after, () => CloseServer(c));
            }
        }

        // Sequence check (RFC 9293 §3.10.7.4): an unacceptable segment gets a duplicate ACK, unless it is a RST.
        var segLen = (uint)payload.Length + (tcp.Has(TcpFlags.Fin) ? 1u : 0u);
        var wnd = (uint)c.Service.Window;
        var off = tcp.Seq.Value - c.RcvNxt;
        var acceptable = segLen == 0 ? off == 0 || off < wnd : off < wnd || (tcp.Seq.Value + segLen - 1 - c.RcvNxt) < wnd;
        if (!acceptable)
        {
            if (!tcp.Has(TcpFlags.Rst))
            {
                DuplicateAcks++;
                SendSegment(c, TcpFlags.Ack);
            }

            return;
        }

        if (tcp.Has(TcpFlags.Rst))
        {
            c.State = "CLOSED";
            return;
        }

        if (!tcp.Has(TcpFlags.Ack))
        {
            return;
        }

        var acked = tcp.Ack.Value - c.SndUna;
        if (acked > 0 && acked <= c.SndNxt - c.SndUna)
        {
            c.SndUna = tcp.Ack.Value;
        }

        c.ClientWindow = (uint)tcp.Window << (c.WsOn ? c.ClientWs : 0);
        if (c.FinSent && c.SndUna == c.SndNxt && !c.FinAcked)
        {
            c.FinAcked = true;
            c.State = c.State switch
            {
                "FIN-WAIT-1" => "FIN-WAIT-2",
                "CLOSING" => "TIME-WAIT",
                "LAST-ACK" => "CLOSED",
                _ => c.State,
            };
        }

        var delivered = false;
        if (payload.Length > 0)
        {
            if (off != 0)
            {
                // Out of order or partly old: not modelled beyond a duplicate ACK.
                if (off < 0x8000_0000u)
                {
                    // Out of order, in the window: a duplicate ACK, with a SACK block for it when SACK was agreed.
                    DuplicateAcks++;
                    SendSegment(c, TcpFlags.Ack, sack: c.SackOn ? (tcp.Seq.Value, tcp.Seq.Value + (uint)payload.Length) : null);
                    return;
                }

                var skip = (int)(c.RcvNxt - tcp.Seq.Value);
                if (skip >= payload.Length)
                {
                    SendSegment(c, TcpFlags.Ack);
                    return;
                }

                payload = payload[skip..];
            }

            if (c.State is "ESTABLISHED" or "FIN-WAIT-1" or "FIN-WAIT-2")
            {
                c.RcvNxt += (uint)payload.Length;
                c.Received.AddRange(payload);
                delivered = true;
            }
        }

        var finNow = tcp.Has(TcpFlags.Fin) && tcp.Seq.Value + (uint)seen.Payload.Length == c.RcvNxt && !c.FinReceived;
        if (finNow)
        {
            c.RcvNxt += 1;
            c.FinReceived = true;
            c.State = c.State switch
            {
                "ESTABLISHED" => "CLOSE-WAIT",
                "FIN-WAIT-1" => "CLOSING",
                "FIN-WAIT-2" => "TIME-WAIT",
                _ => c.State,
            };
        }

        if (delivered)
        {
            OnData(c, payload);
        }

        if (finNow)
        {
            OnClientFin(c);
        }

        Flush(c);
    }

    public int DuplicateAcks { get; private set; }

    private void OnData(Conn c, byte[] data)
    {
        var s = c.Service;
        if (s.HttpResponse is { } response)
        {
            SendSegment(c, TcpFlags.Ack);
            if (Encoding.ASCII.GetString([.. c.Received]).Contains("\r\n\r\n", StringComparison.Ordinal) && !c.Echoed)
            {
                c.Echoed = true;
                Queue(c, Encoding.ASCII.GetBytes(response));
                CloseServer(c);
            }

            return;
        }

        if (!s.Echo || (s.ReadOnce && c.Echoed))
        {
            SendSegment(c, TcpFlags.Ack);
            return;
        }

        if (!s.Piggyback || c.ClientWindow == 0)
        {
            SendSegment(c, TcpFlags.Ack);
        }

        foreach (var chunk in s.Segmentation(s.Transform(data)))
        {
            Queue(c, chunk);
        }

        if (!c.Echoed && s.CloseAfterEcho is { } after)
        {
            Schedule(after, () => CloseServer(c));
        }

        c.Echoed = true;
    }

    private void OnClientFin(Conn c)
    {
        var s = c.Service;
        if (c.State != "CLOSE-WAIT")
        {
            SendSegment(c, TcpFlags.Ack); // FIN-WAIT/CLOSING: its FIN was sent already
            return;
        }

        if (s.LateData.Count > 0)
        {
            SendSegment(c, TcpFlags.Ack);
            var at = TimeSpan.Zero;
            foreach (var text in s.LateData)
            {
                at += s.LateInterval;
                Schedule(at, () => { Queue(c, Encoding.ASCII.GetBytes(text)); Flush(c); });
            }

            Schedule(at + s.LateInterval, () => CloseServer(c));
            return;
        }

        switch (s.OnClientFin)
        {
            case FinAnswer.FinAck:
                c.FinPending = true;
                break;
            case FinAnswer.AckOnly:
                SendSegment(c, TcpFlags.Ack);
                break;
            default:
                SendSegment(c, TcpFlags.Ack);
                if (s.FinDelay > TimeSpan.Zero)
                {
                    Schedule(s.FinDelay, () => CloseServer(c));
                }
                else
                {
                    c.FinPending = true;
                }

                break;
        }
    }

    /// <summary>The server's program closes its socket: FIN after any queued data.</summary>
    public void CloseServer(Conn c)
    {
        if (c.FinSent || c.FinPending || c.State is "CLOSED" or "SYN-RECEIVED")
        {
            return;
        }

        c.FinPending = true;
        Flush(c);
    }

    private static void Queue(Conn c, byte[] data) => c.Pending.Enqueue(data);

    /// <summary>Sends queued data the client's window allows, then a pending FIN.</summary>
    public void Flush(Conn c)
    {
        while (c.Pending.Count > 0)
        {
            var inFlight = c.SndNxt - c.SndUna;
            var next = c.Pending.Peek();
            if (c.ClientWindow < inFlight + (uint)next.Length)
            {
                if (c.ClientWindow == 0 && inFlight == 0)
                {
                    ArmZeroWindowProbe(c, ZeroWindowProbeRto);
                }

                return; // the client's window is closed (or too small): hold it, as Linux must
            }

            c.Pending.Dequeue();
            SendSegment(c, TcpFlags.Psh | TcpFlags.Ack, next);
        }

        if (c.FinPending && !c.FinSent)
        {
            c.FinPending = false;
            c.FinSent = true;
            SendSegment(c, TcpFlags.Fin | TcpFlags.Ack);
            c.State = c.State switch
            {
                "ESTABLISHED" => "FIN-WAIT-1",
                "CLOSE-WAIT" => "LAST-ACK",
                _ => c.State,
            };
        }
    }

    /// <summary>Linux's first zero-window probe comes one RTO (at least 200 ms) after the window closed on held data.</summary>
    public static readonly TimeSpan ZeroWindowProbeRto = TimeSpan.FromMilliseconds(200);

    /// <summary>Linux's probe (tcp_xmit_probe_skb): an ACK with no data at SND.UNA − 1, repeated with a doubling delay while
    /// the data is held by a zero window.</summary>
    private void ArmZeroWindowProbe(Conn c, TimeSpan delay)
    {
        if (c.ProbeArmed)
        {
            return;
        }

        c.ProbeArmed = true;
        Schedule(delay, () =>
        {
            c.ProbeArmed = false;
            if (c.Pending.Count == 0 || c.ClientWindow != 0 || c.State is "CLOSED" || c.SndNxt != c.SndUna)
            {
                return;
            }

            c.SndNxt -= 1;
            SendSegment(c, TcpFlags.Ack);
            c.SndNxt += 1;
            ArmZeroWindowProbe(c, delay * 2);
        });
    }

    /// <summary>A segment from the server on <paramref name="c"/> at SND.NXT with the current RCV.NXT (and timestamps when agreed).</summary>
    public void SendSegment(Conn c, TcpFlags flags, byte[]? payload = null, (uint Left, uint Right)? sack = null)
    {
        var options = c.TsOn || sack is not null
            ? Net.Options(w =>
            {
                if (c.TsOn)
                {
                    w = w.Nop().Nop().Timestamps(TsVal, c.TsRecent);
                }

                return sack is { } b ? w.Nop().Nop().Sack(new[] { b }) : w;
            })
            : [];
        var s = c.Service;
        var window = c.WsOn ? (ushort)(s.Window >> s.WindowScale!.Value) : s.Window;
        Send(Net.FromServer(c.ServerPort, c.ClientPort, flags, c.SndNxt, c.RcvNxt, window, options, payload ?? []));
        c.SndNxt += (uint)(payload?.Length ?? 0) + ((flags & TcpFlags.Fin) != 0 ? 1u : 0u);
        c.LastTsVal = c.TsOn ? TsVal : null;
    }

    public sealed class Conn(ushort clientPort, ushort serverPort, Service service, uint irs)
    {
        public ushort ClientPort { get; } = clientPort;
        public ushort ServerPort { get; } = serverPort;
        public Service Service { get; } = service;
        public uint Irs { get; } = irs;
        public uint Iss { get; } = service.Isn;
        public uint RcvNxt { get; set; } = irs + 1;
        public uint SndNxt { get; set; } = service.Isn + 1;
        public uint SndUna { get; set; } = service.Isn;
        public string State { get; set; } = "SYN-RECEIVED";
        public bool WsOn { get; init; }
        public byte ClientWs { get; init; }
        public bool SackOn { get; init; }
        public bool TsOn { get; init; }
        public uint TsRecent { get; set; }
        public uint? LastTsVal { get; set; }
        public uint ClientWindow { get; set; }
        public byte[] SynOptions { get; init; } = [];
        public bool Echoed { get; set; }
        public bool ProbeArmed { get; set; }
        public bool FinReceived { get; set; }
        public bool FinPending { get; set; }
        public bool FinSent { get; set; }
        public bool FinAcked { get; set; }
        public List<byte> Received { get; } = [];
        public Queue<byte[]> Pending { get; } = new();
    }
}
