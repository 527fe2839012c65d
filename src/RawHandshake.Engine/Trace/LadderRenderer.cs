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
        var server = TcpState.Listen;
        sb.Append(' ', StateWidth).Append("  client").Append(' ', ArrowWidth - 12).Append("server\n");
        Row(sb, client.ToRfc(), "", server.ToRfc());
        for (var i = 0; i < list.Count; i++)
        {
            if (list[i] is not PacketTraced { Parsed.Tcp: { } tcp } p)
            {
                continue;
            }

            // States after this segment: the state events until the next packet.
            var newClient = client;
            var newServer = server;
            for (var j = i + 1; j < list.Count && list[j] is not (PacketTraced or TimerTraced); j++)
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

            var label = Label(p, tcp);
            var arrow = p.Dir == Direction.In ? Left(label) : Right(label, p.Dir == Direction.Kernel);
            Row(sb, newClient != client ? newClient.ToRfc() : "", arrow, newServer != server ? newServer.ToRfc() : "");
            client = newClient;
            server = newServer;
        }

        // State changes after the last segment (TIME-WAIT running out, a failure).
        foreach (var s in list.SkipWhile(e => e is not PacketTraced).Reverse().TakeWhile(e => e is not PacketTraced).Reverse().OfType<StateTraced>())
        {
            if (s.Side == Side.Client && s.To != client)
            {
                client = s.To;
                Row(sb, client.ToRfc(), "", "");
            }
            else if (s.Side == Side.Server && s.To != server)
            {
                server = s.To;
                Row(sb, "", "", server.ToRfc());
            }
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
