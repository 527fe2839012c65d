using System.Buffers.Binary;
using System.Globalization;
using System.Net;
using System.Text;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Engine.Trace;

/// <summary>
/// A frame's IPv4 and TCP headers drawn as RFC 791 and RFC 9293 draw them: a 32-bit ruler, one row per word, each field
/// boxed across its bits with its name and the value on the wire. A wrong checksum is boxed in red; a field set to
/// something unusual (reserved bits, IP options, an urgent pointer without URG, a TTL of ours other than 64) in yellow.
/// Reads the bytes themselves, so a field set to something odd shows as sent.
/// </summary>
public static class HeaderDiagram
{
    private sealed record Field(string Name, int Bits, string Value, bool Bad = false, bool Odd = false);

    /// <summary>HTML tables (class <c>hdr</c>) for the frame's IPv4 and TCP headers, or a line saying there are none.</summary>
    public static string Html(PacketTraced p)
    {
        var f = p.Parsed;
        var b = p.Frame;
        var sb = new StringBuilder();
        if (f.IPv4 is null || f.NetworkOffset + 20 > b.Length)
        {
            sb.Append("<p class=\"nohdr\">no IPv4 header in this frame</p>");
            return sb.ToString();
        }

        var o = f.NetworkOffset;
        var ihl = b[o] & 0xF;
        var ipChecksum = BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(o + 10));
        var ipVerdict = f.IpChecksum(b);
        var flags = b[o + 6] >> 5;
        var ip = new List<Field>
        {
            new("Version", 4, (b[o] >> 4).ToString(CultureInfo.InvariantCulture)),
            new("IHL", 4, $"{ihl} ({ihl * 4} bytes)"),
            new("DSCP", 6, (b[o + 1] >> 2).ToString(CultureInfo.InvariantCulture)),
            new("ECN", 2, (b[o + 1] & 3).ToString(CultureInfo.InvariantCulture)),
            new("Total Length", 16, U16(b, o + 2).ToString(CultureInfo.InvariantCulture)),
            new("Identification", 16, $"0x{U16(b, o + 4):x4}"),
            new("Flags", 3, $"{(flags & 4) >> 2}{(flags & 2) >> 1}{flags & 1}{((flags & 2) != 0 ? " DF" : "")}{((flags & 1) != 0 ? " MF" : "")}"),
            new("Fragment Offset", 13, (U16(b, o + 6) & 0x1FFF).ToString(CultureInfo.InvariantCulture)),
            new("Time to Live", 8, b[o + 8].ToString(CultureInfo.InvariantCulture), Odd: p.Dir == Direction.Out && b[o + 8] != 64),
            new("Protocol", 8, b[o + 9] == 6 ? "6 (TCP)" : b[o + 9].ToString(CultureInfo.InvariantCulture)),
            ChecksumField("Header Checksum", ipChecksum, ipVerdict),
            new("Source Address", 32, new IPAddress(b.AsSpan(o + 12, 4)).ToString()),
            new("Destination Address", 32, new IPAddress(b.AsSpan(o + 16, 4)).ToString()),
        };
        if (f.IpOptionsLength > 0)
        {
            ip.Add(new("Options", 32, Hex(b.AsSpan(f.IpOptionsOffset, f.IpOptionsLength)), Odd: true));
        }

        Table(sb, "IPv4 header", ip);

        if (f.Tcp is { } tcp && f.TransportOffset + 20 <= b.Length)
        {
            var t = f.TransportOffset;
            var doff = b[t + 12] >> 4;
            var fl = b[t + 13];
            var rel = p.Rel;
            var tcpFields = new List<Field>
            {
                new("Source Port", 16, U16(b, t).ToString(CultureInfo.InvariantCulture)),
                new("Destination Port", 16, U16(b, t + 2).ToString(CultureInfo.InvariantCulture)),
                new("Sequence Number", 32, $"{U32(b, t + 4)}{(rel is { } r ? $" (relative {r.Seq})" : "")}"),
                new("Acknowledgment Number", 32, $"{U32(b, t + 8)}{(rel is { AckKnown: true } r2 && tcp.Has(Wire.Protocols.TcpFlags.Ack) ? $" (relative {r2.Ack})" : "")}"),
                new("Data Offset", 4, $"{doff} ({doff * 4} bytes)"),
                new("Rsrvd", 4, Convert.ToString(b[t + 12] & 0xF, 2).PadLeft(4, '0'), Odd: (b[t + 12] & 0xF) != 0),
            };
            string[] names = ["CWR", "ECE", "URG", "ACK", "PSH", "RST", "SYN", "FIN"];
            for (var i = 0; i < 8; i++)
            {
                tcpFields.Add(new(names[i], 1, ((fl >> (7 - i)) & 1).ToString(CultureInfo.InvariantCulture)));
            }

            tcpFields.Add(new("Window", 16, U16(b, t + 14).ToString(CultureInfo.InvariantCulture) + (rel is { WindowShift: > 0 } w && !tcp.Has(Wire.Protocols.TcpFlags.Syn) ? $" (×{1 << w.WindowShift} = {U16(b, t + 14) << w.WindowShift})" : "")));
            tcpFields.Add(ChecksumField("Checksum", U16(b, t + 16), f.TransportChecksum(b)));
            tcpFields.Add(new("Urgent Pointer", 16, U16(b, t + 18).ToString(CultureInfo.InvariantCulture), Odd: U16(b, t + 18) != 0 && (fl & 0x20) == 0));
            if (f.TcpOptionsLength > 0)
            {
                tcpFields.Add(new("[Options]", 32, Hex(f.TcpOptions(b))));
            }

            if (f.PayloadLength > 0)
            {
                tcpFields.Add(new("Data", 32, $"{f.PayloadLength} bytes: \"{TextTraceRenderer.Escape(f.Payload(b)[..Math.Min(f.PayloadLength, 64)])}\"{(f.PayloadLength > 64 ? "…" : "")}"));
            }

            Table(sb, "TCP header", tcpFields);
        }

        return sb.ToString();
    }

    private static Field ChecksumField(string name, ushort value, ChecksumVerdict verdict) => verdict switch
    {
        ChecksumVerdict.Good => new(name, 16, $"0x{value:x4} [correct]"),
        ChecksumVerdict.Bad => new(name, 16, $"0x{value:x4} [incorrect]", true),
        ChecksumVerdict.Offload => new(name, 16, $"0x{value:x4} [offloaded: the device fills it in]"),
        _ => new(name, 16, $"0x{value:x4} [unverified]"),
    };

    private static void Table(StringBuilder sb, string caption, List<Field> fields)
    {
        sb.Append("<table class=\"hdr\"><caption>").Append(SvgLadderRenderer.Esc(caption)).Append("</caption>");
        sb.Append("<tr class=\"ruler\">");
        for (var i = 0; i < 32; i++)
        {
            sb.Append("<th>").Append(i % 10 == 0 ? (i / 10).ToString(CultureInfo.InvariantCulture) : "").Append("</th>");
        }

        sb.Append("</tr><tr class=\"ruler\">");
        for (var i = 0; i < 32; i++)
        {
            sb.Append("<th>").Append((i % 10).ToString(CultureInfo.InvariantCulture)).Append("</th>");
        }

        sb.Append("</tr><tr>");
        var bit = 0;
        foreach (var field in fields)
        {
            if (bit == 32)
            {
                sb.Append("</tr><tr>");
                bit = 0;
            }

            sb.Append(CultureInfo.InvariantCulture, $"<td colspan=\"{field.Bits}\"{(field.Bad ? " class=\"bad\"" : field.Odd ? " class=\"odd\"" : "")}><span class=\"n\">{SvgLadderRenderer.Esc(field.Name)}</span>");
            sb.Append("<span class=\"v\">").Append(SvgLadderRenderer.Esc(field.Value)).Append("</span></td>");
            bit += field.Bits;
        }

        sb.Append("</tr></table>");
    }

    private static ushort U16(byte[] b, int at) => BinaryPrimitives.ReadUInt16BigEndian(b.AsSpan(at));

    private static uint U32(byte[] b, int at) => BinaryPrimitives.ReadUInt32BigEndian(b.AsSpan(at));

    private static string Hex(ReadOnlySpan<byte> bytes) => bytes.Length > 40 ? Convert.ToHexStringLower(bytes[..40]) + "…" : Convert.ToHexStringLower(bytes);
}
