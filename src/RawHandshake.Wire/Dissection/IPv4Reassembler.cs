using System.Buffers.Binary;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Wire.Dissection;

/// <summary>An IPv4 datagram put back together from its fragments, as tshark shows it in the frame that completed it.</summary>
/// <param name="Bytes">The link header and IP header of the first fragment (no MF, offset 0, total length and checksum of the whole), then the whole payload.</param>
/// <param name="Parsed">The parse of <paramref name="Bytes"/>.</param>
/// <param name="Fragments">Each fragment's frame number, payload offset and length, in offset order.</param>
public sealed record ReassembledDatagram(byte[] Bytes, ParsedFrame Parsed, IReadOnlyList<(int Frame, int Offset, int Length)> Fragments);

/// <summary>
/// IPv4 reassembly over a capture (RFC 791 §3.2, keyed by source, destination, protocol and identification): fragments
/// are kept until those from offset 0 to the one without MF cover the datagram without a gap; the first copy of a byte
/// wins. Fed in capture order; a datagram is given once, in the frame that completes it.
/// </summary>
public sealed class IPv4Reassembler
{
    private sealed class Pending
    {
        public readonly List<(int Offset, byte[] Data, int Frame)> Parts = [];
        public byte[]? Head;       // link + IP header of the offset-0 fragment
        public int NetworkOffset;
        public int? Total;         // payload length, once the last fragment is seen
    }

    private readonly Dictionary<(uint, uint, byte, ushort), Pending> pending = [];

    /// <summary>Whether the parse is of an IPv4 fragment (MF set or a non-zero offset).</summary>
    public static bool IsFragment(in ParsedFrame f) => f.IPv4 is { } ip && (ip.MoreFragments || ip.FragmentOffset != 0);

    /// <summary>Adds a fragment; returns the whole datagram when this fragment completes it.</summary>
    public ReassembledDatagram? Add(ReadOnlySpan<byte> frame, in ParsedFrame f, LinkType link, int number)
    {
        if (f.IPv4 is not { } ip || f.IpTruncated || f.IpPayloadOffset == 0)
        {
            return null;
        }

        var key = (ip.Source.Value, ip.Destination.Value, ip.Protocol ?? 0, ip.Id);
        if (!pending.TryGetValue(key, out var p))
        {
            pending[key] = p = new Pending();
        }

        var offset = ip.FragmentOffset * 8;
        p.Parts.Add((offset, frame.Slice(f.IpPayloadOffset, f.IpPayloadLength).ToArray(), number));
        if (offset == 0)
        {
            p.Head = frame[..f.IpPayloadOffset].ToArray();
            p.NetworkOffset = f.NetworkOffset;
        }

        if (!ip.MoreFragments)
        {
            p.Total = offset + f.IpPayloadLength;
        }

        if (p.Head is null || p.Total is not { } total)
        {
            return null;
        }

        if (Join(p.Parts, p.Head, total) is not { } bytes)
        {
            return null;
        }

        var h = bytes.AsSpan(p.NetworkOffset, p.Head.Length - p.NetworkOffset);
        BinaryPrimitives.WriteUInt16BigEndian(h[2..], (ushort)Math.Min(65535, h.Length + total));
        BinaryPrimitives.WriteUInt16BigEndian(h[6..], (ushort)(BinaryPrimitives.ReadUInt16BigEndian(h[6..]) & 0xC000));
        BinaryPrimitives.WriteUInt16BigEndian(h[10..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(h[10..], Checksum.Compute(h));
        pending.Remove(key);
        return new ReassembledDatagram(bytes, FrameParser.Parse(bytes, link), Order(p.Parts));
    }

    internal static IReadOnlyList<(int Frame, int Offset, int Length)> Order(List<(int Offset, byte[] Data, int Frame)> parts) =>
        [.. parts.OrderBy(x => x.Offset).Select(x => (x.Frame, x.Offset, x.Data.Length))];

    /// <summary><paramref name="head"/> followed by the <paramref name="total"/> payload bytes the parts cover, the first
    /// copy of a byte winning; null while there is a gap.</summary>
    internal static byte[]? Join(List<(int Offset, byte[] Data, int Frame)> parts, byte[] head, int total)
    {
        var covered = 0;
        foreach (var (o, d, _) in parts.OrderBy(x => x.Offset))
        {
            if (o > covered)
            {
                return null; // a gap
            }

            covered = Math.Max(covered, o + d.Length);
        }

        if (covered < total)
        {
            return null;
        }

        var bytes = new byte[head.Length + total];
        head.CopyTo(bytes, 0);
        var filled = new bool[total];
        foreach (var (o, d, _) in parts)
        {
            for (var i = 0; i < d.Length && o + i < total; i++)
            {
                if (!filled[o + i])
                {
                    bytes[head.Length + o + i] = d[i];
                    filled[o + i] = true;
                }
            }
        }

        return bytes;
    }
}
