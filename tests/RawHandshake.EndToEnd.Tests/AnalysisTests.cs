namespace RawHandshake.EndToEnd.Tests;

/// <summary>The analysis tags of the live trace against tshark's, frame by frame, on runs that make the server show them.</summary>
[Trait("Category", "Live")]
public sealed class AnalysisTests(LabFixture lab) : IClassFixture<LabFixture>
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

            var (ours, theirs) = TsharkTags.Compare(r.Out, capture);
            theirs.Values.Count(t => t.Contains("[TCP Window Full]", StringComparison.Ordinal)).ShouldBeGreaterThanOrEqualTo(3);
            TsharkTags.ShouldAgree(ours, theirs);
        }
        finally
        {
            File.Delete(recipe);
            File.Delete(capture);
        }
    }

}
