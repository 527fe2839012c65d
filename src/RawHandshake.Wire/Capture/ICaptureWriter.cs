namespace RawHandshake.Wire.Capture;

/// <summary>A capture-file writer (<see cref="PcapWriter"/> or <see cref="PcapNgWriter"/>).</summary>
public interface ICaptureWriter : IDisposable
{
    /// <summary>Appends one frame. <paramref name="comment"/> is kept by pcapng and ignored by classic pcap.</summary>
    void Write(DateTimeOffset timestamp, ReadOnlySpan<byte> frame, string? comment = null);

    /// <summary>Flushes buffered bytes to the underlying stream.</summary>
    void Flush();
}
