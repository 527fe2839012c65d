using RawHandshake.Lab.Servers;

namespace RawHandshake.EndToEnd.Tests;

/// <summary>
/// Loss on the way, against the real Linux stack: the router drops some of the server's segments (nft numgen, since this
/// kernel has no netem). We must hold what comes after a gap, send duplicate ACKs with SACK blocks, take the server's
/// retransmissions, and end with the byte stream exactly as sent — all tagged in the trace as Wireshark would.
/// </summary>
[Trait("Category", "Live")]
[Collection(SenderLossTests.Collection)]
public sealed class LossTests(LabFixture lab) : IClassFixture<LabFixture>
{
    [Fact]
    public void ChargenThroughALossyRouterArrivesWhole()
    {
        // Every 40th data segment from the chargen server (port 19) is dropped in the router.
        Sh.InNs(lab.Router, "nft", "add", "table", "inet", "e2eloss");
        Sh.InNs(lab.Router, "nft", "add", "chain", "inet", "e2eloss", "forward", "{ type filter hook forward priority 0; policy accept; }");
        Sh.InNs(lab.Router, "nft", "add", "rule", "inet", "e2eloss", "forward", "ip", "saddr", "198.18.2.10", "tcp", "sport", "19",
            "tcp", "flags", "&", "(syn|fin|rst)", "==", "0", "numgen", "inc", "mod", "40", "==", "7", "counter", "drop");
        var file = Path.Combine(Path.GetTempPath(), $"rh-chargen-{Guid.NewGuid():N}.bin");
        var capture = Path.ChangeExtension(file, ".pcapng");
        try
        {
            var r = Cli.Run(TimeSpan.FromSeconds(60), "handshake", "--netns", lab.Client, "--target", "198.18.2.10:19", "--close", "passive",
                "--sackok", "--wscale", "7", "--timeout", "30s", "--received-file", file, "-w", capture);
            r.Code.ShouldBe(0, r.ToString()[..Math.Min(4000, r.ToString().Length)]);
            r.Out.ShouldContain("[TCP Previous segment not captured]");
            r.Out.ShouldContain("out-of-order segment at");
            r.Out.ShouldContain("[TCP Dup ACK");
            r.Out.ShouldContain("SLE=");
            var counter = Sh.InNs(lab.Router, "nft", "list", "table", "inet", "e2eloss");
            counter.ShouldNotContain("packets 0 ", customMessage: "the router dropped nothing: the test proved nothing");

            var got = File.ReadAllBytes(file);
            var expected = Enumerable.Range(0, got.Length / Chargen.LineBytes + 1).SelectMany(Chargen.Line).Take(got.Length).ToArray();
            got.Length.ShouldBeGreaterThan(1_000_000);
            got.AsSpan().SequenceEqual(expected).ShouldBeTrue("the stream must be exactly the chargen pattern, in order, without holes or repeats");

            // Every frame's analysis tags as tshark gives them for the capture we wrote: the gaps, duplicate ACKs and the
            // server's (fast) retransmissions of a real Linux stack.
            var (ours, theirs) = TsharkTags.Compare(r.Out, capture);
            theirs.Values.ShouldContain(t => t.Contains("Retransmission", StringComparison.Ordinal));
            TsharkTags.ShouldAgree(ours, theirs);
        }
        finally
        {
            Sh.InNs(lab.Router, "nft", "delete", "table", "inet", "e2eloss");
            File.Delete(file);
            File.Delete(capture);
        }
    }
}
