using System.Globalization;
using System.Text.RegularExpressions;

namespace RawHandshake.EndToEnd.Tests;

/// <summary>The "[TCP …]" analysis tags of our text trace and of tshark reading the capture we wrote, frame by frame.</summary>
internal static partial class TsharkTags
{
    /// <summary>Frame number → its tags in order, joined by spaces: ours from the trace text, tshark's from the capture.</summary>
    public static (Dictionary<int, string> Ours, Dictionary<int, string> Theirs) Compare(string traceText, string capture)
    {
        var ours = Tags(traceText.Split('\n').Select(l => FrameLine().Match(l)).Where(m => m.Success)
            .Select(m => (int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), m.Groups[2].Value)));
        var info = Sh.Run("tshark", "-r", capture, "-T", "fields", "-E", "separator=|", "-e", "frame.number", "-e", "_ws.col.Info");
        var theirs = Tags(info.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => (Line: l, Bar: l.IndexOf('|', StringComparison.Ordinal)))
            .Where(x => x.Bar > 0 && int.TryParse(x.Line[..x.Bar], NumberStyles.None, CultureInfo.InvariantCulture, out _))
            .Select(x => (int.Parse(x.Line[..x.Bar], CultureInfo.InvariantCulture), x.Line[(x.Bar + 1)..])));
        return (ours, theirs);
    }

    /// <summary>Every frame tshark read has the same tags in our trace (the first few differences are named).</summary>
    public static void ShouldAgree(Dictionary<int, string> ours, Dictionary<int, string> theirs)
    {
        var missing = theirs.Keys.Except(ours.Keys).Order().Take(10).ToList();
        missing.ShouldBeEmpty($"frames tshark read that our trace does not show: {string.Join(", ", missing)}");
        ours.Count.ShouldBe(theirs.Count, "frames in our trace vs in the capture");
        var differences = theirs.Where(t => ours[t.Key] != t.Value)
            .Select(t => $"frame {t.Key}: ours \"{ours[t.Key]}\", tshark \"{t.Value}\"")
            .ToList();
        differences.ShouldBeEmpty(string.Join('\n', differences.Take(10)));
    }

    private static Dictionary<int, string> Tags(IEnumerable<(int Number, string Line)> lines) =>
        lines.ToDictionary(x => x.Number, x => string.Join(' ', TcpTag().Matches(x.Line).Select(m => m.Value)));

    [GeneratedRegex(@"^\s*(\d+)\s+\d+\.\d+\s+(.*)$")]
    private static partial Regex FrameLine();

    [GeneratedRegex(@"\[TCP [^\]]+\]")]
    private static partial Regex TcpTag();
}
