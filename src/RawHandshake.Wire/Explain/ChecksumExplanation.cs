using System.Buffers.Binary;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Wire.Explain;

/// <summary>Where a 16-bit word of a checksum computation comes from.</summary>
public enum ChecksumWordSource
{
    /// <summary>The TCP/UDP pseudo-header (RFC 9293 §3.1): not on the wire in this header, built from the IP header.</summary>
    PseudoHeader,

    /// <summary>The header the checksum protects.</summary>
    Header,

    /// <summary>The data after the header (TCP/UDP payload, ICMP data).</summary>
    Payload,
}

/// <summary>
/// One step of RFC 1071's sum: a 16-bit word added to the running sum, and the end-around carry folded back in when the
/// addition overflowed 16 bits.
/// </summary>
/// <param name="Offset">Byte offset of the word in the frame; null for pseudo-header words.</param>
/// <param name="Word">The word as added (the checksum field's own word is added as 0).</param>
/// <param name="Field">What the word holds, e.g. "TTL 64, protocol 6 (TCP)".</param>
/// <param name="SumBefore">The 16-bit running sum before this word.</param>
/// <param name="Carry">The addition overflowed: the 17th bit was added back in at the bottom.</param>
/// <param name="SumAfter">The 16-bit running sum after this word and its carry.</param>
public readonly record struct ChecksumWord(int? Offset, ushort Word, string Field, ChecksumWordSource Source, ushort SumBefore, bool Carry, ushort SumAfter);

/// <summary>
/// One checksum of a frame worked through step by step: every word that goes into it, the folded sum, its one's
/// complement (the value the field should hold), what the field holds, and the verdict as <c>dissect</c> gives it.
/// </summary>
public sealed record ChecksumExplanation(
    string Name,
    int FieldOffset,
    ushort Field,
    IReadOnlyList<ChecksumWord> Words,
    ushort Sum,
    ushort Correct,
    ChecksumVerdict Verdict,
    ushort? PseudoHeaderSum,
    string? Note)
{
    /// <summary>Carries folded back in over the whole computation.</summary>
    public int Carries => Words.Count(w => w.Carry);
}

/// <summary>Works out the checksums of a parsed frame (IPv4 header; TCP, UDP or ICMP) as <see cref="ChecksumExplanation"/>s.</summary>
public static class ChecksumExplainer
{
    /// <summary>Every checksum the frame carries that can be worked through; empty when it has none (ARP, IPv6, a cut header).</summary>
    public static IReadOnlyList<ChecksumExplanation> Explain(ReadOnlySpan<byte> frame, in ParsedFrame parsed)
    {
        var list = new List<ChecksumExplanation>();
        if (parsed.IPv4 is not { } ip || parsed.NetworkOffset + ip.HeaderLength > frame.Length || ip.HeaderLength < IPv4Header.MinLength)
        {
            return list;
        }

        list.Add(IpHeader(frame, parsed.NetworkOffset, ip));
        if (parsed.IpTruncated || ip.MoreFragments || ip.FragmentOffset != 0)
        {
            return list; // the transport checksum covers the whole datagram: a cut or fragmented one cannot be worked through
        }

        var at = parsed.IpPayloadOffset;
        var segment = frame.Slice(at, parsed.IpPayloadLength);
        if (parsed.Tcp is not null && parsed.PayloadOffset > at)
        {
            list.Add(Transport(frame, at, segment, ip, IpProtocol.Tcp, 16, parsed.PayloadOffset - at, TcpField));
        }
        else if (parsed.Udp is not null && segment.Length >= UdpHeader.HeaderLength)
        {
            list.Add(Transport(frame, at, segment, ip, IpProtocol.Udp, 6, UdpHeader.HeaderLength, UdpField));
        }
        else if (parsed.Icmp is not null && segment.Length >= IcmpHeader.HeaderLength)
        {
            list.Add(Icmp(frame, at, segment));
        }

        return list;
    }

    private static ChecksumExplanation IpHeader(ReadOnlySpan<byte> frame, int at, IPv4Header ip)
    {
        var header = frame.Slice(at, ip.HeaderLength);
        var words = new List<ChecksumWord>();
        ushort sum = 0;
        for (var i = 0; i < header.Length; i += 2)
        {
            var word = i == 10 ? (ushort)0 : BinaryPrimitives.ReadUInt16BigEndian(header[i..]);
            sum = Add(words, sum, at + i, word, IpField(header, i), ChecksumWordSource.Header);
        }

        var field = BinaryPrimitives.ReadUInt16BigEndian(header[10..]);
        return Finish("IPv4 header checksum", at + 10, field, words, sum, Checksum.Verify(header), null,
            $"covers the IPv4 header only ({ip.HeaderLength} bytes), not the data");
    }

    private static ChecksumExplanation Transport(ReadOnlySpan<byte> frame, int at, ReadOnlySpan<byte> segment, IPv4Header ip, IpProtocol proto,
        int checksumAt, int headerLength, Func<ReadOnlySpan<byte>, int, string> label)
    {
        var words = new List<ChecksumWord>();
        ushort sum = 0;
        var name = proto == IpProtocol.Tcp ? "TCP" : "UDP";
        sum = Add(words, sum, null, (ushort)(ip.Source.Value >> 16), $"source address {ip.Source} (high half)", ChecksumWordSource.PseudoHeader);
        sum = Add(words, sum, null, (ushort)ip.Source.Value, $"source address {ip.Source} (low half)", ChecksumWordSource.PseudoHeader);
        sum = Add(words, sum, null, (ushort)(ip.Destination.Value >> 16), $"destination address {ip.Destination} (high half)", ChecksumWordSource.PseudoHeader);
        sum = Add(words, sum, null, (ushort)ip.Destination.Value, $"destination address {ip.Destination} (low half)", ChecksumWordSource.PseudoHeader);
        sum = Add(words, sum, null, (ushort)proto, $"zero byte, protocol {(byte)proto} ({name})", ChecksumWordSource.PseudoHeader);
        sum = Add(words, sum, null, (ushort)segment.Length, $"{name} length {segment.Length} (header + data)", ChecksumWordSource.PseudoHeader);
        sum = Words(words, sum, frame, at, segment, checksumAt, headerLength, label);

        var field = BinaryPrimitives.ReadUInt16BigEndian(segment[checksumAt..]);
        var pseudo = Checksum.Fold(Checksum.PseudoHeader(ip.Source, ip.Destination, (byte)proto, segment.Length));
        if (proto == IpProtocol.Udp && field == 0)
        {
            return new ChecksumExplanation("UDP checksum", at + checksumAt, field, words, sum, Complement(sum), ChecksumVerdict.Unverified, pseudo,
                "a UDP checksum of 0 means the sender computed none (RFC 768): nothing to verify");
        }

        var verdict = Checksum.VerifyTransport(ip.Source, ip.Destination, (byte)proto, segment, checksumAt);
        return Finish($"{name} checksum", at + checksumAt, field, words, sum, verdict, pseudo,
            $"covers a pseudo-header built from the IP header, then the {name} header and its data ({segment.Length} bytes)");
    }

    private static ChecksumExplanation Icmp(ReadOnlySpan<byte> frame, int at, ReadOnlySpan<byte> message)
    {
        var words = new List<ChecksumWord>();
        var sum = Words(words, 0, frame, at, message, 2, 8, IcmpField);
        var field = BinaryPrimitives.ReadUInt16BigEndian(message[2..]);
        return Finish("ICMP checksum", at + 2, field, words, sum, Checksum.Verify(message), null,
            $"covers the whole ICMP message ({message.Length} bytes), no pseudo-header");
    }

    /// <summary>The header's and the data's words; the checksum field's own word is added as 0; an odd last byte is padded with 0.</summary>
    private static ushort Words(List<ChecksumWord> words, ushort sum, ReadOnlySpan<byte> frame, int at, ReadOnlySpan<byte> segment, int checksumAt,
        int headerLength, Func<ReadOnlySpan<byte>, int, string> label)
    {
        for (var i = 0; i < segment.Length; i += 2)
        {
            var odd = i + 1 == segment.Length;
            var word = i == checksumAt ? (ushort)0 : odd ? (ushort)(segment[i] << 8) : BinaryPrimitives.ReadUInt16BigEndian(segment[i..]);
            var source = i < headerLength ? ChecksumWordSource.Header : ChecksumWordSource.Payload;
            var what = source == ChecksumWordSource.Header ? label(segment, i) : odd ? "data (last byte, padded with 0x00)" : "data";
            sum = Add(words, sum, at + i, word, what, source);
        }

        return sum;
    }

    private static ChecksumExplanation Finish(string name, int fieldOffset, ushort field, List<ChecksumWord> words, ushort sum, ChecksumVerdict verdict,
        ushort? pseudo, string covers)
    {
        var note = verdict switch
        {
            ChecksumVerdict.Offload =>
                $"the field holds 0x{pseudo:x4}, the pseudo-header sum not yet inverted: the sender's kernel left the checksum to the NIC " +
                "(transmit checksum offload, also on veth) and this copy was captured before it was filled in; not an error on the wire",
            _ => covers,
        };
        return new ChecksumExplanation(name, fieldOffset, field, words, sum, Complement(sum), verdict, pseudo, note);
    }

    /// <summary>One's complement of the sum. A sum of 0xffff gives 0x0000; RFC 1624 notes 0xffff would be as good (both are zero).</summary>
    private static ushort Complement(ushort sum) => (ushort)~sum;

    private static ushort Add(List<ChecksumWord> words, ushort sum, int? offset, ushort word, string field, ChecksumWordSource source)
    {
        var total = (uint)sum + word;
        var carry = total > 0xFFFF;
        var after = (ushort)(carry ? (total & 0xFFFF) + 1 : total);
        words.Add(new ChecksumWord(offset, word, field, source, sum, carry, after));
        return after;
    }

    private static string IpField(ReadOnlySpan<byte> h, int i) => i switch
    {
        0 => $"version {h[0] >> 4}, header length {h[0] & 0xF} (x4 = {(h[0] & 0xF) * 4} bytes), DSCP {h[1] >> 2}, ECN {h[1] & 3}",
        2 => $"total length {BinaryPrimitives.ReadUInt16BigEndian(h[2..])}",
        4 => $"identification 0x{BinaryPrimitives.ReadUInt16BigEndian(h[4..]):x4}",
        6 => $"flags{((h[6] & 0x40) != 0 ? " DF" : "")}{((h[6] & 0x20) != 0 ? " MF" : "")}{((h[6] & 0x80) != 0 ? " evil" : "")}, fragment offset {BinaryPrimitives.ReadUInt16BigEndian(h[6..]) & 0x1FFF}",
        8 => $"TTL {h[8]}, protocol {h[9]}{ProtocolName(h[9])}",
        10 => "header checksum (counted as 0)",
        12 => $"source address {h[12]}.{h[13]} (high half)",
        14 => $"source address {h[14]}.{h[15]} (low half)",
        16 => $"destination address {h[16]}.{h[17]} (high half)",
        18 => $"destination address {h[18]}.{h[19]} (low half)",
        _ => "options",
    };

    private static string ProtocolName(byte p) => p switch
    {
        1 => " (ICMP)",
        6 => " (TCP)",
        17 => " (UDP)",
        _ => "",
    };

    private static string TcpField(ReadOnlySpan<byte> s, int i) => i switch
    {
        0 => $"source port {BinaryPrimitives.ReadUInt16BigEndian(s)}",
        2 => $"destination port {BinaryPrimitives.ReadUInt16BigEndian(s[2..])}",
        4 => $"sequence number {BinaryPrimitives.ReadUInt32BigEndian(s[4..])} (high half)",
        6 => "sequence number (low half)",
        8 => $"acknowledgment number {BinaryPrimitives.ReadUInt32BigEndian(s[8..])} (high half)",
        10 => "acknowledgment number (low half)",
        12 => $"data offset {s[12] >> 4} (x4 = {(s[12] >> 4) * 4} bytes), flags {((TcpFlags)(BinaryPrimitives.ReadUInt16BigEndian(s[12..]) & 0x1FF)).ToWireshark()}",
        14 => $"window {BinaryPrimitives.ReadUInt16BigEndian(s[14..])}",
        16 => "checksum (counted as 0)",
        18 => $"urgent pointer {BinaryPrimitives.ReadUInt16BigEndian(s[18..])}",
        _ => "options",
    };

    private static string UdpField(ReadOnlySpan<byte> s, int i) => i switch
    {
        0 => $"source port {BinaryPrimitives.ReadUInt16BigEndian(s)}",
        2 => $"destination port {BinaryPrimitives.ReadUInt16BigEndian(s[2..])}",
        4 => $"length {BinaryPrimitives.ReadUInt16BigEndian(s[4..])}",
        _ => "checksum (counted as 0)",
    };

    private static string IcmpField(ReadOnlySpan<byte> s, int i) => i switch
    {
        0 => $"type {s[0]}, code {s[1]}",
        2 => "checksum (counted as 0)",
        _ => "rest of header (identifier, sequence, or unused/MTU)",
    };
}
