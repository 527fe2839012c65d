namespace RawHandshake.Wire.Capture;

/// <summary>What the pcap and pcapng writers share: the destination stream, flushing, and disposal that honours leaveOpen.</summary>
public abstract class StreamCaptureWriter : ICaptureWriter
{
    private readonly bool leaveOpen;

    protected StreamCaptureWriter(Stream stream, bool leaveOpen)
    {
        ArgumentNullException.ThrowIfNull(stream);
        Stream = stream;
        this.leaveOpen = leaveOpen;
    }

    protected Stream Stream { get; }

    protected bool Disposed { get; private set; }

    /// <inheritdoc />
    void ICaptureWriter.Write(DateTimeOffset timestamp, ReadOnlySpan<byte> frame, string? comment) => WriteFrame(timestamp, frame, comment);

    /// <summary>Writes one frame; a format without comments ignores <paramref name="comment"/>.</summary>
    protected abstract void WriteFrame(DateTimeOffset timestamp, ReadOnlySpan<byte> frame, string? comment);

    /// <summary>A record's length on the wire: -1 means the frame's own length; less than the frame is refused.</summary>
    protected static int OriginalLength(ReadOnlySpan<byte> frame, int originalLength) =>
        originalLength == -1 ? frame.Length
        : originalLength < frame.Length ? throw new ArgumentOutOfRangeException(nameof(originalLength), originalLength, "originalLength must be -1 or at least frame.Length")
        : originalLength;

    /// <inheritdoc />
    public void Flush()
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        Stream.Flush();
    }

    /// <summary>Flushes, then disposes the stream unless the writer was created with leaveOpen.</summary>
    public void Dispose()
    {
        if (Disposed)
        {
            return;
        }

        Disposed = true;
        try
        {
            Stream.Flush();
        }
        finally
        {
            if (!leaveOpen)
            {
                Stream.Dispose();
            }
        }

        GC.SuppressFinalize(this);
    }
}
