using RawHandshake.Wire.Primitives;

namespace RawHandshake.Session;

/// <summary>A TCP connection's 4-tuple, seen from our side (both addresses of one family).</summary>
public readonly record struct FlowKey(IpAddress LocalAddress, ushort LocalPort, IpAddress RemoteAddress, ushort RemotePort)
{
    public FlowKey Reversed => new(RemoteAddress, RemotePort, LocalAddress, LocalPort);

    public IpEndpoint Local => new(LocalAddress, LocalPort);

    public IpEndpoint Remote => new(RemoteAddress, RemotePort);

    public IpFamily Family => LocalAddress.Family;

    public override string ToString() => $"{Local} → {Remote}";
}
