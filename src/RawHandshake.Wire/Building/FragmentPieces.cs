using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Parsing;

namespace RawHandshake.Wire.Building;

/// <summary>One fragment's share of the fragmentable bytes: where it starts (bytes and the 8-byte units the header
/// carries) and how long it is; <see cref="Last"/> is the piece without More Fragments of its own.</summary>
public readonly record struct FragmentPiece(int Offset, int Length, ushort Units, bool Last);

/// <summary>
/// The rule IPv4 (RFC 791 §3.2) and IPv6 (RFC 8200 §4.5) fragmentation share: the fragmentable bytes are cut into pieces
/// of <c>size</c> rounded down to a multiple of 8 (the last one takes the rest), each piece's offset counts in 8-byte
/// units in a 13-bit field, starting at the offset of the datagram being cut (a fragment can be cut again).
/// </summary>
public static class FragmentPieces
{
    /// <summary>The largest fragment offset, in 8-byte units (13 bits).</summary>
    public const int MaxUnits = 0x1FFF;

    /// <summary>Why <paramref name="size"/> cannot be a fragment size, or null.</summary>
    public static string? SizeError(int size) => size < 8 ? $"fragment size {size} is below 8 bytes (offsets count in 8-byte units)" : null;

    /// <summary>
    /// The pieces of <paramref name="length"/> bytes cut at <paramref name="size"/>, the first at unit
    /// <paramref name="firstUnit"/> and at least <paramref name="firstAtLeast"/> bytes long (rounded up to 8: IPv6's
    /// first fragment holds the whole header chain); null with <paramref name="error"/> when the size is below 8 or an
    /// offset would not fit.
    /// </summary>
    public static List<FragmentPiece>? TryCut(int length, int size, int firstUnit, out string? error, int firstAtLeast = 0)
    {
        error = SizeError(size);
        if (error is not null)
        {
            return null;
        }

        var chunk = size / 8 * 8;
        var first = Math.Max(chunk, (firstAtLeast + 7) / 8 * 8);
        var pieces = new List<FragmentPiece>();
        for (var offset = 0; offset < length || pieces.Count == 0;)
        {
            var units = firstUnit + (offset / 8);
            if (units > MaxUnits)
            {
                error = $"a fragment would start at byte {units * 8}, past the largest offset ({MaxUnits} × 8 bytes)";
                return null;
            }

            var n = Math.Min(pieces.Count == 0 ? first : chunk, length - offset);
            pieces.Add(new FragmentPiece(offset, n, (ushort)units, offset + n == length));
            offset += n;
        }

        return pieces;
    }

    /// <summary>
    /// <paramref name="frame"/> as fragments of at most <paramref name="size"/> payload bytes, IPv4 or IPv6 as the frame
    /// is (<paramref name="identification"/>: the IPv6 fragment header's, when the packet has none yet).
    /// </summary>
    public static List<byte[]>? TrySplit(ReadOnlySpan<byte> frame, LinkType link, int size, uint identification, out string? error)
    {
        var f = FrameParser.Parse(frame, link);
        if (f.IPv4 is null && f.IPv6 is null)
        {
            error = "only an IPv4 datagram or an IPv6 packet can be fragmented";
            return null;
        }

        return f.IPv6 is not null ? IPv6Fragmenter.TrySplit(frame, link, size, identification, out error) : IPv4Fragmenter.TrySplit(frame, link, size, out error);
    }
}
