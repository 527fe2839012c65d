using RawHandshake.Wire.Capture;
using static RawHandshake.Wire.Tests.Capture.CaptureTestData;

namespace RawHandshake.Wire.Tests.Capture;

public class PcapNgWriterTests
{
    // 2024-01-02T03:04:05.1234567Z = 1704164645123456700 ns = 0x17a668b7_375cfebc.
    private static readonly DateTimeOffset Timestamp =
        new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero).AddTicks(1_234_567);

    private static readonly byte[] Frame = [0xde, 0xad, 0xbe, 0xef, 0x42];

    private static readonly string ShbHex =
        "0a 0d 0d 0a" + // block type: Section Header Block
        "30 00 00 00" + // block length 48
        "4d 3c 2b 1a" + // byte-order magic, little-endian
        "01 00 00 00" + // version 1.0
        "ff ff ff ff ff ff ff ff" + // section length: unknown
        "04 00 0c 00" + // shb_userappl, 12 bytes
        "52 61 77 48 61 6e 64 73 68 61 6b 65" + // "RawHandshake" (already 32-bit aligned)
        "00 00 00 00" + // opt_endofopt
        "30 00 00 00"; // block length 48

    private static readonly string IdbHex =
        "01 00 00 00" + // block type: Interface Description Block
        "20 00 00 00" + // block length 32
        "01 00 00 00" + // LINKTYPE_ETHERNET, reserved
        "00 00 04 00" + // snaplen 262144
        "09 00 01 00" + // if_tsresol, 1 byte
        "09 00 00 00" + // 9 (nanoseconds) + 3 bytes padding
        "00 00 00 00" + // opt_endofopt
        "20 00 00 00"; // block length 32

    [Fact]
    public void Writes_exact_shb_idb_and_epb_with_comment()
    {
        var output = new MemoryStream();
        using (var writer = new PcapNgWriter(output, leaveOpen: true))
        {
            writer.Write(Timestamp, Frame, "hi ✓");
        }

        byte[] expected = Hex(
            ShbHex + IdbHex +
            "06 00 00 00" + // block type: Enhanced Packet Block
            "38 00 00 00" + // block length 56
            "00 00 00 00" + // interface id 0
            "b7 68 a6 17" + // timestamp high
            "bc fe 5c 37" + // timestamp low
            "05 00 00 00" + // captured length 5
            "05 00 00 00" + // original length 5
            "de ad be ef 42 00 00 00" + // data + 3 bytes padding
            "01 00 06 00" + // opt_comment, 6 bytes
            "68 69 20 e2 9c 93 00 00" + // "hi ✓" in UTF-8 + 2 bytes padding
            "00 00 00 00" + // opt_endofopt
            "38 00 00 00"); // block length 56
        output.ToArray().ShouldBe(expected);
    }

    [Fact]
    public void Epb_without_comment_has_no_options()
    {
        var output = new MemoryStream();
        using (var writer = new PcapNgWriter(output, leaveOpen: true))
        {
            writer.Write(Timestamp, Frame.AsSpan(0, 4), comment: "", originalLength: 60);
        }

        byte[] expected = Hex(
            ShbHex + IdbHex +
            "06 00 00 00" + "24 00 00 00" + // EPB, length 36
            "00 00 00 00" + "b7 68 a6 17" + "bc fe 5c 37" +
            "04 00 00 00" + // captured length 4
            "3c 00 00 00" + // original length 60
            "de ad be ef" + // data, already aligned
            "24 00 00 00");
        output.ToArray().ShouldBe(expected);
    }

    [Fact]
    public void Long_comment_and_snap_length_truncation_round_trip()
    {
        string comment = string.Concat(Enumerable.Repeat("Größe→", 200)); // > 256 UTF-8 bytes: pooled buffer path
        var output = new MemoryStream();
        using (var writer = new PcapNgWriter(output, LinkType.LinuxSll2, snapLength: 10, leaveOpen: true))
        {
            writer.Write(Timestamp, EthernetFrame60, comment);
        }

        var result = CaptureFileReader.Read(new MemoryStream(output.ToArray()));
        result.Error.ShouldBeNull();
        result.Format.ShouldBe(CaptureFormat.PcapNg);
        var frame = result.Frames.ShouldHaveSingleItem();
        frame.Comment.ShouldBe(comment);
        frame.Data.ShouldBe(EthernetFrame60[..10]);
        frame.OriginalLength.ShouldBe(60);
        frame.LinkType.ShouldBe(LinkType.LinuxSll2);
        frame.Timestamp.ShouldBe(Timestamp);
        (output.Length % 4).ShouldBe(0);
    }

    [Fact]
    public void Rejects_invalid_arguments()
    {
        Should.Throw<ArgumentNullException>(() => new PcapNgWriter(null!));
        Should.Throw<ArgumentOutOfRangeException>(() => new PcapNgWriter(new MemoryStream(), (LinkType)0x10000));
        Should.Throw<ArgumentOutOfRangeException>(() => new PcapNgWriter(new MemoryStream(), snapLength: -5));

        using var writer = new PcapNgWriter(new MemoryStream());
        Should.Throw<ArgumentOutOfRangeException>(() => writer.Write(DateTimeOffset.UnixEpoch.AddTicks(-1), Frame));
        Should.Throw<ArgumentOutOfRangeException>(() => writer.Write(DateTimeOffset.MaxValue, Frame));
        Should.Throw<ArgumentOutOfRangeException>(() => writer.Write(Timestamp, Frame, new string('x', 65536)));
        Should.Throw<ArgumentOutOfRangeException>(() => writer.Write(Timestamp, Frame, originalLength: 1));
    }

    [Fact]
    public void Dispose_closes_stream_unless_leave_open()
    {
        var closed = new MemoryStream();
        new PcapNgWriter(closed).Dispose();
        closed.CanWrite.ShouldBeFalse();

        var open = new MemoryStream();
        var writer = new PcapNgWriter(open, leaveOpen: true);
        writer.Dispose();
        open.CanWrite.ShouldBeTrue();
        open.Length.ShouldBe(48 + 32);
        Should.Throw<ObjectDisposedException>(() => writer.Flush());
    }
}
