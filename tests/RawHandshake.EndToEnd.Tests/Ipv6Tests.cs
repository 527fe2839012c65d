using RawHandshake.Lab.Servers;
using RawHandshake.Lab.Topology;

namespace RawHandshake.EndToEnd.Tests;

/// <summary>A dual-stack lab of its own (IPv6 on, 2001:db8::/32 on every link, the echo server and chargen (port 19, for
/// probe's deep checks) on :: for both families), torn down at the end even when tests fail.</summary>
public sealed class DualStackLabFixture : IDisposable
{
    public DualStackLabFixture()
    {
        Name = "v" + Guid.NewGuid().ToString("N")[..5];
        Info = LabTopology.Up(Name, new LabUpOptions
        {
            ServeCommand = ["dotnet", Cli.Dll, "serve"],
            Servers = [new LabServerSpec(ServerMode.Echo, LabPorts.Echo, []), new LabServerSpec(ServerMode.Chargen, LabPorts.Chargen)],
            Slirp = false,
            Ipv6 = true,
            ReadyTimeout = TimeSpan.FromMinutes(2),
        });
    }

    public string Name { get; }
    public LabInfo Info { get; }
    public string Client => Info.ClientNamespace;
    public string Server => Info.ServerNamespace;
    public string Router => Info.RouterNamespace;

    public void Dispose() => LabTopology.Down(Name);
}

/// <summary>Issue 15's live bar: handshake and run over IPv6 against the real Linux stack, neighbour discovery instead of
/// ARP, the nft guard in its ip6 set, the phantom guard answering neighbour solicitations, tshark judging the pcaps.</summary>
[Trait("Category", "Live")]
public sealed class Ipv6Tests(DualStackLabFixture lab) : IClassFixture<DualStackLabFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Theory]
    [InlineData("2001:db8:2::10", "NDP for the next hop", "2001:db8::fe")]  // through the router: its address is resolved
    [InlineData("2001:db8:1::10", "NDP for the next hop", "2001:db8:1::10")] // on-link: the server's own
    public void HandshakeOverIPv6EchoesAndTsharkRatesEveryChecksumGood(string server, string note, string nextHop)
    {
        var file = Path.Combine(Path.GetTempPath(), $"rh-e2e6-{Guid.NewGuid():N}.pcapng");
        try
        {
            var r = Cli.Run(Bound, "handshake", "--netns", lab.Client, "--target", $"[{server}]:20000", "--data", "AB", "--expect-echo", "-w", file);
            r.Code.ShouldBe(0, r.ToString());
            r.Out.ShouldContain(note);
            r.Out.ShouldContain(nextHop);
            r.Out.ShouldContain("[SYN, ACK] Seq=0 Ack=1");
            r.Out.ShouldContain("[SYN] Seq=0 Win=64240 Len=0 MSS=1440"); // a 1500-byte link less IPv6's 40 and TCP's 20
            r.Out.ShouldContain("received  \"AB\"");
            r.Out.ShouldContain("result    ok");

            // Every TCP segment of the capture, ours and the server's, is IPv6 with a checksum tshark rates good (1).
            var fields = Sh.Run("tshark", "-o", "tcp.check_checksum:TRUE", "-r", file, "-Y", "tcp", "-T", "fields", "-E", "separator=|",
                "-e", "ipv6.src", "-e", "tcp.checksum.status");
            var rows = fields.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("Running as", StringComparison.Ordinal)).ToList();
            rows.Count.ShouldBeGreaterThanOrEqualTo(8, fields);
            rows.ShouldAllBe(row => row.EndsWith("|1", StringComparison.Ordinal) && row.Contains(':'), fields);

            // The neighbour solicitation we sent is a valid ICMPv6 message too.
            var ndp = Sh.Run("tshark", "-r", file, "-Y", "icmpv6.type == 135", "-T", "fields", "-e", "icmpv6.checksum.status");
            ndp.Split('\n', StringSplitOptions.RemoveEmptyEntries).Where(l => !l.StartsWith("Running as", StringComparison.Ordinal)).ShouldContain("1");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void ThePhantomGuardAnswersNeighbourSolicitationsForItsSource()
    {
        // An address of the on-link /64 that nobody holds: our duplicate address detection gets no answer, the server's
        // kernel learns the phantom from our solicitation or asks for it, and we answer for it; no nft rule needed.
        var r = Cli.Run(Bound, "handshake", "--netns", lab.Client, "--target", "[2001:db8:1::10]:20000", "--iface", "eth1",
            "--source", "2001:db8:1::77", "--rst-guard", "phantom", "--data", "hi", "--expect-echo");
        r.Code.ShouldBe(0, r.ToString());
        r.Out.ShouldContain("NDP probe: is the phantom source unused?");
        r.Out.ShouldContain("received  \"hi\"");
        r.Out.ShouldContain("result    ok");
    }

    [Fact]
    public void APhantomSourceSomeoneHoldsIsRefusedInOneLine()
    {
        var r = Cli.Run(Bound, "handshake", "--netns", lab.Client, "--target", "[2001:db8:1::10]:20000", "--iface", "eth1",
            "--source", "2001:db8:1::10", "--rst-guard", "phantom");
        r.Code.ShouldBe(2, r.ToString());
        r.Err.Trim().ShouldBe("rawhandshake: --source 2001:db8:1::10 is in use on eth1 (02:52:48:00:01:0a answered a neighbour solicitation for it): the phantom guard never takes an address someone holds; give an unused one");
    }

    [Fact]
    public void TheSeedRecipeRunsOverIPv6WithATargetOverride()
    {
        var recipe = Path.Combine(RecipeTests.RecipesDir, "seed-python-echo.rh");
        var r = Cli.Run(Bound, "run", "--netns", lab.Client, recipe, "--target", "[2001:db8:2::10]:20000");
        r.Code.ShouldBe(0, r.ToString());
        r.Out.ShouldContain("[2001:db8::1]:");
        r.Out.ShouldContain("[2001:db8:2::10]:20000");
    }

    [Fact]
    public void ARecipeAimedAtAnIPv6TargetRunsAsWritten()
    {
        var recipe = Path.Combine(Path.GetTempPath(), $"rh-e2e6-{Guid.NewGuid():N}.rh");
        File.WriteAllText(recipe, """
            target [2001:db8:2::10]:20000
            send   S 0:0(0) win 64240 <mss 1460>
            expect S. 0:0(0) ack 1 within 2s
            send   . 1:1(0) ack 1
            push   "v6"
            recv   "v6"
            close
            """);
        try
        {
            var r = Cli.Run(Bound, "run", "--netns", lab.Client, recipe);
            r.Code.ShouldBe(0, r.ToString());
        }
        finally
        {
            File.Delete(recipe);
        }
    }
}
