using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Tests.Infra;

/// <summary>A fake probe target for the probe API's tests, over IPv4 and IPv6 alike.</summary>
public static class ProbePeer
{
    /// <summary>The peer answers each SYN and each echo request (ICMP or ICMPv6) as <paramref name="answer"/> says (after a
    /// delay, or not at all), given the frame and how many were asked before, and keeps the rest, which it returns.</summary>
    public static List<Seen> Answer(TestBed bed, Func<Seen, int, (TimeSpan Delay, byte[] Frame)?> answer)
    {
        var others = new List<Seen>();
        var asked = 0;
        bed.Server.Intercept = seen =>
        {
            if ((seen.Parsed.Tcp is { } t && t.Has(TcpFlags.Syn)) || seen.Parsed.Icmp is not null || seen.Parsed.Icmpv6 is { Type: Icmpv6Header.EchoRequest })
            {
                if (answer(seen, asked++) is { } a)
                {
                    bed.Server.Schedule(a.Delay, () => bed.Server.Send(a.Frame));
                }
            }
            else
            {
                others.Add(seen);
            }

            return true;
        };
        return others;
    }
}
