using System.Text.RegularExpressions;

namespace RawHandshake.EndToEnd.Tests;

/// <summary>The analysis tags of the live trace against tshark's, frame by frame, on runs that make the server show them.</summary>
[Trait("Category", "Live")]
public sealed partial class AnalysisTests(LabFixture lab) : IClassFixture<LabFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);

    [Fact]
    public void A_small_window_that_chargen_fills_is_tagged_window_full_as_tshark_tags_it()
    {
        // Our window is 200 bytes from the SYN on; chargen always has more to send, so each of its segments fills it.
        var recipe = Path.Combine(Path.GetTempPath(), $"rh-e2e-{Guid.NewGuid():N}.rh");
        var capture = Path.ChangeExtension(recipe, ".pcapng");
        File.WriteAllText(recipe, """
            target 198.18.2.10:19
            window 200
            connect
            recv 600 bytes within 5s
            abort
            """);
        try
        {
            var r = Cli.Run(Bound, "run", "--netns", lab.Client, recipe, "-w", capture);
            r.Code.ShouldBe(0, r.ToString());
            r.Out.ShouldContain("[SYN] Seq=0 Win=200 ");

            var ours = Tags(r.Out.Split('\n').Select(l => FrameLine().Match(l)).Where(m => m.Success).Select(m => (int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture), m.Groups[2].Value)));
            var info = Sh.Run("tshark", "-r", capture, "-T", "fields", "-E", "separator=|", "-e", "frame.number", "-e", "_ws.col.Info");
            var theirs = Tags(info.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => l.Contains('|', StringComparison.Ordinal))
                .Select(l => (int.Parse(l[..l.IndexOf('|', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture), l[(l.IndexOf('|', StringComparison.Ordinal) + 1)..])));

            theirs.Values.Count(t => t.Contains("[TCP Window Full]", StringComparison.Ordinal)).ShouldBeGreaterThanOrEqualTo(3, info);
            ours.Keys.ShouldBe(theirs.Keys, ignoreOrder: true);
            foreach (var (number, tags) in theirs)
            {
                ours[number].ShouldBe(tags, $"frame {number}:\n{r.Out}\n{info}");
            }
        }
        finally
        {
            File.Delete(recipe);
            File.Delete(capture);
        }
    }

    /// <summary>Frame number → its "[TCP …]" tags in order, joined by spaces.</summary>
    private static Dictionary<int, string> Tags(IEnumerable<(int Number, string Line)> lines) =>
        lines.ToDictionary(x => x.Number, x => string.Join(' ', TcpTag().Matches(x.Line).Select(m => m.Value)));

    [GeneratedRegex(@"^\s+(\d+)\s+\d+\.\d+\s+(.*)$")]
    private static partial Regex FrameLine();

    [GeneratedRegex(@"\[TCP [^\]]+\]")]
    private static partial Regex TcpTag();
}
