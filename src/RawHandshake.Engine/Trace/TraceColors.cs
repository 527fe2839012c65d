using RawHandshake.Wire.Dissection;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Trace;

/// <summary>
/// Terminal colours for packet lines, after Wireshark's default colouring rules, first match wins: checksum errors, Bad
/// TCP (analysis tags), RST, SYN/FIN, ICMP errors, ARP. The fields set to something unusual are painted on their own
/// (red when a receiver drops the frame for them, yellow otherwise). Text only: never in JSON, pipes or files.
/// </summary>
public static class TraceColors
{
    public const string Reset = "\u001b[0m";
    public const string ChecksumError = "\u001b[1;97;41m";
    public const string BadTcp = "\u001b[91;40m";
    public const string Rst = "\u001b[31m";
    public const string SynFin = "\u001b[90m";
    public const string IcmpError = "\u001b[92;40m";
    public const string Arp = "\u001b[93m";
    public const string BadField = "\u001b[1;31m";
    public const string OddField = "\u001b[33m";

    /// <summary>The colour of a packet line, or null for none.</summary>
    public static string? LineColor(ReadOnlySpan<byte> frame, in ParsedFrame f, IReadOnlyList<string> tags)
    {
        if (f.IpChecksum(frame) == ChecksumVerdict.Bad || f.TransportChecksum(frame) == ChecksumVerdict.Bad)
        {
            return ChecksumError;
        }

        if (f.Tcp is { } tcp)
        {
            if (tags.Any(t => !t.Contains("Window Update", StringComparison.Ordinal) && !t.StartsWith("TCP Keep-Alive", StringComparison.Ordinal)))
            {
                return BadTcp;
            }

            if (tcp.Has(TcpFlags.Rst))
            {
                return Rst;
            }

            if (tcp.Has(TcpFlags.Syn) || tcp.Has(TcpFlags.Fin))
            {
                return SynFin;
            }

            return null;
        }

        if (f.Icmp is { } icmp && icmp.Type is 3 or 4 or 5 or 11 or 12)
        {
            return IcmpError;
        }

        return f.Arp is not null ? Arp : null;
    }

    /// <summary>
    /// <paramref name="line"/> painted: the line in <paramref name="lineColor"/>, each of <paramref name="unusual"/> found
    /// in it in its own colour.
    /// </summary>
    public static string Paint(string line, string? lineColor, IReadOnlyList<UnusualField> unusual)
    {
        var painted = line;
        foreach (var u in unusual)
        {
            var at = painted.IndexOf(u.Text, StringComparison.Ordinal);
            if (at < 0)
            {
                continue;
            }

            var color = u.How == Unusualness.Bad ? BadField : OddField;
            painted = painted[..at] + color + u.Text + Reset + (lineColor ?? "") + painted[(at + u.Text.Length)..];
        }

        return lineColor is null && ReferenceEquals(painted, line) ? line : (lineColor ?? "") + painted + Reset;
    }

    /// <summary>A frame's line painted by <see cref="LineColor"/>, with the unusual fields of a frame we sent.</summary>
    public static string Paint(string line, ReadOnlySpan<byte> frame, in ParsedFrame f, IReadOnlyList<string> tags, bool ours) =>
        Paint(line, LineColor(frame, f, tags), ours ? UnusualFields.Of(frame, f) : []);
}
