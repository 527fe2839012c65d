using RawHandshake.Recipes.Syntax;
using RawHandshake.Session;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Recipes.Runner;

/// <summary>Turns a recipe's header (and its first SYN or connect) into the session's configuration.</summary>
public static class RecipeSession
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(30);

    /// <summary>The session of <paramref name="recipe"/> on <paramref name="flow"/>, starting at <paramref name="isn"/>, its
    /// TSval the session's clock plus <paramref name="tsOffset"/> (see <c>TcpEngine.FirstNumbers</c>).</summary>
    public static SessionConfig Config(Recipe recipe, FlowKey flow, uint isn, uint tsOffset = 0)
    {
        var d = recipe.Header.Defaults;
        var defaultMss = SessionConfig.DefaultMss(flow.Family); // 1460 over IPv4, 1440 over IPv6
        ushort? mss = d.Mss ?? defaultMss;
        var ws = d.WindowScale;
        var sack = d.SackPermitted ?? false;
        var ts = d.Timestamps ?? false;

        // The first SYN the recipe sends (or its connect's options) decides what we offered: the session must know,
        // to scale windows and echo timestamps as agreed.
        var first = recipe.Steps.FirstOrDefault(s => s is ConnectStep || (s is SendStep send && (send.Flags & TcpFlags.Syn) != 0));
        // A list written on the step (even an empty one, <>) is exactly what we offer; no list means the header's.
        var options = first switch
        {
            SendStep send => send.Options,
            ConnectStep c => c.Options,
            _ => null,
        };
        if (options is not null)
        {
            mss = null;
            ws = null;
            sack = false;
            ts = false;
            foreach (var o in options)
            {
                switch (o.Kind)
                {
                    case OptionKindName.Mss: mss = (ushort)(o.Value?.Offset ?? defaultMss); break;
                    case OptionKindName.WindowScale: ws = (byte)(o.Value?.Offset ?? 0); break;
                    case OptionKindName.SackPermitted: sack = true; break;
                    case OptionKindName.Timestamps: ts = true; break;
                }
            }
        }

        return new SessionConfig(flow, new SeqNum(isn))
        {
            Mss = mss,
            WindowScale = ws,
            SackPermitted = sack,
            Timestamps = ts,
            ReceiveWindow = d.Window ?? 64240,
            InitialRto = d.Rto ?? TimeSpan.FromSeconds(1),
            Retries = d.Retries ?? 4,
            DataRetries = d.Retries ?? 15, // a recipe's "retries N" is for data too
            TimeWait = d.TimeWait ?? TimeSpan.FromMilliseconds(500),
            TsOffset = tsOffset,
        };
    }
}
