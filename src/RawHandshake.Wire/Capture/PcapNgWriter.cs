// Why we write capture files ourselves instead of using SharpPcap: SharpPcap's capture-file writer
// goes through libpcap (pcap_dump_open), which only writes classic pcap and cannot attach pcapng
// per-packet comments (opt_comment) — and we use those comments to annotate crafted frames. Both
// formats are simple, fully specified byte layouts, so they belong in this I/O-free wire layer:
// the writers only ever see a caller-provided Stream.

using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace RawHandshake.Wire.Capture;

/// <summary>
/// Writes a little-endian pcapng file with one section and one interface to a caller-provided <see cref="Stream"/>.
/// The constructor writes the Section Header Block (with shb_userappl "RawHandshake") and one Interface
/// Description Block (with if_tsresol = 9, i.e. nanosecond timestamps); each
/// <see cref="Write(DateTimeOffset, ReadOnlySpan{byte}, string?, int)"/> appends one Enhanced Packet Block.
/// </summary>
public sealed class PcapNgWriter : StreamCaptureWriter
{
    /// <summary>Largest snap length accepted (the reader treats longer frames as corrupt).</summary>
    public const int MaxSnapLength = CaptureFileReader.MaxFrameLength;

    /// <summary>Application name written in the shb_userappl option.</summary>
    public const string UserApplication = "RawHandshake";

    internal const uint SectionHeaderBlockType = 0x0A0D0D0A;
    internal const uint InterfaceDescriptionBlockType = 1;
    internal const uint PacketBlockType = 2;
    internal const uint SimplePacketBlockType = 3;
    internal const uint EnhancedPacketBlockType = 6;
    internal const uint ByteOrderMagic = 0x1A2B3C4D;

    internal const ushort OptEndOfOpt = 0;
    internal const ushort OptComment = 1;
    internal const ushort OptShbUserAppl = 4;
    internal const ushort OptIfTsResol = 9;
    internal const ushort OptIfTsOffset = 14;

    private const int EpbFixedLength = 28; // type, length, interface id, ts high, ts low, caplen, origlen
    private const int MaxStackComment = 256;

    private static ReadOnlySpan<byte> Padding => [0, 0, 0, 0];

    private readonly int _snapLength;

    /// <summary>Creates the writer and immediately writes the Section Header Block and Interface Description Block.</summary>
    /// <param name="stream">Writable destination.</param>
    /// <param name="linkType">Interface link type (must fit the IDB's 16-bit field).</param>
    /// <param name="snapLength">Frames longer than this are truncated (1 .. <see cref="MaxSnapLength"/>).</param>
    /// <param name="leaveOpen">Leave <paramref name="stream"/> open on <see cref="Dispose"/>.</param>
    public PcapNgWriter(
        Stream stream,
        LinkType linkType = LinkType.Ethernet,
        int snapLength = 262144,
        bool leaveOpen = false)
        : base(stream, leaveOpen)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(snapLength, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(snapLength, MaxSnapLength);
        if ((uint)linkType > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(
                nameof(linkType), linkType, "pcapng link types are 16-bit");
        }

        if (!stream.CanWrite)
        {
            throw new ArgumentException("stream is not writable", nameof(stream));
        }

        _snapLength = snapLength;
        LinkType = linkType;

        // Section Header Block: 24 fixed bytes + shb_userappl (4 + 12) + opt_endofopt (4) + trailing length (4).
        const int ShbLength = 48;
        Span<byte> shb = stackalloc byte[ShbLength];
        BinaryPrimitives.WriteUInt32LittleEndian(shb, SectionHeaderBlockType);
        BinaryPrimitives.WriteUInt32LittleEndian(shb[4..], ShbLength);
        BinaryPrimitives.WriteUInt32LittleEndian(shb[8..], ByteOrderMagic);
        BinaryPrimitives.WriteUInt16LittleEndian(shb[12..], 1); // major version
        BinaryPrimitives.WriteUInt16LittleEndian(shb[14..], 0); // minor version
        BinaryPrimitives.WriteInt64LittleEndian(shb[16..], -1); // section length: unknown
        BinaryPrimitives.WriteUInt16LittleEndian(shb[24..], OptShbUserAppl);
        BinaryPrimitives.WriteUInt16LittleEndian(shb[26..], (ushort)UserApplication.Length);
        Encoding.ASCII.GetBytes(UserApplication, shb[28..40]); // 12 bytes: no padding needed
        BinaryPrimitives.WriteUInt32LittleEndian(shb[40..], OptEndOfOpt); // code 0, length 0
        BinaryPrimitives.WriteUInt32LittleEndian(shb[44..], ShbLength);
        Stream.Write(shb);

        // Interface Description Block: 16 fixed bytes + if_tsresol (4 + 1 + 3 padding) + opt_endofopt + trailing length.
        const int IdbLength = 32;
        Span<byte> idb = stackalloc byte[IdbLength];
        idb.Clear();
        BinaryPrimitives.WriteUInt32LittleEndian(idb, InterfaceDescriptionBlockType);
        BinaryPrimitives.WriteUInt32LittleEndian(idb[4..], IdbLength);
        BinaryPrimitives.WriteUInt16LittleEndian(idb[8..], (ushort)linkType);
        BinaryPrimitives.WriteUInt16LittleEndian(idb[10..], 0); // reserved
        BinaryPrimitives.WriteUInt32LittleEndian(idb[12..], (uint)snapLength);
        BinaryPrimitives.WriteUInt16LittleEndian(idb[16..], OptIfTsResol);
        BinaryPrimitives.WriteUInt16LittleEndian(idb[18..], 1);
        idb[20] = 9; // 10^-9 s: nanoseconds; bytes 21..23 are padding
        BinaryPrimitives.WriteUInt32LittleEndian(idb[24..], OptEndOfOpt);
        BinaryPrimitives.WriteUInt32LittleEndian(idb[28..], IdbLength);
        Stream.Write(idb);
    }

    /// <summary>Link type written in the Interface Description Block.</summary>
    public LinkType LinkType { get; }

    /// <summary>Snap length written in the Interface Description Block.</summary>
    public int SnapLength => _snapLength;

    /// <summary>Appends one Enhanced Packet Block.</summary>
    /// <param name="timestamp">Capture time; must lie between 1970-01-01 and 2554-07-21 UTC (nanoseconds in 64 bits).</param>
    /// <param name="frame">Frame bytes; only the first <see cref="SnapLength"/> bytes are stored.</param>
    /// <param name="comment">Optional opt_comment (UTF-8, at most 65535 bytes); null or empty writes no options.</param>
    /// <param name="originalLength">Length on the wire; -1 means <c>frame.Length</c>. Must not be less than <c>frame.Length</c>.</param>
    public void Write(DateTimeOffset timestamp, ReadOnlySpan<byte> frame, string? comment = null, int originalLength = -1)
    {
        ObjectDisposedException.ThrowIf(Disposed, this);
        originalLength = OriginalLength(frame, originalLength);

        long ticks = timestamp.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks;
        if (ticks < 0 || (ulong)ticks > ulong.MaxValue / 100)
        {
            throw new ArgumentOutOfRangeException(
                nameof(timestamp), timestamp, "pcapng nanosecond timestamps must lie between 1970-01-01 and 2554-07-21 UTC");
        }

        ulong nanoseconds = (ulong)ticks * 100;

        int commentLength = string.IsNullOrEmpty(comment) ? 0 : Encoding.UTF8.GetByteCount(comment);
        if (commentLength > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(
                nameof(comment), commentLength, "comment must encode to at most 65535 UTF-8 bytes");
        }

        int capturedLength = Math.Min(frame.Length, _snapLength);
        int dataPadding = PaddingFor(capturedLength);
        int commentPadding = PaddingFor(commentLength);
        int optionsLength = commentLength == 0 ? 0 : 4 + commentLength + commentPadding + 4;
        int blockLength = EpbFixedLength + capturedLength + dataPadding + optionsLength + 4;

        Span<byte> header = stackalloc byte[EpbFixedLength];
        BinaryPrimitives.WriteUInt32LittleEndian(header, EnhancedPacketBlockType);
        BinaryPrimitives.WriteUInt32LittleEndian(header[4..], (uint)blockLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header[8..], 0); // interface id
        BinaryPrimitives.WriteUInt32LittleEndian(header[12..], (uint)(nanoseconds >> 32));
        BinaryPrimitives.WriteUInt32LittleEndian(header[16..], (uint)nanoseconds);
        BinaryPrimitives.WriteUInt32LittleEndian(header[20..], (uint)capturedLength);
        BinaryPrimitives.WriteUInt32LittleEndian(header[24..], (uint)originalLength);
        Stream.Write(header);
        Stream.Write(frame[..capturedLength]);
        Stream.Write(Padding[..dataPadding]);

        Span<byte> word = stackalloc byte[4];
        if (commentLength != 0)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(word, OptComment);
            BinaryPrimitives.WriteUInt16LittleEndian(word[2..], (ushort)commentLength);
            Stream.Write(word);
            WriteUtf8(comment!, commentLength);
            Stream.Write(Padding[..commentPadding]);
            BinaryPrimitives.WriteUInt32LittleEndian(word, OptEndOfOpt);
            Stream.Write(word);
        }

        BinaryPrimitives.WriteUInt32LittleEndian(word, (uint)blockLength);
        Stream.Write(word);
    }

    /// <inheritdoc />
    protected override void WriteFrame(DateTimeOffset timestamp, ReadOnlySpan<byte> frame, string? comment) =>
        Write(timestamp, frame, comment);



    private static int PaddingFor(int length) => (4 - (length & 3)) & 3;

    private void WriteUtf8(string text, int byteCount)
    {
        if (byteCount <= MaxStackComment)
        {
            Span<byte> buffer = stackalloc byte[MaxStackComment];
            int written = Encoding.UTF8.GetBytes(text, buffer);
            Stream.Write(buffer[..written]);
            return;
        }

        byte[] rented = ArrayPool<byte>.Shared.Rent(byteCount);
        try
        {
            int written = Encoding.UTF8.GetBytes(text, rented);
            Stream.Write(rented, 0, written);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }
}
