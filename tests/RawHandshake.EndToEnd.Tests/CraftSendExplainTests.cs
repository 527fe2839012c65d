namespace RawHandshake.EndToEnd.Tests;

/// <summary>Issue 14, as a new user tried it: a SYN with a wrong TCP checksum, TTL 1 and an IP option, sent into the lab.</summary>
public sealed partial class CraftSendTests
{
    [Fact]
    public void ASynWithAWrongChecksumTtl1AndRecordRouteNamesAllThreeBeforeItGoesOut()
    {
        var r = Cli.Run(Bound, "craft", "--send", "--netns", lab.Client, "--dst", "198.18.2.10", "--dport", "20000", "--flags", "S",
            "--tcp-checksum", "0xdead", "--ttl", "1", "--ip-options", "07070400000000", "--timeout", "500ms");
        r.Out.ShouldMatch(@"(?m)^sent with TTL=1 \[IP options: RR\] \[bad TCP checksum 0xdead, should be 0x[0-9a-f]{4}\]$", r.ToString());
        r.Out.ShouldContain("Time-to-live exceeded", Case.Insensitive, r.ToString()); // the router's answer to TTL 1
    }
}
