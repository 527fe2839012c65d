using RawHandshake.Lab.Servers;
using RawHandshake.Lab.Topology;
using RawHandshake.Recipes.Import;

namespace RawHandshake.EndToEnd.Tests;

/// <summary>
/// A private lab whose servers are the script servers of the packetdrill scripts below (as <c>import</c> describes
/// them), without the second stack; the scripts and their imported recipes in a temporary folder.
/// </summary>
public sealed class ImportLabFixture : IDisposable
{
    private const string Listen = """
        0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
        +0 bind(3, ..., ...) = 0
        +0 listen(3, 1) = 0

        """;

    /// <summary>Our SYN offers no options, so Linux's SYN-ACK carries exactly &lt;mss 1460&gt; on the lab's 1500-byte links.</summary>
    private const string Handshake = """
        +0 < S 0:0(0) win 65535
        +0 > S. 0:0(0) ack 1 <mss 1460>
        +.1 < . 1:1(0) ack 1 win 65535
        +0 accept(3, ..., ...) = 4

        """;

    /// <summary>The scripts by port: data both ways and the client's FIN first; the server's FIN first (shutdown);
    /// a reset (SO_LINGER 0); and one that expects what Linux does not do.</summary>
    public static readonly IReadOnlyDictionary<int, string> Scripts = new Dictionary<int, string>
    {
        [8081] = "// data both ways, the client closes first\n" + Listen + Handshake + """
            +0 write(4, ..., 1000) = 1000
            +0 > P. 1:1001(1000) ack 1
            +.05 < . 1:1(0) ack 1001 win 65535
            +0 < P. 1:501(500) ack 1001 win 65535
            +0~+.04 > . 1001:1001(0) ack 501
            +0 read(4, ..., 500) = 500
            +.1 < F. 501:501(0) ack 1001 win 65535
            +0 > . 1001:1001(0) ack 502
            +0 read(4, ..., 1000) = 0
            +.1 close(4) = 0
            +0 > F. 1001:1001(0) ack 502
            +0 < . 502:502(0) ack 1002 win 65535
            """,
        [8082] = "// the server closes first (shutdown), then reads our FIN\n" + Listen + Handshake + """
            +0 write(4, ..., 10) = 10
            +0 > P. 1:11(10) ack 1
            +.1 shutdown(4, SHUT_WR) = 0
            +0 > F. 11:11(0) ack 1
            +0 < . 1:1(0) ack 12 win 65535
            +.05 < F. 1:1(0) ack 12 win 65535
            +0 > . 12:12(0) ack 2
            +0 read(4, ..., 100) = 0
            +0 close(4) = 0
            """,
        [8083] = "// SO_LINGER 0: the server's close is a RST\n" + Listen + Handshake + """
            +0 setsockopt(4, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0
            +0 < P. 1:6(5) ack 1 win 65535
            +0~+.04 > . 1:1(0) ack 6
            +0 read(4, ..., 5) = 5
            +.1 close(4) = 0
            +0 > R. 1:1(0) ack 6
            """,
        [8084] = "// wrong on purpose: Linux acknowledges our SYN with 1, not 5\n" + Listen + """
            +0 < S 0:0(0) win 65535
            +0 > S. 0:0(0) ack 5 <mss 1460>
            +.1 < . 1:1(0) ack 1 win 65535
            +0 accept(3, ..., ...) = 4
            """,
    };

    public ImportLabFixture()
    {
        Folder = Directory.CreateTempSubdirectory("rh-import-e2e-").FullName;
        var servers = new List<LabServerSpec>();
        foreach (var (port, script) in Scripts)
        {
            var pkt = Path.Combine(Folder, $"p{port}.pkt");
            File.WriteAllText(pkt, script);
            var server = PacketdrillImporter.Import(script, pkt, new ImportSettings { Port = port }).Server!;
            servers.Add(new LabServerSpec(ServerMode.Script, port, server.ServeArguments.Skip(3).ToList()));
        }

        Name = "i" + Guid.NewGuid().ToString("N")[..5];
        try
        {
            Info = LabTopology.Up(Name, new LabUpOptions
            {
                ServeCommand = ["dotnet", Cli.Dll, "serve"],
                Servers = servers,
                Slirp = false,
                ReadyTimeout = TimeSpan.FromMinutes(2),
            });
        }
        catch
        {
            LabTopology.Down(Name);
            Directory.Delete(Folder, recursive: true);
            throw;
        }
    }

    public string Name { get; }

    public LabInfo Info { get; }

    public string Folder { get; }

    public void Dispose()
    {
        LabTopology.Down(Name);
        Directory.Delete(Folder, recursive: true);
    }
}

/// <summary>
/// Issue 13's "beyond packetdrill": server-side packetdrill scripts, imported by the CLI, run against the real Linux
/// kernel: each server is the lab's script server doing what the script's system calls do.
/// </summary>
[Trait("Category", "Live")]
public sealed class ImportTests(ImportLabFixture lab) : IClassFixture<ImportLabFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private string Import(int port)
    {
        var pkt = Path.Combine(lab.Folder, $"p{port}.pkt");
        var rh = Path.Combine(lab.Folder, $"p{port}.rh");
        var r = Cli.Run(Bound, "import", pkt, "--target", $"198.18.2.10:{port}", "--tolerance", "300ms", "-o", rh);
        r.Code.ShouldBe(0, r.ToString());
        r.Out.ShouldContain($"server: rawhandshake serve script --port {port} --backlog 1 --actions ");
        return rh;
    }

    [Fact]
    public void ImportedScriptsPassAgainstTheRealKernel()
    {
        var recipes = new[] { 8081, 8082, 8083 }.Select(Import).ToArray();
        File.ReadAllText(recipes[0]).ShouldContain("dialect packetdrill\n");
        var r = Cli.Run(Bound, ["run", "--netns", lab.Info.ClientNamespace, .. recipes]);
        r.Code.ShouldBe(0, r.ToString());
        r.Out.ShouldContain("+0 expect S. 0:0(0) ack 1 <mss 1460>");      // the exact option list of the dialect
        r.Out.ShouldContain("+0.1 expect R. 1:1(0) ack 6");               // SO_LINGER 0, 100 ms after its read
        r.Out.ShouldContain("+0.1 expect F. 11:11(0) ack 1");             // shutdown(SHUT_WR), 100 ms after its write
        foreach (var rh in recipes)
        {
            r.Out.ShouldMatch($@"{System.Text.RegularExpressions.Regex.Escape(rh)}\s+(\d+)/\1\s+pass");
        }
    }

    [Fact]
    public void AScriptThatExpectsWhatLinuxDoesNotDoFailsWithTheDiff()
    {
        var rh = Import(8084);
        var r = Cli.Run(Bound, "run", "--netns", lab.Info.ClientNamespace, rh);
        r.Code.ShouldBe(1, r.ToString());
        r.Out.ShouldContain($"FAIL  {rh}:");
        r.Out.ShouldContain("tcp.ack: expected 5 (0x5) vs actual 1 (0x1)");
    }
}
