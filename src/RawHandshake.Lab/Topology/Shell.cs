using System.ComponentModel;
using System.Diagnostics;

namespace RawHandshake.Lab.Topology;

/// <summary>Runs the standard tools (ip, ss, ethtool, sysctl) with an argument vector, never through a shell string.</summary>
internal static class Shell
{
    internal sealed record Result(int ExitCode, string Out, string Err)
    {
        public bool Ok => ExitCode == 0;

        /// <summary>The first non-empty line of stderr (or stdout), for one-line errors.</summary>
        public string Why
        {
            get
            {
                var line = (Err + "\n" + Out).Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.Length > 0);
                return line ?? $"exit code {ExitCode}";
            }
        }
    }

    private static readonly Dictionary<string, string> Packages = new(StringComparer.Ordinal)
    {
        ["ip"] = "iproute2",
        ["ss"] = "iproute2",
        ["ethtool"] = "ethtool",
        ["sysctl"] = "procps",
        ["setsid"] = "util-linux",
    };

    private static readonly string[] SystemDirectories = ["/usr/local/sbin", "/usr/local/bin", "/usr/sbin", "/usr/bin", "/sbin", "/bin"];

    /// <summary>The full path of <paramref name="program"/> on PATH or in the usual system directories (a test runner's
    /// PATH may lack /usr/sbin, where ip, ss, ethtool and sysctl live); the bare name when not found.</summary>
    public static string Resolve(string program)
    {
        if (program.Contains('/', StringComparison.Ordinal))
        {
            return program;
        }

        var path = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries);
        foreach (var dir in path.Concat(SystemDirectories))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return program;
    }

    public static string Text(IEnumerable<string> argv) =>
        string.Join(' ', argv.Select(a => a.Length == 0 || a.Any(char.IsWhiteSpace) ? $"'{a}'" : a));

    /// <summary>Runs <paramref name="argv"/>; a missing program becomes a <see cref="LabException"/> naming its package.</summary>
    public static Result Run(string what, IReadOnlyList<string> argv, TimeSpan? timeout = null)
    {
        var psi = new ProcessStartInfo(Resolve(argv[0]))
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var a in argv.Skip(1))
        {
            psi.ArgumentList.Add(a);
        }

        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new LabException($"{what}: {argv[0]} did not start");
        }
        catch (Win32Exception e)
        {
            var hint = Packages.TryGetValue(argv[0], out var package) ? $" (apt-get install {package})" : "";
            throw new LabException($"{what}: {Text(argv)} failed: {argv[0]} cannot be run: {e.Message}{hint}");
        }

        using (process)
        {
            process.StandardInput.Close();
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout ?? TimeSpan.FromSeconds(30)))
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // Already gone.
                }

                throw new LabException($"{what}: {Text(argv)} did not finish within {(timeout ?? TimeSpan.FromSeconds(30)).TotalSeconds:0} s");
            }

            process.WaitForExit();
            return new Result(process.ExitCode, stdout.GetAwaiter().GetResult(), stderr.GetAwaiter().GetResult());
        }
    }

    /// <summary>Runs a step that must succeed: otherwise "<paramref name="what"/>: COMMAND failed: REASON".</summary>
    public static Result Step(string what, params string[] argv)
    {
        var r = Run(what, argv);
        return r.Ok ? r : throw new LabException($"{what}: {Text(argv)} failed: {r.Why}");
    }
}
