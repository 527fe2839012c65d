using System.Buffers.Binary;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Wire.Dissection;

/// <summary>
/// IPv6 reassembly over a capture (RFC 8200 §4.5, keyed by source, destination and identification), as
/// <see cref="IPv4Reassembler"/> does for IPv4. The packet it gives is the one that was fragmented, as RFC 8200 §4.5
/// rebuilds it: the first fragment's unfragmentable part, its last next-header field taken from the fragment header,
/// the payload length of the whole, no fragment header, then the fragmentable part.
/// </summary>
public sealed class IPv6Reassembler
{
    private sealed class Pending
    {
        public readonly List<(int Offset, byte[] Data, int Frame)> Parts = [];
        public byte[]? Head;       // link + IPv6 header + the extension headers before the fragment header
        public int NetworkOffset;
        public int? Total;
    }

    private readonly Dictionary<(IpAddress, IpAddress, uint), Pending> pending = [];

    /// <summary>Adds a fragment; returns the whole packet when this fragment completes it.</summary>
    public ReassembledDatagram? Add(ReadOnlySpan<byte> frame, in ParsedFrame f, LinkType link, int number)
    {
        if (f.Ipv6Fragment is not { } frag || f.IpTruncated || !f.TryGetAddresses(out var src, out var dst))
        {
            return null;
        }

        var key = (src, dst, frag.Identification);
        if (!pending.TryGetValue(key, out var p))
        {
            pending[key] = p = new Pending();
        }

        var dataAt = frag.HeaderOffset + 8;
        var end = f.IpPayloadOffset + f.IpPayloadLength;
        if (dataAt > end)
        {
            return null;
        }

        var offset = frag.Offset * 8;
        p.Parts.Add((offset, frame[dataAt..end].ToArray(), number));
        if (offset == 0)
        {
            p.Head = frame[..frag.HeaderOffset].ToArray();
            p.NetworkOffset = f.NetworkOffset;
            p.Head[Announcer(frame, f, frag.HeaderOffset)] = frag.NextHeader;
        }

        if (!frag.More)
        {
            p.Total = offset + (end - dataAt);
        }

        if (p.Head is null || p.Total is not { } total || IPv4Reassembler.Join(p.Parts, p.Head, total) is not { } bytes)
        {
            return null;
        }

        var payloadLength = p.Head.Length - p.NetworkOffset - IPv6Header.Length + total;
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(p.NetworkOffset + 4), (ushort)Math.Min(65535, payloadLength));
        pending.Remove(key);
        return new ReassembledDatagram(bytes, FrameParser.Parse(bytes, link), IPv4Reassembler.Order(p.Parts));
    }

    /// <summary>The frame offset of the next-header field that announces the header at <paramref name="offset"/>.</summary>
    private static int Announcer(ReadOnlySpan<byte> frame, in ParsedFrame f, int offset)
    {
        var announcer = f.NetworkOffset + 6;
        var start = f.NetworkOffset + IPv6Header.Length;
        foreach (var x in new IPv6ExtensionReader(frame[start..offset], f.IPv6!.Value.NextHeader ?? 0, start))
        {
            announcer = x.Offset;
        }

        return announcer;
    }
}
