namespace RawHandshake.Lab.Servers;

/// <summary>The RFC 864 character generator pattern: line <c>i</c> is 72 characters of the 95 printable ASCII characters
/// (space to <c>~</c>) starting at character <c>i mod 95</c>, followed by CR LF.</summary>
public static class Chargen
{
    public const int LineLength = 72;
    public const int LineBytes = LineLength + 2;
    public const int Period = 95;

    private static readonly byte[] Cycle = BuildCycle();

    /// <summary>The bytes of line <paramref name="index"/> (0-based), CR LF included.</summary>
    public static byte[] Line(int index)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        var start = index % Period * LineBytes;
        return Cycle.AsSpan(start, LineBytes).ToArray();
    }

    /// <summary>A whole period (95 lines); line 95 equals line 0, so sending it over and over continues the pattern.</summary>
    public static ReadOnlyMemory<byte> OnePeriod => Cycle;

    /// <summary>Periods in one write of the server (<see cref="Chunk"/>).</summary>
    public const int PeriodsPerWrite = 9;

    /// <summary><see cref="PeriodsPerWrite"/> periods back to back (63,270 bytes): what the server writes at once, so that
    /// its socket always holds more than a congestion window (ten segments) and what it sends first is limited by TCP,
    /// not by when the server process next gets the CPU (a write of one period, 7,030 bytes, is six segments).</summary>
    public static ReadOnlyMemory<byte> Chunk { get; } = BuildChunk();

    private static byte[] BuildChunk()
    {
        var chunk = new byte[Cycle.Length * PeriodsPerWrite];
        for (var i = 0; i < PeriodsPerWrite; i++)
        {
            Cycle.CopyTo(chunk, i * Cycle.Length);
        }

        return chunk;
    }

    private static byte[] BuildCycle()
    {
        var bytes = new byte[Period * LineBytes];
        for (var line = 0; line < Period; line++)
        {
            var at = line * LineBytes;
            for (var c = 0; c < LineLength; c++)
            {
                bytes[at + c] = (byte)(' ' + ((line + c) % Period));
            }

            bytes[at + LineLength] = (byte)'\r';
            bytes[at + LineLength + 1] = (byte)'\n';
        }

        return bytes;
    }
}
