using System.Diagnostics;
using System.Globalization;

namespace RawHandshake.EndToEnd.Tests;

/// <summary>
/// A <c>serve echo</c> of a test's own in a lab's server namespace, on <c>port</c> with a small listen backlog, listening
/// before the constructor returns. <see cref="Pause"/> stops it accepting for a while (the kernel still queues
/// handshakes up to the backlog); <see cref="Stop"/> ends it with SIGTERM as a user would, and so does disposing.
/// </summary>
internal sealed class BacklogServer : IDisposable
{
    private readonly Process process;
    private Timer? resume;

    public BacklogServer(string serverNs, int port, int backlog)
    {
        var psi = new ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in (string[])["netns", "exec", serverNs, .. Cli.Command, "serve", "echo", "--port", port.ToString(CultureInfo.InvariantCulture), "--backlog", backlog.ToString(CultureInfo.InvariantCulture), "-q"])
        {
            psi.ArgumentList.Add(a);
        }

        process = Process.Start(psi)!;
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!Sh.InNs(serverNs, "ss", "-tlnH", $"( sport = :{port} )").Contains($":{port}", StringComparison.Ordinal) && DateTime.UtcNow < until)
        {
            Thread.Sleep(100);
        }
    }

    private string Pid => process.Id.ToString(CultureInfo.InvariantCulture);

    /// <summary>SIGSTOP now, SIGCONT after <paramref name="duration"/>.</summary>
    public void Pause(TimeSpan duration)
    {
        Sh.Run("kill", "-STOP", Pid);
        resume = new Timer(_ => Sh.RunAllowingFailure("kill", "-CONT", Pid), null, duration, Timeout.InfiniteTimeSpan);
    }

    /// <summary>Resumed if paused, then SIGTERM (killed after 10 s); its exit code.</summary>
    public int Stop()
    {
        if (!process.HasExited)
        {
            Sh.RunAllowingFailure("kill", "-CONT", Pid);
            Sh.RunAllowingFailure("kill", "-TERM", Pid);
            if (!process.WaitForExit(10_000))
            {
                process.Kill(true);
                process.WaitForExit();
            }
        }

        return process.ExitCode;
    }

    public void Dispose()
    {
        resume?.Dispose();
        Stop();
        process.Dispose();
    }
}
