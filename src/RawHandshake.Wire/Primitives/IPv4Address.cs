using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;
using System.Globalization;

namespace RawHandshake.Wire.Primitives;

/// <summary>An IPv4 address as a host-order <see cref="uint"/> (192.168.0.101 is 0xC0A80065).</summary>
public readonly record struct IPv4Address(uint Value)
{
    public static readonly IPv4Address Any = new(0);
    public static readonly IPv4Address Broadcast = new(0xFFFF_FFFF);

    public static IPv4Address Read(ReadOnlySpan<byte> source) => new(BinaryPrimitives.ReadUInt32BigEndian(source));

    public void Write(Span<byte> destination) => BinaryPrimitives.WriteUInt32BigEndian(destination, Value);

    public byte this[int octet] => (byte)(Value >> (24 - (8 * octet)));

    public bool IsLoopback => (Value >> 24) == 127;

    public static bool TryParse(string? text, [NotNullWhen(true)] out IPv4Address? address)
    {
        address = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var parts = text.Trim().Split('.');
        if (parts.Length != 4)
        {
            return false;
        }

        uint value = 0;
        foreach (var part in parts)
        {
            if (part.Length is 0 or > 3 || !part.All(char.IsAsciiDigit) ||
                !uint.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var octet) || octet > 255)
            {
                return false;
            }

            value = (value << 8) | octet;
        }

        address = new IPv4Address(value);
        return true;
    }

    public static IPv4Address Parse(string text) =>
        TryParse(text, out var a) ? a.Value : throw new FormatException($"'{text}' is not an IPv4 address");

    public System.Net.IPAddress ToIPAddress()
    {
        Span<byte> b = stackalloc byte[4];
        Write(b);
        return new System.Net.IPAddress(b);
    }

    public static IPv4Address FromIPAddress(System.Net.IPAddress address) =>
        address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork
            ? Read(address.GetAddressBytes())
            : throw new ArgumentException($"{address} is not an IPv4 address", nameof(address));

    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{this[0]}.{this[1]}.{this[2]}.{this[3]}");
}
