namespace RawHandshake.Wire.Protocols;

/// <summary>What to offer in a SYN (or carry on a segment): each null/false item is left out.</summary>
public readonly record struct TcpOptionSet(ushort? Mss = null, byte? WindowScale = null, bool SackPermitted = false, (uint Val, uint Ecr)? Timestamps = null)
{
    public bool IsEmpty => Mss is null && WindowScale is null && !SackPermitted && Timestamps is null;
}

/// <summary>
/// Lays options out 32-bit aligned the way real stacks do: with timestamps as Linux (tcp_options_write): MSS,
/// SACK_PERM+TS (or NOP NOP TS), NOP WS; without timestamps as Windows and seed 004's capture: MSS, NOP WS,
/// NOP NOP SACK_PERM (Linux would put NOP NOP SACK_PERM before NOP WS); SACK blocks last, after NOP NOP.
/// </summary>
public static class TcpOptionLayout
{
    public static int Write(Span<byte> destination, in TcpOptionSet set, ReadOnlySpan<(uint Left, uint Right)> sackBlocks = default)
    {
        var w = new TcpOptionWriter(destination);
        if (set.Mss is { } mss)
        {
            w = w.Mss(mss);
        }

        if (set.Timestamps is { } ts)
        {
            w = set.SackPermitted ? w.SackPermitted().Timestamps(ts.Val, ts.Ecr) : w.Nop().Nop().Timestamps(ts.Val, ts.Ecr);
        }

        if (set.WindowScale is { } ws)
        {
            w = w.Nop().WindowScale(ws);
        }

        if (set.SackPermitted && set.Timestamps is null)
        {
            w = w.Nop().Nop().SackPermitted();
        }

        if (!sackBlocks.IsEmpty)
        {
            w = w.Nop().Nop().Sack(sackBlocks);
        }

        return w.PadToWord().Length;
    }
}
