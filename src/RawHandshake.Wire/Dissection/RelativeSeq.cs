namespace RawHandshake.Wire.Dissection;

/// <summary>Relative sequence and acknowledgment numbers for one segment, as Wireshark shows them.</summary>
public readonly record struct RelativeSeq(uint Seq, uint Ack, bool AckKnown);
