using RawHandshake.Engine;
using RawHandshake.Link;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Testing;

/// <summary>A fake peer on end B of a memory cable that a <see cref="SteppedLink"/> drives between the engine's polls.</summary>
public interface ISteppedPeer
{
    /// <summary>Handles every frame that reached it and every action that is due.</summary>
    void Step();

    /// <summary>When its next scheduled action is due (virtual time), or null.</summary>
    TimeSpan? NextScheduled { get; }
}

/// <summary>
/// End A of the memory cable as the engine sees it, in virtual time: before each poll the fake peer handles what
/// reached it; a wait with nothing to read moves the <see cref="ManualClock"/> on (to the timeout, or the peer's next
/// scheduled action) instead of sleeping. One thread, deterministic; a spinning or endless run throws instead of hanging.
/// </summary>
public sealed class SteppedLink(MemoryLink a, ManualClock clock, ISteppedPeer peer, int maxPolls = 2_000_000, TimeSpan? maxVirtualTime = null) : IFrameLink
{
    private readonly TimeSpan limit = maxVirtualTime ?? TimeSpan.FromHours(1);
    private int polls;

    public string Name => a.Name;
    public LinkType LinkType => a.LinkType;
    public MacAddress? HardwareAddress => a.HardwareAddress;

    /// <summary>The memory end itself, e.g. to inject a frame "captured" from elsewhere.</summary>
    public MemoryLink Inner => a;

    /// <summary>How many waits the engine made.</summary>
    public int Waits { get; private set; }

    public DateTimeOffset Send(ReadOnlySpan<byte> frame) => a.Send(frame);

    public int Poll(FrameHandler handler, int max = 64)
    {
        if (++polls > maxPolls)
        {
            throw new InvalidOperationException($"the engine polled {maxPolls} times without finishing: it spins");
        }

        peer.Step();
        return a.Poll(handler, max);
    }

    public bool WaitReadable(TimeSpan timeout)
    {
        if (timeout == Timeout.InfiniteTimeSpan || timeout < TimeSpan.Zero)
        {
            throw new InvalidOperationException($"the engine waited {timeout}: unbounded or negative");
        }

        Waits++;
        peer.Step();
        if (a.Pending > 0)
        {
            return true;
        }

        var step = timeout;
        if (peer.NextScheduled is { } at && at - clock.Now < step)
        {
            step = at - clock.Now < TimeSpan.Zero ? TimeSpan.Zero : at - clock.Now;
        }

        clock.Advance(step);
        if (clock.Now > limit)
        {
            throw new InvalidOperationException($"virtual time ran past {limit}: the run never ends");
        }

        peer.Step();
        return a.Pending > 0;
    }

    public void Dispose() => a.Dispose();
}
