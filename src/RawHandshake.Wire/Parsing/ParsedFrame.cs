using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Wire.Parsing;

/// <summary>
/// What <see cref="FrameParser"/> found in one frame: the decoded headers of every layer it could read and the offsets
/// of the variable parts, so that options and payload are sliced from the caller's bytes without copying. When a layer
/// is malformed, <see cref="Malformed"/> says what and where, and the layers before it are still there.
/// </summary>
public readonly record struct ParsedFrame
{
    public LinkType Link { get; init; }

    /// <summary>Bytes captured.</summary>
    public int Length { get; init; }

    public EthernetHeader? Ethernet { get; init; }
    public SllHeader? Sll { get; init; }

    /// <summary>The EtherType of the network layer (after VLAN tags / from the cooked header); 0 when unknown.</summary>
    public ushort EtherType { get; init; }
    public int NetworkOffset { get; init; }

    public ArpPacket? Arp { get; init; }

    /// <summary>The IPv4 header (its <see cref="IPv4Header.Options"/> are empty: slice them with <see cref="IpOptions"/>).</summary>
    public IPv4Header? IPv4 { get; init; }
    public int IpOptionsOffset { get; init; }
    public int IpOptionsLength { get; init; }

    /// <summary>Offset and length of the IP payload, bounded by the total length and by what was captured.</summary>
    public int IpPayloadOffset { get; init; }
    public int IpPayloadLength { get; init; }

    /// <summary>The total length says more bytes than were captured (snap length).</summary>
    public bool IpTruncated { get; init; }

    /// <summary>Bytes after the IP datagram (Ethernet padding to 60 bytes).</summary>
    public int TrailerLength { get; init; }

    public TcpHeader? Tcp { get; init; }
    public int TransportOffset { get; init; }
    public int TcpOptionsOffset { get; init; }
    public int TcpOptionsLength { get; init; }

    public UdpHeader? Udp { get; init; }
    public IcmpHeader? Icmp { get; init; }
    public IcmpQuote? IcmpQuote { get; init; }

    /// <summary>Offset and length of the application payload (TCP/UDP data, ICMP data).</summary>
    public int PayloadOffset { get; init; }
    public int PayloadLength { get; init; }

    /// <summary>"malformed: …" when a header could not be read as such; null when every layer was well formed.</summary>
    public string? Malformed { get; init; }

    public bool IsTcp => Tcp is not null;

    public ReadOnlySpan<byte> Payload(ReadOnlySpan<byte> frame) => frame.Slice(PayloadOffset, PayloadLength);

    public ReadOnlySpan<byte> TcpOptions(ReadOnlySpan<byte> frame) => frame.Slice(TcpOptionsOffset, TcpOptionsLength);

    public ReadOnlySpan<byte> IpOptions(ReadOnlySpan<byte> frame) => frame.Slice(IpOptionsOffset, IpOptionsLength);

    public TcpOptionsSummary TcpOptionsSummary(ReadOnlySpan<byte> frame) => Protocols.TcpOptionsSummary.From(TcpOptions(frame));

    public ChecksumVerdict IpChecksum(ReadOnlySpan<byte> frame) =>
        IPv4 is { } ip && NetworkOffset + ip.HeaderLength <= frame.Length
            ? Checksum.Verify(frame.Slice(NetworkOffset, ip.HeaderLength))
            : ChecksumVerdict.Unverified;

    /// <summary>The TCP or UDP checksum verdict; unverified for truncated captures and fragments.</summary>
    public ChecksumVerdict TransportChecksum(ReadOnlySpan<byte> frame)
    {
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
}
