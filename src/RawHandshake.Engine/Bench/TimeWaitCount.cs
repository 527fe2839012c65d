namespace RawHandshake.Engine.Bench;

/// <summary>
/// When kernel sessions in TIME-WAIT spoil a bench's kernel side (the count itself is a host fact:
/// <see cref="Link.HostTcp.TimeWaitCount"/>). Every kernel session of the bench leaves one socket in TIME-WAIT (the
/// client closes first) for 60 s, and the kernel's <c>connect()</c> slows down as they fill its ephemeral port range.
/// Measured in the lab (28232 ephemeral ports): no effect with 7,700 in TIME-WAIT; kernel medians of 2.2–2.7 ms instead
/// of ~150 µs with 18,000.
/// </summary>
public static class TimeWaitCount
{
    /// <summary>
    /// Whether the kernel side would not be measured fairly: the sockets in TIME-WAIT now plus the run's own kernel
    /// sessions fill more than a third of the ephemeral range.
    /// </summary>
    public static bool Crowded(int timeWaitNow, int kernelSessions, int ephemeralPorts) =>
        (long)timeWaitNow + kernelSessions > ephemeralPorts / 3;
}
