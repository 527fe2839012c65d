using System.Buffers.Binary;

namespace RawHandshake.Wire.Protocols;

/// <summary>A UDP header (RFC 768), decoded so that ICMP quotes and captures read well.</summary>
public record struct UdpHeader(ushort SourcePort, ushort DestinationPort, ushort Length, ushort Checksum)
{
    public const int HeaderLength = 8;

    public static UdpHeader Read(ReadOnlySpan<byte> s) => new(
        BinaryPrimitives.ReadUInt16BigEndian(s),
        BinaryPrimitives.ReadUInt16BigEndian(s[2..]),
        BinaryPrimitives.ReadUInt16BigEndian(s[4..]),
        BinaryPrimitives.ReadUInt16BigEndian(s[6..]));
}
