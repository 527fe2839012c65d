using System.Buffers.Binary;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Wire.Protocols;

/// <summary>
/// One IPv6 extension header to build (RFC 8200 §4): its <see cref="Type"/> (the next-header value that announces it)
/// and its <see cref="Body"/>, the bytes after the next-header and length octets. Hop-by-hop and destination options
/// bodies are padded to a multiple of 8 with Pad1/PadN, others with zeros; the fragment header's body is its 6 fixed
/// bytes. <see cref="NextHeader"/> and <see cref="LengthField"/> are computed when null and sent as set otherwise.
/// </summary>
public record struct IPv6ExtensionHeader(byte Type, ReadOnlyMemory<byte> Body)
{
    public const byte HopByHop = 0;
    public const byte Routing = 43;
    public const byte Fragment = 44;
    public const byte Esp = 50;
    public const byte AuthenticationHeader = 51;
    public const byte NoNextHeader = 59;
    public const byte DestinationOptions = 60;
    public const byte Mobility = 135;
    public const byte Hip = 139;
    public const byte Shim6 = 140;

    public byte? NextHeader { get; set; }
    public byte? LengthField { get; set; }

    /// <summary>Whether <paramref name="type"/> is an extension header the parser walks over (all of RFC 8200's
    /// registry whose length it can read; ESP hides the rest and ends the chain).</summary>
    public static bool IsExtension(byte type) => type is HopByHop or Routing or Fragment or AuthenticationHeader or DestinationOptions or Mobility or Hip or Shim6;

    public readonly int WireLength => Type == Fragment ? 8 : Type == AuthenticationHeader ? (Body.Length + 2 + 3) & ~3 : (Body.Length + 2 + 7) & ~7;

    /// <summary>Writes the header with <paramref name="next"/> as its next header (unless set); returns <see cref="WireLength"/>.</summary>
    public readonly int Write(Span<byte> d, byte next)
    {
        var n = WireLength;
        d[0] = NextHeader ?? next;
        d[1] = LengthField ?? (byte)(Type == Fragment ? 0 : Type == AuthenticationHeader ? (n / 4) - 2 : (n / 8) - 1);
        var body = d[2..n];
        var given = Body.Span[..Math.Min(Body.Length, body.Length)];
        given.CopyTo(body);
        var pad = body[given.Length..];
        if (Type is HopByHop or DestinationOptions && pad.Length > 0)
        {
            pad.Clear();
            if (pad.Length > 1)
            {
                pad[0] = 1; // PadN
                pad[1] = (byte)(pad.Length - 2);
            }
        }
        else
        {
            pad.Clear();
        }

        return n;
    }

    /// <summary>A fragment header: offset in 8-byte units (13 bits), the M flag, the identification.</summary>
    public static IPv6ExtensionHeader FragmentHeader(ushort offset, bool more, uint identification)
    {
        var b = new byte[6];
        BinaryPrimitives.WriteUInt16BigEndian(b, (ushort)((offset << 3) | (more ? 1 : 0)));
        BinaryPrimitives.WriteUInt32BigEndian(b.AsSpan(2), identification);
        return new IPv6ExtensionHeader(Fragment, b);
    }

    /// <summary>A hop-by-hop or destination options header with the given TLV options (padded by the writer).</summary>
    public static IPv6ExtensionHeader Options(byte type, ReadOnlyMemory<byte> options) => new(type, options);

    /// <summary>A routing header of <paramref name="routingType"/> listing <paramref name="addresses"/> (type 0/2 layout:
    /// 4 reserved bytes, then the addresses).</summary>
    public static IPv6ExtensionHeader RoutingHeader(byte routingType, byte segmentsLeft, IReadOnlyList<IPv6Address> addresses)
    {
        var b = new byte[6 + (16 * addresses.Count)];
        b[0] = routingType;
        b[1] = segmentsLeft;
        for (var i = 0; i < addresses.Count; i++)
        {
            addresses[i].Write(b.AsSpan(6 + (16 * i)));
        }

        return new IPv6ExtensionHeader(Routing, b);
    }

    /// <summary>
    /// The final destination a routing header body (routing type, segments left, …) names while segments are left:
    /// the last address for types 0 and 2, the first entry of the segment list for type 4 (SRH); null otherwise.
    /// </summary>
    public static IPv6Address? FinalDestination(ReadOnlySpan<byte> body)
    {
        if (body.Length < 2 || body[1] == 0)
        {
            return null;
        }

        if (body[0] is 0 or 2 && body.Length >= 6 + 16)
        {
            var count = (body.Length - 6) / 16;
            return IPv6Address.Read(body[(6 + (16 * (count - 1)))..]);
        }

        if (body[0] == 4 && body.Length >= 6 + 16)
        {
            return IPv6Address.Read(body[6..]);
        }

        return null;
    }
}
