using System.Globalization;

namespace RawHandshake.Link;

/// <summary>A process named by PID and start time (field 22 of <c>/proc/PID/stat</c>, clock ticks since boot), so a reused PID is not mistaken for the original.</summary>
internal readonly record struct ProcessIdentity(int Pid, ulong StartTime)
{
    public static ProcessIdentity Current { get; } = new(Environment.ProcessId, StartTimeOf(Environment.ProcessId) ?? 0);

    /// <summary>True when a process with this PID runs and started at this time.</summary>
    public bool IsAlive => StartTimeOf(Pid) == StartTime;

    public static ulong? StartTimeOf(int pid)
    {
        if (pid <= 0)
        {
            return null;
        }

        try
        {
            return ParseStartTime(File.ReadAllText($"/proc/{pid.ToString(CultureInfo.InvariantCulture)}/stat"));
        }
        catch (IOException)
        {
            return null; // gone (FileNotFound/DirectoryNotFound are IOExceptions), or exiting
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Field 22 of a stat line. The command (field 2) is in parentheses and may hold spaces or ')', so fields are counted after the last ')'.</summary>
    internal static ulong? ParseStartTime(string stat)
    {
        var close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return null;
        }

        var fields = stat[(close + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries);
        const int index = 22 - 3; // fields[0] is field 3 (state)
        return fields.Length > index && ulong.TryParse(fields[index], NumberStyles.None, CultureInfo.InvariantCulture, out var start) ? start : null;
    }
}
