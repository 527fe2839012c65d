using RawHandshake.Wire.Primitives;

namespace RawHandshake.Engine.Net;

/// <summary>Neighbours (address → MAC) learned from our own ARP requests or neighbour solicitations during a run.</summary>
public sealed class NeighbourTable
{
    private readonly Dictionary<IpAddress, MacAddress> entries = [];

    public bool TryGet(IpAddress ip, out MacAddress mac) => entries.TryGetValue(ip, out mac);

    public void Learn(IpAddress ip, MacAddress mac) => entries[ip] = mac;

    public int Count => entries.Count;
}
