using RawHandshake.Recipes.Import;
using RawHandshake.Recipes.Syntax;

namespace RawHandshake.Recipes.Tests.Import;

/// <summary>What the importer writes compiles, and its settings (target, port, tolerance) reach the recipe and server.</summary>
public class ImporterTests
{
    public static TheoryData<string, string> Scripts => new()
    {
        { "handshake", PacketdrillScripts.Handshake },
        { "data", PacketdrillScripts.DataBothWays },
        { "fin", PacketdrillScripts.FinClose },
        { "reset", PacketdrillScripts.Reset },
        { "options", PacketdrillScripts.Options },
        { "timing", PacketdrillScripts.Timing },
    };

    [Theory]
    [MemberData(nameof(Scripts))]
    public void The_import_compiles_with_the_forms_this_compiler_accepts(string name, string script)
    {
        var r = PacketdrillImporter.Import(script, name + ".pkt", new ImportSettings { Address = "198.18.2.10", Tolerance = TimeSpan.FromMilliseconds(150) });
        r.Success.ShouldBeTrue(string.Join('\n', r.Errors));
        var compiled = RecipeCompiler.Compile(r.Recipe!, name + ".rh");
        compiled.Success.ShouldBeTrue(compiled + "\n" + r.Recipe);
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public void The_classic_forms_compile_too(string name, string script)
    {
        var r = PacketdrillImporter.Import(script, name + ".pkt", new ImportSettings { Forms = RecipeForms.Classic });
        var compiled = RecipeCompiler.Compile(r.Recipe!, name + ".rh");
        compiled.Success.ShouldBeTrue(compiled + "\n" + r.Recipe);
    }

    [Theory]
    [MemberData(nameof(Scripts))]
    public void Each_packet_line_is_a_send_or_an_expect_in_the_scripts_order(string name, string script)
    {
        var r = PacketdrillImporter.Import(script, name + ".pkt", new ImportSettings());
        var recipe = RecipeCompiler.Compile(r.Recipe!, name + ".rh").Recipe!;
        var packets = script.Split('\n')
            .Select(l => l.Trim().Split(' ', 2, StringSplitOptions.RemoveEmptyEntries))
            .Where(w => w.Length == 2 && (w[1].StartsWith('<') || w[1].StartsWith('>')))
            .Select(w => w[1][0] == '<' ? "send" : "expect");
        var steps = recipe.Steps.Where(s => s is SendStep or ExpectStep).Select(s => s is SendStep ? "send" : "expect");
        steps.ShouldBe(packets);
    }

    [Fact]
    public void Target_and_tolerance_become_header_lines()
    {
        var r = PacketdrillImporter.Import(PacketdrillScripts.Handshake, "h.pkt",
            new ImportSettings { Address = "198.18.2.10", Port = 9000, Tolerance = TimeSpan.FromMilliseconds(150), Forms = RecipeForms.All });
        r.Recipe!.ShouldContain("dialect packetdrill\ntarget 198.18.2.10:9000\noption tolerance 150ms\n");
        r.Server!.Port.ShouldBe(9000);
        r.Server.CommandLine.ShouldBe("rawhandshake serve script --port 9000 --backlog 1 --actions accept");
    }

    [Fact]
    public void The_port_comes_from_bind_then_from_the_bind_port_option_then_8080()
    {
        const string Rest = "+0 listen(3, 5) = 0\n+0 < S 0:0(0) win 100\n";
        static int Port(string script, int? given = null) =>
            PacketdrillImporter.Import(script, "p.pkt", new ImportSettings { Port = given }).Server!.Port;

        var sockaddr = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, {sa_family=AF_INET, sin_port=htons(9000), sin_addr=inet_addr(\"192.0.2.1\")}, 16) = 0\n" + Rest;
        Port(sockaddr).ShouldBe(9000);
        Port(sockaddr, 7000).ShouldBe(7000);
        Port("--bind_port=9001\n0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n" + Rest).ShouldBe(9001);
        Port("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n" + Rest).ShouldBe(PacketdrillImporter.DefaultPort);
        PacketdrillImporter.Import(sockaddr, "p.pkt", new ImportSettings()).Server!.Backlog.ShouldBe(5);
    }

    [Fact]
    public void The_scripts_own_tolerance_is_named_and_not_kept()
    {
        var r = PacketdrillImporter.Import("--tolerance_usecs=10000\n" + PacketdrillScripts.Handshake, "h.pkt", new ImportSettings());
        r.Warnings.ShouldBeEmpty();
        r.Recipe!.ShouldContain("# The script's own tolerance (10ms) is not kept: a remote server gets the recipe's (option tolerance).\n");
        r.Recipe!.ShouldNotContain("option tolerance 10ms");
    }

    [Fact]
    public void A_socket_option_before_accept_goes_to_the_listener_and_after_it_to_the_connection()
    {
        const string Script = """
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
            +0 setsockopt(3, SOL_SOCKET, SO_RCVBUF, [65536], 4) = 0
            +0 bind(3, ..., ...) = 0
            +0 listen(3, 1) = 0
            +0 < S 0:0(0) win 100
            +0 > S. 0:0(0) ack 1
            +0 < . 1:1(0) ack 1 win 100
            +0 accept(3, ..., ...) = 4
            +0 setsockopt(4, SOL_SOCKET, SO_SNDBUF, [4096], 4) = 0
            +0.25 write(4, ..., 10) = 10
            +0 > P. 1:11(10) ack 1
            +0.0015 shutdown(4, SHUT_RDWR) = 0
            """;
        PacketdrillImporter.Import(Script, "s.pkt", new ImportSettings()).Server!.Actions
            .ShouldBe("rcvbuf 65536; accept; sndbuf 4096; sleep 250ms; write 10; sleep 1500us; shutdown both");
    }

    [Theory]
    [InlineData(0, "0ms")]
    [InlineData(0.1, "100ms")]
    [InlineData(1.5, "1500ms")]
    [InlineData(0.0025, "2500us")]
    [InlineData(-1, "0ms")]
    public void Durations_are_written_as_the_recipe_language_reads_them(double seconds, string text) =>
        PacketdrillImporter.Duration(seconds).ShouldBe(text);
}
