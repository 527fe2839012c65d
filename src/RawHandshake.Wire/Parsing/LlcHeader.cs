namespace RawHandshake.Wire.Parsing;

/// <summary>
/// An IEEE 802.2 LLC header after an 802.3 length field: destination and source SAPs and the control field (one byte
/// for U-format frames, two for I and S formats; the first byte is the low byte of <see cref="Control"/>).
/// </summary>
public readonly record struct LlcHeader(byte Dsap, byte Ssap, ushort Control, int Length);
