using System.Buffers.Binary;
using System.Diagnostics.CodeAnalysis;

namespace RawHandshake.Wire.Primitives;

/// <summary>A 48-bit Ethernet address held in the low 48 bits of a <see cref="ulong"/>.</summary>
public readonly record struct MacAddress(ulong Value)
{
    public static readonly MacAddress Zero = new(0);
    public static readonly MacAddress Broadcast = new(0xFFFF_FFFF_FFFF);

    public static MacAddress Read(ReadOnlySpan<byte> source) =>
        new(((ulong)BinaryPrimitives.ReadUInt16BigEndian(source) << 32) | BinaryPrimitives.ReadUInt32BigEndian(source[2..]));

    public void Write(Span<byte> destination)
    {
        BinaryPrimitives.WriteUInt16BigEndian(destination, (ushort)(Value >> 32));
        BinaryPrimitives.WriteUInt32BigEndian(destination[2..], (uint)Value);
    }

    public bool IsBroadcast => Value == Broadcast.Value;

    /// <summary>Parses <c>aa:bb:cc:dd:ee:ff</c>, <c>aa-bb-…</c>, <c>aabb.ccdd.eeff</c> or 12 hex digits.</summary>
    public static bool TryParse(string? text, [NotNullWhen(true)] out MacAddress? address)
    {
        address = null;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        Span<char> digits = stackalloc char[12];
        var n = 0;
        foreach (var c in text.Trim())
        {
            if (c is ':' or '-' or '.')
            {
                continue;
            }

            if (!char.IsAsciiHexDigit(c) || n == 12)
            {
                return false;
            }

            digits[n++] = c;
        }

        if (n != 12)
        {
            return false;
        }

        address = new MacAddress(ulong.Parse(digits, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture));
        return true;
    }

    public static MacAddress Parse(string text) =>
        TryParse(text, out var a) ? a.Value : throw new FormatException($"'{text}' is not a MAC address (expected aa:bb:cc:dd:ee:ff)");

    public override string ToString()
    {
        Span<byte> b = stackalloc byte[6];
        Write(b);
        return string.Create(17, Value, static (chars, v) =>
        {
            const string hex = "0123456789abcdef";
            for (var i = 0; i < 6; i++)
            {
                var octet = (byte)(v >> (40 - (8 * i)));
                chars[i * 3] = hex[octet >> 4];
                chars[(i * 3) + 1] = hex[octet & 0xF];
                if (i < 5)
                {
                    chars[(i * 3) + 2] = ':';
                }
            }
        });
    }
}
