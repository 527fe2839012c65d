using RawHandshake.Session;

namespace RawHandshake.Engine;

/// <summary>The flow table's key comparison: the 4-tuple hashed field by field, without boxing or allocation, so that
/// sorting a received frame to its flow costs the same with one flow or thousands.</summary>
internal sealed class FlowKeyComparer : IEqualityComparer<FlowKey>
{
    public static readonly FlowKeyComparer Instance = new();

    public bool Equals(FlowKey x, FlowKey y) =>
        x.LocalPort == y.LocalPort && x.RemotePort == y.RemotePort && x.LocalAddress.Equals(y.LocalAddress) && x.RemoteAddress.Equals(y.RemoteAddress);

    public int GetHashCode(FlowKey k) =>
        HashCode.Combine(k.LocalAddress.GetHashCode(), k.LocalPort | (k.RemotePort << 16), k.RemoteAddress.GetHashCode());
}
