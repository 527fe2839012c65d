namespace RawHandshake.Wire.Capture;

/// <summary>
/// Link-layer header type of captured frames, using the LINKTYPE_ numbers shared by pcap and pcapng.
/// Values not named here are still valid: they round-trip as a cast number, e.g. <c>(LinkType)147</c>.
/// </summary>
public enum LinkType : uint
{
    /// <summary>LINKTYPE_NULL: BSD loopback encapsulation (4-byte host-order address family).</summary>
    Null = 0,

    /// <summary>LINKTYPE_ETHERNET: IEEE 802.3 Ethernet.</summary>
    Ethernet = 1,

    /// <summary>LINKTYPE_RAW: raw IPv4 or IPv6, no link header.</summary>
    Raw = 101,

    /// <summary>LINKTYPE_LINUX_SLL: Linux "cooked" capture, version 1.</summary>
    LinuxSll = 113,

    /// <summary>LINKTYPE_IPV4: raw IPv4.</summary>
    Ipv4 = 228,

    /// <summary>LINKTYPE_IPV6: raw IPv6.</summary>
    Ipv6 = 229,

    /// <summary>LINKTYPE_LINUX_SLL2: Linux "cooked" capture, version 2.</summary>
    LinuxSll2 = 276,
}
