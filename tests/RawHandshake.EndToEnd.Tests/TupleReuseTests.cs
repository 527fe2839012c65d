using System.Text.Json;
using RawHandshake.Lab.Topology;

namespace RawHandshake.EndToEnd.Tests;

/// <summary>
/// A 4-tuple connected again while the server still holds its last connection in TIME-WAIT (the server closed first).
/// Linux and slirp's BSD stack take a SYN there only when its sequence number (or timestamp) is above the last
/// connection's; our ISN and TSval rise with the host's clock (RFC 9293 §3.4.1, RFC 7323 §5.4), so every connect
/// gets a SYN-ACK, never the old connection's ACK, and from another process too. With uniformly random numbers each
/// reconnect failed half the time (the soak of the shipped recipes met it once in CI).
/// </summary>
[Trait("Category", "Live")]
public sealed class TupleReuseTests(LabFixture lab) : IClassFixture<LabFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    /// <summary>The server of port 20001 closes 1 s after the handshake; ours closes in turn and the server keeps TIME-WAIT.
    /// The handshake is written out: its SYN must be answered by a SYN-ACK at once (<c>connect</c> would also pass after
    /// resetting the old connection with a RST and sending the SYN again a second later).</summary>
    private static string Recipe(ushort sport, bool timestamps, bool checkServer) => $"""
        description "the server closes first and keeps the 4-tuple in TIME-WAIT"
        target 198.18.2.10:{LabPorts.EchoCloseFirst}
        options sport {sport}, mss 1460{(timestamps ? ", sackok, wscale 7, timestamps" : "")}
        send   S 0:0(0)
        expect S. 0:0(0) ack 1 within 1s
        send   . 1:1(0) ack 1
        wait-close within 4s
        expect state CLOSED
        {(checkServer ? "expect server-state TIME-WAIT" : "")}
        """;

    [Fact]
    public void TheKernelTakesEveryReconnectOfATupleItHoldsInTimeWait()
    {
        var sport = (ushort)Random.Shared.Next(40000, 50000);
        var plain = Write(Recipe(sport, false, true));
        var stamped = Write(Recipe(sport, true, true));
        try
        {
            // One process: four connections of the tuple in a row, with and without timestamps (PAWS checks those).
            Passes(Cli.Run(Bound, ["run", "--netns", lab.Client, "--json", plain, stamped, plain, stamped]), 4);
            // Another process, at once: its numbers still start above the last connection's.
            Passes(Cli.Run(Bound, ["run", "--netns", lab.Client, "--json", stamped, plain]), 2);
        }
        finally
        {
            File.Delete(plain);
            File.Delete(stamped);
        }
    }

    [Fact]
    public void SlirpTakesEveryReconnectOfATupleItHoldsInTimeWait()
    {
        var sport = (ushort)Random.Shared.Next(40000, 50000);
        var plain = Write(Recipe(sport, false, false));
        try
        {
            var target = $"{LabPlan.SlirpGatewayAddress}:{LabPorts.EchoCloseFirst}";
            Passes(Cli.Run(Bound, ["run", "--netns", lab.Info.SlirpNamespace, "--target", target, "--json", plain, plain, plain]), 3);
            Passes(Cli.Run(Bound, ["run", "--netns", lab.Info.SlirpNamespace, "--target", target, "--json", plain]), 1);
        }
        finally
        {
            File.Delete(plain);
        }
    }

    private static string Write(string text)
    {
        var file = Path.Combine(Path.GetTempPath(), $"rh-reuse-{Guid.NewGuid():N}.rh");
        File.WriteAllText(file, text);
        return file;
    }

    private static void Passes(Cli.Result r, int runs)
    {
        var events = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        var failed = events.Where(e => e.GetProperty("event").GetString() == "step" && !e.GetProperty("ok").GetBoolean()).Select(e => e.ToString()).ToList();
        failed.ShouldBeEmpty(r.ToString());
        r.Code.ShouldBe(0, r.ToString());
        events.Count(e => e.GetProperty("event").GetString() == "result").ShouldBe(runs, r.Out);
    }
}
