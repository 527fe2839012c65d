using System.Buffers.Binary;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Wire.Protocols;

/// <summary>
/// An IPv4 header (RFC 791). Fields left null are computed when building (<see cref="Ihl"/>, <see cref="TotalLength"/>,
/// <see cref="Checksum"/>, <see cref="Protocol"/> from the payload) or take their usual default (<see cref="Version"/> 4,
/// <see cref="Ttl"/> 64); a value that is set is sent exactly as set, even when it is wrong. A parsed header has every
/// field set.
/// </summary>
public record struct IPv4Header
{
    public const int MinLength = 20;

    public IPv4Address Source { get; set; }
    public IPv4Address Destination { get; set; }
    public byte? Version { get; set; }

    /// <summary>Header length in 32-bit words (5 to 15).</summary>
    public byte? Ihl { get; set; }

    /// <summary>The whole second byte: DSCP (upper 6 bits) and ECN (lower 2).</summary>
    public byte Tos { get; set; }
    public ushort? TotalLength { get; set; }
    public ushort Id { get; set; }

    /// <summary>The reserved (evil) bit.</summary>
    public bool ReservedFlag { get; set; }
    public bool DontFragment { get; set; }
    public bool MoreFragments { get; set; }

    /// <summary>Fragment offset in units of 8 bytes (13 bits).</summary>
    public ushort FragmentOffset { get; set; }
    public byte? Ttl { get; set; }
    public byte? Protocol { get; set; }
    public ushort? Checksum { get; set; }

    /// <summary>Option bytes as sent (padded with zeros to a multiple of 4 when built).</summary>
    public ReadOnlyMemory<byte> Options { get; set; }

    public readonly byte Dscp => (byte)(Tos >> 2);
    public readonly byte Ecn => (byte)(Tos & 3);
    public readonly int OptionsPaddedLength => (Options.Length + 3) & ~3;
    public readonly int HeaderLength => Ihl is { } ihl ? ihl * 4 : MinLength + OptionsPaddedLength;

    /// <summary>The 16-bit flags + fragment offset word.</summary>
    public readonly ushort FlagsAndOffset =>
        (ushort)((ReservedFlag ? 0x8000 : 0) | (DontFragment ? 0x4000 : 0) | (MoreFragments ? 0x2000 : 0) | (FragmentOffset & 0x1FFF));

    /// <summary>
    /// Writes the header (with options) into <paramref name="d"/>, which must hold <c>20 + padded options</c> bytes,
    /// computing what is unset for a payload of <paramref name="payloadLength"/> bytes of <paramref name="protocol"/>.
    /// Returns the number of bytes written.
    /// </summary>
    public readonly int Write(Span<byte> d, int payloadLength, byte protocol)
    {
        var written = MinLength + OptionsPaddedLength;
        d[0] = (byte)(((Version ?? 4) << 4) | ((Ihl ?? (written / 4)) & 0xF));
        d[1] = Tos;
        BinaryPrimitives.WriteUInt16BigEndian(d[2..], TotalLength ?? (ushort)(written + payloadLength));
        BinaryPrimitives.WriteUInt16BigEndian(d[4..], Id);
        BinaryPrimitives.WriteUInt16BigEndian(d[6..], FlagsAndOffset);
        d[8] = Ttl ?? 64;
        d[9] = Protocol ?? protocol;
        d[10] = 0;
        d[11] = 0;
        Source.Write(d[12..]);
        Destination.Write(d[16..]);
        if (!Options.IsEmpty)
        {
            Options.Span.CopyTo(d[MinLength..]);
            d[(MinLength + Options.Length)..written].Clear();
        }

        BinaryPrimitives.WriteUInt16BigEndian(d[10..], Checksum ?? Primitives.Checksum.Compute(d[..written]));
        return written;
    }

    /// <summary>Reads the fixed 20 bytes; options are attached by the parser, which has checked the lengths.</summary>
    /// <summary>Whether <paramref name="bytes"/> start with a whole IPv4 header (version 4, a header length that fits)
    /// whose checksum is good: how bytes that begin at the IP header (tcpdump -x) are told from a frame that begins with
    /// a link header, which passes this test only by a 1-in-65536 chance on top of its first byte.</summary>
    public static bool StartsWithValidHeader(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length < MinLength || bytes[0] >> 4 != 4)
        {
            return false;
        }

        var length = (bytes[0] & 0x0f) * 4;
        return length >= MinLength && bytes.Length >= length && Primitives.Checksum.Verify(bytes[..length]) == ChecksumVerdict.Good;
    }

    public static IPv4Header ReadFixed(ReadOnlySpan<byte> s)
    {
        var fo = BinaryPrimitives.ReadUInt16BigEndian(s[6..]);
        return new IPv4Header
        {
            Version = (byte)(s[0] >> 4),
            Ihl = (byte)(s[0] & 0xF),
            Tos = s[1],
            TotalLength = BinaryPrimitives.ReadUInt16BigEndian(s[2..]),
            Id = BinaryPrimitives.ReadUInt16BigEndian(s[4..]),
            ReservedFlag = (fo & 0x8000) != 0,
            DontFragment = (fo & 0x4000) != 0,
            MoreFragments = (fo & 0x2000) != 0,
            FragmentOffset = (ushort)(fo & 0x1FFF),
            Ttl = s[8],
            Protocol = s[9],
            Checksum = BinaryPrimitives.ReadUInt16BigEndian(s[10..]),
            Source = IPv4Address.Read(s[12..]),
            Destination = IPv4Address.Read(s[16..]),
        };
    }
}
