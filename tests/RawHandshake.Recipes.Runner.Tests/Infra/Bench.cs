using RawHandshake.Engine;
using RawHandshake.Engine.Trace;
using RawHandshake.Link;
using RawHandshake.Recipes.Syntax;
using RawHandshake.Session;
using RawHandshake.Testing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Recipes.Runner.Tests.Infra;

/// <summary>Clock, cable, fake Linux server, engine and trace recorder: what the CLI's run verb sets up, in memory.</summary>
public sealed class Bench : IDisposable
{
    public Bench()
    {
        Clock = new ManualClock(Net.Epoch);
        var (a, b) = MemoryLink.CreatePair(() => Clock.Wall, Net.ClientMac, Net.ServerMac);
        Peer = new LinuxPeer(b, Clock);
        Link = new SteppedLink(a, Clock, Peer, maxPolls: 200_000, maxVirtualTime: TimeSpan.FromMinutes(10));
        Trace = new TraceRecorder();
        Engine = new TcpEngine(Link, Clock, Trace);
    }

    public ManualClock Clock { get; }
    public LinuxPeer Peer { get; }
    public SteppedLink Link { get; }
    public TraceRecorder Trace { get; }
    public TcpEngine Engine { get; }

    public static Recipe Compile(string text, string file = "t.rh")
    {
        var result = RecipeCompiler.Compile(text, file);
        result.Success.ShouldBeTrue($"the test recipe does not compile:\n{result}");
        return result.Recipe!;
    }

    /// <summary>Runs <paramref name="recipe"/> as <c>rawhandshake run</c> does: one flow, one RecipeDriver, the run's limit.</summary>
    public Run Run(Recipe recipe, uint isn = 1000, ushort sport = Net.ClientPort)
    {
        var d = recipe.Header.Defaults;
        var target = recipe.Header.Target ?? throw new InvalidOperationException("the test recipe needs a target");
        var key = new FlowKey(Net.ClientIp, d.SourcePort ?? sport, IPv4Address.Parse(target.Host), target.Port);
        var limit = d.Timeout ?? RecipeSession.DefaultTimeout;
        var driver = new RecipeDriver(recipe, limit);
        var flow = Engine.AddFlow(RecipeSession.Config(recipe, key, d.Isn ?? isn), driver, Net.ClientMac, Net.ServerMac,
            new FlowFrameOptions { Ttl = d.Ttl ?? 64, FirstIpId = 100 });
        var end = Engine.Run(limit, RecipeRun.Grace);
        Peer.Step(); // what the engine sent last reaches the server
        return new Run(recipe, driver, flow, end, this);
    }

    public Run Run(string text, uint isn = 1000, string file = "t.rh") => Run(Compile(text, file), isn);

    public void Dispose()
    {
        Link.Dispose();
        Peer.End.Dispose();
    }
}

/// <summary>What one recipe run produced.</summary>
public sealed record Run(Recipe Recipe, RecipeDriver Driver, Flow Flow, RunEnd End, Bench Bench)
{
    public IReadOnlyList<StepTraced> Steps => Driver.Results;

    /// <summary>The StepTraced events in the trace (what renderers and the JUnit report see).</summary>
    public List<StepTraced> Traced => Bench.Trace.Events.OfType<StepTraced>().ToList();

    public FlowOutcome? Outcome => Driver.Outcome;

    public TcpClientSession Session => Flow.Session;

    /// <summary>TCP segments the server received from us.</summary>
    public List<Seen> Sent => Bench.Peer.Tcp.ToList();

    public LinuxPeer Peer => Bench.Peer;

    /// <summary>The first failed step (there is at most one: the first failure stops the run).</summary>
    public StepTraced Failed => Steps.Single(s => !s.Passed);

    /// <summary>Passes when every step passed; otherwise fails with the whole story.</summary>
    public void ShouldPass()
    {
        var story = Describe();
        End.ShouldBe(RunEnd.Completed, story);
        Outcome.ShouldNotBeNull(story);
        Outcome.Ok.ShouldBeTrue(story);
        Steps.Count.ShouldBe(Recipe.Steps.Count, story);
        Steps.ShouldAllBe(s => s.Passed, story);
    }

    /// <summary>The steps, the failure and the frames both ways, for assertion messages.</summary>
    public string Describe()
    {
        var lines = new List<string> { $"run end: {End}; outcome: {Outcome?.Ok} {Outcome?.Error} ({Outcome?.Ending})" };
        lines.AddRange(Steps.Select(s => $"  line {s.Line}: {s.Text} → {(s.Passed ? "ok" : "FAIL " + s.Message + " | " + string.Join(" | ", s.Diffs))}"));
        var isn = Session.Iss;
        foreach (var e in Bench.Trace.Events)
        {
            switch (e)
            {
                case PacketTraced p when p.Parsed.Tcp is { } t:
                    lines.Add($"  {p.Time.TotalMilliseconds,8:0.0} ms {p.Dir,-3} {t.Flags.ToTcpdump()} seq {t.Seq} ack {t.Ack} win {t.Window} len {p.Parsed.PayloadLength}{(p.Note is null ? "" : " (" + p.Note + ")")}");
                    break;
                case StateTraced s:
                    lines.Add($"  {s.Time.TotalMilliseconds,8:0.0} ms state {s.Side}: {s.From.ToRfc()} → {s.To.ToRfc()} ({s.Reason})");
                    break;
                case NoteTraced n:
                    lines.Add($"  {n.Time.TotalMilliseconds,8:0.0} ms note: {n.Text}");
                    break;
            }
        }

        lines.Add($"  (our ISN {isn})");
        return string.Join('\n', lines);
    }
}
