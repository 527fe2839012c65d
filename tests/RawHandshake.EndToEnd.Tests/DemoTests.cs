namespace RawHandshake.EndToEnd.Tests;

/// <summary>The front door: ./run-as-root.sh with no argument exits 0 and leaves no namespace behind.</summary>
[Trait("Category", "Live")]
public sealed class DemoTests
{
    [Fact]
    public async Task TheDemoPassesAndLeavesNothingBehind()
    {
        var script = Path.Combine(FindRepo(), "run-as-root.sh");
        var name = "d" + Guid.NewGuid().ToString("N")[..5];
        var psi = new System.Diagnostics.ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        psi.ArgumentList.Add(script);
        psi.Environment["RAWHANDSHAKE_CLI_DLL"] = Cli.Dll;      // this build: no second build inside the test
        psi.Environment["RAWHANDSHAKE_DEMO_LAB"] = name;        // a lab of its own: parallel runs never collide
        using var p = System.Diagnostics.Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var error = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(true);
            throw new TimeoutException("the demo did not finish within 120 s");
        }

        var text = await output + await error;
        p.ExitCode.ShouldBe(0, text);
        text.ShouldContain("result    ok — handshake, 2 bytes pushed and echoed, active close");
        text.ShouldContain("TIME-WAIT |");
        text.ShouldContain("seed-python-echo.rh");
        text.ShouldNotContain("FAIL");
        Sh.Run("ip", "netns", "list").ShouldNotContain($"rh-{name}-");
    }

    private static string FindRepo()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "run-as-root.sh")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new DirectoryNotFoundException("run-as-root.sh not found above the test assembly");
    }
}
