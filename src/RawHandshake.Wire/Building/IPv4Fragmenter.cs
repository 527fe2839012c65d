using System.Buffers.Binary;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Wire.Building;

/// <summary>
/// Splits an IPv4 datagram into fragments (RFC 791 §3.2, hping3 <c>-f</c>, Scapy's <c>fragment()</c>): each fragment
/// carries the link header and the IP header (options included) with its own total length, More Fragments bit, offset
/// and checksum, and at most <c>size</c> bytes of the IP payload, cut by <see cref="FragmentPieces"/>. The last fragment
/// keeps the datagram's own MF bit, so a fragment can be fragmented again.
/// </summary>
public static class IPv4Fragmenter
{
    /// <summary>
    /// The fragments of <paramref name="frame"/>; the frame itself when its payload fits in one. <paramref name="error"/>
    /// says why not when the frame is no whole IPv4 datagram or <paramref name="size"/> is below 8.
    /// </summary>
    public static List<byte[]>? TrySplit(ReadOnlySpan<byte> frame, LinkType link, int size, out string? error)
    {
        error = FragmentPieces.SizeError(size);
        if (error is not null)
        {
            return null;
        }

        var f = FrameParser.Parse(frame, link);
        if (f.IPv4 is not { } ip || f.IpTruncated || f.IpPayloadOffset == 0)
        {
            error = "only a whole IPv4 datagram can be fragmented";
            return null;
        }

        var headerEnd = f.IpPayloadOffset;
        var payload = frame.Slice(headerEnd, f.IpPayloadLength);
        if (FragmentPieces.TryCut(payload.Length, size, ip.FragmentOffset, out error) is not { } pieces)
        {
            return null;
        }

        if (pieces.Count == 1)
        {
            return [frame.ToArray()];
        }

        var at = f.NetworkOffset;
        var fragments = new List<byte[]>();
        foreach (var piece in pieces)
        {
            var bytes = new byte[headerEnd + piece.Length];
            frame[..headerEnd].CopyTo(bytes);
            payload.Slice(piece.Offset, piece.Length).CopyTo(bytes.AsSpan(headerEnd));
            var h = bytes.AsSpan(at, headerEnd - at);
            BinaryPrimitives.WriteUInt16BigEndian(h[2..], (ushort)(h.Length + piece.Length));
            var flags = BinaryPrimitives.ReadUInt16BigEndian(h[6..]) & 0xC000; // reserved and DF as they were
            var more = !piece.Last || ip.MoreFragments;
            BinaryPrimitives.WriteUInt16BigEndian(h[6..], (ushort)(flags | (more ? 0x2000 : 0) | piece.Units));
            BinaryPrimitives.WriteUInt16BigEndian(h[10..], 0);
            BinaryPrimitives.WriteUInt16BigEndian(h[10..], Checksum.Compute(h));
            fragments.Add(bytes);
        }

        return fragments;
    }
}
