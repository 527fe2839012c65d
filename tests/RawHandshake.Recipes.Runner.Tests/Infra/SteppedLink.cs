using RawHandshake.Engine;
using RawHandshake.Link;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Recipes.Runner.Tests.Infra;

/// <summary>
/// End A of the memory cable as the engine sees it, in virtual time: before each poll the fake server handles what
/// reached it; a wait with nothing to read moves the <see cref="ManualClock"/> on (to the timeout, or the server's next
/// scheduled action) instead of sleeping. One thread, deterministic; a spinning or endless run throws instead of hanging.
/// </summary>
public sealed class SteppedLink(MemoryLink a, ManualClock clock, LinuxPeer peer) : IFrameLink
{
    private const int MaxPolls = 200_000;
    private static readonly TimeSpan MaxVirtualTime = TimeSpan.FromMinutes(10);
    private int polls;

    public string Name => a.Name;
    public LinkType LinkType => a.LinkType;
    public MacAddress? HardwareAddress => a.HardwareAddress;

    public DateTimeOffset Send(ReadOnlySpan<byte> frame) => a.Send(frame);

    public int Poll(FrameHandler handler, int max = 64)
    {
        if (++polls > MaxPolls)
        {
            throw new InvalidOperationException($"the engine polled {MaxPolls} times: it spins");
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
        if (clock.Now > MaxVirtualTime)
        {
            throw new InvalidOperationException("virtual time ran past 10 minutes: the run never ends");
        }

        peer.Step();
        return a.Pending > 0;
    }

    public void Dispose() => a.Dispose();
}
