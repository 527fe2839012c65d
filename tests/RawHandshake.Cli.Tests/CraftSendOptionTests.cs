namespace RawHandshake.Cli.Tests;

/// <summary>Every bad value of craft --send's repeat options: one line naming the option, exit 2, nothing sent.</summary>
public class CraftSendOptionTests
{
    private static readonly string[] Send = ["craft", "--send", "--dst", "198.18.2.10"];

    [Theory]
    [InlineData(new[] { "--count", "0" }, "rawhandshake: --count: 0 is out of range (1 to 1000000)")]
    [InlineData(new[] { "--count", "1000001" }, "rawhandshake: --count: 1000001 is out of range (1 to 1000000)")]
    [InlineData(new[] { "--count", "many" }, "rawhandshake: --count: 'many' is not a number (decimal, 0x-hex or 0b-binary)")]
    [InlineData(new[] { "--interval", "soon" }, "rawhandshake: --interval: 'soon' is not a duration (e.g. 200ms, 1.5s, 2m)")]
    [InlineData(new[] { "--interval", "0ms" }, "rawhandshake: --interval: must be more than 0 (--rate max sends as fast as possible)")]
    [InlineData(new[] { "--rate", "fast" }, "rawhandshake: --rate: 'fast' is not a number of frames per second (more than 0, at most 10000000) or max")]
    [InlineData(new[] { "--rate", "0" }, "rawhandshake: --rate: '0' is not a number of frames per second (more than 0, at most 10000000) or max")]
    [InlineData(new[] { "--rate", "2e7" }, "rawhandshake: --rate: '2e7' is not a number of frames per second (more than 0, at most 10000000) or max")]
    [InlineData(new[] { "--rate", "100", "--interval", "10ms" }, "rawhandshake: --interval and --rate: give one or the other")]
    [InlineData(new[] { "--rst-guard", "maybe" }, "rawhandshake: --rst-guard: 'maybe' is not one of nft, phantom, none")]
    [InlineData(new[] { "--timeout", "never" }, "rawhandshake: --timeout: 'never' is not a duration (e.g. 200ms, 1.5s, 2m)")]
    public void BadValueGivesOneLineAndExit2(string[] extra, string expected)
    {
        var r = CliRunner.Run([.. Send, .. extra]);
        r.Err.TrimEnd('\n').ShouldBe(expected);
        r.Code.ShouldBe(2);
        r.Out.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("--count", "5")]
    [InlineData("--interval", "10ms")]
    [InlineData("--rate", "max")]
    [InlineData("--rst-guard", "nft")]
    public void RepeatOptionsGoWithSend(string option, string value)
    {
        var r = CliRunner.Run("craft", option, value);
        r.Code.ShouldBe(2);
        r.Err.TrimEnd('\n').ShouldBe("rawhandshake: --timeout, --iface, --netns, --count, --interval, --rate and --rst-guard go with --send");
    }
}
