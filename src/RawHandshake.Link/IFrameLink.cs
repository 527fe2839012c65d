using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Link;

/// <summary>Receives one frame; the span is valid only during the call (copy what you keep).</summary>
public delegate void FrameHandler(ReadOnlySpan<byte> frame, DateTimeOffset timestamp);

/// <summary>
/// A place frames go out and come in: a live interface (libpcap), a capture file, or an in-memory pair for tests.
/// Single-threaded: one engine loop calls it. Receiving never blocks; <see cref="WaitReadable"/> blocks up to a timeout
/// without spinning.
/// </summary>
public interface IFrameLink : IDisposable
{
    /// <summary>Interface name (e.g. <c>veth0</c>), or a description for non-live links.</summary>
    string Name { get; }

    LinkType LinkType { get; }

    /// <summary>The interface's own hardware address, when it has one.</summary>
    MacAddress? HardwareAddress { get; }

    /// <summary>Sends one frame. Returns the time stamped just before it was handed to the device.</summary>
    DateTimeOffset Send(ReadOnlySpan<byte> frame);

    /// <summary>Delivers up to <paramref name="max"/> frames that are already waiting to <paramref name="handler"/>; never blocks. Returns how many.</summary>
    /// <summary>Sends without throwing when the link refuses the frame (a full queue: ENOBUFS): the high-rate path counts
    /// refusals as drops and goes on. Returns whether the frame went.</summary>
    bool TrySend(ReadOnlySpan<byte> frame)
    {
        try
        {
            Send(frame);
            return true;
        }
        catch (LinkException)
        {
            return false;
        }
    }

    /// <summary>
    /// Sends the frames laid end to end in <paramref name="frames"/>, <paramref name="frameLength"/> bytes each, in order
    /// and without throwing: the high-rate path's batch. Returns how many went before the first one the link refused (all
    /// of them when it refused none); the caller counts that one as a drop and goes on after it. A live link on Linux
    /// hands them to the kernel in one system call (<c>sendmmsg</c>); any other link sends them one by one.
    /// </summary>
    int TrySendBatch(ReadOnlySpan<byte> frames, int frameLength) => SendOneByOne(this, frames, frameLength);

    /// <summary>Whether <see cref="TrySendBatch"/> costs less per frame than <see cref="TrySend"/> (fewer system calls):
    /// only then does the high-rate path send in batches, and stamp once per batch.</summary>
    bool SendsBatches => false;

    /// <summary>A batch through <see cref="TrySend"/>, frame by frame, up to the first refused.</summary>
    static int SendOneByOne(IFrameLink link, ReadOnlySpan<byte> frames, int frameLength)
    {
        CheckBatch(frames, frameLength);
        var count = frames.Length / frameLength;
        for (var i = 0; i < count; i++)
        {
            if (!link.TrySend(frames.Slice(i * frameLength, frameLength)))
            {
                return i;
            }
        }

        return count;
    }

    /// <summary>Throws unless <paramref name="frames"/> is whole frames of <paramref name="frameLength"/> bytes.</summary>
    static void CheckBatch(ReadOnlySpan<byte> frames, int frameLength)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(frameLength);
        if (frames.Length % frameLength != 0)
        {
            throw new ArgumentException($"a batch of {frames.Length} bytes is not whole frames of {frameLength} bytes", nameof(frames));
        }
    }

    int Poll(FrameHandler handler, int max = 64);

    /// <summary>Waits until a frame may be read or <paramref name="timeout"/> passes (no busy-spin). True when readable.</summary>
    bool WaitReadable(TimeSpan timeout);
}
