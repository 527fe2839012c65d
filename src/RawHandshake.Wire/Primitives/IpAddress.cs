using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace RawHandshake.Wire.Primitives;

/// <summary>The address family of an <see cref="IpAddress"/>.</summary>
public enum IpFamily : byte
{
    V4 = 4,
    V6 = 6,
}

/// <summary>
/// An IPv4 or IPv6 address as a value (no allocation): the family and 128 bits, IPv4 in the low 32 bits. This is the
/// address of endpoints, flows, routes and neighbours; <see cref="IPv4Address"/> stays the type of the IPv4 header's
/// fields. An <see cref="IPv4Address"/> converts implicitly; <see cref="V4"/> goes back (IPv4 only).
/// </summary>
public readonly struct IpAddress : IEquatable<IpAddress>
{
    private readonly ulong high;
    private readonly ulong low;
    private readonly IpFamily family;

    private IpAddress(IpFamily family, ulong high, ulong low)
    {
        this.family = family;
        this.high = high;
        this.low = low;
    }

    /// <summary>IPv4's 0.0.0.0.</summary>
    public static readonly IpAddress AnyV4 = new(IPv4Address.Any);

    /// <summary>IPv6's <c>::</c> (the unspecified address).</summary>
    public static readonly IpAddress AnyV6 = new(IpFamily.V6, 0, 0);

    public IpAddress(IPv4Address v4)
        : this(IpFamily.V4, 0, v4.Value)
    {
    }

    /// <summary>An IPv6 address from its upper and lower 64 bits (host order: 2001:db8:: has <paramref name="high"/> 0x20010DB8_00000000).</summary>
    public static IpAddress V6(ulong high, ulong low) => new(IpFamily.V6, high, low);

    /// <summary>The family; a default (never assigned) value reads as IPv4 0.0.0.0.</summary>
    public IpFamily Family => family == IpFamily.V6 ? IpFamily.V6 : IpFamily.V4;

    public bool IsV4 => Family == IpFamily.V4;

    public bool IsV6 => Family == IpFamily.V6;

    /// <summary>The upper 64 bits of an IPv6 address (0 for IPv4).</summary>
    public ulong High => high;

    /// <summary>The lower 64 bits of an IPv6 address, or the IPv4 address in its low 32 bits.</summary>
    public ulong Low => low;

    /// <summary>The IPv4 address; throws for IPv6 (a code path that only knows IPv4 met an IPv6 flow).</summary>
    public IPv4Address V4 => IsV4 ? new IPv4Address((uint)low) : throw new InvalidOperationException($"{this} is not an IPv4 address");

    /// <summary>Bytes on the wire: 4 or 16.</summary>
    public int Length => IsV4 ? 4 : 16;

    /// <summary>The number of bits in an address of this family (32 or 128), for prefix lengths.</summary>
    public int Bits => IsV4 ? 32 : 128;

    public bool IsUnspecified => high == 0 && low == 0;

    /// <summary>127.0.0.0/8 or ::1.</summary>
    public bool IsLoopback => IsV4 ? ((uint)low >> 24) == 127 : high == 0 && low == 1;

    /// <summary>fe80::/10 (IPv6 only).</summary>
    public bool IsLinkLocal => IsV6 && (high >> 54) == 0x3FA;

    /// <summary>224.0.0.0/4 or ff00::/8.</summary>
    public bool IsMulticast => IsV4 ? ((uint)low >> 28) == 0xE : (high >> 56) == 0xFF;

    public static implicit operator IpAddress(IPv4Address v4) => new(v4);

    public static implicit operator IpAddress(IPv6Address v6) => new(IpFamily.V6, v6.High, v6.Low);

    /// <summary>The IPv6 address; throws for IPv4.</summary>
    public IPv6Address V6Address => IsV6 ? new IPv6Address(high, low) : throw new InvalidOperationException($"{this} is not an IPv6 address");

    /// <summary>The unspecified address of <paramref name="family"/> (0.0.0.0 or ::).</summary>
    public static IpAddress Unspecified(IpFamily family) => family == IpFamily.V6 ? AnyV6 : AnyV4;

    public static IpAddress Read(ReadOnlySpan<byte> source, IpFamily family) => family == IpFamily.V4
        ? new IpAddress(IPv4Address.Read(source))
        : new IpAddress(IpFamily.V6, BinaryPrimitives.ReadUInt64BigEndian(source), BinaryPrimitives.ReadUInt64BigEndian(source[8..]));

    /// <summary>Writes the 4 or 16 bytes of the address.</summary>
    public void Write(Span<byte> destination)
    {
        if (IsV4)
        {
            BinaryPrimitives.WriteUInt32BigEndian(destination, (uint)low);
            return;
        }

        BinaryPrimitives.WriteUInt64BigEndian(destination, high);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], low);
    }

    /// <summary>Whether this address lies in <paramref name="network"/>/<paramref name="prefixLength"/> (same family only).</summary>
    public bool InPrefix(IpAddress network, int prefixLength) =>
        network.Family == Family && Masked(prefixLength) == network.Masked(prefixLength);

    /// <summary>The first <paramref name="prefixLength"/> bits kept, the rest zero (the network of a prefix).</summary>
    public IpAddress Masked(int prefixLength)
    {
        var p = Math.Clamp(prefixLength, 0, Bits);
        if (IsV4)
        {
            var mask = p == 0 ? 0u : uint.MaxValue << (32 - p);
            return new IPv4Address((uint)low & mask);
        }

        var highMask = p >= 64 ? ulong.MaxValue : p == 0 ? 0 : ulong.MaxValue << (64 - p);
        var lowMask = p <= 64 ? 0 : p == 128 ? ulong.MaxValue : ulong.MaxValue << (128 - p);
        return V6(high & highMask, low & lowMask);
    }

    /// <summary>Parses a dotted IPv4 address or an IPv6 address (also in brackets, without a zone).</summary>
    public static bool TryParse(string? text, out IpAddress address)
    {
        address = default;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var t = text.Trim();
        if (IPv4Address.TryParse(t, out var v4))
        {
            address = v4.Value;
            return true;
        }

        if (t.StartsWith('[') && t.EndsWith(']'))
        {
            t = t[1..^1];
        }

        if (!t.Contains(':') || t.Contains('%') || !IPAddress.TryParse(t, out var ip) || ip.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        address = FromIPAddress(ip);
        return true;
    }

    public static IpAddress Parse(string text) =>
        TryParse(text, out var a) ? a : throw new FormatException($"'{text}' is not an IP address");

    /// <summary>An IPv4 or IPv6 <see cref="IPAddress"/> (IPv4-mapped IPv6 stays IPv6; the scope id is dropped).</summary>
    public static IpAddress FromIPAddress(IPAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        if (address.AddressFamily == AddressFamily.InterNetwork)
        {
            return IPv4Address.FromIPAddress(address);
        }

        if (address.AddressFamily != AddressFamily.InterNetworkV6)
        {
            throw new ArgumentException($"{address} is neither IPv4 nor IPv6", nameof(address));
        }

        Span<byte> b = stackalloc byte[16];
        address.TryWriteBytes(b, out _);
        return Read(b, IpFamily.V6);
    }

    public IPAddress ToIPAddress()
    {
        Span<byte> b = stackalloc byte[16];
        Write(b);
        return new IPAddress(b[..Length]);
    }

    /// <summary>Dotted IPv4, or IPv6 in its RFC 5952 form (2001:db8::10).</summary>
    public override string ToString() => IsV4 ? V4.ToString() : ToIPAddress().ToString();

    public bool Equals(IpAddress other) => Family == other.Family && high == other.high && low == other.low;

    public override bool Equals(object? obj) => obj is IpAddress other && Equals(other);

    public override int GetHashCode() => HashCode.Combine(Family, high, low);

    public static bool operator ==(IpAddress left, IpAddress right) => left.Equals(right);

    public static bool operator !=(IpAddress left, IpAddress right) => !left.Equals(right);
}

/// <summary>An address and a port: <c>198.18.2.10:20000</c> or <c>[2001:db8::10]:20000</c>.</summary>
public readonly record struct IpEndpoint(IpAddress Address, ushort Port)
{
    public override string ToString() =>
        Address.IsV6 ? string.Create(CultureInfo.InvariantCulture, $"[{Address}]:{Port}") : string.Create(CultureInfo.InvariantCulture, $"{Address}:{Port}");

    /// <summary>Splits <c>HOST:PORT</c> or <c>[V6]:PORT</c> into the host text and the port text; false when the shape is wrong
    /// (no port, or an IPv6 address without brackets).</summary>
    public static bool TrySplit(string text, [NotNullWhen(true)] out string? host, [NotNullWhen(true)] out string? port)
    {
        host = port = null;
        var t = text.Trim();
        if (t.StartsWith('['))
        {
            var close = t.IndexOf(']', StringComparison.Ordinal);
            if (close < 0 || close + 1 >= t.Length || t[close + 1] != ':')
            {
                return false;
            }

            host = t[1..close];
            port = t[(close + 2)..];
            return true;
        }

        var colon = t.LastIndexOf(':');
        if (colon < 0 || t.IndexOf(':', StringComparison.Ordinal) != colon)
        {
            return false; // none, or an unbracketed IPv6 address
        }

        host = t[..colon];
        port = t[(colon + 1)..];
        return true;
    }

    /// <summary>Parses <c>ADDRESS:PORT</c> (IPv6 in brackets).</summary>
    public static bool TryParse(string? text, out IpEndpoint endpoint) => TryParse(text, out endpoint, out _);

    /// <summary>Parses <c>ADDRESS:PORT</c> (IPv6 in brackets); <paramref name="error"/> says what is wrong with the text
    /// (to follow <c>'TEXT' </c> in a message).</summary>
    public static bool TryParse(string? text, out IpEndpoint endpoint, [NotNullWhen(false)] out string? error)
    {
        endpoint = default;
        var t = text?.Trim() ?? "";
        if (!t.StartsWith('[') && t.Count(c => c == ':') > 1)
        {
            error = "is IPv6 without brackets: write [ADDRESS]:PORT, e.g. [2001:db8::10]:20000";
            return false;
        }

        if (!TrySplit(t, out var host, out var portText) || host.Length == 0)
        {
            error = "should be ADDRESS:PORT, e.g. 198.18.2.10:20000 or [2001:db8::10]:20000";
            return false;
        }

        if (!ushort.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port))
        {
            error = $"has port '{portText}', not a number from 0 to 65535";
            return false;
        }

        if (!IpAddress.TryParse(host, out var address))
        {
            error = $"has '{host}', not an IPv4 or IPv6 address";
            return false;
        }

        error = null;
        endpoint = new IpEndpoint(address, port);
        return true;
    }
}
