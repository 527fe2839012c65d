using System.Reflection;
using CommandLine;
using RawHandshake.Cli.Args;

namespace RawHandshake.Cli.Tests;

/// <summary>Issue 8 §5: one name per concept. The README's table is the code's table, the verbs use its names, and the old spellings still work.</summary>
public class NamingTableTests
{
    internal static string Readme()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "RawHandshake.sln")) && File.Exists(Path.Combine(dir.FullName, "README.md")))
            {
                return File.ReadAllText(Path.Combine(dir.FullName, "README.md"));
            }
        }

        throw new InvalidOperationException("README.md not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void TheReadmesNamingTableIsTheCodesTable()
    {
        var readme = Readme().Replace("\r\n", "\n", StringComparison.Ordinal);
        const string begin = "<!-- names:begin (generated from src/RawHandshake.Cli/Args/Names.cs; a test compares them) -->\n";
        const string end = "<!-- names:end -->";
        var from = readme.IndexOf(begin, StringComparison.Ordinal);
        from.ShouldBeGreaterThanOrEqualTo(0, "the README has no naming table");
        var to = readme.IndexOf(end, from, StringComparison.Ordinal);
        readme[(from + begin.Length)..to].ShouldBe(NamingTable.Markdown());
    }

    [Fact]
    public void EveryJsonKeyOfTheTableIsInTheReadmesJsonSection()
    {
        var readme = Readme();
        var json = readme[readme.IndexOf("## JSON output", StringComparison.Ordinal)..];
        foreach (var key in NamingTable.Table.Select(n => n.Json).OfType<string>().Distinct())
        {
            (json.Contains($"`{key}`", StringComparison.Ordinal) || json.Contains($"\"{key}\"", StringComparison.Ordinal))
                .ShouldBeTrue($"JSON key {key} of the naming table is not documented in the README's JSON section");
        }
    }

    [Fact]
    public void EveryVerbTakesTheOptionsTheTableGivesIt()
    {
        foreach (var name in NamingTable.Table.Where(n => n.Option is not null))
        {
            foreach (var verb in name.Verbs)
            {
                var type = CliApp.Verbs.Single(t => t.GetCustomAttribute<VerbAttribute>()!.Name == verb);
                var options = type.GetProperties().Select(p => p.GetCustomAttribute<OptionAttribute>()).OfType<OptionAttribute>().ToList();
                var option = options.SingleOrDefault(o => "--" + o.LongName == name.Option);
                option.ShouldNotBeNull($"{verb} has no {name.Option}");
                (string.IsNullOrEmpty(option.ShortName) ? null : "-" + option.ShortName).ShouldBe(name.Short, $"{verb} {name.Option}");
                foreach (var other in name.Also)
                {
                    options.ShouldNotContain(o => "--" + o.LongName == other || "-" + o.ShortName == other, $"{verb}: {other} should be rewritten, not a second option");
                }
            }
        }
    }

    [Theory]
    [InlineData(new[] { "craft", "--src", "1.2.3.4", "--win=100" }, new[] { "craft", "--source", "1.2.3.4", "--window=100" })]
    [InlineData(new[] { "bench", "session", "-n", "5" }, new[] { "bench", "session", "-c", "5" })]
    [InlineData(new[] { "bench", "session", "-n5" }, new[] { "bench", "session", "-c5" })]
    [InlineData(new[] { "dissect", "-n", "5" }, new[] { "dissect", "-c", "5" })] // bench's old -n works wherever -c does
    [InlineData(new[] { "serve", "echo", "-n", "5" }, new[] { "serve", "echo", "-n", "5" })] // not where there is no count
    [InlineData(new[] { "traceroute", "-q", "2" }, new[] { "traceroute", "-q", "2" })] // queries per hop, as traceroute has it
    [InlineData(new[] { "craft", "--", "--src" }, new[] { "craft", "--", "--src" })]
    public void OldSpellingsAreRewrittenForTheirVerbsOnly(string[] given, string[] parsed) => NamingTable.Rewrite(given).ShouldBe(parsed);

    [Fact]
    public void CraftsOldAndNewSpellingsBuildTheSameFrame()
    {
        var old = CliRunner.Run("craft", "--src", "198.18.0.7", "--win", "1000", "--hex-only");
        var now = CliRunner.Run("craft", "--source", "198.18.0.7", "--window", "1000", "--hex-only");
        old.Code.ShouldBe(0, old.Err);
        old.Out.ShouldBe(now.Out);
        CliRunner.Run("craft", "--src", "1.2.3").Err.Trim().ShouldBe("rawhandshake: --source: '1.2.3' is not an IPv4 address");
    }
}
