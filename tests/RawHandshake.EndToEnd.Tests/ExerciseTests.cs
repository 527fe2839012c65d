using System.Text.RegularExpressions;

namespace RawHandshake.EndToEnd.Tests;

/// <summary>
/// Issue 14: <c>exercise run --all</c> is green against a private lab (both stacks, several exercises at once), a
/// student's <c>--answer</c> is checked against what was observed, and a wrong expectation shows as a mismatch.
/// </summary>
[Trait("Category", "Live")]
public sealed partial class ExerciseTests(LabFixture lab) : IClassFixture<LabFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(150);

    private static string Dir => Path.Combine(RecipeTests.RecipesDir, "exercises");

    [Fact]
    public void EveryExercisePassesInTheLab()
    {
        var files = Directory.GetFiles(Dir, "*.rhx");
        files.Length.ShouldBeGreaterThanOrEqualTo(21);
        var r = Cli.Run(Bound, "exercise", "run", "--all", "--lab", lab.Name, "--dir", Dir, "--jobs", "4");
        r.Code.ShouldBe(0, r.ToString());
        r.Out.ShouldContain($"{files.Length} of {files.Length} exercises pass", customMessage: r.ToString());
        r.Out.ShouldNotContain("MISMATCH");
        r.Out.ShouldNotContain("FAIL");
        r.Out.ShouldContain("two-stacks         linux pass  slirp pass");

        // Each exercise's table line, and each observation checked: "NAME  FIELD = VALUE   expected M   ok".
        foreach (var f in files)
        {
            r.Out.ShouldContain($"== {Path.GetFileNameWithoutExtension(f)} — ");
        }

        ObservationLine().Matches(r.Out).Count.ShouldBeGreaterThanOrEqualTo(60);
    }

    [Fact]
    public void AStudentsAnswerIsCheckedAgainstTheObservation()
    {
        var right = Cli.Run(Bound, "exercise", "run", "seq-ack", "--lab", lab.Name, "--dir", Dir, "--answer", "4");
        right.Code.ShouldBe(0, right.ToString());
        right.Out.ShouldContain("question: After the SYN, \"A\" and then \"AB\", which acknowledgment number (relative) does the server send?");
        right.Out.ShouldContain("»rel_ack=4«");
        right.Out.ShouldContain("your answer \"4\": right — observed rel_ack = 4");

        var wrong = Cli.Run(Bound, "exercise", "run", "bad-tcp-checksum", "--lab", lab.Name, "--dir", Dir, "--answer", "RST");
        wrong.Code.ShouldBe(1, wrong.ToString());
        wrong.Out.ShouldContain("result: the observation matches the expected one");
        wrong.Out.ShouldContain("your answer \"RST\": wrong — observed flags = (absent)");

        var alias = Cli.Run(Bound, "exercise", "run", "two-stacks", "--lab", lab.Name, "--dir", Dir, "--answer", "none");
        alias.Code.ShouldBe(0, alias.ToString());
        alias.Out.ShouldContain("slirp (198.19.64.2:20000): 3/3 steps passed");
        alias.Out.ShouldContain("your answer \"none\": right — observed options.wscale = (absent)");
        Regex.IsMatch(alias.Out, @"^  side by side +linux +slirp$", RegexOptions.Multiline).ShouldBeTrue(alias.Out);
        Regex.IsMatch(alias.Out, @"^  wscale \(options.wscale\) +\d+ +\(absent\)$", RegexOptions.Multiline).ShouldBeTrue(alias.Out);
        Regex.IsMatch(alias.Out, @"^  win \(win\) +\d+ +65535$", RegexOptions.Multiline).ShouldBeTrue(alias.Out);
    }

    [Fact]
    public void AWrongExpectationIsAMismatch()
    {
        var dir = Path.Combine(Path.GetTempPath(), $"rh-exercise-e2e-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        try
        {
            var text = File.ReadAllText(Path.Combine(Dir, "seq-ack.rhx")).Replace("received at ab  expect 4", "received at ab  expect 5", StringComparison.Ordinal);
            File.WriteAllText(Path.Combine(dir, "seq-ack.rhx"), text);
            var r = Cli.Run(Bound, "exercise", "run", "seq-ack", "--lab", lab.Name, "--dir", dir);
            r.Code.ShouldBe(1, r.ToString());
            r.Out.ShouldContain("ack-after-AB  rel_ack = 4   expected 5   MISMATCH");
            r.Out.ShouldContain("result: the observation does NOT match the expected one");
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [GeneratedRegex(@"^  \S+ +\S+ = \S+   expected \S+   ok$", RegexOptions.Multiline)]
    private static partial Regex ObservationLine();
}
