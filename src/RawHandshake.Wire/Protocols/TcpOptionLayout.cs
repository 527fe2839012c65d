namespace RawHandshake.Wire.Protocols;

/// <summary>What to offer in a SYN (or carry on a segment): each null/false item is left out.</summary>
public readonly record struct TcpOptionSet(ushort? Mss = null, byte? WindowScale = null, bool SackPermitted = false, (uint Val, uint Ecr)? Timestamps = null)
{
    public bool IsEmpty => Mss is null && WindowScale is null && !SackPermitted && Timestamps is null;
}

/// <summary>
/// Lays options out as Linux does (tcp_options_write): MSS; SACK_PERM+TS, or NOP NOP TS; NOP WS; NOP NOP SACK_PERM when
/// there are no timestamps; NOP NOP SACK blocks — so every option lands 32-bit aligned and captures look familiar.
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
