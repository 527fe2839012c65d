using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Trace;

/// <summary>
/// Wireshark's TCP sequence analysis, for the tags in the trace: <c>[TCP Retransmission]</c>, <c>[TCP Out-Of-Order]</c>,
/// <c>[TCP Dup ACK n#m]</c>, <c>[TCP Window Update]</c>, <c>[TCP ZeroWindow]</c>, <c>[TCP ZeroWindowProbe]</c>,
/// <c>[TCP Keep-Alive]</c>, <c>[TCP Previous segment not captured]</c>, <c>[TCP ACKed unseen segment]</c>.
/// One instance per capture; directions are keyed by the sender's address and port.
/// </summary>
public sealed class TcpAnalyzer
{
    private sealed class DirState
    {
        public SeqNum NextSeq;          // highest sequence number seen + its length
        public bool HasNext;
        public SeqNum LastAck;
        public ushort LastWindow;
        public int LastAckFrame;
        public int DupAcks;
        public bool HasAck;
        public SeqNum LastSeq;
        public bool ZeroWindow;
        public List<(SeqNum Start, SeqNum End)> Gaps { get; } = [];
    }

    private readonly Dictionary<(uint, ushort, uint, ushort), DirState> dirs = [];

    /// <summary>Tags for one frame, in Wireshark's wording. <paramref name="number"/> is the frame number (for Dup ACK #n).</summary>
    public IReadOnlyList<string> Analyze(in ParsedFrame f, int number)
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
        var segLen = len + (syn ? 1 : 0) + (fin ? 1 : 0);

        if (syn && !tcp.Has(TcpFlags.Ack) && d.HasNext && tcp.Seq != d.NextSeq - 1)
        {
            dirs[key] = d = new DirState(); // a new connection on the same ports
        }

        var keepAlive = d.HasNext && segLen <= 1 && !syn && !fin && !rst && tcp.Seq == d.NextSeq - 1 && len <= 1;
        var zeroProbe = keepAlive && len == 1 && r is { ZeroWindow: true };
        if (zeroProbe)
        {
            tags.Add("TCP ZeroWindowProbe");
        }
        else if (keepAlive)
        {
            tags.Add("TCP Keep-Alive");
        }
        else if (d.HasNext && segLen > 0 && !rst)
        {
            if (tcp.Seq > d.NextSeq)
            {
                tags.Add("TCP Previous segment not captured");
                d.Gaps.Add((d.NextSeq, tcp.Seq));
            }
            else if (tcp.Seq < d.NextSeq)
            {
                // Behind what this side already sent: out of order when it falls in a gap never seen, else a retransmission.
                var gap = d.Gaps.FindIndex(g => tcp.Seq >= g.Start && tcp.Seq < g.End);
                if (gap >= 0)
                {
                    tags.Add("TCP Out-Of-Order");
                    var g = d.Gaps[gap];
                    d.Gaps.RemoveAt(gap);
                    if (tcp.Seq > g.Start)
                    {
                        d.Gaps.Add((g.Start, tcp.Seq));
                    }

                    if (tcp.Seq + segLen < g.End)
                    {
                        d.Gaps.Add((tcp.Seq + segLen, g.End));
                    }
                }
                else
                {
                    tags.Add("TCP Retransmission");
                }
            }
        }

        if (tcp.Has(TcpFlags.Ack) && !syn && !fin && !rst && len == 0 && !keepAlive)
        {
            if (d.HasAck && tcp.Ack == d.LastAck && tcp.Window == d.LastWindow && (r?.HasNext ?? false) && tcp.Seq == d.LastSeq && tcp.Window != 0)
            {
                d.DupAcks++;
                tags.Add($"TCP Dup ACK {d.LastAckFrame}#{d.DupAcks}");
            }
            else if (d.HasAck && tcp.Ack == d.LastAck && tcp.Window != d.LastWindow && tcp.Seq == d.LastSeq)
            {
                tags.Add("TCP Window Update");
            }
        }

        if (tcp.Window == 0 && !syn && !fin && !rst)
        {
            tags.Add("TCP ZeroWindow");
        }

        if (tcp.Has(TcpFlags.Ack) && r is { HasNext: true } && tcp.Ack > r.NextSeq && !rst)
        {
            tags.Add("TCP ACKed unseen segment");
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

        if (tcp.Has(TcpFlags.Ack))
        {
            if (!d.HasAck || tcp.Ack != d.LastAck || tcp.Window != d.LastWindow || len > 0)
            {
                if (!d.HasAck || tcp.Ack != d.LastAck)
                {
                    d.DupAcks = 0;
                    d.LastAckFrame = number;
                }
                else if (len > 0)
                {
                    d.LastAckFrame = number;
                }
            }

            d.LastAck = tcp.Ack;
            d.LastWindow = tcp.Window;
            d.HasAck = true;
        }

        d.LastSeq = tcp.Seq;
        d.ZeroWindow = tcp.Window == 0 && !rst;
        return tags;
    }
}
