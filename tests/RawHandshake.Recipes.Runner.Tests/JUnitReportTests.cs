using System.Xml.Linq;
using RawHandshake.Engine.Trace;
using RawHandshake.Recipes.Runner.Tests.Infra;

namespace RawHandshake.Recipes.Runner.Tests;

/// <summary>JUnitReport: valid XML, one testcase per executed step, a failure for the failed one, the rest skipped.</summary>
public sealed class JUnitReportTests : IDisposable
{
    private readonly string dir = Directory.CreateTempSubdirectory("rh-junit-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private (XDocument Doc, byte[] Bytes) Save(JUnitReport report)
    {
        var path = Path.Combine(dir, $"report-{Guid.NewGuid():N}.xml");
        report.Save(path);
        var bytes = File.ReadAllBytes(path);
        return (XDocument.Load(path), bytes);
    }

    private static Run RunFailing()
    {
        var bench = new Bench();
        bench.Peer.Listen(20000);
        return bench.Run("""
            description "a failing run"
            target 10.9.0.2:20000
            send   S 0:0(0) <mss 1460>
            expect S. 0:0(0) ack 1 within 1s
            send   . 1:1(0) ack 1
            push   "A" then ack 3
            recv   "A" within 1s
            close
            expect state TIME-WAIT
            """, file: "recipes/probe-fail.rh");
    }

    [Fact]
    public void One_failing_step_gives_valid_xml_with_the_right_counts()
    {
        var run = RunFailing();
        run.Outcome!.Ok.ShouldBeFalse();
        run.Steps.Count.ShouldBe(4);

        var report = new JUnitReport();
        report.AddRecipe(run.Recipe.File, run.Steps, run.Outcome.Error, TimeSpan.FromMilliseconds(1234.4), run.Recipe.Steps.Count);
        var (doc, bytes) = Save(report);

        bytes.Take(3).ShouldNotBe(new byte[] { 0xEF, 0xBB, 0xBF }, "no byte order mark");
        ((char)bytes[0]).ShouldBe('<');

        var root = doc.Root!;
        root.Name.LocalName.ShouldBe("testsuites");
        ((int)root.Attribute("tests")!).ShouldBe(7);
        ((int)root.Attribute("failures")!).ShouldBe(1);

        var suite = root.Elements("testsuite").Single();
        ((string)suite.Attribute("name")!).ShouldBe("probe-fail");
        ((string)suite.Attribute("file")!).ShouldBe("recipes/probe-fail.rh");
        ((int)suite.Attribute("tests")!).ShouldBe(7);
        ((int)suite.Attribute("failures")!).ShouldBe(1);
        ((int)suite.Attribute("skipped")!).ShouldBe(3);
        ((string)suite.Attribute("time")!).ShouldBe("1.234");

        var cases = suite.Elements("testcase").ToList();
        cases.Count.ShouldBe(4, "one testcase per executed step");
        cases.Select(c => (string)c.Attribute("name")!).ShouldBe([
            "line 3: send   S 0:0(0) <mss 1460>",
            "line 4: expect S. 0:0(0) ack 1 within 1s",
            "line 5: send   . 1:1(0) ack 1",
            "line 6: push   \"A\" then ack 3",
        ]);
        cases.ShouldAllBe(c => (string)c.Attribute("classname")! == "probe-fail");
        cases.Take(3).ShouldAllBe(c => c.Element("failure") == null);

        var failure = cases[3].Element("failure")!;
        ((string)failure.Attribute("message")!).ShouldBe(run.Failed.Message!);
        ((string)failure.Attribute("message")!).ShouldBe("the server acknowledged with Ack=2");
        failure.Value.ShouldBe(string.Join("\n", run.Failed.Diffs));
        failure.Value.ShouldStartWith("tcp.ack: expected 3");
    }

    [Fact]
    public void A_passing_recipe_has_no_failures_and_nothing_skipped()
    {
        var bench = new Bench();
        bench.Peer.Listen(20000);
        var run = bench.Run("""
            target 10.9.0.2:20000
            connect
            push "A"
            recv "A" within 1s
            close
            """, file: "pass.rh");
        run.ShouldPass();
        var report = new JUnitReport();
        report.AddRecipe(run.Recipe.File, run.Steps, null, TimeSpan.FromSeconds(0.5), run.Recipe.Steps.Count);
        var (doc, _) = Save(report);
        var suite = doc.Root!.Element("testsuite")!;
        ((int)suite.Attribute("tests")!).ShouldBe(4);
        ((int)suite.Attribute("failures")!).ShouldBe(0);
        ((int)suite.Attribute("skipped")!).ShouldBe(0);
        suite.Elements("testcase").Count().ShouldBe(4);
        suite.Descendants("failure").ShouldBeEmpty();
        ((string)suite.Attribute("time")!).ShouldBe("0.500");
    }

    [Fact]
    public void Two_recipes_sum_up_at_the_top()
    {
        var failing = RunFailing();
        var report = new JUnitReport();
        report.AddRecipe(failing.Recipe.File, failing.Steps, failing.Outcome!.Error, TimeSpan.FromSeconds(1), failing.Recipe.Steps.Count);
        report.AddRecipe("b.rh", [new StepTraced(TimeSpan.Zero, "b.rh", 1, "connect", true, null, [])], null, TimeSpan.FromSeconds(1), 1);
        var (doc, _) = Save(report);
        doc.Root!.Elements("testsuite").Count().ShouldBe(2);
        ((int)doc.Root.Attribute("tests")!).ShouldBe(8);
        ((int)doc.Root.Attribute("failures")!).ShouldBe(1);
    }

    [Fact]
    public void A_run_error_after_passing_steps_is_one_more_failed_testcase()
    {
        // E.g. the time limit ran out while a step waited: every reported step passed, the run still failed.
        var steps = new List<StepTraced> { new(TimeSpan.Zero, "slow.rh", 2, "connect", true, null, []) };
        var report = new JUnitReport();
        report.AddRecipe("slow.rh", steps, "time limit of 30 s reached", TimeSpan.FromSeconds(31), 3);
        var (doc, _) = Save(report);
        var suite = doc.Root!.Element("testsuite")!;
        var cases = suite.Elements("testcase").ToList();
        cases.Count.ShouldBe(2);
        ((string)cases[1].Attribute("name")!).ShouldBe("run");
        ((string)cases[1].Element("failure")!.Attribute("message")!).ShouldBe("time limit of 30 s reached");
        ((int)suite.Attribute("failures")!).ShouldBe(1);
        ((int)suite.Attribute("tests")!).ShouldBe(cases.Count + (int)suite.Attribute("skipped")!);
    }

    [Fact]
    public void An_unrunnable_recipe_is_one_failed_testcase()
    {
        var report = new JUnitReport();
        report.AddRecipe("dead.rh", [], "no answer to ARP for 10.9.0.2 on veth0 (3 requests)", TimeSpan.Zero, 0);
        var (doc, _) = Save(report);
        var suite = doc.Root!.Element("testsuite")!;
        ((int)suite.Attribute("tests")!).ShouldBe(1);
        ((int)suite.Attribute("failures")!).ShouldBe(1);
        ((int)suite.Attribute("skipped")!).ShouldBe(0);
    }

    [Fact]
    public void Markup_and_quotes_in_steps_and_diffs_survive_the_round_trip()
    {
        var diffs = new[] { "tcp.options: expected none vs actual <mss 1460,nop,nop,sackOK>", "data: expected \"a&b\" vs actual \"\\x00\"" };
        var steps = new List<StepTraced> { new(TimeSpan.Zero, "x.rh", 7, "expect S. 0:0(0) ack 1 <> \"&\"", false, "the segment that came is S. 0:0(0) ack 1 win 1 <&>", diffs) };
        var report = new JUnitReport();
        report.AddRecipe("x.rh", steps, "x.rh:7: …", TimeSpan.Zero, 1);
        var (doc, _) = Save(report);
        var testcase = doc.Root!.Element("testsuite")!.Element("testcase")!;
        ((string)testcase.Attribute("name")!).ShouldBe("line 7: expect S. 0:0(0) ack 1 <> \"&\"");
        var failure = testcase.Element("failure")!;
        ((string)failure.Attribute("message")!).ShouldBe("the segment that came is S. 0:0(0) ack 1 win 1 <&>");
        failure.Value.ShouldBe(string.Join("\n", diffs));
    }

    [Fact]
    public void Failed_step_from_the_trace_matches_the_driver_results()
    {
        var run = RunFailing();
        run.Traced.ShouldBe(run.Steps);
        var report = new JUnitReport();
        report.AddRecipe(run.Recipe.File, run.Traced, run.Outcome!.Error, TimeSpan.Zero, run.Recipe.Steps.Count);
        var (doc, _) = Save(report);
        doc.Root!.Descendants("failure").Count().ShouldBe(1);
    }
}
