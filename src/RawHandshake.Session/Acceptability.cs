using RawHandshake.Wire.Primitives;

namespace RawHandshake.Session;

/// <summary>The checks a segment passes before it may change anything (RFC 9293 §3.10.7.4, RFC 5961).</summary>
public static class Acceptability
{
    /// <summary>
    /// RFC 9293's table: a zero-length segment must lie in the window (at RCV.NXT when the window is zero); one with
    /// sequence space must overlap it. <paramref name="length"/> is SEG.LEN (<see cref="Wire.Protocols.SequenceSpace"/>).
    /// </summary>
    public static bool SegmentInWindow(SeqNum seq, int length, SeqNum rcvNxt, uint window)
    {
        if (length == 0)
        {
            return window == 0 ? seq == rcvNxt : seq.InWindow(rcvNxt, window) || seq == rcvNxt;
        }

        if (window == 0)
        {
            return false;
        }

        var last = seq + (length - 1);
        return seq.InWindow(rcvNxt, window) || last.InWindow(rcvNxt, window);
    }

    /// <summary>
    /// RFC 5961 §5.2: an ACK is acceptable only within SND.UNA − MAX.SND.WND ..= SND.NXT. True when it lies below that
    /// range (older than any window the peer ever offered): the segment is dropped, with an ACK.
    /// </summary>
    public static bool AckTooOld(SeqNum ack, SeqNum sndUna, uint maxSndWnd) =>
        ack < sndUna && (uint)(sndUna - ack) > Math.Max(maxSndWnd, 1u);

    /// <summary>RFC 5961 §3.2: a RST resets only at exactly RCV.NXT; elsewhere in the window it earns a challenge ACK.</summary>
    public static bool ResetExact(SeqNum seq, SeqNum rcvNxt) => seq == rcvNxt;

    /// <summary>RFC 5927 §4.1 / RFC 9293: an ICMP error is about our data only if the sequence number it quotes lies in
    /// SND.UNA ..= SND.NXT (what we sent and the server has not acknowledged).</summary>
    public static bool QuotedSeqInFlight(SeqNum quoted, SeqNum sndUna, SeqNum sndNxt) => quoted >= sndUna && quoted <= sndNxt;
}
