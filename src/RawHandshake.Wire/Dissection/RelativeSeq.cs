namespace RawHandshake.Wire.Dissection;

/// <summary>
/// Relative sequence and acknowledgment numbers for one segment, as Wireshark shows them, and the sender's window
/// scale shift when known (-1 when unknown or not in use), for the calculated window, and whether the connection uses
/// AccECN (then the flags of a segment without SYN show the ACE counter).
/// </summary>
public readonly record struct RelativeSeq(uint Seq, uint Ack, bool AckKnown, int WindowShift = -1, bool AccEcn = false)
{
    /// <summary>The window as Wireshark calculates it: scaled when the sender's shift is known and this is not a SYN.</summary>
    public uint Window(ushort raw, bool syn) => WindowShift >= 0 && !syn ? (uint)raw << WindowShift : raw;
}
