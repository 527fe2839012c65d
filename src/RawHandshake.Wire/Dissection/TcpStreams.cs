using System.Globalization;
using System.Text;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Wire.Dissection;

/// <summary>
/// One TCP conversation of a capture, as Wireshark's Conversations and Follow TCP Stream see it: endpoint A sent the
/// first frame (Wireshark's Node 0), B is the other; counts per direction, analysis tags, and the payload of each
/// direction in sequence order (retransmitted bytes once, out-of-order segments once the gap before them is filled).
/// </summary>
public sealed class TcpStream(int index, IpEndpoint a, IpEndpoint b, DateTimeOffset start)
{
    private readonly Side[] sides = [new(), new()];

    public int Index { get; } = index;
    public IpEndpoint A { get; } = a;
    public IpEndpoint B { get; } = b;
    public DateTimeOffset Start { get; } = start;
    public DateTimeOffset End { get; private set; } = start;

    /// <summary>Frames and bytes (as captured) from A to B ([0]) and from B to A ([1]).</summary>
    public int[] Frames { get; } = new int[2];
    public long[] Bytes { get; } = new long[2];

    /// <summary>Analysis tags by kind (<c>TCP Dup ACK 5#1</c> counts as <c>TCP Dup ACK</c>), in order of first appearance.</summary>
    public Dictionary<string, int> Tags { get; } = [];

    /// <summary>The payload in the order Follow TCP Stream shows it: each piece with its direction (true: from A) and frame.</summary>
    public List<(bool FromA, int Frame, byte[] Data)> Payload { get; } = [];

    private sealed class Side
    {
        public SeqNum Next;
        public bool Started;
        public readonly List<(SeqNum Seq, int Frame, byte[] Data)> Pending = [];
    }

    internal void Add(bool fromA, TcpHeader tcp, ReadOnlySpan<byte> payload, int frameNumber, int capturedLength, DateTimeOffset time, IReadOnlyList<string> tags)
    {
        var d = fromA ? 0 : 1;
        Frames[d]++;
        Bytes[d] += capturedLength;
        End = time > End ? time : End;
        foreach (var t in tags)
        {
            var kind = t.StartsWith("TCP Dup ACK", StringComparison.Ordinal) ? "TCP Dup ACK" : t;
            Tags[kind] = Tags.GetValueOrDefault(kind) + 1;
        }

        var side = sides[d];
        if (!side.Started)
        {
            side.Next = tcp.Seq + (tcp.Has(TcpFlags.Syn) ? 1 : 0);
            side.Started = true;
        }
        else if (tcp.Has(TcpFlags.Syn) && payload.IsEmpty)
        {
            return;
        }

        var seq = tcp.Seq + (tcp.Has(TcpFlags.Syn) ? 1 : 0);
        if (payload.IsEmpty)
        {
            return;
        }

        side.Pending.Add((seq, frameNumber, payload.ToArray()));
        Drain(fromA, side);
    }

    /// <summary>Applies pending segments that reach the next expected byte; drops what was already delivered.</summary>
    private void Drain(bool fromA, Side side)
    {
        var progressed = true;
        while (progressed && side.Pending.Count > 0)
        {
            progressed = false;
            for (var i = 0; i < side.Pending.Count; i++)
            {
                var (seq, frame, data) = side.Pending[i];
                var end = seq + data.Length;
                if (end <= side.Next)
                {
                    side.Pending.RemoveAt(i); // all of it seen already: a retransmission
                    progressed = true;
                    break;
                }

                if (seq <= side.Next)
                {
                    var fresh = data[(int)(side.Next - seq)..];
                    Payload.Add((fromA, frame, fresh));
                    side.Next = end;
                    side.Pending.RemoveAt(i);
                    progressed = true;
                    break;
                }
            }
        }
    }
}

/// <summary>
/// The TCP conversations of a capture, numbered from 0 in order of their first frame as Wireshark's <c>tcp.stream</c>
/// (a SYN with a new ISN on the ports of a finished conversation starts a new one). Feed it every frame in order.
/// </summary>
public sealed class TcpStreams
{
    private readonly Dictionary<(IpEndpoint, IpEndpoint), TcpStream> open = [];
    private readonly Dictionary<(IpEndpoint, IpEndpoint), SeqNum> synSeq = [];

    public List<TcpStream> All { get; } = [];

    /// <summary>Adds one analyzed frame; returns its stream, or null when it carries no TCP segment (over IPv4 or IPv6;
    /// a fragment counts in the frame that completes its datagram, as in tshark).</summary>
    public TcpStream? Add(AnalyzedFrame a, ReadOnlySpan<byte> frame, DateTimeOffset time)
    {
        var capturedLength = frame.Length;
        var f = a.Parsed;
        if (a.Reassembled is { } whole)
        {
            f = whole.Parsed;
            frame = whole.Bytes;
        }
        else if (f.IsFragment)
        {
            return null; // a part of a datagram (even the first, with the TCP header): it counts once whole
        }

        if (f.Tcp is not { } tcp || !f.TryGetTransportAddresses(out var source, out var destination))
        {
            return null;
        }

        var src = new IpEndpoint(source, tcp.SourcePort);
        var dst = new IpEndpoint(destination, tcp.DestinationPort);
        var key = Key(src, dst);
        var newSyn = tcp.Has(TcpFlags.Syn) && !tcp.Has(TcpFlags.Ack);
        if (!open.TryGetValue(key, out var stream) || (newSyn && synSeq.TryGetValue((src, dst), out var isn) && isn != tcp.Seq))
        {
            stream = new TcpStream(All.Count, src, dst, time);
            All.Add(stream);
            open[key] = stream;
            synSeq.Remove((dst, src));
        }

        if (newSyn)
        {
            synSeq[(src, dst)] = tcp.Seq;
        }

        stream.Add(src == stream.A, tcp, f.Payload(frame), a.Number, capturedLength, time, a.Tags);
        return stream;
    }

    /// <summary>The stream between two endpoints (either order), or null.</summary>
    public TcpStream? Find(IpEndpoint x, IpEndpoint y) => All.LastOrDefault(s => (s.A == x && s.B == y) || (s.A == y && s.B == x));

    /// <summary>The two ends in one order whichever sent the frame (any fixed order will do: family, address, port).</summary>
    private static (IpEndpoint, IpEndpoint) Key(IpEndpoint x, IpEndpoint y) =>
        (x.Address.Family, x.Address.High, x.Address.Low, x.Port).CompareTo((y.Address.Family, y.Address.High, y.Address.Low, y.Port)) <= 0 ? (x, y) : (y, x);

    /// <summary>Wireshark's "Follow TCP Stream" as <c>tshark -q -z follow,tcp,ascii|hex,N</c> prints it.</summary>
    public static string Follow(TcpStream s, bool hex)
    {
        var rule = new string('=', 67);
        var sb = new StringBuilder();
        sb.Append('\n').Append(rule).Append('\n');
        sb.Append("Follow: tcp,").Append(hex ? "hex" : "ascii").Append('\n');
        sb.Append(CultureInfo.InvariantCulture, $"Filter: tcp.stream eq {s.Index}\n");
        sb.Append(CultureInfo.InvariantCulture, $"Node 0: {s.A}\nNode 1: {s.B}\n");
        long[] offset = [0, 0];
        foreach (var (fromA, _, data) in s.Payload)
        {
            var indent = fromA ? "" : "\t";
            if (!hex)
            {
                sb.Append(indent).Append(data.Length.ToString(CultureInfo.InvariantCulture)).Append('\n');
                foreach (var b in data)
                {
                    sb.Append(b is (>= 0x20 and < 0x7F) or (byte)'\n' or (byte)'\r' or (byte)'\t' ? (char)b : '.');
                }

                sb.Append('\n');
                continue;
            }

            var d = fromA ? 0 : 1;
            for (var row = 0; row < data.Length; row += 16)
            {
                var chunk = data.AsSpan(row, Math.Min(16, data.Length - row));
                var line = new StringBuilder();
                line.Append((offset[d] + row).ToString("X8", CultureInfo.InvariantCulture)).Append("  ");
                for (var i = 0; i < chunk.Length; i++)
                {
                    line.Append(chunk[i].ToString("x2", CultureInfo.InvariantCulture)).Append(' ');
                    if (i == 7)
                    {
                        line.Append(' ');
                    }
                }

                line.Append(new string(' ', Math.Max(0, 60 - line.Length)));
                for (var i = 0; i < chunk.Length; i++)
                {
                    if (i == 8)
                    {
                        line.Append(' ');
                    }

                    line.Append(chunk[i] is >= 0x20 and < 0x7F ? (char)chunk[i] : '.');
                }

                sb.Append(indent).Append(line.ToString().TrimEnd(' ')).Append('\n'); // tshark leaves no trailing blanks
            }

            offset[d] += data.Length;
        }

        sb.Append(rule).Append('\n');
        return sb.ToString();
    }

    /// <summary>One line per conversation: endpoints, frames and bytes each way, start, duration, analysis tags.</summary>
    public static string ConversationLine(TcpStream s, DateTimeOffset captureStart)
    {
        var tags = s.Tags.Count == 0 ? "none" : string.Join(", ", s.Tags.Select(t => $"{t.Key} ×{t.Value}"));
        return string.Create(CultureInfo.InvariantCulture,
            $"{s.Index,3}  {s.A} ↔ {s.B}  frames {s.Frames[0] + s.Frames[1]} ({s.Frames[0]} →, {s.Frames[1]} ←)  bytes {s.Bytes[0] + s.Bytes[1]} ({s.Bytes[0]} →, {s.Bytes[1]} ←)  start {(s.Start - captureStart).TotalSeconds:F6}  duration {(s.End - s.Start).TotalSeconds:F6}  analysis: {tags}");
    }
}
