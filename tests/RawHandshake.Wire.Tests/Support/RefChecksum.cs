namespace RawHandshake.Wire.Tests.Support;

/// <summary>
/// A deliberately naive RFC 1071 reference, independent of <c>Checksum</c>: 16-bit big-endian words summed one at a
/// time into a 32-bit accumulator, odd byte padded with a zero on the right, carries folded at the end.
/// </summary>
internal static class RefChecksum
{
    public static uint Sum(ReadOnlySpan<byte> data, uint sum = 0)
    {
        for (var i = 0; i < data.Length; i += 2)
        {
            var hi = data[i];
            var lo = i + 1 < data.Length ? data[i + 1] : (byte)0;
            sum += (uint)((hi << 8) | lo);
        }

        return sum;
    }

    public static ushort Fold(uint sum)
    {
        while ((sum >> 16) != 0)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return (ushort)sum;
    }

    /// <summary>The header checksum (checksum field zeroed by the caller).</summary>
    public static ushort Internet(ReadOnlySpan<byte> data) => (ushort)~Fold(Sum(data));

    /// <summary>Sum of the TCP/UDP pseudo-header: source, destination, zero + protocol, transport length.</summary>
    public static uint PseudoSum(ReadOnlySpan<byte> src4, ReadOnlySpan<byte> dst4, byte protocol, int length)
    {
        Span<byte> ph = stackalloc byte[12];
        src4.CopyTo(ph);
        dst4.CopyTo(ph[4..]);
        ph[8] = 0;
        ph[9] = protocol;
        ph[10] = (byte)(length >> 8);
        ph[11] = (byte)length;
        return Sum(ph);
    }

    /// <summary>The TCP checksum over pseudo-header + segment, the segment's checksum field (bytes 16..17) taken as zero.</summary>
    public static ushort Tcp(ReadOnlySpan<byte> src4, ReadOnlySpan<byte> dst4, ReadOnlySpan<byte> segment)
    {
        var copy = segment.ToArray();
        copy[16] = 0;
        copy[17] = 0;
        return (ushort)~Fold(Sum(copy, PseudoSum(src4, dst4, 6, segment.Length)));
    }

    /// <summary>True when pseudo-header + segment (checksum field as is) sums to 0xFFFF.</summary>
    public static bool TcpValid(ReadOnlySpan<byte> src4, ReadOnlySpan<byte> dst4, ReadOnlySpan<byte> segment) =>
        Fold(Sum(segment, PseudoSum(src4, dst4, 6, segment.Length))) == 0xFFFF;
}
