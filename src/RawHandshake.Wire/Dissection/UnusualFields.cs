using System.Globalization;
using RawHandshake.Wire.Explain;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Wire.Dissection;

/// <summary>How far from normal a field is: <see cref="Bad"/> a receiver drops the frame for it (a wrong checksum), <see cref="Odd"/> it is legal but unusual.</summary>
public enum Unusualness
{
    Odd,
    Bad,
}

/// <summary>One field set to something a normal stack would not send, as the trace line names it: <c>TTL=1</c>, <c>[bad TCP checksum 0xdead, should be 0x1a2b]</c>.</summary>
public readonly record struct UnusualField(string Text, Unusualness How);

/// <summary>
/// The fields of a frame that a normal stack would not send, named as they are shown after a frame's trace line, so that
/// what the user set (a wrong checksum, TTL 1, IP options, an odd data offset, reserved bits) is visible without the
/// field tree. Reads the bytes: a value shows as it went out. Shared by the trace, craft and the probe output.
/// </summary>
public static class UnusualFields
{
    /// <summary>The TTL a frame of ours carries unless the user set another (Linux's default).</summary>
    public const byte UsualTtl = 64;

    public static IReadOnlyList<UnusualField> Of(ReadOnlySpan<byte> frame, in ParsedFrame f)
    {
        var list = new List<UnusualField>();
        if (f.IPv4 is not { } ip)
        {
            return list;
        }

        if (ip.Version is { } v && v != 4)
        {
            list.Add(new($"[IP version {v}]", Unusualness.Bad));
        }

        if (ip.Ttl is { } ttl && ttl != UsualTtl)
        {
            list.Add(new(string.Create(CultureInfo.InvariantCulture, $"TTL={ttl}"), ttl <= 1 ? Unusualness.Bad : Unusualness.Odd));
        }

        if (ip.ReservedFlag)
        {
            list.Add(new("[IP reserved flag (evil bit) set]", Unusualness.Odd));
        }

        if (f.IpOptionsLength > 0)
        {
            var options = f.IpOptions(frame);
            var names = IPv4Options.Read(options).Where(o => o.Type is not IPv4Options.Eol || o.Offset == 0)
                .Select(o => IPv4Options.Abbreviation(o.Type) + (o.Truncated ? " (malformed)" : "")).Distinct().ToList();
            list.Add(new($"[IP options: {string.Join(", ", names.Where(n => n != "NOP").DefaultIfEmpty("NOP"))}]", Unusualness.Odd));
        }

        if (f.IpTruncated && ip.TotalLength is { } total)
        {
            list.Add(new(string.Create(CultureInfo.InvariantCulture, $"[IP total length {total}, but {frame.Length - f.NetworkOffset} bytes follow]"), Unusualness.Bad));
        }

        foreach (var c in ChecksumExplainer.Explain(frame, f))
        {
            if (c.Verdict == ChecksumVerdict.Bad)
            {
                var what = c.Name.Replace(" header checksum", "", StringComparison.Ordinal).Replace(" checksum", "", StringComparison.Ordinal).Replace("IPv4", "IP", StringComparison.Ordinal);
                list.Add(new($"[bad {what} checksum 0x{c.Field:x4}, should be 0x{c.Correct:x4}]", Unusualness.Bad));
            }
        }

        if (f.Tcp is { } tcp && f.TransportOffset + 20 <= frame.Length)
        {
            var doff = frame[f.TransportOffset + 12] >> 4;
            var natural = 20 + NaturalOptionsLength(f.TcpOptions(frame));
            if (doff < 5)
            {
                list.Add(new($"[data offset {doff} ({doff * 4} bytes), less than the 20-byte header]", Unusualness.Bad));
            }
            else if (doff * 4 != natural)
            {
                list.Add(new($"[data offset {doff} ({doff * 4} bytes), the options need {natural}]", Unusualness.Odd));
            }

            if (tcp.Reserved != 0)
            {
                list.Add(new($"[reserved bits 0x{tcp.Reserved:x1}]", Unusualness.Odd));
            }

            if (tcp.Urgent != 0 && !tcp.Has(TcpFlags.Urg))
            {
                list.Add(new($"[urgent pointer {tcp.Urgent} without URG]", Unusualness.Odd));
            }
        }

        return list;
    }

    /// <summary>The unusual fields as one suffix for a trace line (<c> TTL=1 [IP options: RR] …</c>); empty when there are none.</summary>
    public static string Suffix(ReadOnlySpan<byte> frame, in ParsedFrame f) => string.Concat(Of(frame, f).Select(u => " " + u.Text));

    /// <summary>The option bytes a builder would use for these options: up to the end of the last one that is not NOP or EOL, padded to 32 bits.</summary>
    private static int NaturalOptionsLength(ReadOnlySpan<byte> options)
    {
        var end = 0;
        var i = 0;
        while (i < options.Length)
        {
            var kind = options[i];
            if (kind == 0)
            {
                break;
            }

            if (kind == 1)
            {
                i++;
                continue;
            }

            if (i + 1 >= options.Length || options[i + 1] < 2)
            {
                return options.Length; // malformed: the options run to the data offset
            }

            i += options[i + 1];
            end = Math.Min(i, options.Length);
        }

        return (end + 3) / 4 * 4;
    }
}
