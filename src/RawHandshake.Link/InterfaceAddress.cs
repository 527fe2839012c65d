using RawHandshake.Wire.Primitives;

namespace RawHandshake.Link;

/// <summary>An address on an interface with its prefix length, e.g. <c>198.18.0.1/24</c> or <c>2001:db8:1::1/64</c>.</summary>
public readonly record struct InterfaceAddress(IpAddress Address, int PrefixLength)
{
    /// <summary>The IPv4 netmask (0 for IPv6).</summary>
    public uint Mask => !Address.IsV4 || PrefixLength <= 0 ? 0u : uint.MaxValue << (32 - Math.Min(PrefixLength, 32));

    public IpAddress Network => Address.Masked(PrefixLength);

    /// <summary>Whether <paramref name="other"/> is in this address's subnet (on-link); never across families.</summary>
    public bool Contains(IpAddress other) => other.InPrefix(Address, PrefixLength);

    public static int PrefixFromMask(uint mask) => System.Numerics.BitOperations.PopCount(mask);

    public override string ToString() => $"{Address}/{PrefixLength}";
}
