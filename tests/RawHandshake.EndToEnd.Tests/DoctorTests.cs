using System.Security.Cryptography;
using System.Text.RegularExpressions;

namespace RawHandshake.EndToEnd.Tests;

/// <summary>
/// Issue 14: <c>doctor [--fix]</c> as a user runs it, inside a private namespace holding an RST-guard table of a dead
/// process, and with a leftover lab (a namespace rh-NAME-cli without state) named by <c>--lab</c>, so that <c>--fix</c>
/// touches nothing of other tests.
/// </summary>
[Trait("Category", "Live")]
public sealed partial class DoctorTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private static string Flat(string text) => Spaces().Replace(text, " ");

    [Fact]
    public void DoctorReportsTheLeftoversAndFixRemovesThem()
    {
        var id = RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 5);
        var ns = $"rhdoc-{id}";
        var lab = "d" + id;
        var table = $"rawhandshake_{Environment.ProcessId}_1";
        try
        {
            Sh.Run("ip", "netns", "add", ns);
            Sh.InNs(ns, "nft", "add", "table", "inet", table);
            Sh.Run("ip", "netns", "add", $"rh-{lab}-cli");

            var r = Cli.Run(Bound, "doctor", "--netns", ns, "--lab", lab);
            r.Code.ShouldBe(0, r.ToString());
            var o = Flat(r.Out);
            o.ShouldContain("ok libpcap libpcap version ");
            o.ShouldContain("ok privileges CAP_NET_RAW yes, CAP_NET_ADMIN yes (root)");
            o.ShouldContain("ok interface lo: down, loopback");
            o.ShouldContain("warn interfaces no interface but loopback is up: nothing to send on");
            o.ShouldContain("warn routes no IPv4 route: only directly given interfaces can be used");
            o.ShouldContain("ok nft nftables v");
            o.ShouldContain($"warn nft tables 1 RST-guard table(s) of dead processes: {table}\n fix: doctor --fix (removes them)");
            o.ShouldContain($"warn lab {lab} left by a dead process (rh-{lab}-cli): no state file /run/rawhandshake/lab-{lab}.json; namespace rh-{lab}-rtr is missing");
            o.ShouldContain($"\n fix: doctor --fix (or: lab down --name {lab})");
            o.ShouldNotContain("fixed:");

            var fix = Cli.Run(Bound, "doctor", "--netns", ns, "--lab", lab, "--fix");
            fix.Code.ShouldBe(0, fix.ToString());
            Flat(fix.Out).ShouldContain("fixed: removed 1 nft RST-guard table(s) of dead processes");
            Flat(fix.Out).ShouldContain($"fixed: removed lab {lab} (rh-{lab}-cli, 0 process(es) stopped)");
            Sh.InNs(ns, "nft", "list", "tables").ShouldNotContain(table);
            File.Exists($"/run/netns/rh-{lab}-cli").ShouldBeFalse();

            var after = Flat(Cli.Run(Bound, "doctor", "--netns", ns, "--lab", lab).Out);
            after.ShouldContain("ok nft tables no RST-guard table");
            after.ShouldContain($"ok labs no lab '{lab}' on this host");
        }
        finally
        {
            Sh.RunAllowingFailure("ip", "netns", "delete", ns);
            Sh.RunAllowingFailure("ip", "netns", "delete", $"rh-{lab}-cli");
        }
    }

    [Fact]
    public void ABadLabNameIsOneLine()
    {
        var r = Cli.Run(Bound, "doctor", "--lab", "Bad_Name");
        r.Code.ShouldBe(2);
        r.Err.Trim().ShouldBe("rawhandshake: doctor: --lab: 'Bad_Name' is not a lab name (1 to 8 characters a-z 0-9)");
        r.Out.ShouldBeEmpty();
    }

    [GeneratedRegex(" +")]
    private static partial Regex Spaces();
}
