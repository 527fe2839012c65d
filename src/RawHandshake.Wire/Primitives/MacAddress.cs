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

        var t = text.Trim();
        string[] groups;
        int width;
        if (t.Contains(':', StringComparison.Ordinal) || t.Contains('-', StringComparison.Ordinal))
        {
            groups = t.Split(t.Contains(':', StringComparison.Ordinal) ? ':' : '-');
            width = 2; // six groups of one or two digits
            if (groups.Length != 6 || groups.Any(g => g.Length is 0 or > 2))
            {
                return false;
            }
        }
        else if (t.Contains('.', StringComparison.Ordinal))
        {
            groups = t.Split('.');
            width = 4; // Cisco's aabb.ccdd.eeff
            if (groups.Length != 3 || groups.Any(g => g.Length != 4))
            {
                return false;
            }
        }
        else
        {
            groups = [t];
            width = 12;
            if (t.Length != 12)
            {
                return false;
            }
        }

        ulong value = 0;
        foreach (var g in groups)
        {
            if (!g.All(char.IsAsciiHexDigit))
            {
                return false;
            }

            value = (value << (4 * width)) | ulong.Parse(g, System.Globalization.NumberStyles.HexNumber, System.Globalization.CultureInfo.InvariantCulture);
        }

        address = new MacAddress(value);
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
