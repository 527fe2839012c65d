namespace RawHandshake.Cli.Tests;

/// <summary>Every error a user can hit before a live verb sends anything: one line, exit 2.</summary>
public class LiveVerbErrorTests
{
    [Theory]
    [InlineData(new[] { "handshake", "--target", "2001:db8::10:80" }, "rawhandshake: --target: '2001:db8::10:80' is IPv6 without brackets: write [ADDRESS]:PORT, e.g. [2001:db8::10]:20000")]
    [InlineData(new[] { "handshake", "--target", "[2001:db8::zz]:80" }, "rawhandshake: --target: '2001:db8::zz' is not an IPv6 address")]
    [InlineData(new[] { "handshake", "--target", "[2001:db8::10]" }, "rawhandshake: --target: '[2001:db8::10]' should be IP:PORT, e.g. 198.18.2.10:20000 or [2001:db8::10]:20000")]
    [InlineData(new[] { "handshake", "--target", "[ff02::1]:80" }, "rawhandshake: --target: ff02::1 is a multicast address (ff00::/8): TCP connects to one host")]
    [InlineData(new[] { "handshake", "--target", "[2001:db8::10]:80", "--source", "198.18.0.1.5" }, "rawhandshake: --source: '198.18.0.1.5' is not an IPv4 or IPv6 address")]
    [InlineData(new[] { "handshake", "--target", "198.18.2.10" }, "rawhandshake: --target: '198.18.2.10' should be IP:PORT, e.g. 198.18.2.10:20000 or [2001:db8::10]:20000")]
    [InlineData(new[] { "handshake", "--target", "198.18.2.10:0" }, "rawhandshake: --target: port 0 cannot be connected to")]
    [InlineData(new[] { "handshake", "--target", "198.18.2.10:99999" }, "rawhandshake: --target port: 99999 is out of range (0 to 65535, 0xffff)")]
    [InlineData(new[] { "handshake", "--target", "198.18.2.10:80", "--close", "later" }, "rawhandshake: --close: 'later' is not one of active, passive, simultaneous, half, rst, none")]
    [InlineData(new[] { "handshake", "--target", "198.18.2.10:80", "--rto", "0" }, "rawhandshake: --rto: must be more than 0")]
    [InlineData(new[] { "handshake", "--target", "198.18.2.10:80", "--rto", "soon" }, "rawhandshake: --rto: 'soon' is not a duration (e.g. 200ms, 1.5s, 2m)")]
    [InlineData(new[] { "handshake", "--target", "198.18.2.10:80", "--wscale", "15" }, "rawhandshake: --wscale: 15 is out of range (0 to 14, 0xe)")]
    [InlineData(new[] { "handshake", "--target", "198.18.2.10:80", "--data", "x\\" }, "rawhandshake: --data: a lone backslash ends the text (write \\\\ for a backslash)")]
    [InlineData(new[] { "handshake", "--target", "198.18.2.10:80", "--data-file", "/nonexistent/file" }, "rawhandshake: --data-file /nonexistent/file: Could not find a part of the path '/nonexistent/file'.")]
    [InlineData(new[] { "handshake", "--target", "198.18.2.10:80", "--netns", "no-such-ns-xyz" }, "rawhandshake: --netns: no network namespace 'no-such-ns-xyz' (see: ip netns list)")]
    [InlineData(new[] { "handshake" }, "rawhandshake: handshake: option '--target' is required (see rawhandshake handshake --help)")]
    [InlineData(new[] { "run", "/nonexistent/x.rh" }, "rawhandshake: /nonexistent/x.rh: cannot read the recipe (Could not find a part of the path '/nonexistent/x.rh'.)")]
    [InlineData(new[] { "craft", "--send", "--dst", "198.18.2.10", "--netns", "no-such-ns-xyz" }, "rawhandshake: --netns: no network namespace 'no-such-ns-xyz' (see: ip netns list)")]
    public void OneLineAndExit2(string[] args, string expected)
    {
        var r = CliRunner.Run(args);
        r.Err.TrimEnd('\n').ShouldBe(expected);
        r.Code.ShouldBe(2);
        r.Out.ShouldBeEmpty();
    }

    [Fact]
    public void ARecipeWithoutTargetNeedsOne()
    {
        var file = Path.Combine(Path.GetTempPath(), $"rh-notarget-{Guid.NewGuid():N}.rh");
        File.WriteAllText(file, "connect\n");
        try
        {
            var r = CliRunner.Run("run", file);
            r.Code.ShouldBe(2);
            r.Err.Trim().ShouldBe($"{file}:1:1: no target: add a line 'target IP:PORT' or give --target");
            CliRunner.Run("run", file, "--repeat", "0", "--target", "198.18.2.10:1", "--check").Code.ShouldBe(0, "--check sends nothing and ignores --repeat");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void RecipeErrorsNameFileLineAndColumn()
    {
        var file = Path.Combine(Path.GetTempPath(), $"rh-bad-{Guid.NewGuid():N}.rh");
        File.WriteAllText(file, "target 198.18.2.10:20000\nsend   Q 0:0(0)\n");
        try
        {
            var r = CliRunner.Run("run", file, "--check");
            r.Code.ShouldBe(2);
            r.Err.Trim().ShouldBe($"{file}:2:8: unknown flag 'Q' (expected S . P F R U E W C N A)");
        }
        finally
        {
            File.Delete(file);
        }
    }
}
