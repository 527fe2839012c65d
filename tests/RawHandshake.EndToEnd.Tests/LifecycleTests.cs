namespace RawHandshake.EndToEnd.Tests;

/// <summary>Issue 4's bar: every close mode reaches its states on both sides, as the trace shows and the server's `ss` agrees.</summary>
[Trait("Category", "Live")]
public sealed class LifecycleTests(LabFixture lab) : IClassFixture<LabFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(40);

    private string ServerSockets(int serverPort, int clientPort) =>
        Sh.InNs(lab.Server, "ss", "-tanH", "state", "all", $"( sport = :{serverPort} and dport = :{clientPort} )").Trim();

    [Fact]
    public void Seed003ReadOnceServerEchoesHelloWorldThenClosesFirst()
    {
        var r = Cli.Run(Bound, "handshake", "--netns", lab.Client, "--target", "198.18.2.10:20003", "--data", "Hello World!", "--expect-echo",
            "--close", "passive", "--sport", "42003");
        r.Code.ShouldBe(0, r.ToString());
        r.Out.ShouldContain("[PSH, ACK] Seq=1 Ack=1 Win=64240 Len=12");
        r.Out.ShouldContain("Seq=1 Ack=13"); // the server acknowledges 12 bytes: Ack = 1 + 12
        r.Out.ShouldContain("received  \"Hello World!\"");
        r.Out.ShouldContain("client ESTABLISHED → CLOSE-WAIT");
        r.Out.ShouldContain("client CLOSE-WAIT → LAST-ACK");
        r.Out.ShouldContain("client LAST-ACK → CLOSED");
        r.Out.ShouldContain("server ESTABLISHED → FIN-WAIT-1");
        r.Out.ShouldContain("server FIN-WAIT-2 → TIME-WAIT");
        ServerSockets(20003, 42003).ShouldStartWith("TIME-WAIT"); // the server's kernel agrees: it closed first
    }

    [Fact]
    public void HalfCloseKeepsReceivingAfterOurFin()
    {
        var r = Cli.Run(Bound, "handshake", "--netns", lab.Client, "--target", "198.18.2.10:20002", "--data", "AB", "--close", "half", "--sport", "42002");
        r.Code.ShouldBe(0, r.ToString());
        r.Out.ShouldContain("client FIN-WAIT-1 → FIN-WAIT-2");
        r.Out.ShouldContain("late data");
        r.Out.ShouldContain("client FIN-WAIT-2 → TIME-WAIT");
        var lines = r.Out.Split('\n');
        var fin2 = Array.FindIndex(lines, l => l.Contains("client FIN-WAIT-1 → FIN-WAIT-2"));
        var data = Array.FindLastIndex(lines, l => l.Contains("←") && l.Contains("[PSH, ACK]") && l.Contains("Len=9"));
        data.ShouldBeGreaterThan(fin2, "the server sent data after our FIN was acknowledged");
        ServerSockets(20002, 42002).ShouldBeEmpty();
    }

    [Fact]
    public void SimultaneousCloseReachesClosing()
    {
        var r = Cli.Run(Bound, "handshake", "--netns", lab.Client, "--target", "198.18.2.10:20001", "--data", "AB", "--expect-echo", "--close", "simultaneous",
            "--sport", "42001");
        r.Code.ShouldBe(0, r.ToString());
        r.Out.ShouldContain("deliberately wrong checksum: the server will not see it");
        r.Out.ShouldContain("client FIN-WAIT-1 → CLOSING");
        r.Out.ShouldContain("client CLOSING → TIME-WAIT");
        r.Out.ShouldContain("server FIN-WAIT-2 → TIME-WAIT");
        ServerSockets(20001, 42001).ShouldStartWith("TIME-WAIT");
    }

    [Fact]
    public void RstAbortLeavesNothingOnTheServer()
    {
        var r = Cli.Run(Bound, "handshake", "--netns", lab.Client, "--target", "198.18.2.10:20000", "--data", "AB", "--expect-echo", "--close", "rst", "--sport", "42004");
        r.Code.ShouldBe(0, r.ToString());
        r.Out.ShouldContain("[RST, ACK] Seq=3 Ack=3");
        r.Out.ShouldContain("client ESTABLISHED → CLOSED");
        ServerSockets(20000, 42004).ShouldBeEmpty();
    }

    [Fact]
    public void NoneLeavesTheConnectionOpenAndSaysSo()
    {
        var r = Cli.Run(Bound, "handshake", "--netns", lab.Client, "--target", "198.18.2.10:20000", "--data", "AB", "--expect-echo", "--close", "none", "--sport", "42005");
        r.Code.ShouldBe(0, r.ToString());
        r.Out.ShouldContain("leaving the connection open");
        ServerSockets(20000, 42005).ShouldStartWith("ESTAB");
    }

    [Fact]
    public void ActiveCloseMatchesSeed000Numbers()
    {
        // Seed 000: 'A' then 'AB'; the server's Ack rises by 1 then by 2 (to 4); the FIN is Seq=4 here (the article's 7
        // counts the extra bytes its client sent); the four-way close.
        var r = Cli.Run(Bound, "handshake", "--netns", lab.Client, "--target", "198.18.2.10:20000", "--data", "A", "--data", "AB", "--expect-echo");
        r.Code.ShouldBe(0, r.ToString());
        r.Out.ShouldContain("Seq=1 Ack=2");
        r.Out.ShouldContain("Seq=2 Ack=4");
        r.Out.ShouldContain("[FIN, ACK] Seq=4 Ack=4");
        r.Out.ShouldContain("[FIN, ACK] Seq=4 Ack=5");
        r.Out.ShouldContain("received  \"AAB\"");
    }

    [Fact]
    public void LoopbackTargetIsRefusedWithOneLinePointingToTheLab()
    {
        var r = Cli.Run(Bound, "handshake", "--target", "127.0.0.1:20000");
        r.Code.ShouldBe(2, r.ToString());
        r.Err.ShouldContain("use the built-in lab");
        r.Err.Trim().Split('\n').Length.ShouldBe(1);
    }
}
