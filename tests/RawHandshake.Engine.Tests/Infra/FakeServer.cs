using RawHandshake.Link;
using RawHandshake.Testing;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Tests.Infra;

/// <summary>A frame the engine put on the wire, as the server end received it.</summary>
public sealed record Seen(byte[] Frame, DateTimeOffset Stamp, ParsedFrame Parsed)
{
    public TcpHeader Tcp => Parsed.Tcp ?? throw new InvalidOperationException("not TCP");
    public IPv4Header Ip => Parsed.IPv4 ?? throw new InvalidOperationException("not IPv4");
    public bool IsTcp => Parsed.Tcp is not null;
    public byte[] Payload => Parsed.Payload(Frame).ToArray();
    public TcpOptionsSummary Options => Parsed.TcpOptionsSummary(Frame);
    public byte[] RawOptions => Parsed.TcpOptions(Frame).ToArray();
    public ChecksumVerdict IpChecksum => Parsed.IpChecksum(Frame);
    public ChecksumVerdict TcpChecksum => Parsed.TransportChecksum(Frame);
}

/// <summary>How the first answer to a SYN looks.</summary>
public enum SynAnswer
{
    SynAck,
    Rst,
    Silent,
    IcmpPortUnreachable,
    IcmpHostUnreachable,
}

/// <summary>The scripted server's behaviour, shared by all its connections.</summary>
public sealed class ServerBehavior
{
    public bool AnswerArp { get; set; } = true;
    public SynAnswer Syn { get; set; } = SynAnswer.SynAck;

    /// <summary>SYNs ignored before answering (to see the client retransmit).</summary>
    public int IgnoreSyns { get; set; }

    public ushort Mss { get; set; } = 1400;
    public byte? WindowScale { get; set; }
    public bool Sack { get; set; }

    /// <summary>Offer timestamps when the client does.</summary>
    public bool Timestamps { get; set; }

    public ushort Window { get; set; } = 29200;
    public bool Echo { get; set; } = true;
    public Func<byte[], byte[]> Transform { get; set; } = b => b;

    /// <summary>Hold the echo (only ACK the data) until the client's FIN, then send it (a half-close).</summary>
    public bool HoldEchoUntilFin { get; set; }

    /// <summary>After this many bytes were echoed (or acknowledged), the server closes on its own.</summary>
    public int? CloseAfterBytes { get; set; }

    /// <summary>On the client's FIN: ACK it, then our own FIN (if not sent already).</summary>
    public bool FinAfterClientFin { get; set; } = true;

    /// <summary>Buffer each step's frames and send them in a shuffled order (many flows interleaved).</summary>
    public Random? Shuffle { get; set; }

    public Func<ushort, uint> Isn { get; set; } = port => 5000u + (uint)(port - 40000) * 100_000u;

    /// <summary>Answer data with a zero window, and open it again after this many of the client's window probes.</summary>
    public int? ZeroWindowProbes { get; set; }

    /// <summary>Payload segments dropped as if lost (by their order of arrival, 1-based).</summary>
    public HashSet<int> LoseDataSegments { get; set; } = [];
}

/// <summary>
/// A scripted TCP server on end B of a <see cref="MemoryLink"/> pair. It records every frame the engine sent, answers
/// ARP, and plays a small, honest TCP: SYN-ACK with options, in-order data acknowledged and echoed, FINs, RSTs or ICMP
/// errors on request. <see cref="Step"/> is called between the engine's polls (single thread, virtual time) or from a
/// thread of its own.
/// </summary>
public sealed class FakeServer(MemoryLink b, IClock clock, ServerBehavior? behavior = null) : ISteppedPeer
{
    private readonly Dictionary<ushort, Conn> conns = [];
    private readonly List<(TimeSpan At, Action Act)> scheduled = [];
    private readonly List<byte[]> outbox = [];
    private readonly object gate = new();

    public ServerBehavior Behavior { get; } = behavior ?? new ServerBehavior();
    public MemoryLink End => b;
    public IClock Clock => clock;
    public List<Seen> Seen { get; } = [];
    public int BadChecksums { get; private set; }

    /// <summary>Sees each frame before the script does; returns true to take it (the script then ignores it).</summary>
    public Func<Seen, bool>? Intercept { get; set; }

    public IReadOnlyDictionary<ushort, Conn> Connections => conns;

    public IEnumerable<Seen> Tcp(ushort? clientPort = null) =>
        Seen.Where(s => s.IsTcp && (clientPort is null || s.Tcp.SourcePort == clientPort));

    public IEnumerable<Seen> Arp => Seen.Where(s => s.Parsed.Arp is not null);

    public TimeSpan? NextScheduled
    {
        get
        {
            lock (gate)
            {
                return scheduled.Count == 0 ? null : scheduled.Min(s => s.At);
            }
        }
    }

    public void Schedule(TimeSpan delay, Action act)
    {
        lock (gate)
        {
            scheduled.Add((clock.Now + delay, act));
        }
    }

    /// <summary>Handles every frame waiting on end B and every action that is due.</summary>
    public void Step()
    {
        while (b.Poll(OnFrame) > 0)
        {
        }

        while (true)
        {
            Action? due = null;
            lock (gate)
            {
                var i = scheduled.FindIndex(s => s.At <= clock.Now);
                if (i >= 0)
                {
                    due = scheduled[i].Act;
                    scheduled.RemoveAt(i);
                }
            }

            if (due is null)
            {
                break;
            }

            due();
        }

        FlushOutbox();
    }

    /// <summary>Sends a frame to the engine (buffered when shuffling).</summary>
    public void Send(byte[] frame)
    {
        if (Behavior.Shuffle is null)
        {
            b.Send(frame);
        }
        else
        {
            outbox.Add(frame);
        }
    }

    /// <summary>Puts a frame straight into the engine's receive queue, as a capture on end A would show it.</summary>
    public void InjectAtClient(byte[] frame) => b.Peer.Inject(frame);

    private void FlushOutbox()
    {
        if (outbox.Count == 0)
        {
            return;
        }

        var frames = outbox.ToArray();
        outbox.Clear();
        Behavior.Shuffle!.Shuffle(frames);
        foreach (var f in frames)
        {
            b.Send(f);
        }
    }

    private void OnFrame(ReadOnlySpan<byte> frame, DateTimeOffset stamp)
    {
        var copy = frame.ToArray();
        var seen = new Seen(copy, stamp, FrameParser.Parse(copy));
        Seen.Add(seen);
        if (Intercept?.Invoke(seen) == true)
        {
            return;
        }

        if (seen.Parsed.Arp is { } arp)
        {
            if (arp.Operation == ArpPacket.Request && arp.TargetIp == Lan.ServerIp && Behavior.AnswerArp)
            {
                Send(Frames.ArpReply(Lan.ServerMac, Lan.ServerIp, arp.SenderMac, arp.SenderIp));
            }

            return;
        }

        if (seen.Parsed.Tcp is not { } tcp || seen.Ip.Destination != Lan.ServerIp || tcp.DestinationPort != Lan.ServerPort)
        {
            return;
        }

        if (seen.TcpChecksum != ChecksumVerdict.Good)
        {
            BadChecksums++; // a real stack drops it (TcpInCsumErrors)
            return;
        }

        OnSegment(seen, tcp);
    }

    private void OnSegment(Seen seen, TcpHeader tcp)
    {
        var port = tcp.SourcePort;
        if (tcp.Has(TcpFlags.Syn) && !tcp.Has(TcpFlags.Ack))
        {
            OnSyn(seen, tcp, port);
            return;
        }

        if (!conns.TryGetValue(port, out var c) || c.Closed)
        {
            return;
        }

        if (tcp.Has(TcpFlags.Rst))
        {
            c.Closed = true;
            c.ResetByClient = true;
            return;
        }

        var opts = seen.Options;
        if (opts.TsVal is { } tv)
        {
            c.TsRecent = tv;
        }

        if (tcp.Has(TcpFlags.Ack) && tcp.Ack.Value == c.SndNxt && c.FinSent)
        {
            c.FinAcked = true;
        }

        var payload = seen.Payload;
        if (payload.Length > 0 && Behavior.LoseDataSegments.Contains(++c.DataSegments))
        {
            return;
        }

        if (payload.Length == 0 && !tcp.Has(TcpFlags.Fin) && tcp.Seq.Value == c.RcvNxt - 1)
        {
            // A window probe (or keep-alive) one byte below what we have: answer with our window, maybe open it.
            c.Probes++;
            if (Behavior.ZeroWindowProbes is { } n && c.Probes >= n)
            {
                c.Window = null;
            }

            SendSeg(c, TcpFlags.Ack);
            return;
        }

        if (tcp.Seq.Value != c.RcvNxt)
        {
            if (payload.Length > 0 || tcp.Has(TcpFlags.Fin))
            {
                SendSeg(c, TcpFlags.Ack); // out of order or old: a duplicate ACK
            }

            return;
        }

        if (payload.Length > 0)
        {
            c.RcvNxt += (uint)payload.Length;
            c.Received.AddRange(payload);
            if (Behavior.ZeroWindowProbes is not null && c.Probes == 0)
            {
                c.Window = 0;
            }

            if (Behavior.Echo && !Behavior.HoldEchoUntilFin)
            {
                SendSeg(c, TcpFlags.Psh | TcpFlags.Ack, Behavior.Transform(payload));
            }
            else
            {
                if (Behavior.HoldEchoUntilFin)
                {
                    c.Held.AddRange(payload);
                }

                SendSeg(c, TcpFlags.Ack);
            }

            if (Behavior.CloseAfterBytes is { } n && c.Received.Count >= n && !c.FinSent && !tcp.Has(TcpFlags.Fin))
            {
                SendFin(c);
            }
        }

        if (tcp.Has(TcpFlags.Fin))
        {
            c.RcvNxt += 1;
            c.FinReceived = true;
            SendSeg(c, TcpFlags.Ack);
            if (c.Held.Count > 0)
            {
                SendSeg(c, TcpFlags.Psh | TcpFlags.Ack, Behavior.Transform([.. c.Held]));
                c.Held.Clear();
            }

            if (Behavior.FinAfterClientFin && !c.FinSent)
            {
                SendFin(c);
            }
        }
    }

    private void OnSyn(Seen seen, TcpHeader tcp, ushort port)
    {
        if (conns.TryGetValue(port, out var old) && !old.Closed && old.ClientIsn == tcp.Seq.Value && old.Answered)
        {
            SendSynAck(old, seen); // a retransmitted SYN: the same SYN-ACK again
            return;
        }

        var c = conns[port] = old is not null && old.ClientIsn == tcp.Seq.Value ? old : new Conn(port, tcp.Seq.Value, Behavior.Isn(port));
        c.SynsSeen++;
        if (c.SynsSeen <= Behavior.IgnoreSyns)
        {
            return;
        }

        switch (Behavior.Syn)
        {
            case SynAnswer.Silent:
                return;
            case SynAnswer.Rst:
                c.Closed = true;
                Send(Frames.FromServer(port, TcpFlags.Rst | TcpFlags.Ack, 0, tcp.Seq.Value + 1, 0));
                return;
            case SynAnswer.IcmpPortUnreachable:
                Send(Frames.IcmpError(IcmpHeader.DestinationUnreachable, 3, Lan.RouterIp, seen.Frame));
                return;
            case SynAnswer.IcmpHostUnreachable:
                Send(Frames.IcmpError(IcmpHeader.DestinationUnreachable, 1, Lan.RouterIp, seen.Frame));
                return;
        }

        c.ClientTs = seen.Options.TsVal is not null && Behavior.Timestamps;
        c.TsRecent = seen.Options.TsVal ?? 0;
        c.Answered = true;
        SendSynAck(c, seen);
    }

    private void SendSynAck(Conn c, Seen syn)
    {
        var wantWs = syn.Options.WindowScale is not null && Behavior.WindowScale is not null;
        var wantSack = syn.Options.SackPermitted && Behavior.Sack;
        var options = Frames.Options(w =>
        {
            w = w.Mss(Behavior.Mss);
            if (wantSack)
            {
                w = w.SackPermitted();
            }

            if (c.ClientTs)
            {
                w = (wantSack ? w : w.Nop().Nop()).Timestamps(TsVal, c.TsRecent);
            }

            if (wantWs)
            {
                w = w.Nop().WindowScale(Behavior.WindowScale!.Value);
            }

            return w;
        });
        Send(Frames.FromServer(c.Port, TcpFlags.Syn | TcpFlags.Ack, c.Iss, c.ClientIsn + 1, Behavior.Window, options));
    }

    private uint TsVal => (uint)clock.Now.TotalMilliseconds + 77_000;

    public void SendSeg(Conn c, TcpFlags flags, byte[]? payload = null)
    {
        var options = c.ClientTs ? Frames.Options(w => w.Nop().Nop().Timestamps(TsVal, c.TsRecent)) : [];
        var window = c.Window ?? (Behavior.WindowScale is { } ws ? (ushort)(Behavior.Window >> ws) : Behavior.Window);
        Send(Frames.FromServer(c.Port, flags, c.SndNxt, c.RcvNxt, window, options, payload ?? []));
        c.SndNxt += (uint)(payload?.Length ?? 0) + ((flags & TcpFlags.Fin) != 0 ? 1u : 0u);
    }

    public void SendFin(Conn c)
    {
        c.FinSent = true;
        SendSeg(c, TcpFlags.Fin | TcpFlags.Ack);
    }

    public sealed class Conn(ushort port, uint clientIsn, uint iss)
    {
        public ushort Port { get; } = port;
        public uint ClientIsn { get; } = clientIsn;
        public uint Iss { get; } = iss;
        public uint RcvNxt { get; set; } = clientIsn + 1;
        public uint SndNxt { get; set; } = iss + 1;
        public bool Answered { get; set; }
        public int SynsSeen { get; set; }
        public bool ClientTs { get; set; }
        public uint TsRecent { get; set; }
        public bool FinSent { get; set; }
        public bool FinAcked { get; set; }
        public bool FinReceived { get; set; }
        public bool Closed { get; set; }
        public bool ResetByClient { get; set; }
        public ushort? Window { get; set; }
        public int Probes { get; set; }
        public int DataSegments { get; set; }
        public List<byte> Received { get; } = [];
        public List<byte> Held { get; } = [];
    }
}
