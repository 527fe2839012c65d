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
}
