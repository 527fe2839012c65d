namespace RawHandshake.Wire.Dissection;

/// <summary>
/// Relative sequence and acknowledgment numbers for one segment, as Wireshark shows them, and the sender's window
/// scale shift when the handshake negotiated one (-1 when unknown or not in use), for the calculated window.
/// </summary>
public readonly record struct RelativeSeq(uint Seq, uint Ack, bool AckKnown, int WindowShift = -1)
{
    /// <summary>The window as Wireshark calculates it: scaled when the handshake negotiated scaling and this is not a SYN.</summary>
    public uint Window(ushort raw, bool syn) => WindowShift >= 0 && !syn ? (uint)raw << WindowShift : raw;
}
