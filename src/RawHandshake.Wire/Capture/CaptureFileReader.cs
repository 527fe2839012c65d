using System.Buffers.Binary;

namespace RawHandshake.Wire.Capture;

/// <summary>
/// Reads classic pcap (either byte order, microsecond or nanosecond) and pcapng capture files.
/// Never throws on malformed input: problems are reported through <see cref="CaptureReadResult.Error"/>
/// together with the frames read before them.
/// </summary>
public static partial class CaptureFileReader
{
    /// <summary>Largest captured frame length accepted; longer records are treated as corruption.</summary>
    public const int MaxFrameLength = 262144 * 4;

    /// <summary>Reads frames from <paramref name="stream"/> (from its current position) until the end, an error, or <paramref name="maxFrames"/> frames.</summary>
    public static CaptureReadResult Read(Stream stream, int maxFrames = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var source = new CaptureByteSource(stream);
        var frames = new List<CapturedFrame>();
        var format = CaptureFormat.Pcap;
        string? error;
        try
        {
            Span<byte> magic = stackalloc byte[4];
            int n = source.Read(magic);
            if (n == 0)
            {
                error = "not a pcap or pcapng file (empty: no magic at byte 0)";
            }
            else if (n < 4)
            {
                error = $"truncated file magic at byte 0 (only {n} of 4 bytes)";
            }
            else
            {
                source.Unread(magic);
                uint fileOrder = BinaryPrimitives.ReadUInt32BigEndian(magic);
                uint littleEndian = BinaryPrimitives.ReadUInt32LittleEndian(magic);
                if (littleEndian == PcapNgWriter.SectionHeaderBlockType)
                {
                    format = CaptureFormat.PcapNg;
                    error = ReadPcapNg(source, frames, maxFrames);
                }
                else if (IsPcapMagic(fileOrder) || IsPcapMagic(littleEndian))
                {
                    error = ReadPcap(source, frames, maxFrames);
                }
                else
                {
                    error = $"not a pcap or pcapng file (magic 0x{fileOrder:x8})";
                }
            }
        }
        catch (IOException ex)
        {
            error = $"read error at byte {source.Position}: {OneLine(ex.Message)}";
        }

        return new CaptureReadResult(format, frames, error);
    }

    private static bool IsPcapMagic(uint magic) =>
        magic is PcapWriter.MicrosecondMagic or PcapWriter.NanosecondMagic;

    private static string? ReadPcap(CaptureByteSource source, List<CapturedFrame> frames, int maxFrames)
    {
        Span<byte> header = stackalloc byte[PcapWriter.GlobalHeaderLength];
        int n = source.Read(header);
        if (n < header.Length)
        {
            return $"truncated pcap file header at byte 0 (only {n} of {header.Length} bytes)";
        }

        bool bigEndian = IsPcapMagic(BinaryPrimitives.ReadUInt32BigEndian(header));
        bool nanosecond = ReadUInt32(header, bigEndian) == PcapWriter.NanosecondMagic;
        ushort major = ReadUInt16(header[4..], bigEndian);
        ushort minor = ReadUInt16(header[6..], bigEndian);
        if (major != 2)
        {
            return $"unsupported pcap version {major}.{minor} at byte 4";
        }

        uint snapLength = ReadUInt32(header[16..], bigEndian);
        // Bits 26-31 of the link-type word carry FCS information (libpcap LT_FCS_*), not the link type.
        var linkType = (LinkType)(ReadUInt32(header[20..], bigEndian) & 0x03FF_FFFF);

        Span<byte> record = stackalloc byte[PcapWriter.RecordHeaderLength];
        while (frames.Count < maxFrames)
        {
            long recordStart = source.Position;
            n = source.Read(record);
            if (n == 0)
            {
                return null;
            }

            if (n < record.Length)
            {
                return $"truncated pcap record header at byte {recordStart} (only {n} of {record.Length} bytes)";
            }

            uint seconds = ReadUInt32(record, bigEndian);
            uint fraction = ReadUInt32(record[4..], bigEndian);
            uint capturedLength = ReadUInt32(record[8..], bigEndian);
            uint originalLength = ReadUInt32(record[12..], bigEndian);
            if (capturedLength > MaxFrameLength)
            {
                return FrameTooLong(capturedLength, recordStart, snapLength);
            }

            byte[]? data = source.ReadExactly((int)capturedLength, out int got);
            if (data is null)
            {
                return $"truncated pcap record data at byte {recordStart + record.Length} (frame length {capturedLength}, only {got} bytes present)";
            }

            long ticks = (seconds * TimeSpan.TicksPerSecond) + (nanosecond ? fraction / 100 : fraction * 10L);
            frames.Add(new CapturedFrame(
                new DateTimeOffset(DateTimeOffset.UnixEpoch.UtcTicks + ticks, TimeSpan.Zero),
                linkType,
                data,
                ClampToInt(originalLength)));
        }

        return null;
    }

    private static string FrameTooLong(uint capturedLength, long recordStart, uint snapLength) =>
        snapLength != 0 && snapLength < capturedLength
            ? $"frame length {capturedLength} at byte {recordStart} exceeds snap length {snapLength} (and the {MaxFrameLength}-byte limit)"
            : $"frame length {capturedLength} at byte {recordStart} exceeds the {MaxFrameLength}-byte limit";

    private static int ClampToInt(uint value) => value > int.MaxValue ? int.MaxValue : (int)value;

    private static ushort ReadUInt16(ReadOnlySpan<byte> bytes, bool bigEndian) =>
        bigEndian ? BinaryPrimitives.ReadUInt16BigEndian(bytes) : BinaryPrimitives.ReadUInt16LittleEndian(bytes);

    private static uint ReadUInt32(ReadOnlySpan<byte> bytes, bool bigEndian) =>
        bigEndian ? BinaryPrimitives.ReadUInt32BigEndian(bytes) : BinaryPrimitives.ReadUInt32LittleEndian(bytes);

    private static long ReadInt64(ReadOnlySpan<byte> bytes, bool bigEndian) =>
        bigEndian ? BinaryPrimitives.ReadInt64BigEndian(bytes) : BinaryPrimitives.ReadInt64LittleEndian(bytes);

    private static string OneLine(string message) =>
        message.ReplaceLineEndings(" ").Trim();
}
