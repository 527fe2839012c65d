namespace RawHandshake.Wire.Protocols;

/// <summary>IP protocol numbers we decode; others survive as numbers.</summary>
public enum IpProtocol : byte
{
    Icmp = 1,
    Tcp = 6,
    Udp = 17,
    Icmpv6 = 58,
}
