using System.Text.RegularExpressions;

namespace RawHandshake.EndToEnd.Tests;

/// <summary>Issue 15: the standard lab is dual-stack, so the shipped recipes run over IPv6 against the same servers with a
/// <c>--target</c> override — once each, a representative few (the soak runs over IPv4 only).</summary>
public sealed partial class RecipeTests
{
    [GeneratedRegex(@"^target 198\.18\.2\.10:(\d+)", RegexOptions.Multiline)]
    private static partial Regex TargetLine();

    [Theory]
    [InlineData("seed-python-echo.rh")]    // echo: push, recv, close to TIME-WAIT
    [InlineData("seed-web.rh")]            // http: the SYN-ACK's MSS is 1440 over IPv6
    [InlineData("seed-states-half.rh")]    // the server sends after our FIN
    [InlineData("probe-closed-port.rh")]   // RST to our SYN
    [InlineData("probe-bad-checksum.rh")]  // a wrong checksum over IPv6's pseudo-header is dropped, the right one answered
    public void AShippedRecipePassesOverIPv6WithATargetOverride(string name)
    {
        var recipe = Path.Combine(RecipesDir, name);
        var port = TargetLine().Match(File.ReadAllText(recipe)).Groups[1].Value;
        port.ShouldNotBeEmpty($"{name} has no target line on the lab's server");
        var r = Cli.Run(Bound, "run", "--netns", lab.Client, recipe, "--target", $"[2001:db8:2::10]:{port}", "--json");
        r.Code.ShouldBe(0, r.ToString());
        r.Out.ShouldContain("\"flow\":\"[2001:db8::1]:");
        r.Out.ShouldContain($"[2001:db8:2::10]:{port}\"");
    }
}
