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
        var client = TcpState.Closed;
        // The server's state at the top: what its first change shows it was (LISTEN once its SYN-ACK came), else unknown.
        var server = list.OfType<StateTraced>().FirstOrDefault(s => s.Side == Side.Server)?.From;
        sb.Append(' ', StateWidth).Append("  client").Append(' ', ArrowWidth - 12).Append("server\n");
        Row(sb, client.ToRfc(), "", server.ToRfc());
        for (var i = 0; i < list.Count; i++)
        {
            var packet = list[i] as PacketTraced;
            if (packet is not { Parsed.Tcp: not null } && list[i] is not TimerTraced && i != 0)
            {
                continue;
            }

            // States after this segment or timer: the state events until the next segment or timer.
            var newClient = client;
            var newServer = server;
            for (var j = i + (i == 0 && packet is null && list[0] is not TimerTraced ? 0 : 1); j < list.Count && list[j] is not (PacketTraced { Parsed.Tcp: not null } or TimerTraced); j++)
            {
                if (list[j] is StateTraced s)
                {
                    if (s.Side == Side.Client)
                    {
                        newClient = s.To;
                    }
                    else
                    {
                        newServer = s.To;
                    }
                }
            }

            if (packet is { Parsed.Tcp: { } tcp })
            {
                var label = Label(packet, tcp);
                var arrow = packet.Dir == Direction.In ? Left(label) : Right(label, packet.Dir == Direction.Kernel);
                Row(sb, newClient != client ? newClient.ToRfc() : "", arrow, newServer != server ? newServer.ToRfc() : "");
            }
            else if (newClient != client || newServer != server)
            {
                // A change made by time (TIME-WAIT running out, a timeout), not by a segment: a row without an arrow.
                Row(sb, newClient != client ? newClient.ToRfc() : "", "", newServer != server ? newServer.ToRfc() : "");
            }

            client = newClient;
            server = newServer;
        }

        return sb.ToString();
    }

    private static string Label(PacketTraced p, TcpHeader tcp)
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
