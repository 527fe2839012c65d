using System.Runtime.InteropServices;
using RawHandshake.Link.Native;

namespace RawHandshake.Link;

/// <summary>The CPU time the calling thread has used (<c>CLOCK_THREAD_CPUTIME_ID</c>): what a bench compares when the
/// machine is shared, since a thread waiting for a CPU uses none.</summary>
public static unsafe class ThreadCpu
{
    public static TimeSpan Now() => Read(LibC.ClockThreadCpuTime, "CLOCK_THREAD_CPUTIME_ID");

    /// <summary>The CPU time the whole process has used, all its threads (<c>CLOCK_PROCESS_CPUTIME_ID</c>).</summary>
    public static TimeSpan Process() => Read(LibC.ClockProcessCpuTime, "CLOCK_PROCESS_CPUTIME_ID");

    private static TimeSpan Read(int clock, string name)
    {
        LibC.TimeSpec t;
        if (LibC.ClockGetTime(clock, &t) != 0)
        {
            throw new LinkException($"clock_gettime({name}) failed: {LibC.StrError(Marshal.GetLastPInvokeError())}");
        }

        return TimeSpan.FromTicks((t.Seconds * TimeSpan.TicksPerSecond) + (t.Nanoseconds / 100));
    }
}
