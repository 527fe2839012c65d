using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Trace;

/// <summary>
/// Wireshark's TCP sequence analysis, for the tags in the trace: <c>[TCP Retransmission]</c>, <c>[TCP Fast Retransmission]</c>,
/// <c>[TCP Spurious Retransmission]</c>, <c>[TCP Out-Of-Order]</c>, <c>[TCP Dup ACK n#m]</c>, <c>[TCP Window Update]</c>,
/// <c>[TCP Window Full]</c>, <c>[TCP ZeroWindow]</c>, <c>[TCP ZeroWindowProbe]</c>, <c>[TCP ZeroWindowProbeAck]</c>,
/// <c>[TCP Keep-Alive]</c>, <c>[TCP Keep-Alive ACK]</c>, <c>[TCP Previous segment not captured]</c>,
/// <c>[TCP ACKed unseen segment]</c>. One instance per capture; directions are keyed by the sender's address and port.
/// The rules follow packet-tcp.c (tcp_analyze_sequence_number), checked against tshark 4.0 frame by frame; a frame's tags
/// come in the order tshark puts them in its Info column.
/// </summary>
public sealed class TcpAnalyzer
{
    private static readonly TimeSpan OutOfOrderFloor = TimeSpan.FromMilliseconds(3);

    // A retransmission this soon after the other side's last segment, which repeated its ACK at least twice, is fast.
    private static readonly TimeSpan FastRetransmissionWindow = TimeSpan.FromMilliseconds(20);

    // Window scale per direction, as Wireshark keeps it (win_scale): a shift of 0-14 from that side's SYN, or one of these.
    private const int ScaleUnknown = -1;    // no SYN seen from this side: Window Full is not judged
    private const int ScaleNone = -2;       // a SYN without the option: windows are taken as they are
    private const int ScaleUnread = -3;     // this side's SYN had options but no frame bytes came to read them: not judged

    private sealed class DirState
    {
        public SeqNum NextSeq;          // highest sequence number seen + its length
        public bool HasNext;
        public SeqNum LastAck;
        public ushort LastWindow;       // as sent, unscaled
        public bool LastWindowFromSyn;  // a SYN's window is never scaled
        public int WinScale = ScaleUnknown;
        public int LastAckFrame;
        public int DupAcks;
        public bool HasAck;
        public bool ZeroWindow;
        public bool LastWasKeepAlive;
        public bool LastWasZeroProbe;
        public DateTimeOffset? LastTime; // of this side's last segment, for the fast retransmission window
        public SeqNum? UnseenFlagged;   // the highest ack already tagged "ACKed unseen segment"
        public DateTimeOffset? SynTime;
        public TimeSpan? Rtt;           // SYN → SYN-ACK, for telling out-of-order from retransmission
        public List<(SeqNum Start, SeqNum End, DateTimeOffset? At)> Gaps { get; } = [];
    }

    private readonly Dictionary<(uint, ushort, uint, ushort), DirState> dirs = [];

    /// <summary>
    /// Tags for one frame, in Wireshark's wording. <paramref name="number"/> is the frame number (for Dup ACK #n);
    /// <paramref name="time"/> the capture time (without it, a gap filled late is still called out of order, and a
    /// retransmission after two duplicate ACKs is fast however late it comes). <paramref name="frame"/> is the frame's bytes,
    /// for the window scale option in SYNs: given empty, Window Full is judged only on connections whose SYNs carried no
    /// options at all.
    /// </summary>
    public IReadOnlyList<string> Analyze(in ParsedFrame f, ReadOnlySpan<byte> frame, int number, DateTimeOffset? time = null)
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

        if (syn)
        {
            // Scaling is on only when both SYNs carry the option (verify_tcp_window_scaling): a SYN without it turns it off
            // both ways, and so does a SYN-ACK answering such a SYN. Shifts above 14 count as 14 (RFC 7323 §2.3).
            if (f.TcpOptionsLength > 0 && frame.IsEmpty)
            {
                d.WinScale = ScaleUnread;
            }
            else if (f.TcpOptionsLength > 0 && f.TcpOptionsSummary(frame).WindowScale is { } shift)
            {
                d.WinScale = Math.Min((int)shift, 14);
            }

            if (d.WinScale == ScaleUnknown)
            {
                d.WinScale = ScaleNone;
                r ??= dirs[rkey] = new DirState();
                r.WinScale = ScaleNone;
            }
            else if (ack && r is { WinScale: ScaleNone })
            {
                d.WinScale = ScaleNone;
            }
            else if (d.WinScale == ScaleUnread && r is { WinScale: >= 0 })
            {
                r.WinScale = ScaleUnread; // its shift holds only if this SYN had the option too, which we cannot tell
            }
            else if (d.WinScale >= 0 && r is { WinScale: ScaleUnread })
            {
                d.WinScale = ScaleUnread;
            }
        }

        var plain = !syn && !fin && !rst;
        var zeroProbe = d.HasNext && plain && len == 1 && tcp.Seq == d.NextSeq && r is { ZeroWindow: true };
        var keepAlive = !zeroProbe && d.HasNext && plain && len <= 1 && tcp.Seq == d.NextSeq - 1;
        var keepAliveAck = !keepAlive && plain && len == 0 && ack && r is { LastWasKeepAlive: true } && d.HasAck
            && tcp.Ack == d.LastAck && tcp.Window == d.LastWindow && tcp.Window != 0;

        // The ACK that answers a zero-window probe: it repeats this side's last ACK, still with a zero window.
        var zeroProbeAck = plain && len == 0 && ack && r is { LastWasZeroProbe: true } && d.HasAck && d.HasNext
            && tcp.Seq == d.NextSeq && tcp.Ack == d.LastAck && tcp.Window == 0 && d.LastWindow == 0;

        // Data up to exactly the right edge of the receiver's last advertised window (its ACK plus its window, scaled
        // unless that window came in a SYN).
        var windowFull = len > 0 && plain && r is { HasAck: true, WinScale: not (ScaleUnknown or ScaleUnread) }
            && tcp.Seq + len == r.LastAck + (r.WinScale >= 0 && !r.LastWindowFromSyn ? (uint)r.LastWindow << r.WinScale : r.LastWindow);

        var lost = false;
        var outOfOrder = false;
        var fast = false;
        var spurious = false;
        var retransmission = false;
        if (!keepAlive && !zeroProbe && d.HasNext && !rst && tcp.Seq > d.NextSeq)
        {
            lost = true;
            d.Gaps.Add((d.NextSeq, tcp.Seq, time));
        }

        if (!keepAlive && segLen > 0)
        {
            // Behind what this side already sent: out of order when it fills a gap soon after the gap showed
            // (within the handshake RTT, at least 3 ms), else a retransmission.
            var behind = !zeroProbe && d.HasNext && !rst && tcp.Seq < d.NextSeq;
            if (behind)
            {
                var gap = d.Gaps.FindIndex(g => tcp.Seq >= g.Start && tcp.Seq < g.End);
                if (gap >= 0)
                {
                    var g = d.Gaps[gap];
                    var window = d.Rtt is { } rtt && rtt > OutOfOrderFloor ? rtt : OutOfOrderFloor;
                    outOfOrder = g.At is null || time is null || time.Value - g.At.Value < window;
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
            }

            // In Wireshark's order: fast (the segment the other side's duplicate ACKs asked for, within 20 ms of its last
            // segment), out of order, spurious (data the other side has already acknowledged), plain retransmission.
            fast = behind && r is { DupAcks: >= 2 } && r.LastAck == tcp.Seq
                && (r.LastTime is null || time is null || time.Value - r.LastTime.Value < FastRetransmissionWindow);
            outOfOrder &= !fast;
            spurious = !fast && !outOfOrder && len > 0 && r is { HasAck: true } && tcp.Seq + len <= r.LastAck;
            retransmission = behind && !fast && !outOfOrder && !spurious;
        }

        var dupAck = false;
        var windowUpdate = false;
        if (ack && plain && len == 0 && !keepAlive && !keepAliveAck && d.HasAck && d.HasNext && tcp.Seq == d.NextSeq && tcp.Ack == d.LastAck)
        {
            if (tcp.Window == d.LastWindow && tcp.Window != 0 && (r?.HasNext ?? false))
            {
                d.DupAcks++;
                dupAck = true;
            }
            else if (tcp.Window != d.LastWindow && tcp.Window != 0)
            {
                windowUpdate = true;
            }
        }

        var unseen = false;
        if (ack && !rst && r is { HasNext: true } && tcp.Ack > r.NextSeq && (r.UnseenFlagged is not { } flagged || tcp.Ack > flagged))
        {
            unseen = true;
            r.UnseenFlagged = tcp.Ack;
        }

        // tshark's Info column order (tcp_print_sequence_number_analysis prepends each in turn).
        AddIf(tags, zeroProbeAck, "TCP ZeroWindowProbeAck");
        if (tcp.Window == 0 && !syn && !fin && !rst)
        {
            tags.Add("TCP ZeroWindow");
        }

        AddIf(tags, zeroProbe, "TCP ZeroWindowProbe");

        if (dupAck)
        {
            tags.Add($"TCP Dup ACK {d.LastAckFrame}#{d.DupAcks}"); // formatted only when it applies
        }

        AddIf(tags, keepAliveAck, "TCP Keep-Alive ACK");
        AddIf(tags, keepAlive, "TCP Keep-Alive");
        AddIf(tags, windowFull, "TCP Window Full");
        AddIf(tags, windowUpdate, "TCP Window Update");
        AddIf(tags, unseen, "TCP ACKed unseen segment");
        AddIf(tags, lost, "TCP Previous segment not captured");
        AddIf(tags, outOfOrder, "TCP Out-Of-Order");
        AddIf(tags, spurious, "TCP Spurious Retransmission");
        AddIf(tags, fast, "TCP Fast Retransmission");
        AddIf(tags, retransmission, "TCP Retransmission");

        // Update this direction's state. A zero-window probe does not move the next sequence number on (Wireshark), so
        // the probes that follow it are probes too.
        if (segLen > 0 && !keepAlive && !zeroProbe)
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
            d.LastWindowFromSyn = syn;
            d.HasAck = true;
        }

        d.ZeroWindow = tcp.Window == 0 && !rst;
        d.LastWasKeepAlive = keepAlive;
        d.LastWasZeroProbe = zeroProbe;
        d.LastTime = time;
        return tags;
    }

    private static void AddIf(List<string> tags, bool condition, string tag)
    {
        if (condition)
        {
            tags.Add(tag);
        }
    }
}
