using System.Diagnostics;
using System.Text;
using RawHandshake.Lab.Topology;

namespace RawHandshake.EndToEnd.Tests;

/// <summary>Runs the real CLI as a child process, bounded in time: the published native binary when
/// <c>RAWHANDSHAKE_CLI</c> names one (<c>run-as-root.sh test</c> publishes it ahead-of-time and sets it), else this
/// build's <c>dotnet rawhandshake.dll</c>, so a plain <c>dotnet test</c> works too.</summary>
public static class Cli
{
    public sealed record Result(int Code, string Out, string Err, TimeSpan Elapsed)
    {
        public override string ToString() => $"exit {Code} after {Elapsed.TotalMilliseconds:0} ms\n--- stdout\n{Out}\n--- stderr\n{Err}";
    }

    public static string Dll => Path.Combine(AppContext.BaseDirectory, "rawhandshake.dll");

    /// <summary>The published native binary the tests run, or null when there is none (then <see cref="Dll"/>).</summary>
    public static string? Native { get; } =
        Environment.GetEnvironmentVariable("RAWHANDSHAKE_CLI") is { Length: > 0 } path && File.Exists(path) ? Path.GetFullPath(path) : null;

    /// <summary>The program and the arguments that start the CLI: <c>[native]</c> or <c>[dotnet, dll]</c>.</summary>
    public static IReadOnlyList<string> Command => Native is { } native ? [native] : ["dotnet", Dll];

    public static Result Run(TimeSpan timeout, params string[] args) => Start(args).Finish(timeout);

    public static Running Start(params string[] args)
    {
        var psi = new ProcessStartInfo(Command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in Command.Skip(1).Concat(args))
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        return new Running(Process.Start(psi)!);
    }

    public sealed class Running
    {
        private readonly StringBuilder output = new();
        private readonly StringBuilder error = new();
        private readonly Stopwatch watch = Stopwatch.StartNew();

        internal Running(Process p)
        {
            Process = p;
            p.OutputDataReceived += (_, e) => { if (e.Data is not null) { lock (output) { output.AppendLine(e.Data); } } };
            p.ErrorDataReceived += (_, e) => { if (e.Data is not null) { lock (error) { error.AppendLine(e.Data); } } };
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
        }

        public Process Process { get; }

        public string OutputSoFar
        {
            get
            {
                lock (output)
                {
                    return output.ToString();
                }
            }
        }

        public Result Finish(TimeSpan timeout)
        {
            if (!Process.WaitForExit(timeout))
            {
                Process.Kill(entireProcessTree: true);
                Process.WaitForExit();
                throw new TimeoutException($"rawhandshake did not finish within {timeout.TotalSeconds} s:\n{OutputSoFar}");
            }

            Process.WaitForExit();
            lock (output)
            {
                return new Result(Process.ExitCode, output.ToString(), error.ToString(), watch.Elapsed);
            }
        }
    }
}

/// <summary>Runs a command (ip, nft, ss, tshark) and returns its output; fails the test on a non-zero exit unless allowed.</summary>
public static class Sh
{
    /// <summary>The sockets of namespace <paramref name="ns"/> that are not listeners, after waiting up to 3 s for them to
    /// go (our RSTs went out before the process ended); empty when the server holds nothing of ours.</summary>
    public static string SocketsBesidesListeners(string ns)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(3);
        while (true)
        {
            var held = string.Join('\n', InNs(ns, "ss", "-tanH").Split('\n').Where(l => l.Length > 0 && !l.StartsWith("LISTEN", StringComparison.Ordinal)));
            if (held.Length == 0 || DateTime.UtcNow >= until)
            {
                return held;
            }

            Thread.Sleep(100);
        }
    }

    public static string Run(string file, params string[] args) => RunAllowingFailure(file, args).Output;

    public static (int Code, string Output) RunAllowingFailure(string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(30_000))
        {
            p.Kill(true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} hung");
        }

        return (p.ExitCode, o.Result + e.Result);
    }

    public static string InNs(string ns, string file, params string[] args) => Run("ip", ["netns", "exec", ns, file, .. args]);
}

/// <summary>
/// A private lab for one test class: client ↔ router ↔ server namespaces with real kernel-socket servers (echo on
/// 20000, http on 80, variants), a unique name, torn down at the end even when tests fail.
/// </summary>
public sealed class LabFixture : IDisposable
{
    public LabFixture()
    {
        Name = "e" + Guid.NewGuid().ToString("N")[..5];
        Info = LabTopology.Up(Name, new LabUpOptions { ServeCommand = [.. Cli.Command, "serve"], ReadyTimeout = TimeSpan.FromMinutes(2) });
    }

    public string Name { get; }
    public LabInfo Info { get; }
    public string Client => Info.ClientNamespace;
    public string Server => Info.ServerNamespace;
    public string Router => Info.RouterNamespace;

    public void Dispose() => LabTopology.Down(Name);
}
