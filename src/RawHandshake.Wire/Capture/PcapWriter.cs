using System.Buffers.Binary;

namespace RawHandshake.Wire.Capture;

/// <summary>
/// Writes a classic libpcap file (little-endian, version 2.4) to a caller-provided <see cref="Stream"/>.
/// The global header is written by the constructor; each <see cref="Write(DateTimeOffset, ReadOnlySpan{byte}, int)"/>
/// appends one record without allocating.
/// </summary>
public sealed class PcapWriter : StreamCaptureWriter
{
    /// <summary>Largest snap length accepted (the reader treats longer records as corrupt).</summary>
    public const int MaxSnapLength = CaptureFileReader.MaxFrameLength;

    internal const uint MicrosecondMagic = 0xA1B2C3D4;
    internal const uint NanosecondMagic = 0xA1B23C4D;
    internal const int GlobalHeaderLength = 24;
    internal const int RecordHeaderLength = 16;

    private readonly bool _nanosecond;
    private readonly int _snapLength;

    /// <summary>Creates the writer and immediately writes the pcap global header.</summary>
    /// <param name="stream">Writable destination.</param>
    /// <param name="linkType">Link type recorded in the header (any LINKTYPE_ number).</param>
    /// <param name="snapLength">Frames longer than this are truncated (1 .. <see cref="MaxSnapLength"/>).</param>
    /// <param name="nanosecond">Use the nanosecond-resolution magic (0xa1b23c4d) instead of microseconds.</param>
    /// <param name="leaveOpen">Leave <paramref name="stream"/> open on <see cref="Dispose"/>.</param>
    public PcapWriter(
        Stream stream,
        LinkType linkType = LinkType.Ethernet,
        int snapLength = 262144,
        bool nanosecond = false,
        bool leaveOpen = false)
        : base(stream, leaveOpen)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(snapLength, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(snapLength, MaxSnapLength);
        if (!stream.CanWrite)
        {
            throw new ArgumentException("stream is not writable", nameof(stream));
        }

        _nanosecond = nanosecond;
        _snapLength = snapLength;
        LinkType = linkType;

        Span<byte> header = stackalloc byte[GlobalHeaderLength];
        BinaryPrimitives.WriteUInt32LittleEndian(header, nanosecond ? NanosecondMagic : MicrosecondMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(header[4..], 2); // version major
        BinaryPrimitives.WriteUInt16LittleEndian(header[6..], 4); // version minor
        BinaryPrimitives.WriteInt32LittleEndian(header[8..], 0); // thiszone
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], 0); // sigfigs
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], (uint)snapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], (uint)linkType);
        Stream.Write(header);
    }

    /// <summary>Link type written in the global header.</summary>
    public LinkType LinkType { get; }

    /// <summary>Snap length written in the global header.</summary>
    public int SnapLength => _snapLength;

    /// <summary>Appends one record.</summary>
    /// <param name="timestamp">Capture time; must lie between 1970-01-01 and 2106-02-07 UTC. Sub-precision ticks are truncated.</param>
    /// <param name="frame">Frame bytes; only the first <see cref="SnapLength"/> bytes are stored.</param>
    /// <param name="originalLength">Length on the wire; -1 means <c>frame.Length</c>. Must not be less than <c>frame.Length</c>.</param>
    public void Write(DateTimeOffset timestamp, ReadOnlySpan<byte> frame, int originalLength = -1)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        originalLength = OriginalLength(frame, originalLength);

        long ticks = timestamp.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        long seconds = ticks / TimeSpan.TicksPerSecond;
        long fractionTicks = ticks % TimeSpan.TicksPerSecond;
        if (ticks < 0 || seconds > uint.MaxValue)
        {
            throw new ArgumentOutOfRangeException(
                nameof(timestamp), timestamp, "pcap timestamps must lie between 1970-01-01 and 2106-02-07 UTC");
        }

        uint fraction = _nanosecond ? (uint)(fractionTicks * 100) : (uint)(fractionTicks / 10);
        int capturedLength = Math.Min(frame.Length, _snapLength);

        Span<byte> header = stackalloc byte[RecordHeaderLength];
        BinaryPrimitives.WriteUInt32LittleEndian(header, (uint)seconds);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], fraction);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], (uint)capturedLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], (uint)originalLength);
        Stream.Write(header);
        Stream.Write(frame[..capturedLength]);
    }

    /// <inheritdoc />
    protected override void WriteFrame(DateTimeOffset timestamp, ReadOnlySpan<byte> frame, string? comment) =>
        Write(timestamp, frame);


}
