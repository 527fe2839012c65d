using System.Text;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Session.Tests.Support;

/// <summary>A segment the fake server sends: what <see cref="TcpSegment"/> is built from.</summary>
public sealed record ServerSeg(TcpFlags Flags, SeqNum Seq, SeqNum Ack, ushort Window, TcpOptionsSummary Options, byte[] Payload)
{
    /// <summary>The option bytes as sent (SACK blocks); null: none beyond the summary.</summary>
    public byte[]? OptionBytes { get; init; }

    /// <summary>When it reached the host (the capture's stamp), if before the session is handed it; null: now.</summary>
    public TimeSpan? ArrivedAt { get; init; }

    public TcpHeader Header => new(80, 40000, Seq, Ack, Flags, Window);

    public override string ToString() => $"{Flags.ToWireshark()} seq={Seq} ack={Ack} win={Window} len={Payload.Length}";
}

/// <summary>
/// A scripted server: it never decides anything by itself. Each method makes the segment a server in its position
/// would send (its own sequence numbers, the ACK the test asks for) and advances its send sequence when the segment
/// occupies sequence space. Relative numbers are offsets from an ISN, as Wireshark shows them.
/// </summary>
public sealed class FakeServer(SeqNum isn, SeqNum clientIsn)
{
    private readonly List<byte> received = [];

    public SeqNum Isn { get; } = isn;

    public SeqNum ClientIsn { get; } = clientIsn;

    /// <summary>The server's next sequence number (its SND.NXT).</summary>
    public SeqNum SndNxt { get; set; } = isn;

    /// <summary>What the server acknowledges by default (its RCV.NXT); <see cref="Absorb"/> advances it.</summary>
    public SeqNum RcvNxt { get; set; } = clientIsn + 1;

    /// <summary>The window field it puts in every segment after the SYN-ACK (already scaled down: the raw field).</summary>
    public ushort Window { get; set; } = 65535;

    /// <summary>When set, every segment carries TSval = this and TSecr = <see cref="TsEcr"/>.</summary>
    public uint? TsVal { get; set; }

    public uint TsEcr { get; set; }

    public byte[] Received => [.. received];

    private TcpOptionsSummary TsOptions => new(null, null, false, TsVal, TsVal is null ? null : TsEcr, 0);

    public ServerSeg SynAck(ushort? mss = 1460, byte? ws = null, bool sack = false, bool ts = false, ushort window = 65535, SeqNum? ack = null)
    {
        if (ts)
        {
            TsVal ??= 777;
        }

        var options = new TcpOptionsSummary(mss, ws, sack, ts ? TsVal : null, ts ? TsEcr : null, 0);
        SndNxt = Isn + 1;
        return new ServerSeg(TcpFlags.Syn | TcpFlags.Ack, Isn, ack ?? ClientIsn + 1, window, options, []);
    }

    /// <summary>In-order data at SND.NXT (PSH|ACK), acknowledging <paramref name="ackRel"/> (relative to the client ISN) or RCV.NXT.</summary>
    public ServerSeg Data(byte[] data, int? ackRel = null, bool push = true, ushort? window = null)
    {
        var seg = new ServerSeg(TcpFlags.Ack | (push ? TcpFlags.Psh : 0), SndNxt, AckValue(ackRel), window ?? Window, TsOptions, data);
        SndNxt += data.Length;
        return seg;
    }

    public ServerSeg Data(string text, int? ackRel = null) => Data(Encoding.ASCII.GetBytes(text), ackRel);

    /// <summary>Data at an offset from the first data byte (ISN+1+offset): out of order, or a retransmission. SND.NXT does not move.</summary>
    public ServerSeg DataAt(int offset, byte[] data, int? ackRel = null, TcpFlags extra = TcpFlags.None) =>
        new(TcpFlags.Ack | TcpFlags.Psh | extra, Isn + 1 + offset, AckValue(ackRel), Window, TsOptions, data);

    public ServerSeg DataAt(int offset, string text, int? ackRel = null, TcpFlags extra = TcpFlags.None) => DataAt(offset, Encoding.ASCII.GetBytes(text), ackRel, extra);

    /// <summary>A pure ACK at SND.NXT.</summary>
    public ServerSeg Ack(int? ackRel = null, ushort? window = null) =>
        new(TcpFlags.Ack, SndNxt, AckValue(ackRel), window ?? Window, TsOptions, []);

    /// <summary>FIN|ACK at SND.NXT (optionally with data before it); SND.NXT moves past the FIN.</summary>
    public ServerSeg Fin(int? ackRel = null, byte[]? data = null)
    {
        data ??= [];
        var seg = new ServerSeg(TcpFlags.Fin | TcpFlags.Ack | (data.Length > 0 ? TcpFlags.Psh : 0), SndNxt, AckValue(ackRel), Window, TsOptions, data);
        SndNxt += data.Length + 1;
        return seg;
    }

    public ServerSeg Rst(SeqNum seq, SeqNum? ack = null) =>
        new(ack is null ? TcpFlags.Rst : TcpFlags.Rst | TcpFlags.Ack, seq, ack ?? default, 0, default, []);

    /// <summary>A pure ACK at SND.NXT acknowledging <paramref name="ackRel"/> with SACK blocks (relative to the client ISN).</summary>
    public ServerSeg SackAck(int ackRel, params (int Left, int Right)[] blocks)
    {
        Span<byte> buffer = stackalloc byte[40];
        var sack = blocks.Select(b => ((ClientIsn + b.Left).Value, (ClientIsn + b.Right).Value)).ToArray();
        var w = new TcpOptionWriter(buffer).Nop().Nop().Sack(sack);
        var bytes = buffer[..w.PadToWord().Length].ToArray();
        return new ServerSeg(TcpFlags.Ack, SndNxt, AckValue(ackRel), Window, TcpOptionsSummary.From(bytes), []) { OptionBytes = bytes };
    }

    public ServerSeg Raw(TcpFlags flags, SeqNum seq, SeqNum ack, ushort? window = null, byte[]? payload = null, TcpOptionsSummary options = default) =>
        new(flags, seq, ack, window ?? Window, options, payload ?? []);

    /// <summary>
    /// The server receives a segment of ours: in-order data and FIN advance RCV.NXT; data past a gap is held (as
    /// stacks do) and taken when the gap fills; old data is ignored.
    /// </summary>
    public void Absorb(Sent s)
    {
        if (s.Has(TcpFlags.Syn) || s.Has(TcpFlags.Rst))
        {
            return;
        }

        if (s.Seq > RcvNxt)
        {
            held.Add(s);
            return;
        }

        if (!Take(s))
        {
            return;
        }

        for (var progress = true; progress;)
        {
            progress = false;
            foreach (var h in held.Where(h => h.Seq <= RcvNxt).ToList())
            {
                held.Remove(h);
                progress |= Take(h);
            }
        }
    }

    private readonly List<Sent> held = [];

    private bool Take(Sent s)
    {
        var skip = RcvNxt - s.Seq;
        if (skip > s.Payload.Length || (skip == s.Payload.Length && !s.Has(TcpFlags.Fin)))
        {
            return false; // entirely old (a retransmitted FIN included)
        }

        received.AddRange(s.Payload.AsSpan(skip).ToArray());
        RcvNxt += s.Payload.Length - skip;
        if (s.Has(TcpFlags.Fin))
        {
            RcvNxt += 1;
        }

        return true;
    }

    private SeqNum AckValue(int? ackRel) => ackRel is { } r ? ClientIsn + r : RcvNxt;
}
