using RawHandshake.Wire.Primitives;

namespace RawHandshake.Session;

/// <summary>A TCP connection's 4-tuple, seen from our side.</summary>
public readonly record struct FlowKey(IPv4Address LocalAddress, ushort LocalPort, IPv4Address RemoteAddress, ushort RemotePort)
{
    public FlowKey Reversed => new(RemoteAddress, RemotePort, LocalAddress, LocalPort);

    public override string ToString() => $"{LocalAddress}:{LocalPort} → {RemoteAddress}:{RemotePort}";
}
