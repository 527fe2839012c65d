using System.Diagnostics;

namespace RawHandshake.Engine;

/// <summary>The engine's one clock: monotonic time for timers, wall time for stamps. Sessions never read it.</summary>
public interface IClock
{
    /// <summary>Monotonic time since the clock started.</summary>
    TimeSpan Now { get; }

    DateTimeOffset Wall { get; }
}

public sealed class SystemClock : IClock
{
    private readonly long start = Stopwatch.GetTimestamp();

    public TimeSpan Now => Stopwatch.GetElapsedTime(start);

    public DateTimeOffset Wall => DateTimeOffset.UtcNow;
}

/// <summary>A clock tests move by hand.</summary>
public sealed class ManualClock(DateTimeOffset start) : IClock
{
    public TimeSpan Now { get; private set; }

    public DateTimeOffset Wall => start + Now;

    public void Advance(TimeSpan by) => Now += by;
}
