using System.Globalization;
using System.Text;
using RawHandshake.Session;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Trace;

/// <summary>
/// The exchange as the seeds draw it: a client column and a server column, one arrow per TCP segment labelled with
/// flags and relative Seq/Ack/Len, and each side's state at its margin whenever it changes (the server's inferred).
/// Frames our own kernel sent are drawn dashed.
/// </summary>
public static class LadderRenderer
{
    private const int StateWidth = 13;
    private const int ArrowWidth = 60;

    public static string Render(IEnumerable<TraceEvent> events)
    {
        var list = events.ToList();
        var sb = new StringBuilder();
        var (client, server) = LadderRows.Initial(list);
        sb.Append(' ', StateWidth).Append("  client").Append(' ', ArrowWidth - 12).Append("server\n");
        Row(sb, client.ToRfc(), "", server.ToRfc());
        foreach (var row in LadderRows.Of(list, p => p.Parsed.Tcp is not null))
        {
            var arrow = "";
            if (row.Packet is { Parsed.Tcp: { } tcp } packet)
            {
                var label = Label(packet, tcp);
                arrow = packet.Dir == Direction.In ? Left(label) : Right(label, packet.Dir == Direction.Kernel);
            }

            // A row without an arrow is a change made by time (TIME-WAIT running out, a timeout), not by a segment.
            Row(sb, row.ClientChanged ? row.Client.ToRfc() : "", arrow, row.ServerChanged ? row.Server.ToRfc() : "");
        }

        return sb.ToString();
    }

    internal static string Label(PacketTraced p, TcpHeader tcp)
    {
        var seq = p.Rel?.Seq ?? tcp.Seq.Value;
        var sb = new StringBuilder();
        sb.Append(tcp.Flags.ToWireshark()).Append(CultureInfo.InvariantCulture, $" Seq={seq}");
        if (tcp.Has(TcpFlags.Ack))
        {
            sb.Append(CultureInfo.InvariantCulture, $" Ack={(p.Rel is { AckKnown: true } r ? r.Ack : tcp.Ack.Value)}");
        }

        sb.Append(CultureInfo.InvariantCulture, $" Len={p.Parsed.PayloadLength}");
        if (p.Dir == Direction.Kernel)
        {
            sb.Append(" (kernel)");
        }
        else if (p.Tags.Count > 0)
        {
            sb.Append(" [").Append(p.Tags[0].Replace("TCP ", "", StringComparison.Ordinal)).Append(']');
        }

        return sb.ToString();
    }

    private static string Right(string label, bool dashed)
    {
        var line = dashed ? '.' : '-';
        var text = new string(line, 2) + label + " ";
        text = text.Length > ArrowWidth - 1 ? text[..(ArrowWidth - 1)] : text;
        return text + new string(line, ArrowWidth - 1 - text.Length) + ">";
    }

    private static string Left(string label)
    {
        var text = " " + label + "--";
        text = text.Length > ArrowWidth - 1 ? text[^(ArrowWidth - 1)..] : text;
        return "<" + new string('-', ArrowWidth - 1 - text.Length) + text;
    }

    private static void Row(StringBuilder sb, string left, string arrow, string right)
    {
        sb.Append(left.PadLeft(StateWidth)).Append(" |").Append(arrow.PadRight(ArrowWidth)).Append("| ").Append(right).Append('\n');
    }
}
