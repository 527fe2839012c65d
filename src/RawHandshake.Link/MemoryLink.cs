using System.Collections.Concurrent;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Link;

/// <summary>
/// One end of an in-memory Ethernet cable for engine tests: a frame sent on one end is queued, copied, on the other,
/// stamped with the injectable clock (the wire takes no time). Each end is meant for one engine loop; the two ends may
/// live on different threads — <see cref="WaitReadable"/> wakes as soon as the peer sends.
/// </summary>
public sealed class MemoryLink : IFrameLink
{
    private readonly ConcurrentQueue<(byte[] Frame, DateTimeOffset Timestamp)> inbox = new();
    private readonly SemaphoreSlim arrivals = new(0);
    private readonly Func<DateTimeOffset> clock;
    private MemoryLink? peer;
    private long sent;
    private long received;
    private volatile bool disposed;

    private MemoryLink(string name, Func<DateTimeOffset> clock, MacAddress? mac)
    {
        Name = name;
        this.clock = clock;
        HardwareAddress = mac;
    }

    /// <summary>
    /// Two connected ends, named <c>memory-a</c> and <c>memory-b</c>. <paramref name="clock"/> stamps every frame
    /// (default: <see cref="DateTimeOffset.UtcNow"/>); use a virtual clock to make traces deterministic.
    /// </summary>
    public static (MemoryLink A, MemoryLink B) CreatePair(Func<DateTimeOffset>? clock = null, MacAddress? macA = null, MacAddress? macB = null)
    {
        clock ??= static () => DateTimeOffset.UtcNow;
        var a = new MemoryLink("memory-a", clock, macA);
        var b = new MemoryLink("memory-b", clock, macB);
        a.peer = b;
        b.peer = a;
        return (a, b);
    }

    public string Name { get; }

    public LinkType LinkType => LinkType.Ethernet;

    public MacAddress? HardwareAddress { get; }

    /// <summary>The other end.</summary>
    public MemoryLink Peer => peer!;

    /// <summary>Frames waiting to be polled on this end.</summary>
    public int Pending => inbox.Count;

    /// <summary>Frames sent from this end.</summary>
    public long SentCount => Interlocked.Read(ref sent);

    /// <summary>Frames delivered to handlers on this end.</summary>
    public long ReceivedCount => Interlocked.Read(ref received);

    /// <summary>Copies <paramref name="frame"/> to the peer's queue. A frame sent to a disposed peer is lost, as on a cut cable.</summary>
    public DateTimeOffset Send(ReadOnlySpan<byte> frame)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var stamp = clock();
        Interlocked.Increment(ref sent);
        peer!.Enqueue(frame.ToArray(), stamp);
        return stamp;
    }

    /// <summary>Queues a frame on this end as if it had arrived from the wire (stamped with the clock unless given).</summary>
    public void Inject(ReadOnlySpan<byte> frame, DateTimeOffset? timestamp = null)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        Enqueue(frame.ToArray(), timestamp ?? clock());
    }

    public int Poll(FrameHandler handler, int max = 64)
    {
        ArgumentNullException.ThrowIfNull(handler);
        ObjectDisposedException.ThrowIf(disposed, this);
        var n = 0;
        while (n < max && inbox.TryDequeue(out var item))
        {
            Interlocked.Increment(ref received);
            handler(item.Frame, item.Timestamp);
            n++;
        }

        return n;
    }

    /// <summary>True at once when a frame is queued; otherwise waits on a semaphore the peer releases (no spinning).</summary>
    public bool WaitReadable(TimeSpan timeout)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        var infinite = timeout == Timeout.InfiniteTimeSpan || timeout.TotalMilliseconds >= int.MaxValue;
        var clockStarted = System.Diagnostics.Stopwatch.GetTimestamp();
        while (true)
        {
            if (!inbox.IsEmpty)
            {
                return true;
            }

            var left = infinite ? Timeout.InfiniteTimeSpan : timeout - System.Diagnostics.Stopwatch.GetElapsedTime(clockStarted);
            if (!infinite && left <= TimeSpan.Zero)
            {
                return false;
            }

            // Releases are counted per frame, and frames already polled leave stale counts: loop and look again.
            if (!arrivals.Wait(left))
            {
                return !inbox.IsEmpty;
            }
        }
    }

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        inbox.Clear();
        arrivals.Dispose();
    }

    private void Enqueue(byte[] frame, DateTimeOffset stamp)
    {
        if (disposed)
        {
            return;
        }

        inbox.Enqueue((frame, stamp));
        try
        {
            arrivals.Release();
        }
        catch (ObjectDisposedException)
        {
            // The peer went away while we were sending: the frame is lost, as on a cut cable.
        }
    }

    public override string ToString() => Name;
}
