using System.Buffers.Binary;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Wire.Protocols;

/// <summary>
/// One IPv4 option as found in the header (RFC 791 §3.1): its type byte, where it starts in the options, and how many
/// bytes it takes. <see cref="Truncated"/>: its length byte is missing, below 2, or runs past the options (the rest of
/// the options is then this option).
/// </summary>
public readonly record struct IPv4Option(byte Type, int Offset, int Length, bool Truncated)
{
    /// <summary>The number: the low five bits of the type (7 for Record Route, whatever its copy and class bits).</summary>
    public int Number => Type & 0x1F;

    public bool Copied => (Type & 0x80) != 0;

    public int Class => (Type >> 5) & 3;

    /// <summary>The option's data after type, length and (for routes and timestamps) pointer.</summary>
    public ReadOnlySpan<byte> Bytes(ReadOnlySpan<byte> options) => options.Slice(Offset, Length);
}

/// <summary>
/// Reads IPv4 options the way Wireshark's IP dissector does: NOP and EOL are one byte, EOL ends the list, every other
/// option is type, length, data. Names and abbreviations are shared by the field tree, the JSON and the trace lines.
/// </summary>
public static class IPv4Options
{
    public const byte Eol = 0, Nop = 1, Security = 130, Lsrr = 131, Timestamp = 68, RecordRoute = 7, Ssrr = 137, RouterAlert = 148;

    public static IReadOnlyList<IPv4Option> Read(ReadOnlySpan<byte> options)
    {
        var list = new List<IPv4Option>();
        var i = 0;
        while (i < options.Length)
        {
            var type = options[i];
            if (type is Eol or Nop)
            {
                list.Add(new IPv4Option(type, i, 1, false));
                i++;
                if (type == Eol)
                {
                    break;
                }

                continue;
            }

            if (i + 1 >= options.Length || options[i + 1] < 2 || i + options[i + 1] > options.Length)
            {
                list.Add(new IPv4Option(type, i, options.Length - i, true));
                break;
            }

            list.Add(new IPv4Option(type, i, options[i + 1], false));
            i += options[i + 1];
        }

        return list;
    }

    /// <summary>Wireshark's name of the option (<c>Record Route</c>), null for one it does not know.</summary>
    public static string? Name(byte type) => type switch
    {
        Eol => "End of Options List (EOL)",
        Nop => "No-Operation (NOP)",
        Security => "Security",
        Lsrr => "Loose Source Route",
        Timestamp => "Time Stamp",
        RecordRoute => "Record Route",
        Ssrr => "Strict Source Route",
        RouterAlert => "Router Alert",
        _ => null,
    };

    /// <summary>Wireshark's name of the number in the type byte (<c>Record route</c>), as in its bit line.</summary>
    public static string NumberName(int number) => number switch
    {
        0 => "End of Option List (EOL)",
        1 => "No-Operation (NOP)",
        2 => "Security",
        3 => "Loose source route",
        4 => "Time stamp",
        7 => "Record route",
        9 => "Strict source route",
        20 => "Router Alert",
        _ => "Unknown",
    };

    public static string ClassName(int c) => c switch
    {
        0 => "Control",
        2 => "Debugging and measurement",
        _ => "Reserved for future use",
    };

    /// <summary>The short name in trace lines and the JSON (<c>RR</c>, <c>TS</c>, <c>RA</c> …; <c>type_N</c> when unknown).</summary>
    public static string Abbreviation(byte type) => type switch
    {
        Eol => "EOL",
        Nop => "NOP",
        Security => "SEC",
        Lsrr => "LSRR",
        Timestamp => "TS",
        RecordRoute => "RR",
        Ssrr => "SSRR",
        RouterAlert => "RA",
        _ => $"type_{type}",
    };

    /// <summary>The timestamp option's flag names (RFC 791), as Wireshark prints them.</summary>
    public static string TimestampFlagName(int flag) => flag switch
    {
        0 => "Time stamps only",
        1 => "Time stamp and address",
        3 => "Time stamps for prespecified addresses",
        _ => "Unknown",
    };

    /// <summary>RFC 791's security levels (the 11-byte form).</summary>
    public static string SecurityLevelName(ushort level) => level switch
    {
        0x0000 => "Unclassified",
        0xF135 => "Confidential",
        0x789A => "EFTO",
        0xBC4D => "MMMM",
        0x5E26 => "PROG",
        0xAF13 => "Restricted",
        0xD788 => "Secret",
        0x6BC5 => "Top secret",
        _ => "Unknown",
    };

    /// <summary>RFC 1108's classification levels (the short form).</summary>
    public static string ClassificationName(byte level) => level switch
    {
        0x3D => "Top Secret",
        0x5A => "Secret",
        0x96 => "Confidential",
        0xAB => "Unclassified",
        _ => "Unknown",
    };

    /// <summary>One address slot of a route option: its offset in the option, the address, and what Wireshark calls it.</summary>
    public readonly record struct RouteSlot(int Offset, IPv4Address Address, string Label, bool Next);

    /// <summary>
    /// The address slots of Record Route, Loose and Strict Source Route. Slots before the pointer were recorded; the one
    /// at the pointer is next; in a source route the last slot not yet used is the destination.
    /// </summary>
    public static IReadOnlyList<RouteSlot> Route(IPv4Option o, ReadOnlySpan<byte> options)
    {
        var b = o.Bytes(options);
        var slots = new List<RouteSlot>();
        if (o.Truncated || b.Length < 3)
        {
            return slots;
        }

        var pointer = b[2];
        var sourceRoute = o.Type is Lsrr or Ssrr;
        for (var at = 3; at + 4 <= b.Length; at += 4)
        {
            var address = new IPv4Address(BinaryPrimitives.ReadUInt32BigEndian(b[at..]));
            var last = at + 4 > b.Length - 4;
            if (at < pointer - 1)
            {
                slots.Add(new RouteSlot(at, address, "Recorded Route", false));
            }
            else if (sourceRoute && last)
            {
                slots.Add(new RouteSlot(at, address, "Destination Address", false));
            }
            else
            {
                slots.Add(new RouteSlot(at, address, sourceRoute ? "Source Route" : "Empty Route", at == pointer - 1));
            }
        }

        return slots;
    }

    /// <summary>One entry of the timestamp option: an address (flags 1 and 3) and a time stamp, at its offset in the option.</summary>
    public readonly record struct TimestampEntry(int Offset, IPv4Address? Address, uint Stamp);

    /// <summary>The timestamp option's entries; <paramref name="overrun"/>: the last entry would go past the option's end.</summary>
    public static IReadOnlyList<TimestampEntry> Timestamps(IPv4Option o, ReadOnlySpan<byte> options, out bool overrun)
    {
        var b = o.Bytes(options);
        var list = new List<TimestampEntry>();
        overrun = false;
        if (o.Truncated || b.Length < 4)
        {
            return list;
        }

        var withAddress = (b[3] & 0xF) != 0;
        var size = withAddress ? 8 : 4;
        var at = 4;
        while (at < b.Length)
        {
            if (at + size > b.Length)
            {
                overrun = true;
                break;
            }

            list.Add(withAddress
                ? new TimestampEntry(at, new IPv4Address(BinaryPrimitives.ReadUInt32BigEndian(b[at..])), BinaryPrimitives.ReadUInt32BigEndian(b[(at + 4)..]))
                : new TimestampEntry(at, null, BinaryPrimitives.ReadUInt32BigEndian(b[at..])));
            at += size;
        }

        return list;
    }
}
