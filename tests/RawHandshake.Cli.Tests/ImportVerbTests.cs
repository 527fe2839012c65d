using RawHandshake.Recipes;

namespace RawHandshake.Cli.Tests;

/// <summary>The import verb: the recipe on stdout or in -o, the server's command, warnings and errors one line each.</summary>
public sealed class ImportVerbTests : IDisposable
{
    private const string Script = """
        // The server writes 10 bytes and closes.
        0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        +0 bind(3, ..., ...) = 0
        +0 listen(3, 1) = 0
        +0 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
        +0 > S. 0:0(0) ack 1 <...>
        +.1 < . 1:1(0) ack 1 win 257
        +0 accept(3, ..., ...) = 4
        +0 `echo skipped`
        +0 write(4, ..., 10) = 10
        +0 > P. 1:11(10) ack 1
        +0 close(4) = 0
        +0 > F. 11:11(0) ack 1
        +0 < F. 1:1(0) ack 12 win 257
        +0 > . 12:12(0) ack 2
        """;

    private readonly string dir = Directory.CreateTempSubdirectory("rh-import-").FullName;

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private string Write(string name, string text)
    {
        var path = Path.Combine(dir, name);
        File.WriteAllText(path, text);
        return path;
    }

    [Fact]
    public void The_recipe_goes_to_stdout_and_warnings_to_stderr()
    {
        var file = Write("w.pkt", Script);
        var r = CliRunner.Run("import", file, "--target", "198.18.2.10:8081", "--tolerance", "200ms");
        r.Code.ShouldBe(0, r.Err);
        r.Err.ShouldBe($"{file}:9:4: warning: the shell command `echo skipped` is skipped: it runs on packetdrill's host, which a remote server is not\n");
        r.Out.ShouldContain("#   rawhandshake serve script --port 8081 --backlog 1 --actions \"accept; write 10; close\"\n");
        r.Out.ShouldContain("target 198.18.2.10:8081\noption tolerance 200ms\n");
        RecipeCompiler.Compile(r.Out, "w.rh").Success.ShouldBeTrue();
    }

    [Fact]
    public void With_output_the_recipe_goes_to_the_file_and_stdout_names_the_server()
    {
        var file = Write("w.pkt", Script);
        var rh = Path.Combine(dir, "w.rh");
        var r = CliRunner.Run("import", file, "--port", "9000", "-o", rh);
        r.Code.ShouldBe(0, r.Err);
        r.Out.ShouldBe($"recipe: {rh}\nserver: rawhandshake serve script --port 9000 --backlog 1 --actions \"accept; write 10; close\"\n");
        var compiled = RecipeCompiler.Compile(File.ReadAllText(rh), rh);
        compiled.Success.ShouldBeTrue(compiled.ToString());
        compiled.Recipe!.Header.Target.ShouldBeNull(); // no --target: run --target gives it
    }

    [Fact]
    public void A_script_error_is_file_line_col_and_exit_2_with_nothing_written()
    {
        var file = Write("bad.pkt", Script.Replace("+0 close(4) = 0", "+0 poll([], 0, 0) = 0", StringComparison.Ordinal));
        var rh = Path.Combine(dir, "bad.rh");
        var r = CliRunner.Run("import", file, "-o", rh);
        r.Code.ShouldBe(2);
        r.Out.ShouldBeEmpty();
        r.Err.ShouldEndWith($"{file}:12:4: unsupported system call 'poll' (import reproduces socket, setsockopt, bind, listen, accept, write, send, read, recv, shutdown and close)\n");
        File.Exists(rh).ShouldBeFalse();
    }

    [Theory]
    [InlineData(new[] { "--target", "198.18.2.10:8080", "--port", "1" }, "rawhandshake: --port: not with --target (its port is the server's)")]
    [InlineData(new[] { "--target", "198.18.2.10" }, "rawhandshake: --target: '198.18.2.10' should be IP:PORT, e.g. 198.18.2.10:20000 or [2001:db8::10]:20000")]
    [InlineData(new[] { "--port", "0" }, "rawhandshake: --port: 0 is no port to listen on (1 to 65535)")]
    [InlineData(new[] { "--port", "70000" }, "rawhandshake: --port: 70000 is out of range (0 to 65535, 0xffff)")]
    [InlineData(new[] { "--tolerance", "soon" }, "rawhandshake: --tolerance: 'soon' is not a duration (e.g. 200ms, 1.5s, 2m)")]
    public void Bad_options_are_one_line_and_exit_2(string[] options, string message)
    {
        var file = Write("o.pkt", Script);
        var r = CliRunner.Run(["import", file, .. options]);
        r.Code.ShouldBe(2);
        r.Err.Trim().ShouldBe(message);
    }

    [Fact]
    public void A_missing_script_an_unwritable_output_and_a_binary_file_are_one_line_each()
    {
        var missing = Path.Combine(dir, "none.pkt");
        var r = CliRunner.Run("import", missing);
        r.Code.ShouldBe(2);
        r.Err.ShouldStartWith($"rawhandshake: {missing}: cannot read the script (");

        var file = Write("o.pkt", Script);
        var nowhere = Path.Combine(dir, "no-such-dir", "x.rh");
        r = CliRunner.Run("import", file, "-o", nowhere);
        r.Code.ShouldBe(2);
        r.Err.ShouldContain($"rawhandshake: {nowhere}: cannot write the recipe (");

        r = CliRunner.Run("import", "/dev/zero");
        r.Code.ShouldBe(2);
        r.Err.Trim().ShouldBe("rawhandshake: /dev/zero: more than 1 MiB: not a packetdrill script");

        var binary = Write("b.pkt", "0 socket\0");
        r = CliRunner.Run("import", binary);
        r.Code.ShouldBe(2);
        r.Err.Trim().ShouldBe($"rawhandshake: {binary}: a NUL byte: not a text file");
    }
}
