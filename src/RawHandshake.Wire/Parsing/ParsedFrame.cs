using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Wire.Parsing;

/// <summary>
/// What <see cref="FrameParser"/> found in one frame: the decoded headers of every layer it could read and the offsets
/// of the variable parts, so that options and payload are sliced from the caller's bytes without copying. When a layer
/// is malformed, <see cref="Malformed"/> says what and where, and the layers before it are still there.
/// </summary>
public record struct ParsedFrame
{
    public LinkType Link { get; internal set; }

    /// <summary>Bytes captured.</summary>
    public int Length { get; internal set; }

    public EthernetHeader? Ethernet { get; internal set; }
    public SllHeader? Sll { get; internal set; }

    /// <summary>The EtherType of the network layer (after VLAN tags / from the cooked header); 0 when unknown.</summary>
    public ushort EtherType { get; internal set; }
    public int NetworkOffset { get; internal set; }

    public ArpPacket? Arp { get; internal set; }

    /// <summary>The IPv4 header (its <see cref="IPv4Header.Options"/> are empty: slice them with <see cref="IpOptions"/>).</summary>
    public IPv4Header? IPv4 { get; internal set; }
    public int IpOptionsOffset { get; internal set; }
    public int IpOptionsLength { get; internal set; }

    /// <summary>The fixed IPv6 header (its <see cref="IPv6Header.Extensions"/> are null: walk them with
    /// <see cref="IPv6ExtensionReader"/> over <see cref="Ipv6Extensions"/>).</summary>
    public IPv6Header? IPv6 { get; internal set; }
    public int Ipv6ExtensionsOffset { get; internal set; }
    public int Ipv6ExtensionsLength { get; internal set; }

    /// <summary>The IPv6 fragment header, when there is one.</summary>
    public IPv6Fragment? Ipv6Fragment { get; internal set; }

    /// <summary>The destination of the IPv6 pseudo-header: the final one of a routing header with segments left.</summary>
    public IPv6Address Ipv6PseudoDestination { get; internal set; }

    /// <summary>The upper-layer protocol: IPv4's protocol field, or the next header after IPv6's extension headers.</summary>
    public byte? UpperProtocol { get; internal set; }

    /// <summary>The upper-layer length the IP header claims (IPv4 total length or IPv6 payload length less the headers).</summary>
    internal int ClaimedUpperLength { get; set; }

    /// <summary>Offset and length of the IP payload (for IPv6: after the extension headers), bounded by the total
    /// length and by what was captured.</summary>
    public int IpPayloadOffset { get; internal set; }
    public int IpPayloadLength { get; internal set; }

    /// <summary>The total length says more bytes than were captured (snap length).</summary>
    public bool IpTruncated { get; internal set; }

    /// <summary>Bytes after the IP datagram (Ethernet padding to 60 bytes).</summary>
    public int TrailerLength { get; internal set; }

    public TcpHeader? Tcp { get; internal set; }
    public int TransportOffset { get; internal set; }
    public int TcpOptionsOffset { get; internal set; }
    public int TcpOptionsLength { get; internal set; }

    /// <summary>The TCP payload length the IP header gives (tshark's Len=): more than <see cref="PayloadLength"/> when the snap length cut the frame.</summary>
    public int SegmentLength { get; internal set; }

    /// <summary>The 802.2 LLC header of an IEEE 802.3 frame (Ethernet with a length where the type would be).</summary>
    public LlcHeader? Llc { get; internal set; }

    public UdpHeader? Udp { get; internal set; }
    public IcmpHeader? Icmp { get; internal set; }
    public IcmpQuote? IcmpQuote { get; internal set; }
    public Icmpv6Header? Icmpv6 { get; internal set; }
    public Icmpv6Quote? Icmpv6Quote { get; internal set; }

    /// <summary>The neighbour discovery message (RS, RA, NS, NA, redirect) an ICMPv6 header carries.</summary>
    public NdpMessage? Ndp { get; internal set; }

    /// <summary>Offset and length of the application payload (TCP/UDP data, ICMP data).</summary>
    public int PayloadOffset { get; internal set; }
    public int PayloadLength { get; internal set; }

    /// <summary>"malformed: …" when a header could not be read as such; null when every layer was well formed.</summary>
    public string? Malformed { get; internal set; }

    public readonly bool IsTcp => Tcp is not null;

    public readonly bool IsIPv6 => IPv6 is not null;

    /// <summary>True for a fragment that is not the whole datagram (either family).</summary>
    public readonly bool IsFragment => (IPv4 is { } ip && (ip.MoreFragments || ip.FragmentOffset != 0)) || Ipv6Fragment is { } f && (f.More || f.Offset != 0);

    public readonly ReadOnlySpan<byte> Ipv6Extensions(ReadOnlySpan<byte> frame) => frame.Slice(Ipv6ExtensionsOffset, Ipv6ExtensionsLength);

    public readonly ReadOnlySpan<byte> Payload(ReadOnlySpan<byte> frame) => frame.Slice(PayloadOffset, PayloadLength);

    public readonly ReadOnlySpan<byte> TcpOptions(ReadOnlySpan<byte> frame) => frame.Slice(TcpOptionsOffset, TcpOptionsLength);

    public readonly ReadOnlySpan<byte> IpOptions(ReadOnlySpan<byte> frame) => frame.Slice(IpOptionsOffset, IpOptionsLength);

    public readonly TcpOptionsSummary TcpOptionsSummary(ReadOnlySpan<byte> frame) => Protocols.TcpOptionsSummary.From(TcpOptions(frame));

    public readonly ChecksumVerdict IpChecksum(ReadOnlySpan<byte> frame) =>
        IPv4 is { } ip && NetworkOffset + ip.HeaderLength <= frame.Length
            ? Checksum.Verify(frame.Slice(NetworkOffset, ip.HeaderLength))
            : ChecksumVerdict.Unverified;

    /// <summary>The TCP or UDP checksum verdict; unverified for truncated captures and fragments.</summary>
    public readonly ChecksumVerdict TransportChecksum(ReadOnlySpan<byte> frame)
    {
        if (IPv6 is { } ip6)
        {
            return TransportChecksum6(frame, ip6);
        }

        if (IPv4 is not { } ip || IpTruncated || ip.MoreFragments || ip.FragmentOffset != 0)
        {
            return ChecksumVerdict.Unverified;
        }

        var segment = frame.Slice(IpPayloadOffset, IpPayloadLength);
        if (Tcp is not null)
        {
            return Checksum.VerifyTransport(ip.Source, ip.Destination, (byte)IpProtocol.Tcp, segment, 16);
        }

        if (Udp is { } udp)
        {
            return udp.Checksum == 0 ? ChecksumVerdict.Unverified : Checksum.VerifyTransport(ip.Source, ip.Destination, (byte)IpProtocol.Udp, segment, 6);
        }

        if (Icmp is not null)
        {
            return Checksum.Verify(segment);
        }

        return ChecksumVerdict.Unverified;
    }

    private readonly ChecksumVerdict TransportChecksum6(ReadOnlySpan<byte> frame, in IPv6Header ip)
    {
        if (IpTruncated || IsFragment)
        {
            return ChecksumVerdict.Unverified;
        }

        var segment = frame.Slice(IpPayloadOffset, IpPayloadLength);
        var dst = Ipv6PseudoDestination;
        return Tcp is not null ? Checksum.VerifyTransport(ip.Source, dst, (byte)IpProtocol.Tcp, segment, 16)
            : Udp is not null ? Checksum.VerifyTransport(ip.Source, dst, (byte)IpProtocol.Udp, segment, 6)
            : Icmpv6 is not null ? Checksum.VerifyTransport(ip.Source, dst, (byte)IpProtocol.Icmpv6, segment, 2)
            : ChecksumVerdict.Unverified;
    }
}
