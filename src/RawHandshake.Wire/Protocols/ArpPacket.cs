using System.Buffers.Binary;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Wire.Protocols;

/// <summary>An ARP packet for IPv4 over Ethernet (RFC 826). Hardware/protocol types and lengths default to 1/0x0800/6/4.</summary>
public record struct ArpPacket(ushort Operation, MacAddress SenderMac, IPv4Address SenderIp, MacAddress TargetMac, IPv4Address TargetIp)
{
    public const int Length = 28;
    public const ushort Request = 1;
    public const ushort Reply = 2;

    public ushort HardwareType { get; set; } = 1;
    public ushort ProtocolType { get; set; } = (ushort)EtherType.IPv4;
    public byte HardwareLength { get; set; } = 6;
    public byte ProtocolLength { get; set; } = 4;

    public readonly void Write(Span<byte> d)
    {
        BinaryPrimitives.WriteUInt16BigEndian(d, HardwareType);
        BinaryPrimitives.WriteUInt16BigEndian(d[2..], ProtocolType);
        d[4] = HardwareLength;
        d[5] = ProtocolLength;
        BinaryPrimitives.WriteUInt16BigEndian(d[6..], Operation);
        SenderMac.Write(d[8..]);
        SenderIp.Write(d[14..]);
        TargetMac.Write(d[18..]);
        TargetIp.Write(d[24..]);
    }

    /// <summary>Reads an ARP packet; the caller has checked there are <see cref="Length"/> bytes and 6/4 address lengths.</summary>
    public static ArpPacket Read(ReadOnlySpan<byte> s) =>
        new(BinaryPrimitives.ReadUInt16BigEndian(s[6..]), MacAddress.Read(s[8..]), IPv4Address.Read(s[14..]), MacAddress.Read(s[18..]), IPv4Address.Read(s[24..]))
        {
            HardwareType = BinaryPrimitives.ReadUInt16BigEndian(s),
            ProtocolType = BinaryPrimitives.ReadUInt16BigEndian(s[2..]),
            HardwareLength = s[4],
            ProtocolLength = s[5],
        };
}
