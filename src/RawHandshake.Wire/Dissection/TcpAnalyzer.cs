using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Wire.Dissection;

/// <summary>
/// Wireshark's TCP sequence analysis, for the tags in the trace: <c>[TCP Retransmission]</c>, <c>[TCP Fast Retransmission]</c>,
/// <c>[TCP Spurious Retransmission]</c>, <c>[TCP Out-Of-Order]</c>, <c>[TCP Dup ACK n#m]</c>, <c>[TCP Window Update]</c>,
/// <c>[TCP Window Full]</c>, <c>[TCP ZeroWindow]</c>, <c>[TCP ZeroWindowProbe]</c>, <c>[TCP ZeroWindowProbeAck]</c>,
/// <c>[TCP Keep-Alive]</c>, <c>[TCP Keep-Alive ACK]</c>, <c>[TCP Previous segment not captured]</c>,
/// <c>[TCP ACKed unseen segment]</c>, <c>[TCP Port numbers reused]</c>. One instance per capture; directions are keyed by the sender's address and port.
/// The rules follow packet-tcp.c (tcp_analyze_sequence_number), checked against tshark 4.0 frame by frame; a frame's tags
/// come in the order tshark puts them in its Info column.
/// </summary>
public sealed class TcpAnalyzer
{
    // The out-of-order bound while the connection's first RTT is unknown (or came out zero).
    private static readonly TimeSpan OutOfOrderDefault = TimeSpan.FromMilliseconds(3);

    // A retransmission this soon after the other side's last segment, which repeated its ACK at least twice, is fast.
    private static readonly TimeSpan FastRetransmissionWindow = TimeSpan.FromMilliseconds(20);

    // Window scale per direction, as Wireshark keeps it (win_scale): a shift of 0-14 from that side's SYN, or one of these.
    private const int ScaleUnknown = -1;    // no SYN seen from this side: Window Full is not judged
    private const int ScaleNone = -2;       // a SYN without the option: windows are taken as they are
    private const int ScaleUnread = -3;     // this side's SYN had options but no frame bytes came to read them: not judged

    /// <summary>What both directions of a connection share: the times behind its first RTT.</summary>
    private sealed class Conversation
    {
        public DateTimeOffset? MruSyn;  // of the most recent SYN without ACK (ts_mru_syn)
        public TimeSpan FirstRtt;       // ts_first_rtt: that SYN to the first segment with ACK and without SYN; zero while unknown
    }

    private sealed class DirState(Conversation conversation)
    {
        public Conversation Conv { get; } = conversation;
        public SeqNum NextSeq;          // highest sequence number seen + its length (SYN and FIN count one)
        public DateTimeOffset? NextSeqTime; // when NextSeq last moved on
        public bool HasNext;
        public SeqNum BaseSeq;          // the ISN if this side's first segment was a SYN, else its sequence number - 1
        public SeqNum LastAck;
        public ushort LastWindow;       // as sent, unscaled
        public ushort PrevWindow;       // the window of this side's previous segment, ACK or not (tshark's fwd->window)
        public bool LastWindowFromSyn;  // a SYN's window is never scaled
        public int WinScale = ScaleUnknown;
        public int LastAckFrame;
        public int DupAcks;             // -1 once an ACK of unseen data came the other way (see there)
        public bool HasAck;
        public bool ZeroWindow;
        public bool LastWasKeepAlive;
        public bool LastWasZeroProbe;
        public DateTimeOffset? LastTime; // of this side's last segment, for the fast retransmission window
        public SeqNum MaxSeqToBeAcked;  // the end of this side's contiguous data (Wireshark's maxseqtobeacked)
        public bool HasMaxSeq;
    }

    private readonly Dictionary<(IpAddress, ushort, IpAddress, ushort), DirState> dirs = [];

    /// <summary>
    /// Tags for one frame, in Wireshark's wording. <paramref name="number"/> is the frame number (for Dup ACK #n);
    /// <paramref name="time"/> the capture time (without it, every time bound counts as met: a segment behind the newest
    /// data is out of order however late it comes, and a retransmission after two duplicate ACKs is fast however late it
    /// comes). <paramref name="frame"/> is the frame's bytes,
    /// for the window scale option in SYNs: given empty, Window Full is judged only on connections whose SYNs carried no
    /// options at all.
    /// </summary>
    public IReadOnlyList<string> Analyze(in ParsedFrame f, ReadOnlySpan<byte> frame, int number, DateTimeOffset? time = null)
    {
        if (!f.TryGetTransportAddresses(out var src, out var dst) || f.Tcp is not { } tcp)
        {
            return [];
        }

        var key = (src, tcp.SourcePort, dst, tcp.DestinationPort);
        var rkey = (dst, tcp.DestinationPort, src, tcp.SourcePort);
        dirs.TryGetValue(rkey, out var r);
        if (!dirs.TryGetValue(key, out var d))
        {
            dirs[key] = d = new DirState(r?.Conv ?? new Conversation());
        }

        var tags = new List<string>(2);
        var len = f.SegmentLength;
        var syn = tcp.Has(TcpFlags.Syn);
        var fin = tcp.Has(TcpFlags.Fin);
        var rst = tcp.Has(TcpFlags.Rst);
        var ack = tcp.Has(TcpFlags.Ack);
        var segLen = SequenceSpace.Of(tcp.Flags, len);

        // A SYN with another ISN is a new connection on the same ports (tshark: Port numbers reused); the same ISN again,
        // even after data, is a retransmission in the same connection.
        var reused = syn && !ack && d.HasNext && tcp.Seq != d.BaseSeq;
        if (reused)
        {
            dirs[key] = d = new DirState(new Conversation());
            if (r is not null)
            {
                dirs.Remove(rkey);
                r = null;
            }
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
                r ??= dirs[rkey] = new DirState(d.Conv);
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

        var dupAck = false;
        var windowUpdate = false;
        // As tshark: the ACK flag is not asked for; the acknowledgment field is compared as it is (a bare segment that
        // repeats it is a Dup ACK too).
        if (plain && len == 0 && !keepAlive && !keepAliveAck && d.HasAck && d.HasNext && tcp.Seq == d.NextSeq && tcp.Ack == d.LastAck)
        {
            if (tcp.Window == d.LastWindow && tcp.Window != 0)
            {
                d.DupAcks = d.DupAcks == -1 ? 1 : d.DupAcks + 1; // -1: see ACKed unseen segment below
                dupAck = true;
            }
            else if (tcp.Window != d.LastWindow && tcp.Window != 0)
            {
                windowUpdate = true;
            }
        }
        else if (!ack && plain && len == 0 && !keepAlive && !d.HasAck && d.HasNext && tcp.Seq == d.NextSeq && tcp.Ack.Value == 0 && tcp.Window != 0)
        {
            // tshark 4.0 does not ask for the ACK flag: a bare segment repeating the last one of a side that never
            // acknowledged anything is a duplicate of "ack 0", counted from frame 0; with another window, an update.
            if (tcp.Window == d.PrevWindow)
            {
                d.DupAcks++;
                dupAck = true;
            }
            else
            {
                windowUpdate = true;
            }
        }

        var lost = !keepAlive && !zeroProbe && d.HasNext && !rst && tcp.Seq > d.NextSeq;
        var outOfOrder = false;
        var fast = false;
        var spurious = false;
        var retransmission = false;
        if (!keepAlive && segLen > 0)
        {
            // Behind the newest data this side sent; but not data of two bytes or more from one byte below it (that adds
            // new data; the byte before may have been a zero-window probe).
            var behind = d.HasNext && tcp.Seq < d.NextSeq && !(len > 1 && tcp.Seq == d.NextSeq - 1);

            // In tshark's order: spurious (data the other side has already acknowledged, behind or not), fast (the
            // segment the other side's duplicate ACKs asked for, within 20 ms of its last segment), out of order (within
            // the connection's first RTT of the last time this side's sequence number moved on, and not ending where the
            // newest data ends), plain retransmission.
            spurious = len > 0 && r is { HasAck: true } && tcp.Seq + len <= r.LastAck;
            fast = !spurious && behind && r is { DupAcks: >= 2 } && r.LastAck == tcp.Seq
                && Within(time, r.LastTime, FastRetransmissionWindow);
            outOfOrder = !spurious && !fast && behind && tcp.Seq + segLen != d.NextSeq && SoonAfterNewestData(d, time);
            retransmission = behind && !spurious && !fast && !outOfOrder;
        }

        // An ACK (an RST's too) beyond the end of the other side's contiguous data. tshark says it once: it sets the other
        // side's duplicate ACK count to -1 and says it only while that count is 0, so not again, nor after that side's
        // duplicate ACKs. After the retransmission checks: a fast retransmission carrying such an ACK still sees the
        // count as it was (tshark 4.0).
        var unseen = false;
        if (ack && r is { HasMaxSeq: true } && tcp.Ack > r.MaxSeqToBeAcked)
        {
            if (r.MaxSeqToBeAcked > r.NextSeq)
            {
                r.MaxSeqToBeAcked = r.NextSeq;
                unseen = true;
            }
            else
            {
                unseen = r.DupAcks == 0;
                r.DupAcks = -1;
            }
        }

        // tshark's Info column order (tcp_print_sequence_number_analysis prepends each in turn); a new connection on the
        // ports of an old one comes first.
        AddIf(tags, reused, "TCP Port numbers reused");
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

        // Update this direction's state. Any segment that ends beyond the newest data moves the next sequence number on,
        // a bare ACK too, except a zero-window probe (Wireshark), so the probes that follow it are probes too.
        if (!d.HasNext)
        {
            d.BaseSeq = syn ? tcp.Seq : tcp.Seq - 1;
        }

        if (!zeroProbe && (!d.HasNext || tcp.Seq + segLen > d.NextSeq))
        {
            d.NextSeq = tcp.Seq + segLen;
            d.NextSeqTime = time;
            d.HasNext = true;
        }

        if (!zeroProbe && (!d.HasMaxSeq || tcp.Seq == d.MaxSeqToBeAcked))
        {
            d.MaxSeqToBeAcked = d.NextSeq;
            d.HasMaxSeq = true;
        }

        // The connection's first RTT, after this frame's own analysis: from the most recent SYN to the first segment with
        // ACK and without SYN, from either side.
        if (syn && !ack)
        {
            d.Conv.MruSyn = time;
        }
        else if (!syn && ack && d.Conv is { MruSyn: { } synAt, FirstRtt.Ticks: 0 } && time is { } now)
        {
            d.Conv.FirstRtt = now - synAt;
        }

        if (ack)
        {
            // Dup ACKs count from the frame that first carried this ack; data with the same ack does not restart them.
            if (!d.HasAck || tcp.Ack != d.LastAck)
            {
                // A new ack restarts the count, but keeps the mark of an ACKed unseen segment reported the other way
                // (-1): tshark 4.0 does not report the same unseen data again after this side's next new ack.
                d.DupAcks = d.DupAcks == -1 ? -1 : 0;
                d.LastAckFrame = number;
            }

            d.LastAck = tcp.Ack;
            d.LastWindow = tcp.Window;
            d.LastWindowFromSyn = syn;
            d.HasAck = true;
        }

        d.PrevWindow = tcp.Window;
        d.ZeroWindow = tcp.Window == 0 && !rst;
        d.LastWasKeepAlive = keepAlive;
        d.LastWasZeroProbe = zeroProbe;
        d.LastTime = time;
        return tags;
    }

    /// <summary>
    /// Whether a segment behind the newest data came soon enough after it to be out of order: less than the connection's
    /// first RTT (3 ms while that is unknown or zero) since this side's sequence number last moved on. tshark takes both
    /// times as unsigned, so a clock that went back makes the segment late, and a negative RTT makes every bound met.
    /// </summary>
    private static bool SoonAfterNewestData(DirState d, DateTimeOffset? time)
    {
        if (time is not { } now || d.NextSeqTime is not { } newest)
        {
            return true;
        }

        var since = now - newest;
        var bound = d.Conv.FirstRtt == TimeSpan.Zero ? OutOfOrderDefault : d.Conv.FirstRtt;
        return since >= TimeSpan.Zero && (bound < TimeSpan.Zero || since < bound);
    }

    /// <summary>Whether <paramref name="now"/> comes less than <paramref name="bound"/> after <paramref name="then"/>
    /// (met without times). A trace lists a reply it sent before a frame that was captured earlier but handled later, so
    /// its clock can step back: tshark's time difference is then negative and the bound not met (its seconds are not 0).</summary>
    private static bool Within(DateTimeOffset? now, DateTimeOffset? then, TimeSpan bound) =>
        now is not { } n || then is not { } t || (n - t >= TimeSpan.Zero && n - t < bound);

    private static void AddIf(List<string> tags, bool condition, string tag)
    {
        if (condition)
        {
            tags.Add(tag);
        }
    }
}
