using System.Buffers.Binary;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Wire.Protocols;

/// <summary>
/// An Ethernet II header, optionally with one 802.1Q tag. <see cref="EtherType"/> is the type after any tag; null when
/// building means "from the payload" (0x0800 for IPv4, 0x0806 for ARP).
/// </summary>
public record struct EthernetHeader(MacAddress Destination, MacAddress Source, ushort? EtherType = null)
{
    public const int Length = 14;
    public const int VlanTagLength = 4;

    /// <summary>The 802.1Q tag control information (PCP, DEI, VLAN ID) of the first tag, when there is one.</summary>
    public ushort? VlanTci { get; set; }

    /// <summary>How many 802.1Q/802.1ad tags the parser skipped.</summary>
    public int VlanTags { get; set; }

    public readonly int HeaderLength => Length + (VlanTci is null ? 0 : VlanTagLength);

    public readonly int Write(Span<byte> destination, ushort payloadType)
    {
        Destination.Write(destination);
        Source.Write(destination[6..]);
        var at = 12;
        if (VlanTci is { } tci)
        {
            BinaryPrimitives.WriteUInt16BigEndian(destination[12..], (ushort)Protocols.EtherType.Vlan);
            BinaryPrimitives.WriteUInt16BigEndian(destination[14..], tci);
            at = 16;
        }

        BinaryPrimitives.WriteUInt16BigEndian(destination[at..], EtherType ?? payloadType);
        return at + 2;
    }
}
