using System.Globalization;
using System.Text.RegularExpressions;

namespace RawHandshake.EndToEnd.Tests;

/// <summary>The lines <c>craft --send</c> prints, read the same way by its IPv4 and IPv6 tests.</summary>
internal static partial class ProbeOutput
{
    /// <summary>The header's first source port: <c>source port from N</c>.</summary>
    [GeneratedRegex(@"source port from (\d+)")]
    public static partial Regex BasePort();

    /// <summary>One reply line: <c>#FRAME  RTT ms  SUMMARY</c>.</summary>
    [GeneratedRegex(@"^#(\d+) +(\d+\.\d{3}) ms  (.*)$", RegexOptions.Multiline)]
    public static partial Regex ReplyLine();

    /// <summary>ping's statistics line when every frame was answered.</summary>
    [GeneratedRegex(@"^(\d+) sent, (\d+) answered, 0% loss, rtt min/avg/max/mdev = (\d+\.\d+)/(\d+\.\d+)/(\d+\.\d+)/(\d+\.\d+) ms$", RegexOptions.Multiline)]
    public static partial Regex Statistics();

    public static double Number(Group g) => double.Parse(g.Value, CultureInfo.InvariantCulture);

    /// <summary>The connections <paramref name="serverNs"/>'s port 20000 still holds with our ports
    /// <paramref name="firstPort"/>..<paramref name="lastPort"/> (empty: none). Bounded: our RSTs went out before the
    /// process ended; the server has handled them by the time we look, or very soon.</summary>
    public static string ServerHolds(string serverNs, int firstPort, int lastPort)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(3);
        string held;
        while (true)
        {
            held = Sh.InNs(serverNs, "ss", "-tanH", "state", "all", $"( sport = :20000 and dport >= :{firstPort} and dport <= :{lastPort} )").Trim();
            if (held.Length == 0 || DateTime.UtcNow >= until)
            {
                return held;
            }

            Thread.Sleep(100);
        }
    }
}
