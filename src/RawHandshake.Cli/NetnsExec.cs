using System.Diagnostics;
using System.Runtime.InteropServices;
using RawHandshake.Cli.Args;

namespace RawHandshake.Cli;

/// <summary>
/// <c>--netns NAME</c>: runs this same command inside that network namespace, as <c>ip netns exec NAME</c> would (which
/// also gives the child the namespace's /sys and /etc/netns). The child is marked so it does not re-enter.
/// </summary>
public static class NetnsExec
{
    public const string Marker = "RAWHANDSHAKE_NETNS";

    /// <summary>Returns null when already inside <paramref name="name"/> (go on here), else the child's exit code.</summary>
    public static int? RunInside(string? name, CliContext context)
    {
        if (string.IsNullOrEmpty(name) || Environment.GetEnvironmentVariable(Marker) == name)
        {
            return null;
        }

        if (name.Contains('/', StringComparison.Ordinal) || !File.Exists(Path.Combine(RawHandshake.Link.NetNs.Directory, name)))
        {
            throw new UsageException($"--netns: no network namespace '{name}' (see: ip netns list)");
        }

        if (Environment.UserName != "root" && !Link.Privileges.HasCapability(21))
        {
            throw new UsageException("--netns needs root (entering a network namespace needs CAP_SYS_ADMIN)");
        }

        var args = Environment.GetCommandLineArgs();
        var start = new ProcessStartInfo("ip") { UseShellExecute = false };
        start.ArgumentList.Add("netns");
        start.ArgumentList.Add("exec");
        start.ArgumentList.Add(name);
        start.ArgumentList.Add(Environment.ProcessPath ?? "dotnet");
        if (args.Length > 0 && args[0].EndsWith(".dll", StringComparison.OrdinalIgnoreCase))
        {
            start.ArgumentList.Add(args[0]);
        }

        foreach (var a in args.Skip(1))
        {
            start.ArgumentList.Add(a);
        }

        start.Environment[Marker] = name;
        context.Out.Flush();
        using var child = Process.Start(start) ?? throw new UsageException("--netns: could not start 'ip netns exec'");

        // The signal we got is passed on (Ctrl-C in a terminal reaches the child too; a repeat does no harm: it only
        // asks again). The child takes the shutdown path and its exit code is ours.
        using var interrupt = context.Interrupts.OnInterrupt(() =>
        {
            try
            {
                kill(child.Id, (context.Interrupts.ExitCode ?? 143) - 128);
            }
            catch (Exception e) when (e is InvalidOperationException or DllNotFoundException)
            {
            }
        });
        child.WaitForExit();
        return child.ExitCode;
    }

    [DllImport("libc", SetLastError = true)]
    private static extern int kill(int pid, int sig);
}
