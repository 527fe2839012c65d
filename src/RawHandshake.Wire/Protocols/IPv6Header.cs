using System.Buffers.Binary;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Wire.Protocols;

/// <summary>
/// An IPv6 header (RFC 8200 §3) with the extension headers that follow it. Fields left null are computed when building
/// (<see cref="PayloadLength"/>; <see cref="NextHeader"/> from the first extension header or the payload) or take their
/// usual default (<see cref="Version"/> 6, <see cref="HopLimit"/> 64); a value that is set is sent exactly as set, even
/// when it is wrong. A parsed header has every fixed field set and no <see cref="Extensions"/> (the parser reports them
/// by offset: see <see cref="IPv6ExtensionReader"/>).
/// </summary>
public record struct IPv6Header
{
    public const int Length = 40;

    public IPv6Address Source { get; set; }
    public IPv6Address Destination { get; set; }
    public byte? Version { get; set; }

    /// <summary>DSCP (upper 6 bits) and ECN (lower 2), as IPv4's TOS byte.</summary>
    public byte TrafficClass { get; set; }

    /// <summary>20 bits.</summary>
    public uint FlowLabel { get; set; }
    public ushort? PayloadLength { get; set; }
    public byte? NextHeader { get; set; }
    public byte? HopLimit { get; set; }

    /// <summary>Extension headers to send, in order (the builder chains their next-header fields).</summary>
    public IReadOnlyList<IPv6ExtensionHeader>? Extensions { get; set; }

    public readonly byte Dscp => (byte)(TrafficClass >> 2);
    public readonly byte Ecn => (byte)(TrafficClass & 3);

    /// <summary>Bytes the extension headers take on the wire.</summary>
    public readonly int ExtensionsLength
    {
        get
        {
            var n = 0;
            if (Extensions is { } list)
            {
                foreach (var e in list)
                {
                    n += e.WireLength;
                }
            }

            return n;
        }
    }

    /// <summary>40 bytes plus the extension headers.</summary>
    public readonly int HeaderLength => Length + ExtensionsLength;

    /// <summary>
    /// Writes the fixed header and the extension headers into <paramref name="d"/> for an upper-layer packet of
    /// <paramref name="upperLength"/> bytes of protocol <paramref name="protocol"/>; returns <see cref="HeaderLength"/>.
    /// </summary>
    public readonly int Write(Span<byte> d, int upperLength, byte protocol)
    {
        var written = HeaderLength;
        var first = Extensions is { Count: > 0 } ex ? ex[0].Type : protocol;
        BinaryPrimitives.WriteUInt32BigEndian(d, ((uint)(Version ?? 6) << 28) | ((uint)TrafficClass << 20) | (FlowLabel & 0xF_FFFF));
        BinaryPrimitives.WriteUInt16BigEndian(d[4..], PayloadLength ?? (ushort)(written - Length + upperLength));
        d[6] = NextHeader ?? first;
        d[7] = HopLimit ?? 64;
        Source.Write(d[8..]);
        Destination.Write(d[24..]);
        if (Extensions is { } list)
        {
            var at = Length;
            for (var i = 0; i < list.Count; i++)
            {
                at += list[i].Write(d[at..], i + 1 < list.Count ? list[i + 1].Type : protocol);
            }
        }

        return written;
    }

    /// <summary>The destination the TCP/UDP/ICMPv6 pseudo-header uses: the final one when a routing header still has
    /// segments left (RFC 8200 §8.1), else <see cref="Destination"/>.</summary>
    public readonly IPv6Address PseudoDestination
    {
        get
        {
            if (Extensions is { } list)
            {
                foreach (var e in list)
                {
                    if (e.Type == IPv6ExtensionHeader.Routing && IPv6ExtensionHeader.FinalDestination(e.Body.Span) is { } final)
                    {
                        return final;
                    }
                }
            }

            return Destination;
        }
    }

    /// <summary>Reads the fixed 40 bytes.</summary>
    public static IPv6Header ReadFixed(ReadOnlySpan<byte> s)
    {
        var w = BinaryPrimitives.ReadUInt32BigEndian(s);
        return new IPv6Header
        {
            Version = (byte)(w >> 28),
            TrafficClass = (byte)(w >> 20),
            FlowLabel = w & 0xF_FFFF,
            PayloadLength = BinaryPrimitives.ReadUInt16BigEndian(s[4..]),
            NextHeader = s[6],
            HopLimit = s[7],
            Source = IPv6Address.Read(s[8..]),
            Destination = IPv6Address.Read(s[24..]),
        };
    }
}
