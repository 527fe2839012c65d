using System.Buffers.Binary;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Probe;

/// <summary>
/// The frames a probe sends, by index: a list given frame by frame, or one <see cref="FrameTemplate"/> whose
/// varying fields are patched in place. <see cref="Frame"/> returns a span valid until the next call.
/// </summary>
public abstract class ProbeFrames
{
    public abstract int Count { get; }

    public virtual LinkType LinkType => LinkType.Ethernet;

    /// <summary>The bytes of frame <paramref name="index"/>, valid until the next call.</summary>
    public abstract ReadOnlySpan<byte> Frame(int index);

    /// <summary>
    /// The one frame <paramref name="other"/> can belong to, found from the fields that differ from frame to frame
    /// (our port, IP ID, ICMP sequence), among the first <paramref name="sent"/>; -1 when none can; null when the fields
    /// cannot tell (then every frame sent is a candidate). <paramref name="fromOurSide"/>: <paramref name="other"/> goes
    /// the way our frames go (our kernel's), else it comes back.
    /// </summary>
    public virtual int? Candidate(in ParsedFrame other, bool fromOurSide, int sent) => null;

    /// <summary>What goes on the wire for frame <paramref name="index"/> when that is not the frame itself (its IP
    /// fragments); null when the frame goes as it is. <see cref="Frame"/> stays the whole datagram: replies answer it.</summary>
    public virtual IReadOnlyList<byte[]>? WirePieces(int index) => null;

    /// <summary>Every frame goes on the wire as it is (<see cref="WirePieces"/> is always null).</summary>
    public virtual bool Whole => true;

    /// <summary>The length every frame has, when they all have one (then <see cref="CopyFrames"/> lays them end to end
    /// for a batch); null when lengths differ.</summary>
    public virtual int? FixedLength => null;

    /// <summary>Frames <paramref name="first"/> to <paramref name="first"/> + <paramref name="count"/> − 1, end to end
    /// into <paramref name="into"/> (<see cref="FixedLength"/> bytes each).</summary>
    public void CopyFrames(Span<byte> into, int first, int count)
    {
        var length = FixedLength ?? throw new InvalidOperationException("frames of different lengths are not sent in batches");
        for (var k = 0; k < count; k++)
        {
            Frame(first + k).CopyTo(into.Slice(k * length, length));
        }
    }
}

/// <summary>
/// Each frame of <paramref name="inner"/> sent as the pieces <paramref name="split"/> makes of it (IP fragments: hping3
/// <c>-f</c>), given the frame and its index (a fragment identification per datagram). Replies are matched to the whole
/// datagram, which is what the target reassembles and answers; an ICMP error quotes a fragment's header and the first
/// bytes after it, so it maps to its frame through the first fragment, which carries the ports.
/// </summary>
public sealed class FragmentedFrames(ProbeFrames inner, Func<byte[], int, IReadOnlyList<byte[]>> split) : ProbeFrames
{
    public override int Count => inner.Count;

    public override LinkType LinkType => inner.LinkType;

    public override ReadOnlySpan<byte> Frame(int index) => inner.Frame(index);

    public override int? Candidate(in ParsedFrame other, bool fromOurSide, int sent) => inner.Candidate(other, fromOurSide, sent);

    public override IReadOnlyList<byte[]> WirePieces(int index) => split(inner.Frame(index).ToArray(), index);

    public override bool Whole => false;
}

/// <summary>Frames given one by one (sent in order).</summary>
public sealed class FrameList(IReadOnlyList<byte[]> frames) : ProbeFrames
{
    public override int Count => frames.Count;

    public override ReadOnlySpan<byte> Frame(int index) => frames[index];
}

/// <summary>Which fields of a <see cref="FrameTemplate"/> go up by one from frame to frame.</summary>
[Flags]
public enum TemplateVary
{
    None = 0,

    /// <summary>The TCP or UDP source port.</summary>
    SourcePort = 1,

    /// <summary>The IPv4 identification (IPv6 has none).</summary>
    IpId = 2,

    /// <summary>The ICMP or ICMPv6 echo sequence number.</summary>
    IcmpSequence = 4,
}

/// <summary>
/// One prebuilt frame sent <see cref="Count"/> times, with the fields in <see cref="Vary"/> going up by one per frame
/// (wrapping at 2^16), patched in place with the checksums updated incrementally (RFC 1624): no building, no summing
/// and no allocation per frame. A checksum set "as set" (a deliberately wrong one) is left as it is.
/// </summary>
public sealed class FrameTemplate : ProbeFrames
{
    private const int Unset = -1;
    private readonly byte[] buffer;
    private readonly int count;
    private readonly int ipAt = Unset;
    private readonly int portAt = Unset;
    private readonly int transportChecksumAt = Unset;
    private readonly int icmpSeqAt = Unset;
    private readonly bool ipChecksum;
    private readonly bool transportChecksum;

    /// <param name="frame">Frame 0, as built.</param>
    /// <param name="count">How many frames.</param>
    /// <param name="vary">The fields that go up per frame; those the frame does not have (a port in an ICMP message, a
    /// field beyond a malformed header) are left out of <see cref="Vary"/>.</param>
    /// <param name="ipChecksumAsSet">Leave the IPv4 checksum as it is in <paramref name="frame"/>.</param>
    /// <param name="transportChecksumAsSet">Leave the TCP/UDP/ICMP checksum as it is.</param>
    public FrameTemplate(ReadOnlySpan<byte> frame, int count, TemplateVary vary, bool ipChecksumAsSet = false, bool transportChecksumAsSet = false)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        buffer = frame.ToArray();
        this.count = count;
        ipChecksum = !ipChecksumAsSet;
        transportChecksum = !transportChecksumAsSet;
        var f = FrameParser.Parse(buffer);
        var applied = TemplateVary.None;
        var v4 = f.IPv4 is not null && f.NetworkOffset + IPv4Header.MinLength <= buffer.Length;
        if (v4 || f.IPv6 is not null)
        {
            if (f.IPv4 is { } ip && v4)
            {
                ipAt = f.NetworkOffset;
                BaseId = ip.Id;
                if ((vary & TemplateVary.IpId) != 0)
                {
                    applied |= TemplateVary.IpId; // IPv6 has no identification: its frames differ by port or echo sequence
                }
            }

            var t = f.TransportOffset;
            if ((f.Tcp is not null && t + TcpHeader.MinLength <= buffer.Length) || (f.Udp is not null && t + 8 <= buffer.Length))
            {
                portAt = t;
                transportChecksumAt = t + (f.Tcp is not null ? 16 : 6);
                BasePort = BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(t));
                if ((vary & TemplateVary.SourcePort) != 0)
                {
                    applied |= TemplateVary.SourcePort;
                }

                if (f.Udp is { Checksum: 0 })
                {
                    transportChecksum = false; // UDP without a checksum stays without one
                }
            }
            else if ((f.Icmp is { Type: IcmpHeader.EchoRequest or IcmpHeader.EchoReply } || f.Icmpv6 is { Type: Icmpv6Header.EchoRequest or Icmpv6Header.EchoReply })
                     && f.IpPayloadOffset + IcmpHeader.HeaderLength <= buffer.Length)
            {
                icmpSeqAt = f.IpPayloadOffset + 6;
                transportChecksumAt = f.IpPayloadOffset + 2;
                BaseIcmpSequence = BinaryPrimitives.ReadUInt16BigEndian(buffer.AsSpan(icmpSeqAt));
                if ((vary & TemplateVary.IcmpSequence) != 0)
                {
                    applied |= TemplateVary.IcmpSequence;
                }
            }
        }

        Vary = applied;
        Current = 0;
    }

    public override int Count => count;

    public override int? FixedLength => buffer.Length;

    /// <summary>The fields that really vary (those asked for that the frame has).</summary>
    public TemplateVary Vary { get; }

    public ushort BasePort { get; }
    public ushort BaseId { get; }
    public ushort BaseIcmpSequence { get; }

    /// <summary>The index the buffer holds now.</summary>
    private int Current { get; set; }

    /// <summary>Patches the buffer from the frame it holds to frame <paramref name="index"/> (a few words and two
    /// checksum updates) and returns it.</summary>
    public override ReadOnlySpan<byte> Frame(int index)
    {
        if (index != Current)
        {
            var span = buffer.AsSpan();
            if ((Vary & TemplateVary.IpId) != 0)
            {
                Set(span, ipAt + 4, (ushort)(BaseId + index), ipChecksum ? ipAt + 10 : Unset);
            }

            if ((Vary & TemplateVary.SourcePort) != 0)
            {
                Set(span, portAt, (ushort)(BasePort + index), transportChecksum ? transportChecksumAt : Unset);
            }

            if ((Vary & TemplateVary.IcmpSequence) != 0)
            {
                Set(span, icmpSeqAt, (ushort)(BaseIcmpSequence + index), transportChecksum ? transportChecksumAt : Unset);
            }

            Current = index;
        }

        return buffer;
    }

    public override int? Candidate(in ParsedFrame other, bool fromOurSide, int sent)
    {
        int? key = null;
        if ((Vary & TemplateVary.SourcePort) != 0)
        {
            if (other.Tcp is { } tcp)
            {
                key = (fromOurSide ? tcp.SourcePort : tcp.DestinationPort) - BasePort;
            }
            else if (other.Udp is { } udp)
            {
                key = (fromOurSide ? udp.SourcePort : udp.DestinationPort) - BasePort;
            }
            else if (other.IcmpQuote is { SourcePort: { } quoted })
            {
                key = quoted - BasePort;
            }
            else if (other.Icmpv6Quote is { SourcePort: { } quoted6 })
            {
                key = quoted6 - BasePort;
            }
        }

        if (key is null && (Vary & TemplateVary.IcmpSequence) != 0 && (other.IcmpQuote?.EchoSequence ?? other.Icmpv6Quote?.EchoSequence) is { } quotedEcho)
        {
            key = quotedEcho - BaseIcmpSequence; // an ICMP error about an echo request: IPv6 has no IP ID to tell them apart
        }

        if (key is null && (Vary & TemplateVary.IpId) != 0 && other.IcmpQuote is { } q)
        {
            key = q.Ip.Id - BaseId;
        }

        if (key is null && (Vary & TemplateVary.IcmpSequence) != 0 && other.Icmp is { Type: IcmpHeader.EchoReply } echo)
        {
            key = echo.SequenceNumber - BaseIcmpSequence;
        }

        if (key is null && (Vary & TemplateVary.IcmpSequence) != 0 && other.Icmpv6 is { Type: Icmpv6Header.EchoReply } echo6)
        {
            key = echo6.SequenceNumber - BaseIcmpSequence;
        }

        if (key is not { } k)
        {
            return null;
        }

        // The latest frame sent whose field had this value (older ones with the same value are 65,536 frames back).
        var residue = k & 0xFFFF;
        if (residue >= sent)
        {
            return -1;
        }

        return residue + ((sent - 1 - residue) / 0x1_0000 * 0x1_0000);
    }

    private static void Set(Span<byte> frame, int at, ushort value, int checksumAt)
    {
        if (checksumAt == Unset)
        {
            BinaryPrimitives.WriteUInt16BigEndian(frame[at..], value);
        }
        else
        {
            Checksum.Patch16(frame, at, value, checksumAt);
        }
    }
}
