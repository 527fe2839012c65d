namespace RawHandshake.Wire.Protocols;

/// <summary>The options a TCP stack negotiates with, pulled out of an options area (last one wins, as in stacks).</summary>
public readonly record struct TcpOptionsSummary(ushort? Mss, byte? WindowScale, bool SackPermitted, uint? TsVal, uint? TsEcr, int SackBlocks)
{
    public bool HasTimestamps => TsVal is not null;

    public static TcpOptionsSummary From(ReadOnlySpan<byte> options)
    {
        ushort? mss = null;
        byte? ws = null;
        var sackOk = false;
        uint? tsVal = null, tsEcr = null;
        var sack = 0;
        foreach (var o in new TcpOptionReader(options))
        {
            switch (o.Kind)
            {
                case TcpOptionKind.Mss: mss = o.Mss; break;
                case TcpOptionKind.WindowScale: ws = o.WindowScale; break;
                case TcpOptionKind.SackPermitted: sackOk = true; break;
                case TcpOptionKind.Timestamps: tsVal = o.TsVal; tsEcr = o.TsEcr; break;
                case TcpOptionKind.Sack: sack += o.SackBlockCount; break;
                default: break;
            }
        }

        return new TcpOptionsSummary(mss, ws, sackOk, tsVal, tsEcr, sack);
    }
}
