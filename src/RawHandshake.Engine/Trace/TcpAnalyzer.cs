using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Trace;

/// <summary>
/// Wireshark's TCP sequence analysis, for the tags in the trace: <c>[TCP Retransmission]</c>, <c>[TCP Out-Of-Order]</c>,
/// <c>[TCP Dup ACK n#m]</c>, <c>[TCP Window Update]</c>, <c>[TCP ZeroWindow]</c>, <c>[TCP ZeroWindowProbe]</c>,
/// <c>[TCP Keep-Alive]</c>, <c>[TCP Keep-Alive ACK]</c>, <c>[TCP Previous segment not captured]</c>,
/// <c>[TCP ACKed unseen segment]</c>. One instance per capture; directions are keyed by the sender's address and port.
/// The rules follow packet-tcp.c (tcp_analyze_sequence_number), checked against tshark 4.0 frame by frame.
/// </summary>
public sealed class TcpAnalyzer
{
    private static readonly TimeSpan OutOfOrderFloor = TimeSpan.FromMilliseconds(3);

    private sealed class DirState
    {
        public SeqNum NextSeq;          // highest sequence number seen + its length
        public bool HasNext;
        public SeqNum LastAck;
        public ushort LastWindow;
        public int LastAckFrame;
        public int DupAcks;
        public bool HasAck;
        public bool ZeroWindow;
        public bool LastWasKeepAlive;
        public SeqNum? UnseenFlagged;   // the highest ack already tagged "ACKed unseen segment"
        public DateTimeOffset? SynTime;
        public TimeSpan? Rtt;           // SYN → SYN-ACK, for telling out-of-order from retransmission
        public List<(SeqNum Start, SeqNum End, DateTimeOffset? At)> Gaps { get; } = [];
    }

    private readonly Dictionary<(uint, ushort, uint, ushort), DirState> dirs = [];

    /// <summary>
    /// Tags for one frame, in Wireshark's wording. <paramref name="number"/> is the frame number (for Dup ACK #n);
    /// <paramref name="time"/> the capture time (without it, a gap filled late is still called out of order).
    /// </summary>
    public IReadOnlyList<string> Analyze(in ParsedFrame f, int number, DateTimeOffset? time = null)
    {
        if (f.IPv4 is not { } ip || f.Tcp is not { } tcp)
        {
            return [];
        }

        var key = (ip.Source.Value, tcp.SourcePort, ip.Destination.Value, tcp.DestinationPort);
        var rkey = (ip.Destination.Value, tcp.DestinationPort, ip.Source.Value, tcp.SourcePort);
        if (!dirs.TryGetValue(key, out var d))
        {
            dirs[key] = d = new DirState();
        }

        dirs.TryGetValue(rkey, out var r);
        var tags = new List<string>(2);
        var len = f.PayloadLength;
        var syn = tcp.Has(TcpFlags.Syn);
        var fin = tcp.Has(TcpFlags.Fin);
        var rst = tcp.Has(TcpFlags.Rst);
        var ack = tcp.Has(TcpFlags.Ack);
        var segLen = len + (syn ? 1 : 0) + (fin ? 1 : 0);

        if (syn && !ack && d.HasNext && tcp.Seq != d.NextSeq - 1)
        {
            dirs[key] = d = new DirState(); // a new connection on the same ports
            if (r is not null)
            {
                dirs.Remove(rkey);
                r = null;
            }
        }

        if (syn && !ack)
        {
            d.SynTime ??= time;
        }
        else if (syn && r?.SynTime is { } synAt && time is { } t0)
        {
            r.Rtt = d.Rtt = t0 - synAt;
        }

        var plain = !syn && !fin && !rst;
        var zeroProbe = d.HasNext && plain && len == 1 && tcp.Seq == d.NextSeq && r is { ZeroWindow: true };
        var keepAlive = !zeroProbe && d.HasNext && plain && len <= 1 && tcp.Seq == d.NextSeq - 1;
        var keepAliveAck = !keepAlive && plain && len == 0 && ack && r is { LastWasKeepAlive: true } && d.HasAck
            && tcp.Ack == d.LastAck && tcp.Window == d.LastWindow && tcp.Window != 0;
        if (zeroProbe)
        {
            tags.Add("TCP ZeroWindowProbe");
        }
        else if (keepAlive)
        {
            tags.Add("TCP Keep-Alive");
        }
        else if (keepAliveAck)
        {
            tags.Add("TCP Keep-Alive ACK");
        }

        if (!keepAlive && !zeroProbe && d.HasNext && !rst)
        {
            if (tcp.Seq > d.NextSeq)
            {
                tags.Add("TCP Previous segment not captured");
                d.Gaps.Add((d.NextSeq, tcp.Seq, time));
            }
            else if (segLen > 0 && tcp.Seq < d.NextSeq)
            {
                // Behind what this side already sent: out of order when it fills a gap soon after the gap showed
                // (within the handshake RTT, at least 3 ms), else a retransmission.
                var gap = d.Gaps.FindIndex(g => tcp.Seq >= g.Start && tcp.Seq < g.End);
                if (gap >= 0)
                {
                    var g = d.Gaps[gap];
                    var window = d.Rtt is { } rtt && rtt > OutOfOrderFloor ? rtt : OutOfOrderFloor;
                    var soon = g.At is null || time is null || time.Value - g.At.Value < window;
                    tags.Add(soon ? "TCP Out-Of-Order" : "TCP Retransmission");
                    d.Gaps.RemoveAt(gap);
                    if (tcp.Seq > g.Start)
                    {
                        d.Gaps.Add((g.Start, tcp.Seq, g.At));
                    }

                    if (tcp.Seq + segLen < g.End)
                    {
                        d.Gaps.Add((tcp.Seq + segLen, g.End, g.At));
                    }
                }
                else
                {
                    tags.Add("TCP Retransmission");
                }
            }
        }

        if (ack && plain && len == 0 && !keepAlive && !keepAliveAck && d.HasAck && d.HasNext && tcp.Seq == d.NextSeq && tcp.Ack == d.LastAck)
        {
            if (tcp.Window == d.LastWindow && tcp.Window != 0 && (r?.HasNext ?? false))
            {
                d.DupAcks++;
                tags.Add($"TCP Dup ACK {d.LastAckFrame}#{d.DupAcks}");
            }
            else if (tcp.Window != d.LastWindow && tcp.Window != 0)
            {
                tags.Add("TCP Window Update");
            }
        }

        if (tcp.Window == 0 && !syn && !fin && !rst)
        {
            tags.Add("TCP ZeroWindow");
        }

        if (ack && !rst && r is { HasNext: true } && tcp.Ack > r.NextSeq && (r.UnseenFlagged is not { } flagged || tcp.Ack > flagged))
        {
            tags.Add("TCP ACKed unseen segment");
            r.UnseenFlagged = tcp.Ack;
        }

        // Update this direction's state.
        if (segLen > 0 && !keepAlive)
        {
            var end = tcp.Seq + segLen;
            if (!d.HasNext || end > d.NextSeq)
            {
                d.NextSeq = end;
            }

            d.HasNext = true;
        }
        else if (!d.HasNext)
        {
            d.NextSeq = tcp.Seq;
            d.HasNext = true;
        }

        if (ack)
        {
            // Dup ACKs count from the frame that first carried this ack; data with the same ack does not restart them.
            if (!d.HasAck || tcp.Ack != d.LastAck)
            {
                d.DupAcks = 0;
                d.LastAckFrame = number;
            }

            d.LastAck = tcp.Ack;
            d.LastWindow = tcp.Window;
            d.HasAck = true;
        }

        d.ZeroWindow = tcp.Window == 0 && !rst;
        d.LastWasKeepAlive = keepAlive;
        return tags;
    }
}
