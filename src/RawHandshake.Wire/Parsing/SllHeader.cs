namespace RawHandshake.Wire.Parsing;

/// <summary>A Linux cooked-capture header (LINKTYPE_LINUX_SLL or SLL2), as <c>tcpdump -i any</c> writes.</summary>
public readonly record struct SllHeader(int Version, ushort PacketType, ushort ArphrdType, ulong LinkAddress, int LinkAddressLength, ushort Protocol, int InterfaceIndex)
{
    public string PacketTypeName => PacketType switch
    {
        0 => "Unicast to us",
        1 => "Broadcast",
        2 => "Multicast",
        3 => "Unicast to another host",
        4 => "Sent by us",
        _ => $"Unknown ({PacketType})",
    };
}
