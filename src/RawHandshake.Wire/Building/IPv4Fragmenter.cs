using System.Buffers.Binary;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Wire.Building;

/// <summary>
/// Splits an IPv4 datagram into fragments (RFC 791 §3.2, hping3 <c>-f</c>, Scapy's <c>fragment()</c>): each fragment
/// carries the link header and the IP header (options included) with its own total length, More Fragments bit, offset
/// and checksum, and at most <c>size</c> bytes of the IP payload, a multiple of 8 except in the last. The last fragment
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
        error = null;
        if (size < 8)
        {
            error = $"fragment size {size} is below 8 bytes (offsets count in 8-byte units)";
            return null;
        }

        var f = FrameParser.Parse(frame, link);
        if (f.IPv4 is not { } ip || f.IpTruncated || f.IpPayloadOffset == 0)
        {
            error = "only a whole IPv4 datagram can be fragmented";
            return null;
        }

        var chunk = size / 8 * 8;
        var headerEnd = f.IpPayloadOffset;
        var payload = frame.Slice(headerEnd, f.IpPayloadLength);
        if (payload.Length <= chunk)
        {
            return [frame.ToArray()];
        }

        var at = f.NetworkOffset;
        var fragments = new List<byte[]>();
        for (var offset = 0; offset < payload.Length; offset += chunk)
        {
            var part = payload.Slice(offset, Math.Min(chunk, payload.Length - offset));
            var last = offset + part.Length == payload.Length;
            var bytes = new byte[headerEnd + part.Length];
            frame[..headerEnd].CopyTo(bytes);
            part.CopyTo(bytes.AsSpan(headerEnd));
            var h = bytes.AsSpan(at, headerEnd - at);
            BinaryPrimitives.WriteUInt16BigEndian(h[2..], (ushort)(h.Length + part.Length));
            var units = ip.FragmentOffset + (offset / 8);
            var flags = BinaryPrimitives.ReadUInt16BigEndian(h[6..]) & 0xC000; // reserved and DF as they were
            var more = !last || ip.MoreFragments;
            BinaryPrimitives.WriteUInt16BigEndian(h[6..], (ushort)(flags | (more ? 0x2000 : 0) | (units & 0x1FFF)));
            BinaryPrimitives.WriteUInt16BigEndian(h[10..], 0);
            BinaryPrimitives.WriteUInt16BigEndian(h[10..], Checksum.Compute(h));
            fragments.Add(bytes);
        }

        return fragments;
    }
}
