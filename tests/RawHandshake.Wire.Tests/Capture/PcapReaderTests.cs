using RawHandshake.Wire.Capture;
using static RawHandshake.Wire.Tests.Capture.CaptureTestData;

namespace RawHandshake.Wire.Tests.Capture;

public class PcapReaderTests
{
    private static readonly DateTimeOffset Second = new(2024, 1, 2, 3, 4, 5, TimeSpan.Zero); // Unix 1704164645

    [Fact]
    public void Reads_big_endian_microsecond_pcap()
    {
        byte[] file = BuildPcap(
            bigEndian: true,
            nanosecond: false,
            network: 1,
            (1704164645, 123456, EthernetFrame60, 60),
            (1704164646, 999999, EthernetFrame60[..14], 1514));
        file[..4].ShouldBe(Hex("a1 b2 c3 d4"));
        file[24..28].ShouldBe(Hex("65 93 7d 25"));

        var result = CaptureFileReader.Read(new MemoryStream(file));

        result.Error.ShouldBeNull();
        result.Format.ShouldBe(CaptureFormat.Pcap);
        result.Frames.Count.ShouldBe(2);
        result.Frames[0].Timestamp.ShouldBe(Second.AddTicks(1_234_560));
        result.Frames[0].Data.ShouldBe(EthernetFrame60);
        result.Frames[0].OriginalLength.ShouldBe(60);
        result.Frames[0].LinkType.ShouldBe(LinkType.Ethernet);
        result.Frames[1].Timestamp.ShouldBe(Second.AddSeconds(1).AddTicks(9_999_990));
        result.Frames[1].OriginalLength.ShouldBe(1514);
        result.Frames[1].Data.Length.ShouldBe(14);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Reads_nanosecond_pcap_in_either_byte_order(bool bigEndian)
    {
        byte[] file = BuildPcap(bigEndian, nanosecond: true, network: 101, (1704164645, 123_456_789, [0x45, 0x00], 2));
        file[..4].ShouldBe(bigEndian ? Hex("a1 b2 3c 4d") : Hex("4d 3c b2 a1"));

        var frame = CaptureFileReader.Read(new MemoryStream(file)).Frames.ShouldHaveSingleItem();

        frame.Timestamp.ShouldBe(Second.AddTicks(1_234_567)); // 89 ns below tick precision are dropped
        frame.LinkType.ShouldBe(LinkType.Raw);
        frame.Data.ShouldBe(new byte[] { 0x45, 0x00 });
    }

    [Fact]
    public void Unknown_link_type_survives_and_fcs_bits_are_ignored()
    {
        CaptureFileReader.Read(new MemoryStream(BuildPcap(false, false, 0xBEEF, (0, 0, [1], 1))))
            .Frames.Single().LinkType.ShouldBe((LinkType)0xBEEF);
        // FCS-present bit (0x04000000) and FCS length 4 (top nibble) set on LINKTYPE_ETHERNET.
        CaptureFileReader.Read(new MemoryStream(BuildPcap(false, false, 0x4400_0001, (0, 0, [1], 1))))
            .Frames.Single().LinkType.ShouldBe(LinkType.Ethernet);
    }

    [Fact]
    public void Accepts_frames_longer_than_snap_length_up_to_the_limit()
    {
        // The header says snaplen 65535, but records up to 4 * 262144 bytes are still accepted.
        var big = new byte[300_000];
        big[^1] = 0x5a;
        var result = CaptureFileReader.Read(new MemoryStream(BuildPcap(false, false, 1, (10, 0, big, 300_000))));
        result.Error.ShouldBeNull();
        result.Frames.Single().Data.ShouldBe(big);
        result.Frames.Single().Timestamp.ShouldBe(DateTimeOffset.UnixEpoch.AddSeconds(10));
    }

    [Fact]
    public void Empty_capture_has_no_frames_and_no_error()
    {
        var result = CaptureFileReader.Read(new MemoryStream(BuildPcap(true, false, 1)));
        result.Error.ShouldBeNull();
        result.Frames.ShouldBeEmpty();
    }

    [Fact]
    public void Reads_from_the_streams_current_position()
    {
        byte[] file = BuildPcap(false, false, 1, (1, 2, [7, 8, 9], 3));
        var stream = new MemoryStream([0xff, 0xff, .. file]);
        stream.Position = 2;
        CaptureFileReader.Read(stream).Frames.Single().Data.ShouldBe(new byte[] { 7, 8, 9 });
    }

    [Fact]
    public void Reports_unsupported_version()
    {
        byte[] file = BuildPcap(false, false, 1);
        file[4] = 3;
        CaptureFileReader.Read(new MemoryStream(file)).Error.ShouldBe("unsupported pcap version 3.4 at byte 4");
    }
}
