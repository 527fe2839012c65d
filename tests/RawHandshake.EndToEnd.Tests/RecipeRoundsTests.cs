using System.Text.Json;

namespace RawHandshake.EndToEnd.Tests;

/// <summary>Issue 5's bar taken literally: every shipped recipe, twenty times in a row (twenty rounds of all of them, one
/// after another, in one process), against the real Linux servers of a lab of its own. The concurrent variant is in
/// <see cref="RecipeTests"/>.</summary>
[Trait("Category", "Live")]
public sealed class RecipeRoundsTests(LabFixture lab) : IClassFixture<LabFixture>
{
    private const int Rounds = 20;

    [Fact]
    public void EveryShippedRecipePassesTwentyTimesInARow()
    {
        var shipped = RecipeTests.Shipped;
        string[] args = ["run", "--netns", lab.Client, "--json", .. Enumerable.Repeat(shipped, Rounds).SelectMany(f => f)];
        var r = Cli.Run(TimeSpan.FromMinutes(10), args);
        var steps = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("event").GetString() == "step")
            .ToList();
        var failures = steps.Where(e => !e.GetProperty("ok").GetBoolean()).Select(e => e.ToString()).ToList();
        failures.ShouldBeEmpty();
        r.Code.ShouldBe(0, r.Err);
        var stepsPerRound = shipped.Sum(f => File.ReadAllLines(f).Count(RecipeTests.IsStep));
        steps.Count.ShouldBe(Rounds * stepsPerRound);
    }
}
