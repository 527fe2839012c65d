using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using RawHandshake.Lab.Native;

namespace RawHandshake.Lab.Topology;

/// <summary>Processes seen through <c>/proc</c>: start times (so a reused PID is never mistaken for ours), markers, signals.</summary>
internal static class ProcessTable
{
    /// <summary>Environment variable every process started by <c>lab up</c> carries, with the lab's name as its value.</summary>
    public const string MarkerVariable = "RAWHANDSHAKE_LAB";

    /// <summary>Field 22 of <c>/proc/PID/stat</c> (start time in clock ticks since boot), or null when there is no such
    /// process or it is a zombie (dead, waiting to be reaped).</summary>
    public static long? StartTime(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // "PID (comm) S ppid …": comm may hold spaces and parentheses, so split after the last ')'.
        var close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        var fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);

        // fields[0] is field 3 (state), so field 22 is fields[19].
        if (fields.Length < 20 || fields[0] is "Z" or "X")
        {
            return null;
        }

        return long.TryParse(fields[19], NumberStyles.None, CultureInfo.InvariantCulture, out var t) ? t : null;
    }

    /// <summary>Whether <paramref name="pid"/> is the process that started at <paramref name="startTime"/> and still runs.</summary>
    public static bool IsRunning(int pid, long startTime) => pid > 0 && StartTime(pid) == startTime;

    /// <summary>Live processes whose environment holds <c>RAWHANDSHAKE_LAB=<paramref name="name"/></c>.</summary>
    public static IReadOnlyList<int> WithMarker(string name)
    {
        var needle = Encoding.ASCII.GetBytes($"{MarkerVariable}={name}\0");
        var self = Environment.ProcessId;
        var found = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) || pid == self)
            {
                continue;
            }

            try
            {
                var environ = File.ReadAllBytes(Path.Combine(dir, "environ"));
                if (environ.AsSpan().IndexOf(needle) is var at && at >= 0 && (at == 0 || environ[at - 1] == 0) && StartTime(pid) is not null)
                {
                    found.Add(pid);
                }
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                // Gone, or a kernel thread.
            }
        }

        return found;
    }

    /// <summary>Sends <paramref name="signal"/>; false when the process is already gone.</summary>
    public static bool Signal(int pid, int signal)
    {
        if (pid <= 1 || pid == Environment.ProcessId)
        {
            return false;
        }

        if (LibC.Kill(pid, signal) == 0)
        {
            return true;
        }

        var errno = Marshal.GetLastPInvokeError();
        return errno == LibC.ESrch ? false : throw new LabException($"cannot signal process {pid}: {LibC.StrError(errno)}");
    }

    /// <summary>SIGTERM, up to <paramref name="grace"/> to exit, then SIGKILL; returns how many of them were running.
    /// Each entry is a PID with the start time it must still have (so a reused PID is left alone).</summary>
    public static int Stop(IReadOnlyCollection<(int Pid, long StartTime)> processes, TimeSpan grace)
    {
        var running = processes.Where(p => IsRunning(p.Pid, p.StartTime)).Distinct().ToList();
        foreach (var p in running)
        {
            Signal(p.Pid, LibC.SigTerm);
        }

        if (!WaitGone(running, grace))
        {
            foreach (var p in running.Where(p => IsRunning(p.Pid, p.StartTime)))
            {
                Signal(p.Pid, LibC.SigKill);
            }

            WaitGone(running, TimeSpan.FromSeconds(5));
        }

        return running.Count;
    }

    private static bool WaitGone(IReadOnlyCollection<(int Pid, long StartTime)> processes, TimeSpan limit)
    {
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            if (processes.All(p => !IsRunning(p.Pid, p.StartTime)))
            {
                return true;
            }

            if (DateTime.UtcNow >= deadline)
            {
                return false;
            }

            Thread.Sleep(20);
        }
    }
}
