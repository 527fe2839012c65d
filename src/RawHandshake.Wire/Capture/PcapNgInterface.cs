namespace RawHandshake.Wire.Capture;

/// <summary>What the reader keeps from a pcapng Interface Description Block.</summary>
/// <param name="LinkType">if link type.</param>
/// <param name="SnapLength">Snap length (0 = unlimited).</param>
/// <param name="Resolution">if_tsresol byte: high bit clear = 10^-n s, set = 2^-n s (default 6 = microseconds).</param>
/// <param name="OffsetSeconds">if_tsoffset: seconds added to every timestamp.</param>
internal sealed record PcapNgInterface(LinkType LinkType, uint SnapLength, byte Resolution, long OffsetSeconds)
{
    private static readonly Int128 MinTicks = DateTimeOffset.MinValue.UtcTicks;
    private static readonly Int128 MaxTicks = DateTimeOffset.MaxValue.UtcTicks;

    /// <summary>Converts a 64-bit timestamp in this interface's units to UTC, truncated to 100 ns ticks and clamped to the representable range.</summary>
    public DateTimeOffset ToTimestamp(ulong units)
    {
        Int128 ticks = DateTimeOffset.UnixEpoch.UtcTicks
            + UnitsToTicks(units, Resolution)
            + ((Int128)OffsetSeconds * TimeSpan.TicksPerSecond);
        ticks = Int128.Clamp(ticks, MinTicks, MaxTicks);
        return new DateTimeOffset((long)ticks, TimeSpan.Zero);
    }

    internal static Int128 UnitsToTicks(ulong units, byte resolution)
    {
        int exponent = resolution & 0x7F;
        if ((resolution & 0x80) != 0)
        {
            // 2^-exponent seconds: ticks = units * 10^7 / 2^exponent (< 2^88 before the shift).
            return (Int128)(((UInt128)units * (ulong)TimeSpan.TicksPerSecond) >> exponent);
        }

        if (exponent <= 7)
        {
            return (Int128)((UInt128)units * Pow10(7 - exponent));
        }

        int divisorExponent = exponent - 7;
        return divisorExponent >= 20 ? 0 : (Int128)((UInt128)units / Pow10(divisorExponent)); // units < 10^20
    }

    private static UInt128 Pow10(int exponent)
    {
        UInt128 result = 1;
        for (int i = 0; i < exponent; i++)
        {
            result *= 10;
        }

        return result;
    }
}
