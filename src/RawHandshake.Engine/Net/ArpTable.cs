using RawHandshake.Wire.Primitives;

namespace RawHandshake.Engine.Net;

/// <summary>Neighbours learned from our own ARP requests during a run.</summary>
public sealed class ArpTable
{
    private readonly Dictionary<IPv4Address, MacAddress> entries = [];

    public bool TryGet(IPv4Address ip, out MacAddress mac) => entries.TryGetValue(ip, out mac);

    public void Learn(IPv4Address ip, MacAddress mac) => entries[ip] = mac;

    public int Count => entries.Count;
}
