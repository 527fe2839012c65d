using RawHandshake.Wire.Primitives;

namespace RawHandshake.Link;

/// <summary>An IPv4 address on an interface with its prefix length, e.g. <c>198.18.0.1/24</c>.</summary>
public readonly record struct InterfaceAddress(IPv4Address Address, int PrefixLength)
{
    public uint Mask => PrefixLength <= 0 ? 0u : uint.MaxValue << (32 - Math.Min(PrefixLength, 32));

    public IPv4Address Network => new(Address.Value & Mask);

    /// <summary>Whether <paramref name="other"/> is in this address's subnet (on-link).</summary>
    public bool Contains(IPv4Address other) => (other.Value & Mask) == (Address.Value & Mask);

    public static int PrefixFromMask(uint mask) => System.Numerics.BitOperations.PopCount(mask);

    public override string ToString() => $"{Address}/{PrefixLength}";
}
