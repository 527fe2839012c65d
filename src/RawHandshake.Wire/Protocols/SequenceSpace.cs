namespace RawHandshake.Wire.Protocols;

/// <summary>
/// How much sequence space a segment occupies (RFC 9293 §3.4): one number per payload byte, plus one for SYN and one
/// for FIN. The one place this rule is written.
/// </summary>
public static class SequenceSpace
{
    /// <summary>The segment's length in sequence space (SEG.LEN).</summary>
    public static int Of(TcpFlags flags, int payloadLength) =>
        payloadLength + ((flags & TcpFlags.Syn) != 0 ? 1 : 0) + ((flags & TcpFlags.Fin) != 0 ? 1 : 0);
}
