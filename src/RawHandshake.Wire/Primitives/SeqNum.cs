namespace RawHandshake.Wire.Primitives;

/// <summary>
/// A TCP sequence number: arithmetic and comparison modulo 2^32 (RFC 9293 §3.4). Comparisons are valid when the two
/// numbers are less than 2^31 apart, as they are within any one window. Never compare raw <see cref="uint"/>s.
/// </summary>
public readonly record struct SeqNum(uint Value) : IComparable<SeqNum>
{
    public static SeqNum operator +(SeqNum a, int delta) => new(unchecked(a.Value + (uint)delta));

    public static SeqNum operator +(SeqNum a, uint delta) => new(unchecked(a.Value + delta));

    public static SeqNum operator -(SeqNum a, int delta) => new(unchecked(a.Value - (uint)delta));

    /// <summary>The signed distance from <paramref name="b"/> to <paramref name="a"/>.</summary>
    public static int operator -(SeqNum a, SeqNum b) => unchecked((int)(a.Value - b.Value));

    public static bool operator <(SeqNum a, SeqNum b) => (a - b) < 0;

    public static bool operator >(SeqNum a, SeqNum b) => (a - b) > 0;

    public static bool operator <=(SeqNum a, SeqNum b) => (a - b) <= 0;

    public static bool operator >=(SeqNum a, SeqNum b) => (a - b) >= 0;

    public int CompareTo(SeqNum other) => Math.Sign(this - other);

    /// <summary>The offset of this number from <paramref name="origin"/>, as an unsigned 32-bit distance (relative sequence numbers).</summary>
    public uint RelativeTo(SeqNum origin) => unchecked(Value - origin.Value);

    /// <summary>True when <paramref name="start"/> ≤ this &lt; <paramref name="start"/> + <paramref name="length"/> (modulo 2^32).</summary>
    public bool InWindow(SeqNum start, uint length) => unchecked(Value - start.Value) < length;

    public static SeqNum Max(SeqNum a, SeqNum b) => a >= b ? a : b;

    public static SeqNum Min(SeqNum a, SeqNum b) => a <= b ? a : b;

    public override string ToString() => Value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}
