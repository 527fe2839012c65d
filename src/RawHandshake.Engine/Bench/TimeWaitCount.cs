using System.Globalization;

namespace RawHandshake.Engine.Bench;

/// <summary>
/// Sockets in TIME-WAIT in the calling thread's network namespace (IPv4, from <c>/proc/net/tcp</c>). Every kernel
/// session of the bench leaves one (the client closes first) for 60 s, and the kernel's <c>connect()</c> slows down as
/// they fill its ephemeral port range. Measured in the lab (28232 ephemeral ports): no effect with 7,700 in TIME-WAIT;
/// kernel medians of 2.2–2.7 ms instead of ~150 µs with 18,000.
/// </summary>
public static class TimeWaitCount
{
    /// <summary>
    /// Whether the kernel side would not be measured fairly: the sockets in TIME-WAIT now plus the run's own kernel
    /// sessions fill more than a third of the ephemeral range.
    /// </summary>
    public static bool Crowded(int timeWaitNow, int kernelSessions, int ephemeralPorts) =>
        (long)timeWaitNow + kernelSessions > ephemeralPorts / 3;

    /// <summary>How many IPv4 sockets are in TIME-WAIT here, or null when <c>/proc/net/tcp</c> cannot be read.</summary>
    public static int? Now()
    {
        try
        {
            var count = 0;
            foreach (var line in File.ReadLines("/proc/net/tcp").Skip(1))
            {
                // "  sl  local_address rem_address   st …": the 4th field is the state, 06 = TIME_WAIT.
                var fields = line.Split(' ', 5, StringSplitOptions.RemoveEmptyEntries);
                if (fields.Length >= 4 && int.TryParse(fields[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var st) && st == 6)
                {
                    count++;
                }
            }

            return count;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
