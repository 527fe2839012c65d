using System.Globalization;
using System.Xml.Linq;
using RawHandshake.Engine.Trace;

namespace RawHandshake.Recipes.Runner;

/// <summary>
/// <c>--junit report.xml</c>: one testsuite per recipe, one testcase per step, so a recipe suite can run in a CI job.
/// A recipe that could not run (invalid, unreachable) is one failed testcase.
/// </summary>
public sealed class JUnitReport
{
    private readonly List<XElement> suites = [];

    public void AddRecipe(string file, IReadOnlyList<StepTraced> steps, string? error, TimeSpan duration, int stepCount)
    {
        var name = Path.GetFileNameWithoutExtension(file);
        var cases = steps.Select(s =>
        {
            var c = new XElement("testcase",
                new XAttribute("classname", name),
                new XAttribute("name", $"line {s.Line}: {s.Text}"));
            if (!s.Passed)
            {
                c.Add(new XElement("failure", new XAttribute("message", s.Message ?? "failed"), string.Join("\n", s.Diffs)));
            }

            return c;
        }).ToList();
        if (error is not null && steps.All(s => s.Passed))
        {
            cases.Add(new XElement("testcase", new XAttribute("classname", name), new XAttribute("name", "run"),
                new XElement("failure", new XAttribute("message", error))));
        }

        var skipped = Math.Max(0, stepCount - steps.Count);
        suites.Add(new XElement("testsuite",
            new XAttribute("name", name),
            new XAttribute("file", file),
            new XAttribute("tests", cases.Count + skipped),
            new XAttribute("failures", cases.Count(c => c.Element("failure") is not null)),
            new XAttribute("skipped", skipped),
            new XAttribute("time", duration.TotalSeconds.ToString("0.000", CultureInfo.InvariantCulture)),
            cases));
    }

    public void Save(string path)
    {
        using var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read);
        Save(stream);
    }

    /// <summary>Writes the report to <paramref name="stream"/> (opened before the run, so a bad path fails first).</summary>
    public void Save(Stream stream)
    {
        var doc = new XDocument(new XElement("testsuites",
            new XAttribute("name", "rawhandshake recipes"),
            new XAttribute("tests", suites.Sum(s => (int)s.Attribute("tests")!)),
            new XAttribute("failures", suites.Sum(s => (int)s.Attribute("failures")!)),
            suites));
        using var writer = System.Xml.XmlWriter.Create(stream, new System.Xml.XmlWriterSettings { Indent = true, Encoding = new System.Text.UTF8Encoding(false) });
        doc.Save(writer);
    }
}
