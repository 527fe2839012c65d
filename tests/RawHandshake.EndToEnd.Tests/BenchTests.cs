using System.Text.Json;

namespace RawHandshake.EndToEnd.Tests;

/// <summary>
/// <c>bench session</c> against a private lab: it runs, it reports, it fails in one line. How fast the engine is against
/// the kernel is the benchmark's business, not the test's: no figure is asserted here.
/// </summary>
[Trait("Category", "Live")]
public sealed class BenchTests(LabFixture lab) : IClassFixture<LabFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public void SessionBenchReportsBothMediansAndTheirRatio()
    {
        var r = Cli.Run(Bound, "bench", "session", "--netns", lab.Client, "--target", "198.18.2.10:20000", "-n", "10", "--warmup", "3", "--json");
        r.Code.ShouldBe(0, r.ToString());

        using var doc = JsonDocument.Parse(r.Out.Trim());
        var o = doc.RootElement;
        o.GetProperty("ok").GetBoolean().ShouldBeTrue();
        o.GetProperty("n").GetInt32().ShouldBe(10);
        o.GetProperty("engine_sessions").GetInt32().ShouldBe(10);
        o.GetProperty("kernel_sessions").GetInt32().ShouldBe(10);
        o.GetProperty("warmup_sessions").GetInt32().ShouldBeGreaterThanOrEqualTo(3);
        foreach (var side in new[] { "engine", "kernel" })
        {
            var median = o.GetProperty($"{side}_median_us").GetDouble();
            median.ShouldBeGreaterThan(0, side);
            o.GetProperty($"{side}_min_us").GetDouble().ShouldBeInRange(0.001, median, side);
            o.GetProperty($"{side}_p10_us").GetDouble().ShouldBeLessThanOrEqualTo(median, side);
            o.GetProperty($"{side}_p90_us").GetDouble().ShouldBeGreaterThanOrEqualTo(median, side);
        }

        o.GetProperty("ratio").GetDouble().ShouldBeGreaterThan(0);

        // The guard went with the run: no table of ours is left in the client's namespace.
        Sh.InNs(lab.Client, "nft", "list", "tables").ShouldNotContain("rawhandshake_");
    }

    [Fact]
    public void TextOutputNamesBothSidesAndTheRatio()
    {
        var r = Cli.Run(Bound, "bench", "session", "--netns", lab.Client, "--target", "198.18.1.10:20000", "-n", "5", "--warmup", "0");
        r.Code.ShouldBe(0, r.ToString());
        r.Out.ShouldContain("on-link on eth1");
        r.Out.ShouldContain("engine ");
        r.Out.ShouldContain("kernel ");
        r.Out.ShouldContain("ratio engine/kernel (medians): ");
    }

    [Theory]
    [InlineData(new[] { "bench", "sessoin", "--target", "198.18.2.10:20000" }, "bench: unknown benchmark 'sessoin' (known: session, loss, parallel, inject, process)")]
    [InlineData(new[] { "bench", "session", "--target", "198.18.2.10:20000", "-n", "0" }, "bench: -c must be 1 to 100000")]
    [InlineData(new[] { "bench", "session", "--target", "198.18.2.10:20000", "-n", "many" }, "bench: -c must be 1 to 100000")]
    [InlineData(new[] { "bench", "session", "--target", "198.18.2.10:20000", "--warmup=-1" }, "bench: --warmup must be 0 to 100000")]
    [InlineData(new[] { "bench", "session", "--target", "198.18.2.10" }, "should be IP:PORT")]
    public void BadArgumentsAreOneLineUsageErrors(string[] args, string message)
    {
        var r = Cli.Run(Bound, args);
        r.Code.ShouldBe(2, r.ToString());
        r.Out.ShouldBeEmpty();
        var lines = r.Err.Trim().Split('\n');
        lines.Length.ShouldBe(1, r.Err);
        lines[0].ShouldStartWith("rawhandshake: ");
        lines[0].ShouldContain(message);
    }

    [Fact]
    public void AClosedPortFailsTheRunNamingTheFirstFailedSession()
    {
        var r = Cli.Run(Bound, "bench", "session", "--netns", lab.Client, "--target", "198.18.2.10:20099", "-n", "3", "--warmup", "0");
        r.Code.ShouldBe(1, r.ToString());
        r.Err.Trim().ShouldStartWith("rawhandshake: bench: engine session 1 failed: ");
        r.Err.ShouldContain("20099");
    }
}
