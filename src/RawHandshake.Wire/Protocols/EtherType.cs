namespace RawHandshake.Wire.Protocols;

/// <summary>EtherType values we decode; others survive as numbers.</summary>
public enum EtherType : ushort
{
    IPv4 = 0x0800,
    Arp = 0x0806,
    Vlan = 0x8100,
    QinQ = 0x88A8,
    IPv6 = 0x86DD,
}
