using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Wire.Dissection;

/// <summary>
/// Relative sequence numbers per TCP conversation across a capture, as Wireshark computes them: each direction's base
/// is its SYN's sequence number, or one less than the first sequence number seen (so a mid-stream capture starts at 1);
/// an acknowledgment is relative to the other direction's base, seeded from the first ACK seen when that side has not
/// yet sent anything. A new SYN on a closed conversation (port reuse) starts over.
/// </summary>
public sealed class ConversationTracker
{
    private readonly Dictionary<(uint, ushort, uint, ushort), SeqNum> bases = [];

    // Window scale offered in each direction's SYN: -1 when its SYN had none; absent when no SYN was seen.
    private readonly Dictionary<(uint, ushort, uint, ushort), int> scales = [];

    public int Count => bases.Count / 2;

    /// <summary>
    /// The trace saw the conversation from its start (the engine's own flows), so nothing is guessed as in a mid-stream
    /// capture: a direction without a SYN starts at relative 0 with its first segment, and an acknowledgment of a side
    /// that has sent nothing yet has no relative value (unknown, not 1).
    /// </summary>
    public bool FromStart { get; init; }

    public RelativeSeq Track(in ParsedFrame f, ReadOnlySpan<byte> frame)
    {
        if (f.IPv4 is not { } ip || f.Tcp is not { } tcp)
        {
            return default;
        }

        var fwd = (ip.Source.Value, tcp.SourcePort, ip.Destination.Value, tcp.DestinationPort);
        var rev = (ip.Destination.Value, tcp.DestinationPort, ip.Source.Value, tcp.SourcePort);
        var syn = tcp.Has(Protocols.TcpFlags.Syn);
        var ack = tcp.Has(Protocols.TcpFlags.Ack);

        if (syn && !ack)
        {
            // A new connection attempt: forget an older conversation on the same ports unless this is a retransmission.
            if (!bases.TryGetValue(fwd, out var old) || old != tcp.Seq)
            {
                bases[fwd] = tcp.Seq;
                bases.Remove(rev);
                scales.Remove(rev);
            }
        }
        else if (syn)
        {
            bases[fwd] = tcp.Seq;
        }

        if (syn)
        {
            scales[fwd] = f.TcpOptionsLength > 0 ? f.TcpOptionsSummary(frame).WindowScale ?? -1 : -1;
        }
        else if (!bases.ContainsKey(fwd))
        {
            bases[fwd] = FromStart ? tcp.Seq : tcp.Seq - 1;
        }

        var known = bases.TryGetValue(rev, out var revBase);
        if (!known && ack && !FromStart)
        {
            revBase = tcp.Ack - 1;
            bases[rev] = revBase;
            known = true;
        }

        // Scaling is on only when both SYNs carried the option (RFC 7323 §2.2); then each side's shift applies to its windows.
        var shift = scales.TryGetValue(fwd, out var mine) && scales.TryGetValue(rev, out var theirs) && mine >= 0 && theirs >= 0 ? Math.Min(mine, 14) : -1;
        return new RelativeSeq(tcp.Seq.RelativeTo(bases[fwd]), ack && known ? tcp.Ack.RelativeTo(revBase) : 0, ack && known, shift);
    }
}
