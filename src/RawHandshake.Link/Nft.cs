using System.ComponentModel;
using System.Diagnostics;

namespace RawHandshake.Link;

/// <summary>The outcome of one <c>nft</c> run (or of one batch of a <see cref="NftShell"/>).</summary>
internal readonly record struct NftResult(int ExitCode, string StdOut, string StdErr)
{
    public bool Ok => ExitCode == 0;

    /// <summary>nft's first error line ("Error: Could not process rule: No such file or directory").</summary>
    public string FirstError =>
        StdErr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() is { } line
            ? line
            : $"exit code {ExitCode}";

    public bool NoSuchObject => StdErr.Contains("No such file or directory", StringComparison.Ordinal);

    public bool PermissionDenied => StdErr.Contains("Operation not permitted", StringComparison.Ordinal);
}

/// <summary>
/// Runs the <c>nft</c> command: once per call (<see cref="Run"/>), or as one long-lived process taking commands on its
/// standard input (<see cref="NftShell"/>). Synchronous I/O on dedicated threads only: this may run on a thread inside
/// another network namespace, where queuing thread-pool work could leave pool threads in that namespace (see
/// <see cref="NetNs"/>). The child inherits the calling thread's namespace.
/// </summary>
internal static class Nft
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    public static string? FindExecutable()
    {
        var dirs = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin", "/usr/local/sbin"]);
        foreach (var dir in dirs)
        {
            var path = Path.Combine(dir, "nft");
            try
            {
                if (!OperatingSystem.IsWindows() && File.Exists(path) && (File.GetUnixFileMode(path) & (UnixFileMode.UserExecute | UnixFileMode.GroupExecute | UnixFileMode.OtherExecute)) != 0)
                {
                    return path;
                }
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return null;
    }

    /// <summary>Starts <paramref name="file"/> with <paramref name="args"/> (LC_ALL=C, stdout and stdin redirected; stderr too when asked).</summary>
    internal static Process Start(string file, IReadOnlyList<string> args, bool stdin, bool stderr)
    {
        var psi = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardInput = stdin,
            RedirectStandardOutput = true,
            RedirectStandardError = stderr,
        };
        psi.Environment["LC_ALL"] = "C";

        // nft -i keeps a command history in $HOME/.nft.history, read at start and rewritten at exit: not with our
        // commands in root's file, and not at that cost (a home that does not exist: nothing is read or written).
        psi.Environment["HOME"] = "/nonexistent";
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        try
        {
            return Process.Start(psi) ?? throw new LinkException(LinkErrors.NftMissing);
        }
        catch (Win32Exception e)
        {
            throw new LinkException(LinkErrors.NftMissing, e);
        }
    }

    public static NftResult Run(IReadOnlyList<string> args, string? stdin = null, TimeSpan? timeout = null)
    {
        var exe = FindExecutable() ?? throw new LinkException(LinkErrors.NftMissing);
        using var process = Start(exe, args, stdin is not null, stderr: true);
        var stdout = string.Empty;
        var stderr = string.Empty;
        var outReader = new Thread(() => stdout = process.StandardOutput.ReadToEnd()) { IsBackground = true, Name = "nft stdout" };
        var errReader = new Thread(() => stderr = process.StandardError.ReadToEnd()) { IsBackground = true, Name = "nft stderr" };
        outReader.Start();
        errReader.Start();
        if (stdin is not null)
        {
            try
            {
                process.StandardInput.Write(stdin);
                process.StandardInput.Close();
            }
            catch (IOException)
            {
                // nft exited early; its stderr says why
            }
        }

        var limit = timeout ?? DefaultTimeout;
        if (!process.WaitForExit(limit))
        {
            try
            {
                process.Kill();
            }
            catch (InvalidOperationException)
            {
            }

            throw new LinkException($"nft did not finish within {limit.TotalSeconds:0} s");
        }

        outReader.Join();
        errReader.Join();
        return new NftResult(process.ExitCode, stdout, stderr);
    }
}
