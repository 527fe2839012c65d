using System.Globalization;
using System.Text.Json;
using RawHandshake.Lab.Topology;

namespace RawHandshake.EndToEnd.Tests;

/// <summary>
/// Issue 10 §6: the lab's second TCP stack. From rh-NAME-slirp, 198.19.64.2:PORT is answered by slirp4netns's own
/// (BSD-derived) TCP, which relays to the same kernel-socket servers on the server namespace's loopback. The shipped
/// recipes (seeds and probes) and a 64 KiB echo run against it; where slirp differs from Linux by design (its SYN-ACK
/// carries MSS 1460 and nothing else: no SACK, no window scaling, no timestamps, window 65535; its window-update rule),
/// the test asserts the difference.
/// </summary>
[Trait("Category", "Live")]
public sealed class SlirpTests(LabFixture lab) : IClassFixture<LabFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    /// <summary>Differs on slirp: its SYN-ACK step expects Linux's SYN-ACK options.</summary>
    private const string Web = "seed-web.rh";

    /// <summary>Differs on slirp: it expects Linux's empty zero-window probe.</summary>
    private const string ZeroWindow = "probe-zero-window.rh";

    private string SlirpNs => lab.Info.SlirpNamespace;

    private static string Target(string recipe) =>
        $"{LabPlan.SlirpGatewayAddress}:{RecipePort(recipe).ToString(CultureInfo.InvariantCulture)}";

    [Fact]
    public async Task EveryShippedRecipeButTwoPassesAgainstSlirp()
    {
        // The seeds and the probes; seed-web and probe-zero-window differ by slirp's design (their own tests below).
        var seeds = RecipeTests.Shipped.Where(f => Path.GetFileName(f) is not (Web or ZeroWindow)).ToList();
        seeds.Count(f => Path.GetFileName(f).StartsWith("seed-", StringComparison.Ordinal)).ShouldBeGreaterThanOrEqualTo(6);

        // Each recipe names its Linux port in its target line; --target points it at the same port through slirp. One run
        // per port (its recipes one after the other), the ports in parallel; three flows of each recipe at once.
        const int repeat = 3;
        var runs = seeds.GroupBy(RecipePort).Select(g => Task.Run(() =>
            (Files: g.ToList(), Result: Cli.Run(Bound, ["run", "--netns", SlirpNs, "--target", Target(g.First()), "--repeat", $"{repeat}", "--json", .. g])))).ToList();
        var synAcks = 0;
        foreach (var (files, r) in await Task.WhenAll(runs))
        {
            var names = string.Join(", ", files.Select(Path.GetFileName));
            var events = Events(r.Out);
            var failed = events.Where(e => Kind(e) == "step" && !e.GetProperty("ok").GetBoolean()).Select(e => e.ToString()).ToList();
            failed.ShouldBeEmpty($"{names} against slirp");
            r.Code.ShouldBe(0, $"{names}: {r}");
            events.Count(e => Kind(e) == "step").ShouldBe(repeat * files.Sum(f => File.ReadAllLines(f).Count(RecipeTests.IsStep)), names);
            events.Count(e => Kind(e) == "result").ShouldBe(repeat * files.Count, names);

            // It really was slirp that answered: every SYN-ACK offers nothing but MSS 1460, with window 65535.
            foreach (var result in events.Where(e => Kind(e) == "result" && e.TryGetProperty("server_mss", out var mss) && mss.ValueKind == JsonValueKind.Number))
            {
                result.GetProperty("server_mss").GetInt32().ShouldBe(1460, names);
                result.GetProperty("server_window").GetInt32().ShouldBe(65535, names);
                result.GetProperty("sack_perm").GetBoolean().ShouldBeFalse(names);
                result.GetProperty("timestamps").GetBoolean().ShouldBeFalse(names);
                synAcks++;
            }
        }

        synAcks.ShouldBeGreaterThanOrEqualTo(repeat * (seeds.Count - 1), "every recipe but the closed-port probe gets a SYN-ACK");
    }

    [Fact]
    public void SeedWebDiffersOnlyInTheSynAcksOptions()
    {
        var recipe = Path.Combine(RecipeTests.RecipesDir, Web);
        var lines = File.ReadAllLines(recipe);
        const string linuxSynAck = "expect S. 0:0(0) ack 1 <mss 1440..1460, sackOK, wscale *> within 1s";
        var at = Array.FindIndex(lines, l => l.StartsWith(linuxSynAck, StringComparison.Ordinal));
        at.ShouldBeGreaterThan(0, $"{Web} has no step '{linuxSynAck}'");

        // As shipped: the SYN-ACK step (Linux's <mss 1440..1460, sackOK, wscale *>) fails on slirp, for exactly the two options
        // slirp does not offer; nothing before it fails.
        var r = Cli.Run(Bound, "run", "--netns", SlirpNs, "--target", Target(recipe), "--json", recipe);
        r.Code.ShouldBe(1, r.ToString());
        var steps = Events(r.Out).Where(e => Kind(e) == "step").ToList();
        steps.Count(e => !e.GetProperty("ok").GetBoolean()).ShouldBe(1);
        var failed = steps.Single(e => !e.GetProperty("ok").GetBoolean());
        failed.GetProperty("line").GetInt32().ShouldBe(at + 1);
        failed.GetProperty("error").GetString().ShouldBe("the segment that came is S. 0:0(0) ack 1 win 65535");
        failed.GetProperty("diffs").EnumerateArray().Select(d => d.GetString()).ShouldBe(
            ["tcp.options: expected sackOK vs actual <mss 1460>", "tcp.options: expected wscale * vs actual <mss 1460>"]);

        // With that one line asking for what slirp sends, the rest of the exchange (GET, 200, the server's close) passes.
        lines[at] = "expect S. 0:0(0) ack 1 win 65535 <mss 1460> within 1s";
        var slirpWeb = Path.Combine(Path.GetTempPath(), $"rh-slirp-web-{Guid.NewGuid():N}.rh");
        File.WriteAllLines(slirpWeb, lines);
        try
        {
            var adapted = Cli.Run(Bound, "run", "--netns", SlirpNs, "--target", Target(recipe), "--json", slirpWeb);
            adapted.Code.ShouldBe(0, adapted.ToString());
            var adaptedSteps = Events(adapted.Out).Where(e => Kind(e) == "step").ToList();
            adaptedSteps.ShouldAllBe(e => e.GetProperty("ok").GetBoolean());
            adaptedSteps.Count.ShouldBe(lines.Count(RecipeTests.IsStep));
        }
        finally
        {
            File.Delete(slirpWeb);
        }
    }

    [Fact]
    public void ProbeZeroWindowDiffersInSlirpsAnswerToOurZeroWindow()
    {
        // Our Win=0 comes on the segment carrying "A", whose SEQ and ACK equal those of the handshake's last ACK: slirp's
        // BSD window-update rule ignores a shrink on such a segment, so it echoes "A" at once (Seq=1 Len=1, into our zero
        // window) where Linux holds it and sends an empty probe one below SND.UNA. The probe step fails; the echo shows.
        var recipe = Path.Combine(RecipeTests.RecipesDir, ZeroWindow);
        var lines = File.ReadAllLines(recipe);
        var probe = Array.FindIndex(lines, l => l.StartsWith("expect . 0:0(0) ack 2", StringComparison.Ordinal));
        var update = Array.FindIndex(lines, l => l.StartsWith("window 64240", StringComparison.Ordinal));
        probe.ShouldBeGreaterThan(0, $"{ZeroWindow} has no Linux-style probe step");

        var r = Cli.Run(Bound, "run", "--netns", SlirpNs, "--target", Target(recipe), "--json", recipe);
        r.Code.ShouldBe(1, r.ToString());
        var events = Events(r.Out);
        var steps = events.Where(e => Kind(e) == "step").ToList();
        steps.Single(e => !e.GetProperty("ok").GetBoolean()).GetProperty("line").GetInt32().ShouldBe(probe + 1);
        steps.ShouldNotContain(e => e.GetProperty("line").GetInt32() == update + 1, "nothing runs after the failing step");
        events.Any(e => Kind(e) == "packet" && e.GetProperty("dir").GetString() == "in" && e.TryGetProperty("flags", out _)
                && e.GetProperty("rel_seq").GetInt64() == 1 && e.GetProperty("len").GetInt32() == 1)
            .ShouldBeTrue($"slirp's echo of \"A\" into our zero window:\n{r.Out}");
    }

    [Fact]
    public void SixtyFourKibEchoesIntactThroughSlirp()
    {
        var data = new byte[64 * 1024];
        new Random(10).NextBytes(data);
        var sent = Path.Combine(Path.GetTempPath(), $"rh-slirp-64k-{Guid.NewGuid():N}.bin");
        var received = sent + ".received";
        File.WriteAllBytes(sent, data);
        try
        {
            // We offer SACK, window scaling and timestamps; slirp agrees to none of them, and the echo still comes back whole.
            var r = Cli.Run(Bound, "handshake", "--netns", SlirpNs, "--target", $"{LabPlan.SlirpGatewayAddress}:{LabPorts.Echo}",
                "--data-file", sent, "--expect-echo", "--sackok", "--wscale", "7", "--timestamps", "--received-file", received, "--json");
            r.Code.ShouldBe(0, r.ToString());
            var events = Events(r.Out);
            var result = events.Single(e => Kind(e) == "result");
            result.GetProperty("ok").GetBoolean().ShouldBeTrue();
            result.GetProperty("bytes_acked").GetInt32().ShouldBe(data.Length);
            result.GetProperty("bytes_received").GetInt32().ShouldBe(data.Length);
            result.GetProperty("server_mss").GetInt32().ShouldBe(1460);
            result.GetProperty("server_window").GetInt32().ShouldBe(65535);
            result.GetProperty("sack_perm").GetBoolean().ShouldBeFalse();
            result.GetProperty("timestamps").GetBoolean().ShouldBeFalse();
            File.ReadAllBytes(received).ShouldBe(data);

            var tcp = events.Where(e => Kind(e) == "packet" && e.TryGetProperty("flags", out _)).ToList();
            var synAck = tcp.First(e => e.GetProperty("flags").GetString() == "SA");
            synAck.GetProperty("src").GetString().ShouldBe("198.19.64.2");
            synAck.GetProperty("win").GetInt32().ShouldBe(65535);
            synAck.GetProperty("options").EnumerateObject().Select(o => $"{o.Name}={o.Value}").ShouldBe(["mss=1460"]);

            // Our segments respect its MSS, and only our SYN carries a timestamp (slirp did not agree to them).
            var ours = tcp.Where(e => e.GetProperty("dir").GetString() == "out").ToList();
            ours.ShouldAllBe(e => e.GetProperty("len").GetInt32() <= 1460);
            ours.Where(e => e.GetProperty("flags").GetString() != "S").ShouldAllBe(e => !HasOption(e, "tsval"));

            // Nothing is left on the server's side: slirp's relayed connection to 127.0.0.1:20000 is closed (at most TIME-WAIT).
            var ss = Sh.InNs(lab.Server, "ss", "-tanH", "state", "all", "( dport = :20000 or sport = :20000 ) and dst 127.0.0.1");
            ss.Split('\n', StringSplitOptions.RemoveEmptyEntries).ShouldAllBe(l => l.StartsWith("TIME-WAIT", StringComparison.Ordinal) || l.StartsWith("LISTEN", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(sent);
            File.Delete(received);
        }
    }

    private static int RecipePort(string recipe)
    {
        var target = File.ReadLines(recipe).Select(l => l.Split('#')[0].Trim()).First(l => l.StartsWith("target ", StringComparison.Ordinal));
        return int.Parse(target[(target.LastIndexOf(':') + 1)..], NumberStyles.None, CultureInfo.InvariantCulture);
    }

    private static bool HasOption(JsonElement packet, string name) =>
        packet.TryGetProperty("options", out var options) && options.ValueKind == JsonValueKind.Object && options.TryGetProperty(name, out _);

    private static List<JsonElement> Events(string output) =>
        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();

    private static string? Kind(JsonElement e) => e.GetProperty("event").GetString();
}
