using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Wire.Dissection;

/// <summary>
/// Relative sequence numbers per TCP conversation across a capture, as Wireshark computes them: each direction's base
/// is its SYN's sequence number, or one less than the first sequence number seen (so a mid-stream capture starts at 1);
/// an acknowledgment is relative to the other direction's base, seeded from the first ACK seen when that side has not
/// yet sent anything. A new SYN on a closed conversation (port reuse) starts over. Window scaling as tshark applies it:
/// each side's windows by the shift in its own SYN, unless a SYN of the connection came without the option (so a
/// capture that starts at the SYN-ACK still scales the server's windows). AccECN is in use once a SYN with AE, CWR and
/// ECE got a SYN-ACK with an AccECN answer in those bits (not 000, not ECE alone), or once an AccECN option was seen
/// (from the frame after it).
/// </summary>
public sealed class ConversationTracker
{
    private readonly Dictionary<(IpAddress, ushort, IpAddress, ushort), SeqNum> bases = [];

    // Window scale offered in each direction's SYN: -1 when its SYN had none; absent when no SYN was seen.
    private readonly Dictionary<(IpAddress, ushort, IpAddress, ushort), int> scales = [];

    private sealed class Ecn
    {
        public bool SetupSyn;
        public bool On;
    }

    // Shared by both directions' keys.
    private readonly Dictionary<(IpAddress, ushort, IpAddress, ushort), Ecn> ecn = [];

    public int Count => bases.Count / 2;

    /// <summary>
    /// The trace saw the conversation from its start (the engine's own flows), so nothing is guessed as in a mid-stream
    /// capture: a direction without a SYN starts at relative 0 with its first segment, and an acknowledgment of a side
    /// that has sent nothing yet has no relative value (unknown, not 1).
    /// </summary>
    public bool FromStart { get; init; }

    public RelativeSeq Track(in ParsedFrame f, ReadOnlySpan<byte> frame)
    {
        if (!f.TryGetTransportAddresses(out var src, out var dst) || f.Tcp is not { } tcp)
        {
            return default;
        }

        var fwd = (src, tcp.SourcePort, dst, tcp.DestinationPort);
        var rev = (dst, tcp.DestinationPort, src, tcp.SourcePort);
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
                ecn[fwd] = ecn[rev] = new Ecn();
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

        // Each side's own shift, unless either SYN came without the option (RFC 7323 §2.2: then neither side scales).
        var shift = scales.TryGetValue(fwd, out var mine) && mine >= 0 && !(scales.TryGetValue(rev, out var theirs) && theirs < 0) ? Math.Min(mine, 14) : -1;

        if (!ecn.TryGetValue(fwd, out var e))
        {
            e = ecn.TryGetValue(rev, out var shared) ? shared : new Ecn();
            ecn[fwd] = ecn[rev] = e;
        }

        var ace = e.On && !syn;
        const Protocols.TcpFlags setup = Protocols.TcpFlags.Ns | Protocols.TcpFlags.Cwr | Protocols.TcpFlags.Ece;
        if (syn && !ack)
        {
            e.SetupSyn = (tcp.Flags & setup) == setup;
        }
        else if (syn && e.SetupSyn && (tcp.Flags & setup) is not (0 or Protocols.TcpFlags.Ece))
        {
            e.On = true;
        }

        if (f.TcpOptionsLength > 0 && !e.On)
        {
            foreach (var o in new Protocols.TcpOptionReader(f.TcpOptions(frame)))
            {
                e.On |= TcpInfoText.IsAccEcnOption(o.Kind);
            }
        }

        return new RelativeSeq(tcp.Seq.RelativeTo(bases[fwd]), ack && known ? tcp.Ack.RelativeTo(revBase) : 0, ack && known, shift, ace);
    }
}
