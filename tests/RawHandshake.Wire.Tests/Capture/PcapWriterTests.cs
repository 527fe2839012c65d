using RawHandshake.Wire.Capture;
using static RawHandshake.Wire.Tests.Capture.CaptureTestData;

namespace RawHandshake.Wire.Tests.Capture;

public class PcapWriterTests
{
    // 2024-01-02T03:04:05.1234567Z = Unix 1704164645 (0x65937d25) + 1234567 ticks.
    private static readonly DateTimeOffset Timestamp =
        new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero).AddTicks(1_234_567);

    private static readonly byte[] Frame = [0xde, 0xad, 0xbe, 0xef, 0x42];

    [Fact]
    public void Writes_exact_global_header_and_record()
    {
        var output = new MemoryStream();
        using (var writer = new PcapWriter(output, leaveOpen: true))
        {
            writer.Write(Timestamp, Frame);
        }

        string globalHeader = // 24 bytes
            "d4 c3 b2 a1" + // magic, microseconds, little-endian
            "02 00 04 00" + // version 2.4
            "00 00 00 00" + // thiszone
            "00 00 00 00" + // sigfigs
            "00 00 04 00" + // snaplen 262144
            "01 00 00 00"; // LINKTYPE_ETHERNET
        string recordHeader = // 16 bytes
            "25 7d 93 65" + // seconds 1704164645
            "40 e2 01 00" + // microseconds 123456 (the trailing 7 ticks are truncated)
            "05 00 00 00" + // captured length
            "05 00 00 00"; // original length
        string recordData = "de ad be ef 42"; // no padding in classic pcap
        byte[] expected = Hex(globalHeader + recordHeader + recordData);
        output.ToArray().ShouldBe(expected);
    }

    [Fact]
    public void Nanosecond_writer_uses_nanosecond_magic_and_fraction()
    {
        var output = new MemoryStream();
        using (var writer = new PcapWriter(output, LinkType.Raw, snapLength: 65535, nanosecond: true, leaveOpen: true))
        {
            writer.Write(Timestamp, Frame);
        }

        byte[] expected = Hex(
            "4d 3c b2 a1" + "02 00 04 00" + "00 00 00 00" + "00 00 00 00" +
            "ff ff 00 00" + // snaplen 65535
            "65 00 00 00" + // LINKTYPE_RAW (101)
            "25 7d 93 65" +
            "bc cc 5b 07" + // nanoseconds 123456700 (0x075bccbc) = 1234567 ticks * 100
            "05 00 00 00" + "05 00 00 00" +
            "de ad be ef 42");
        output.ToArray().ShouldBe(expected);
    }

    [Fact]
    public void Truncates_to_snap_length_but_records_original_length()
    {
        var output = new MemoryStream();
        using (var writer = new PcapWriter(output, snapLength: 3, leaveOpen: true))
        {
            writer.Write(Timestamp, Frame);
            writer.Write(Timestamp, Frame[..2], originalLength: 1500);
        }

        byte[] bytes = output.ToArray();
        bytes.Length.ShouldBe(24 + 16 + 3 + 16 + 2);
        bytes[32..40].ShouldBe(Hex("03 00 00 00 05 00 00 00"));
        bytes[40..43].ShouldBe(Hex("de ad be"));
        bytes[51..59].ShouldBe(Hex("02 00 00 00 dc 05 00 00"));

        var result = CaptureFileReader.Read(new MemoryStream(bytes));
        result.Error.ShouldBeNull();
        result.Frames.Count.ShouldBe(2);
        result.Frames[0].Data.ShouldBe(Hex("de ad be"));
        result.Frames[0].OriginalLength.ShouldBe(5);
        result.Frames[1].OriginalLength.ShouldBe(1500);
    }

    [Fact]
    public void Rejects_invalid_arguments()
    {
        Should.Throw<ArgumentNullException>(() => new PcapWriter(null!));
        Should.Throw<ArgumentOutOfRangeException>(() => new PcapWriter(new MemoryStream(), snapLength: 0));
        Should.Throw<ArgumentOutOfRangeException>(() => new PcapWriter(new MemoryStream(), snapLength: CaptureFileReader.MaxFrameLength + 1));

        using var writer = new PcapWriter(new MemoryStream());
        Should.Throw<ArgumentOutOfRangeException>(() => writer.Write(DateTimeOffset.UnixEpoch.AddTicks(-1), Frame));
        Should.Throw<ArgumentOutOfRangeException>(() => writer.Write(DateTimeOffset.UnixEpoch.AddSeconds(1L << 32), Frame));
        Should.Throw<ArgumentOutOfRangeException>(() => writer.Write(Timestamp, Frame, originalLength: 4));
    }

    [Fact]
    public void Dispose_closes_stream_unless_leave_open()
    {
        var closed = new MemoryStream();
        new PcapWriter(closed).Dispose();
        closed.CanWrite.ShouldBeFalse();

        var open = new MemoryStream();
        var writer = new PcapWriter(open, leaveOpen: true);
        writer.Dispose();
        writer.Dispose();
        open.CanWrite.ShouldBeTrue();
        Should.Throw<ObjectDisposedException>(() => writer.Write(Timestamp, Frame));
    }

    [Fact]
    public void Comment_through_interface_is_ignored()
    {
        var output = new MemoryStream();
        using (ICaptureWriter writer = new PcapWriter(output, leaveOpen: true))
        {
            writer.Write(Timestamp, Frame, "dropped");
            writer.Flush();
        }

        output.Length.ShouldBe(24 + 16 + Frame.Length);
        CaptureFileReader.Read(new MemoryStream(output.ToArray())).Frames.Single().Comment.ShouldBeNull();
    }
}
