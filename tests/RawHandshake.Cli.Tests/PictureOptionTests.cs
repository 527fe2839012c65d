namespace RawHandshake.Cli.Tests;

/// <summary><c>--report</c> and <c>--ladder-svg</c> paths are opened before anything is sent: a bad one is one line, exit 2.</summary>
public class PictureOptionTests
{
    [Theory]
    [InlineData("--report", "/nonexistent/r.html")]
    [InlineData("--ladder-svg", "/nonexistent/l.svg")]
    public void A_handshake_with_an_unwritable_picture_path_stops_before_sending(string option, string path)
    {
        var r = CliRunner.Run("handshake", "--target", "198.18.2.10:20000", option, path);

        r.Err.TrimEnd('\n').ShouldBe($"rawhandshake: {option} {path}: Could not find a part of the path '{path}'.");
        r.Code.ShouldBe(2);
        r.Out.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("--report", "/nonexistent/r.html")]
    [InlineData("--ladder-svg", "/nonexistent/l.svg")]
    public void A_run_with_an_unwritable_picture_path_stops_before_sending(string option, string path)
    {
        var file = Path.Combine(Path.GetTempPath(), $"rh-picture-{Guid.NewGuid():N}.rh");
        File.WriteAllText(file, "target 198.18.2.10:20000\nconnect\n");
        try
        {
            var r = CliRunner.Run("run", file, option, path);

            r.Err.TrimEnd('\n').ShouldBe($"rawhandshake: {option} {path}: Could not find a part of the path '{path}'.");
            r.Code.ShouldBe(2);
            r.Out.ShouldBeEmpty();
        }
        finally
        {
            File.Delete(file);
        }
    }
}
