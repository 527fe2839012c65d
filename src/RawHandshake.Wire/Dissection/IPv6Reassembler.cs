using System.Buffers.Binary;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Wire.Dissection;

/// <summary>
/// IPv6 reassembly over a capture (RFC 8200 §4.5, keyed by source, destination and identification), as
/// <see cref="IPv4Reassembler"/> does for IPv4. The datagram it gives keeps the first fragment's headers with the
/// fragment header turned atomic (offset 0, M clear) and the payload length of the whole, so it parses as one packet.
/// </summary>
public sealed class IPv6Reassembler
{
    private sealed class Pending
    {
        public readonly List<(int Offset, byte[] Data, int Frame)> Parts = [];
        public byte[]? Head;       // link + IPv6 header + extension headers up to the end of the fragment header
        public int NetworkOffset;
        public int FragmentHeader; // offset of the fragment header in Head
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
            p.Head = frame[..dataAt].ToArray();
            p.NetworkOffset = f.NetworkOffset;
            p.FragmentHeader = frag.HeaderOffset;
        }

        if (!frag.More)
        {
            p.Total = offset + (end - dataAt);
        }

        if (p.Head is null || p.Total is not { } total || IPv4Reassembler.Join(p.Parts, p.Head, total) is not { } bytes)
        {
            return null;
        }

        var payloadLength = p.Head.Length - p.NetworkOffset - 40 + total;
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(p.NetworkOffset + 4), (ushort)Math.Min(65535, payloadLength));
        BinaryPrimitives.WriteUInt16BigEndian(bytes.AsSpan(p.FragmentHeader + 2), 0);
        pending.Remove(key);
        return new ReassembledDatagram(bytes, FrameParser.Parse(bytes, link), IPv4Reassembler.Order(p.Parts));
    }
}
