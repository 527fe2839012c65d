using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Net;
using System.Net.Sockets;

namespace RawHandshake.Wire.Primitives;

/// <summary>An IPv6 address as two host-order halves (2001:db8::1 is <c>High = 0x20010DB8_00000000, Low = 1</c>).</summary>
public readonly record struct IPv6Address(ulong High, ulong Low)
{
    public const int Length = 16;

    public static readonly IPv6Address Any = new(0, 0);
    public static readonly IPv6Address Loopback = new(0, 1);

    /// <summary>ff02::1, all nodes on the link.</summary>
    public static readonly IPv6Address AllNodes = new(0xFF02_0000_0000_0000, 1);

    /// <summary>ff02::2, all routers on the link.</summary>
    public static readonly IPv6Address AllRouters = new(0xFF02_0000_0000_0000, 2);

    public static IPv6Address Read(ReadOnlySpan<byte> source) =>
        new(BinaryPrimitives.ReadUInt64BigEndian(source), BinaryPrimitives.ReadUInt64BigEndian(source[8..]));

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt64BigEndian(destination, High);
        BinaryPrimitives.WriteUInt64BigEndian(destination[8..], Low);
    }

    public byte this[int octet] => (byte)((octet < 8 ? High : Low) >> (56 - (8 * (octet & 7))));

    public bool IsMulticast => (High >> 56) == 0xFF;
    public bool IsLinkLocal => (High >> 54) == (0xFE80 >> 6);
    public bool IsLoopback => this == Loopback;
    public bool IsUnspecified => this == Any;

    /// <summary>The solicited-node multicast address ff02::1:ffXX:XXXX of RFC 4291 §2.7.1 (the last 24 bits of this one).</summary>
    public IPv6Address SolicitedNode => new(0xFF02_0000_0000_0000, 0x0000_0001_FF00_0000 | (Low & 0xFF_FFFF));

    /// <summary>The Ethernet multicast address 33:33:XX:XX:XX:XX a multicast IPv6 address maps to (RFC 2464 §7).</summary>
    public MacAddress MulticastMac
    {
        get
        {
            Span<byte> b = stackalloc byte[6];
            b[0] = 0x33;
            b[1] = 0x33;
            BinaryPrimitives.WriteUInt32BigEndian(b[2..], (uint)Low);
            return MacAddress.Read(b);
        }
    }

    /// <summary>The family-neutral address of this one.</summary>
    public static implicit operator IpAddress(IPv6Address a) => IpAddress.V6(a.High, a.Low);

    /// <summary>The IPv6 address an <see cref="IpAddress"/> holds; null for IPv4.</summary>
    public static IPv6Address? From(IpAddress a) => a.IsV6 ? new IPv6Address(a.High, a.Low) : null;

    /// <summary>Sum of the eight 16-bit words, unfolded (for the pseudo-header).</summary>
    public ulong WordSum => (High >> 32) + (High & 0xFFFF_FFFF) + (Low >> 32) + (Low & 0xFFFF_FFFF);

    /// <summary>Parses the textual forms of RFC 4291 §2.2 (no zone index, no brackets, no prefix length).</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out IPv6Address? address)
    {
        address = null;
        if (string.IsNullOrWhiteSpace(text) || !text.Contains(':', StringComparison.Ordinal) || text.Contains('%', StringComparison.Ordinal)
            || text.Contains('/', StringComparison.Ordinal) || text.Contains('[', StringComparison.Ordinal)
            || !IPAddress.TryParse(text.Trim(), out var ip) || ip.AddressFamily != AddressFamily.InterNetworkV6)
        {
            return false;
        }

        address = FromIPAddress(ip);
        return true;
    }

    public static IPv6Address Parse(string text) =>
        TryParse(text, out var a) ? a.Value : throw new FormatException($"'{text}' is not an IPv6 address");

    public IPAddress ToIPAddress()
    {
        Span<byte> b = stackalloc byte[16];
        Write(b);
        return new IPAddress(b);
    }

    public static IPv6Address FromIPAddress(IPAddress address) =>
        address.AddressFamily == AddressFamily.InterNetworkV6
            ? Read(address.GetAddressBytes())
            : throw new ArgumentException($"{address} is not an IPv6 address", nameof(address));

    /// <summary>The RFC 5952 text (lower case, longest zero run compressed), as tshark prints it.</summary>
    public override string ToString()
    {
        Span<ushort> w = stackalloc ushort[8];
        for (var i = 0; i < 8; i++)
        {
            w[i] = (ushort)((i < 4 ? High : Low) >> (48 - (16 * (i & 3))));
        }

        // RFC 5952 §4.2: the longest run of two or more zero words (the first when tied) becomes "::".
        int bestAt = -1, bestLen = 1;
        for (var i = 0; i < 8;)
        {
            if (w[i] != 0)
            {
                i++;
                continue;
            }

            var j = i;
            while (j < 8 && w[j] == 0)
            {
                j++;
            }

            if (j - i > bestLen)
            {
                bestAt = i;
                bestLen = j - i;
            }

            i = j;
        }

        if (High == 0 && (Low >> 32) == 0xFFFF)
        {
            return "::ffff:" + new IPv4Address((uint)Low);
        }

        var sb = new System.Text.StringBuilder(39);
        for (var i = 0; i < 8; i++)
        {
            if (i == bestAt)
            {
                sb.Append("::");
                i += bestLen - 1;
                continue;
            }

            if (i > 0 && i != bestAt + bestLen)
            {
                sb.Append(':');
            }

            sb.Append(w[i].ToString("x", System.Globalization.CultureInfo.InvariantCulture));
        }

        return sb.ToString();
    }
}
