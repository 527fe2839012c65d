using System.Diagnostics;

namespace RawHandshake.Engine;

/// <summary>The engine's one clock: monotonic time for timers, wall time for stamps. Sessions never read it.</summary>
public interface IClock
{
    /// <summary>Monotonic time since the clock started.</summary>
    TimeSpan Now { get; }

    /// <summary>Where <see cref="Now"/> reads zero on the host's monotonic clock (CLOCK_MONOTONIC, the same in every
    /// process): our initial sequence numbers and timestamps count from there (<see cref="TcpEngine.FirstNumbers"/>).</summary>
    TimeSpan Start { get; }

    DateTimeOffset Wall { get; }
}

public sealed class SystemClock : IClock
{
    // Stopwatch reads CLOCK_MONOTONIC on Linux: time since boot, shared by every process.
    private readonly long start = Stopwatch.GetTimestamp();

    public TimeSpan Now => Stopwatch.GetElapsedTime(start);

    public TimeSpan Start => Stopwatch.GetElapsedTime(0, start);

    public DateTimeOffset Wall => DateTimeOffset.UtcNow;
}

/// <summary>A clock tests move by hand.</summary>
public sealed class ManualClock(DateTimeOffset start) : IClock
{
    public TimeSpan Now { get; private set; }

    /// <summary>An hour after boot, unless a test says otherwise.</summary>
    public TimeSpan Start { get; init; } = TimeSpan.FromHours(1);

    public DateTimeOffset Wall => start + Now;

    public void Advance(TimeSpan by) => Now += by;
}
