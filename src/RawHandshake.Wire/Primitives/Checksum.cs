using System.Buffers.Binary;
using System.Runtime.CompilerServices;

namespace RawHandshake.Wire.Primitives;

/// <summary>The Internet checksum of RFC 1071, with the TCP/UDP pseudo-header of RFC 9293 §3.1.</summary>
public static class Checksum
{
    /// <summary>Adds <paramref name="data"/> as big-endian 16-bit words to a running 32-bit (unfolded) sum.</summary>
    public static ulong Add(ulong sum, ReadOnlySpan<byte> data)
    {
        // Sum 32-bit big-endian words into a 64-bit accumulator: carries are folded at the end (RFC 1071 §2(B)).
        var i = 0;
        for (; i + 4 <= data.Length; i += 4)
        {
            sum += BinaryPrimitives.ReadUInt32BigEndian(data[i..]);
        }

        if (i + 2 <= data.Length)
        {
            sum += (ulong)BinaryPrimitives.ReadUInt16BigEndian(data[i..]) << 16;
            i += 2;
            if (i < data.Length)
            {
                sum += (ulong)data[i] << 8;
            }
        }
        else if (i < data.Length)
        {
            sum += (ulong)data[i] << 24;
        }

        return sum;
    }

    /// <summary>Folds a running sum into 16 bits (not inverted).</summary>
    public static ushort Fold(ulong sum)
    {
        sum = (sum & 0xFFFF_FFFF) + (sum >> 32);
        sum = (sum & 0xFFFF_FFFF) + (sum >> 32);
        var s = (uint)sum;
        s = (s & 0xFFFF) + (s >> 16);
        s = (s & 0xFFFF) + (s >> 16);
        return (ushort)s;
    }

    /// <summary>The checksum to put in a header: the one's complement of the folded sum.</summary>
    public static ushort Compute(ReadOnlySpan<byte> data) => (ushort)~Fold(Add(0, data));

    /// <summary>
    /// RFC 1624 eqn. 3: the checksum <paramref name="checksum"/> after one 16-bit word of the data it covers changed from
    /// <paramref name="oldWord"/> to <paramref name="newWord"/>: <c>HC' = ~(~HC + ~m + m')</c>, without summing the rest
    /// again. Equal to a full recomputation whenever the data is not all zeros (a real header never is); a checksum that
    /// was wrong stays wrong by the same amount.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)] // a few instructions, per frame on the high-rate probe path
    public static ushort Update(ushort checksum, ushort oldWord, ushort newWord)
    {
        var sum = (uint)(ushort)~checksum + (ushort)~oldWord + newWord;
        sum = (sum & 0xFFFF) + (sum >> 16);
        sum = (sum & 0xFFFF) + (sum >> 16);
        return (ushort)~sum;
    }

    /// <summary>RFC 1624 for a 32-bit field (two words), e.g. a sequence number or an address.</summary>
    public static ushort Update(ushort checksum, uint oldValue, uint newValue) =>
        Update(Update(checksum, (ushort)(oldValue >> 16), (ushort)(newValue >> 16)), (ushort)oldValue, (ushort)newValue);

    /// <summary>
    /// Rewrites the big-endian 16-bit word at <paramref name="offset"/> of <paramref name="data"/> and updates the
    /// checksum stored at <paramref name="checksumOffset"/> (of the same span) to match (RFC 1624). The word must sit at
    /// an even distance from the start of what the checksum covers, as every header field of IPv4, TCP, UDP and ICMP does.
    /// </summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Patch16(Span<byte> data, int offset, ushort value, int checksumOffset)
    {
        var old = BinaryPrimitives.ReadUInt16BigEndian(data[offset..]);
        BinaryPrimitives.WriteUInt16BigEndian(data[offset..], value);
        var field = data[checksumOffset..];
        BinaryPrimitives.WriteUInt16BigEndian(field, Update(BinaryPrimitives.ReadUInt16BigEndian(field), old, value));
    }

    /// <summary>As <see cref="Patch16"/> for a 32-bit field (a sequence number, an address).</summary>
    public static void Patch32(Span<byte> data, int offset, uint value, int checksumOffset)
    {
        var old = BinaryPrimitives.ReadUInt32BigEndian(data[offset..]);
        BinaryPrimitives.WriteUInt32BigEndian(data[offset..], value);
        var field = data[checksumOffset..];
        BinaryPrimitives.WriteUInt16BigEndian(field, Update(BinaryPrimitives.ReadUInt16BigEndian(field), old, value));
    }

    /// <summary>The pseudo-header sum (source, destination, zero, protocol, transport length).</summary>
    public static ulong PseudoHeader(IPv4Address source, IPv4Address destination, byte protocol, int transportLength) =>
        (ulong)source.Value + destination.Value + protocol + (uint)(ushort)transportLength;

    /// <summary>The TCP/UDP checksum over the pseudo-header and the transport segment (checksum field zero or included as is).</summary>
    public static ushort ComputeTransport(IPv4Address source, IPv4Address destination, byte protocol, ReadOnlySpan<byte> segment) =>
        (ushort)~Fold(Add(PseudoHeader(source, destination, protocol, segment.Length), segment));

    /// <summary>
    /// Verdict on a transport checksum in place: good when the whole sum folds to 0xFFFF; offload when the field holds
    /// the un-inverted pseudo-header sum (Linux CHECKSUM_PARTIAL frames captured before the NIC/veth filled it in).
    /// </summary>
    public static ChecksumVerdict VerifyTransport(IPv4Address source, IPv4Address destination, byte protocol, ReadOnlySpan<byte> segment, int checksumOffset) =>
        VerifyWithPseudo(PseudoHeader(source, destination, protocol, segment.Length), segment, checksumOffset);

    private static ChecksumVerdict VerifyWithPseudo(ulong pseudo, ReadOnlySpan<byte> segment, int checksumOffset)
    {
        if (segment.Length < checksumOffset + 2)
        {
            return ChecksumVerdict.Unverified;
        }

        var field = BinaryPrimitives.ReadUInt16BigEndian(segment[checksumOffset..]);
        if (Fold(Add(pseudo, segment)) == 0xFFFF)
        {
            return ChecksumVerdict.Good;
        }

        return field == Fold(pseudo) ? ChecksumVerdict.Offload : ChecksumVerdict.Bad;
    }

    /// <summary>The IPv6 pseudo-header sum of RFC 8200 §8.1 (source, destination, 32-bit upper-layer length, next header).</summary>
    public static ulong PseudoHeader(IPv6Address source, IPv6Address destination, byte nextHeader, int upperLayerLength) =>
        source.WordSum + destination.WordSum + (uint)upperLayerLength + nextHeader;

    /// <summary>The TCP/UDP/ICMPv6 checksum over the IPv6 pseudo-header and the upper-layer packet.</summary>
    public static ushort ComputeTransport(IPv6Address source, IPv6Address destination, byte nextHeader, ReadOnlySpan<byte> segment) =>
        (ushort)~Fold(Add(PseudoHeader(source, destination, nextHeader, segment.Length), segment));

    /// <summary>As the IPv4 <see cref="VerifyTransport(IPv4Address, IPv4Address, byte, ReadOnlySpan{byte}, int)"/>, over the IPv6 pseudo-header.</summary>
    public static ChecksumVerdict VerifyTransport(IPv6Address source, IPv6Address destination, byte nextHeader, ReadOnlySpan<byte> segment, int checksumOffset) =>
        VerifyWithPseudo(PseudoHeader(source, destination, nextHeader, segment.Length), segment, checksumOffset);

    /// <summary>Verdict on a header checksum (IPv4, ICMP) over <paramref name="data"/> including its checksum field.</summary>
    public static ChecksumVerdict Verify(ReadOnlySpan<byte> data) =>
        Fold(Add(0, data)) == 0xFFFF ? ChecksumVerdict.Good : ChecksumVerdict.Bad;
}
