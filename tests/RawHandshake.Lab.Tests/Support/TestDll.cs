using System.Diagnostics;

namespace RawHandshake.Lab.Tests.Support;

/// <summary>Running this test assembly as a program (<see cref="TestHost"/>).</summary>
internal static class TestDll
{
    public static string Path => typeof(TestHost).Assembly.Location;

    public static string Dotnet => Environment.ProcessPath is { } p && System.IO.Path.GetFileNameWithoutExtension(p) == "dotnet" ? p : "dotnet";

    /// <summary>The serve command the lab should launch: <c>dotnet RawHandshake.Lab.Tests.dll serve</c>.</summary>
    public static IReadOnlyList<string> ServeCommand => [Dotnet, Path, "serve"];

    public static Process Start(params string[] args)
    {
        var psi = new ProcessStartInfo(Dotnet)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add(Path);
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        return Process.Start(psi)!;
    }

    /// <summary>Runs to the end (bounded); exit code, stdout, stderr.</summary>
    public static async Task<(int Code, string Out, string Err)> RunAsync(TimeSpan limit, params string[] args)
    {
        using var p = Start(args);
        p.StandardInput.Close();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(limit);
        try
        {
            await p.WaitForExitAsync(cts.Token);
        }
        catch (OperationCanceledException)
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{string.Join(' ', args)} still ran after {limit.TotalSeconds} s");
        }

        return (p.ExitCode, await stdout, await stderr);
    }
}
