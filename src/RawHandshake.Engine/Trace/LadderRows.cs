using RawHandshake.Session;

namespace RawHandshake.Engine.Trace;

/// <summary>One row of a ladder: a frame (or a change made by time, without one) and both sides' states after it.</summary>
public sealed record LadderRow(PacketTraced? Packet, TcpState Client, TcpState? Server, bool ClientChanged, bool ServerChanged);

/// <summary>
/// The rows every ladder draws (text and SVG): the state events that follow a frame belong to it, and a timer that
/// changes a state (TIME-WAIT running out) makes a row of its own.
/// </summary>
public static class LadderRows
{
    /// <summary>Both sides' states at the top: ours CLOSED; the server's what its first change shows it was (LISTEN once its
    /// SYN-ACK came), else unknown (null).</summary>
    public static (TcpState Client, TcpState? Server) Initial(IReadOnlyList<TraceEvent> list) =>
        (TcpState.Closed, list.OfType<StateTraced>().FirstOrDefault(s => s.Side == Side.Server)?.From);

    /// <summary>Rows for the frames <paramref name="drawn"/> selects (the text ladder: TCP only; the SVG one: all).</summary>
    public static List<LadderRow> Of(IReadOnlyList<TraceEvent> list, Func<PacketTraced, bool> drawn)
    {
        var rows = new List<LadderRow>();
        var (client, server) = Initial(list);
        bool IsRow(TraceEvent e) => e is TimerTraced || (e is PacketTraced p && drawn(p));
        for (var i = 0; i < list.Count; i++)
        {
            var packet = list[i] as PacketTraced;
            if (!IsRow(list[i]) && i != 0)
            {
                continue;
            }

            // States after this frame or timer: the state events until the next frame or timer.
            var newClient = client;
            var newServer = server;
            for (var j = i + (i == 0 && !IsRow(list[0]) ? 0 : 1); j < list.Count && !IsRow(list[j]); j++)
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

            if (packet is not null && drawn(packet))
            {
                rows.Add(new LadderRow(packet, newClient, newServer, newClient != client, newServer != server));
            }
            else if (newClient != client || newServer != server)
            {
                rows.Add(new LadderRow(null, newClient, newServer, newClient != client, newServer != server));
            }

            client = newClient;
            server = newServer;
        }

        return rows;
    }

    /// <summary>
    /// A run of several sessions one after the other (<c>run</c> with several recipes) as one list per session: each
    /// ends with its result, and starts again from CLOSED and LISTEN. Sessions without a frame are left out.
    /// </summary>
    public static List<List<TraceEvent>> Sessions(IReadOnlyList<TraceEvent> events)
    {
        var sessions = new List<List<TraceEvent>> { new() };
        foreach (var e in events)
        {
            sessions[^1].Add(e);
            if (e is ResultTraced)
            {
                sessions.Add([]);
            }
        }

        var kept = sessions.Where(s => s.Any(e => e is PacketTraced)).ToList();
        if (kept.Count > 1 && sessions[^1].Count > 0 && !sessions[^1].Any(e => e is PacketTraced))
        {
            kept[^1].AddRange(sessions[^1]);
        }

        return kept.Count == 0 ? [events.ToList()] : kept;
    }
}
