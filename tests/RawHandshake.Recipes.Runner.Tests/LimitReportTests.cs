using RawHandshake.Engine;
using RawHandshake.Engine.Trace;
using RawHandshake.Recipes.Runner.Tests.Infra;

namespace RawHandshake.Recipes.Runner.Tests;

/// <summary>Issue 10 §2: the limit the trace reports is the recipe's own, and "bytes sent" counts what went out.</summary>
public sealed class LimitReportTests
{
    [Fact]
    public void Option_timeout_is_the_limit_the_trace_reports()
    {
        using var bench = new Bench();
        bench.Peer.Listen(20000);
        var run = bench.Run("""
            target 10.9.0.2:20000
            option timeout 2s
            connect
            sleep 1500ms
            sleep 1500ms
            push "A"
            """);
        run.End.ShouldBe(RunEnd.TimedOut, run.Describe());
        var result = bench.Trace.Events.OfType<ResultTraced>().Single();
        result.Error.ShouldNotBeNull();
        result.Error.ShouldEndWith("time limit of 2 s reached in ESTABLISHED"); // not the 3 s the engine waits with its grace
    }

    [Fact]
    public void Bytes_sent_counts_what_went_out_not_what_was_queued()
    {
        // The server's window is closed: "ABCDEF" waits in the queue, only window probes (at most one byte) go out.
        using var bench = new Bench();
        bench.Peer.Listen(20000, s => s.Window = 0);
        var run = bench.Run("""
            target 10.9.0.2:20000
            option timeout 2s
            connect
            push "ABCDEF"
            """);
        var summary = bench.Trace.Events.OfType<ResultTraced>().Single().Summary;
        summary.BytesSent.ShouldBeLessThanOrEqualTo(1, run.Describe());
        run.Session.QueuedCount.ShouldBe(6);
    }
}
