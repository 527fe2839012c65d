using System.Text.Json;
using System.Xml.Linq;

namespace RawHandshake.EndToEnd.Tests;

/// <summary>Issue 5's bar: every shipped recipe runs green against the real Linux servers, many times over, without a flake.</summary>
[Trait("Category", "Live")]
public sealed partial class RecipeTests(LabFixture lab) : IClassFixture<LabFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(120);

    internal static string RecipesDir
    {
        get
        {
            var dir = new DirectoryInfo(AppContext.BaseDirectory);
            while (dir is not null && !Directory.Exists(Path.Combine(dir.FullName, "recipes")))
            {
                dir = dir.Parent;
            }

            return Path.Combine(dir?.FullName ?? throw new DirectoryNotFoundException("recipes/ not found above the test assembly"), "recipes");
        }
    }

    internal static string[] Shipped => Directory.GetFiles(RecipesDir, "*.rh").OrderBy(f => f, StringComparer.Ordinal).ToArray();

    [Fact]
    public void EveryShippedRecipeCompiles()
    {
        Shipped.Length.ShouldBeGreaterThanOrEqualTo(12);
        var r = Cli.Run(Bound, ["run", "--check", .. Shipped]);
        r.Code.ShouldBe(0, r.ToString());
    }

    [Fact]
    public void EveryShippedRecipePassesTwentyTimesOver()
    {
        // Twenty runs of each recipe at once, as twenty flows through one sniffer on distinct ports, against the lab's
        // real servers: every step of every run must pass (timing bounds carry the recipe's tolerance).
        var junit = Path.Combine(Path.GetTempPath(), $"rh-recipes-{Guid.NewGuid():N}.xml");
        try
        {
            var r = Cli.Run(Bound, ["run", "--netns", lab.Client, "--repeat", "20", "--json", "--junit", junit, .. Shipped]);
            var failures = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Select(l => JsonDocument.Parse(l).RootElement)
                .Where(e => e.GetProperty("event").GetString() == "step" && !e.GetProperty("ok").GetBoolean())
                .Select(e => e.ToString())
                .ToList();
            failures.ShouldBeEmpty();
            r.Code.ShouldBe(0, r.Err);
            var passedSteps = r.Out.Split('\n').Count(l => l.Contains("\"event\":\"step\"", StringComparison.Ordinal) && l.Contains("\"ok\":true", StringComparison.Ordinal));
            var stepsPerRound = Shipped.Sum(f => File.ReadAllLines(f).Count(IsStep));
            passedSteps.ShouldBe(20 * stepsPerRound);
            var xml = XDocument.Load(junit);
            xml.Root!.Attribute("failures")!.Value.ShouldBe("0");
            xml.Root.Elements("testsuite").Count().ShouldBe(Shipped.Length);
        }
        finally
        {
            File.Delete(junit);
        }
    }

    [Fact]
    public void SeedPythonEchoShowsTheArticleArithmetic()
    {
        var r = Cli.Run(Bound, "run", "--netns", lab.Client, Path.Combine(RecipesDir, "seed-python-echo.rh"), "--ladder");
        r.Code.ShouldBe(0, r.ToString());
        r.Out.ShouldContain("[SYN] Seq=0 Win=64240 Len=0 MSS=1460 SACK_PERM WS=128");
        r.Out.ShouldContain("[SYN, ACK] Seq=0 Ack=1");
        r.Out.ShouldContain("Seq=1 Ack=2");
        r.Out.ShouldContain("Seq=2 Ack=4");
        r.Out.ShouldContain("pass  ");
        r.Out.ShouldContain("11/11   pass");
        r.Out.ShouldContain("TIME-WAIT |");
    }

    [Fact]
    public void AWrongRecipeFailsWithTheFieldDiffAndExitCode1()
    {
        var file = Path.Combine(Path.GetTempPath(), $"rh-wrong-{Guid.NewGuid():N}.rh");
        File.WriteAllText(file, """
            target 198.18.2.10:20000
            send   S 0:0(0) <mss 1460>
            expect S. 0:0(0) ack 3 <mss 1400> within 1s
            send   . 1:1(0) ack 1
            """);
        try
        {
            var r = Cli.Run(Bound, "run", "--netns", lab.Client, file);
            r.Code.ShouldBe(1, r.ToString());
            r.Out.ShouldContain($"FAIL  {file}:3: expect S. 0:0(0) ack 3 <mss 1400> within 1s — the segment that came is S. 0:0(0) ack 1 win ");
            r.Out.ShouldContain("tcp.ack: expected 3 (0x3) vs actual 1 (0x1)");
            r.Out.ShouldContain("tcp.options.mss: expected 1400 (0x578) vs actual 1460 (0x5b4)");
            r.Out.ShouldNotContain($"{file}:4:"); // nothing runs after the first failure
            r.Out.ShouldContain("last packets seen:");

            // -q: the failure and its diff stay, the packet and passing-step lines go, the table ends it.
            var q = Cli.Run(Bound, "run", "--netns", lab.Client, file, "-q");
            q.Code.ShouldBe(1, q.ToString());
            q.Out.ShouldContain($"FAIL  {file}:3: expect S. 0:0(0) ack 3 <mss 1400> within 1s — the segment that came is S. 0:0(0) ack 1 win ");
            q.Out.ShouldContain("tcp.ack: expected 3 (0x3) vs actual 1 (0x1)");
            q.Out.ShouldNotContain("[SYN]"); // no packet lines
            q.Out.ShouldNotContain("last packets seen:");
            q.Out.TrimEnd().Split('\n')[^1].ShouldStartWith(file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void AnInvalidRecipeStopsBeforeAnythingIsSent()
    {
        var file = Path.Combine(Path.GetTempPath(), $"rh-bad-{Guid.NewGuid():N}.rh");
        File.WriteAllText(file, "target 198.18.2.10:20000\nsend   Q 0:0(0)\n");
        try
        {
            var r = Cli.Run(Bound, "run", "--netns", lab.Client, file);
            r.Code.ShouldBe(2, r.ToString());
            r.Err.Trim().ShouldBe($"{file}:2:8: unknown flag 'Q' (expected S . P F R U E W C N A)");
            r.Out.ShouldNotContain("[SYN]");
        }
        finally
        {
            File.Delete(file);
        }
    }

    internal static bool IsStep(string line)
    {
        var t = line.Split('#')[0].Trim();
        if (t.Length == 0)
        {
            return false;
        }

        var word = t.Split(' ', 2)[0].ToLowerInvariant();
        return word is not ("target" or "option" or "options" or "description");
    }
}
