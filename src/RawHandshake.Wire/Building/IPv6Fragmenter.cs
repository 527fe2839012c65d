using System.Buffers.Binary;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Wire.Building;

/// <summary>
/// Splits an IPv6 packet into fragments (RFC 8200 §4.5, Scapy's <c>fragment6()</c>). The unfragmentable part is the
/// IPv6 header and the headers routers read: hop-by-hop, and up to a routing header (destination options before it
/// included). Each fragment carries it (payload length of its own, the header before the fragment header announcing
/// 44), then a fragment header (the next header of the fragmentable part, the offset in 8-byte units, M, one
/// identification for all), then at most <c>size</c> bytes of the fragmentable part, cut by <see cref="FragmentPieces"/>;
/// the first fragment holds at least the whole header chain up to and including the TCP, UDP or ICMPv6 header (RFC 8200
/// §4.5 "must"; Linux drops a first fragment without it), so it may carry more than <c>size</c>.
/// A packet that has a fragment header already is cut after it, keeping its identification, offset and last M flag,
/// so a fragment can be fragmented again and <c>--ext frag=0:0:ID</c> chooses where the header goes and its ID.
/// </summary>
public static class IPv6Fragmenter
{
    /// <summary>
    /// The fragments of <paramref name="frame"/>; the frame itself when its fragmentable part fits in one and it has no
    /// fragment header. <paramref name="identification"/> goes into a new fragment header. <paramref name="error"/> says
    /// why not when the frame is no whole IPv6 packet with readable extension headers or <paramref name="size"/> is below 8.
    /// </summary>
    public static List<byte[]>? TrySplit(ReadOnlySpan<byte> frame, LinkType link, int size, uint identification, out string? error)
    {
        error = FragmentPieces.SizeError(size);
        if (error is not null)
        {
            return null;
        }

        var f = FrameParser.Parse(frame, link);
        if (f.IPv6 is not { } ip || f.IpTruncated || ip.PayloadLength is null or 0)
        {
            error = "only a whole IPv6 packet can be fragmented (not a cut-off capture or a jumbogram)";
            return null;
        }

        var at = f.NetworkOffset;
        var end = at + IPv6Header.Length + ip.PayloadLength.Value;
        if (Split(frame[at..end], ip.NextHeader ?? 0, identification, out error) is not { } s)
        {
            return null;
        }

        var fragmentable = frame[(at + s.FragmentableAt)..end];
        var chain = s.FirstUnit == 0 ? Math.Min(fragmentable.Length, f.IpPayloadOffset + UpperHeaderLength(f) - at - s.FragmentableAt) : 0;
        if (FragmentPieces.TryCut(fragmentable.Length, size, s.FirstUnit, out error, chain) is not { } pieces)
        {
            return null;
        }

        if (pieces.Count == 1 && !s.HadHeader)
        {
            return [frame.ToArray()];
        }

        var head = at + s.UnfragmentableLength; // the link header and the unfragmentable part
        var fragments = new List<byte[]>();
        foreach (var piece in pieces)
        {
            var bytes = new byte[head + 8 + piece.Length];
            frame[..head].CopyTo(bytes);
            var b = bytes.AsSpan();
            BinaryPrimitives.WriteUInt16BigEndian(b[(at + 4)..], (ushort)(s.UnfragmentableLength - IPv6Header.Length + 8 + piece.Length));
            b[at + s.AnnouncedAt] = IPv6ExtensionHeader.Fragment;
            IPv6ExtensionHeader.FragmentHeader(piece.Units, !piece.Last || s.LastMore, s.Identification).Write(b[head..], s.FirstFragmentable);
            fragmentable.Slice(piece.Offset, piece.Length).CopyTo(b[(head + 8)..]);
            fragments.Add(bytes);
        }

        return fragments;
    }

    /// <summary>The upper-layer header a first fragment must hold whole (RFC 8200 §4.5; Linux checks these lengths).</summary>
    private static int UpperHeaderLength(in ParsedFrame f) =>
        f.Tcp is { } tcp ? (tcp.DataOffset ?? 5) * 4 : f.Udp is not null ? UdpHeader.HeaderLength : f.Icmpv6 is not null ? 8 : 0;

    /// <summary>Where a packet splits (offsets from the IPv6 header's first byte).</summary>
    /// <param name="UnfragmentableLength">The IPv6 header and the extension headers every fragment repeats.</param>
    /// <param name="AnnouncedAt">The next-header field that announces what follows the unfragmentable part.</param>
    /// <param name="FirstFragmentable">The type of the first header of the fragmentable part.</param>
    /// <param name="FragmentableAt">Where the fragmentable part starts (after an existing fragment header).</param>
    /// <param name="HadHeader">The packet had a fragment header (its values are the ones below).</param>
    private readonly record struct SplitPoint(int UnfragmentableLength, int AnnouncedAt, byte FirstFragmentable, int FragmentableAt, bool HadHeader, uint Identification, int FirstUnit, bool LastMore);

    /// <summary>RFC 8200 §4.5's unfragmentable part of <paramref name="packet"/> (IPv6 header first), or an existing fragment header.</summary>
    private static SplitPoint? Split(ReadOnlySpan<byte> packet, byte first, uint identification, out string? error)
    {
        error = null;
        var split = new SplitPoint(IPv6Header.Length, 6, first, IPv6Header.Length, false, identification, 0, false);
        var routersRead = true; // still among the headers routers read (hop-by-hop first, destination options, routing)
        var announcer = 6;      // the next-header field that announces the current header
        var e = new IPv6ExtensionReader(packet[IPv6Header.Length..], first, IPv6Header.Length).GetEnumerator();
        while (e.MoveNext())
        {
            var x = e.Current;
            if (x.Type == IPv6ExtensionHeader.Fragment)
            {
                var w = BinaryPrimitives.ReadUInt16BigEndian(packet[(x.Offset + 2)..]);
                var id = BinaryPrimitives.ReadUInt32BigEndian(packet[(x.Offset + 4)..]);
                return new SplitPoint(x.Offset, announcer, x.NextHeader, x.Offset + 8, true, id, w >> 3, (w & 1) != 0);
            }

            routersRead &= x.Type == IPv6ExtensionHeader.Routing || x.Type == IPv6ExtensionHeader.DestinationOptions
                || (x.Type == IPv6ExtensionHeader.HopByHop && x.Offset == IPv6Header.Length);
            if (routersRead && x.Type is IPv6ExtensionHeader.HopByHop or IPv6ExtensionHeader.Routing)
            {
                var after = x.Offset + x.Length;
                split = split with { UnfragmentableLength = after, AnnouncedAt = x.Offset, FirstFragmentable = x.NextHeader, FragmentableAt = after };
            }

            announcer = x.Offset;
        }

        if (e.Malformed is { } why)
        {
            error = why;
            return null;
        }

        return split;
    }
}
