using System.Text;
using RawHandshake.Wire.Capture;
using static RawHandshake.Wire.Tests.Capture.CaptureTestData;

namespace RawHandshake.Wire.Tests.Capture;

public class PcapNgReaderTests
{
    private static readonly byte[] Payload = [1, 2, 3, 4, 5, 6, 7];

    [Theory]
    [InlineData(null, 1_000_001UL, 10_000_010L)] // default: microseconds
    [InlineData((byte)3, 1_500UL, 15_000_000L)] // milliseconds
    [InlineData((byte)9, 1_000_000_123UL, 10_000_001L)] // nanoseconds: 23 ns truncated
    [InlineData((byte)12, 1_234_567_891UL, 12_345L)] // picoseconds
    [InlineData((byte)0, 7UL, 70_000_000L)] // whole seconds
    [InlineData((byte)(0x80 | 2), 3UL, 7_500_000L)] // 2^-2 s: 0.75 s
    [InlineData((byte)(0x80 | 20), (5UL << 20) + (1UL << 19), 55_000_000L)] // 2^-20 s: 5.5 s
    [InlineData((byte)(0x80 | 30), 1UL << 30, 10_000_000L)] // 2^-30 s: 1 s
    [InlineData((byte)(0x80 | 127), ulong.MaxValue, 0L)] // absurd but harmless
    [InlineData((byte)127, ulong.MaxValue, 0L)]
    public void Applies_if_tsresol(byte? tsresol, ulong units, long expectedTicks)
    {
        var builder = new PcapNgBuilder().Shb();
        if (tsresol is { } resolution)
        {
            builder.Idb(LinkType.Ethernet, 0, PcapNgBuilder.TsResol(resolution));
        }
        else
        {
            builder.Idb(LinkType.Ethernet);
        }

        builder.Epb(0, units, Payload);
        var result = CaptureFileReader.Read(new MemoryStream(builder.ToArray()));

        result.Error.ShouldBeNull();
        result.Frames.Single().Timestamp.ShouldBe(FromUnixTicks(expectedTicks));
    }

    [Fact]
    public void Applies_if_tsoffset()
    {
        byte[] offset = BitConverter.GetBytes(1_000L); // little-endian section
        var file = new PcapNgBuilder().Shb().Idb(LinkType.Ethernet, 0, (14, offset)).Epb(0, 2_000_000, Payload).ToArray();
        CaptureFileReader.Read(new MemoryStream(file)).Frames.Single().Timestamp
            .ShouldBe(DateTimeOffset.UnixEpoch.AddSeconds(1_002));
    }

    [Fact]
    public void Huge_timestamps_are_clamped_not_thrown()
    {
        var file = new PcapNgBuilder().Shb().Idb(LinkType.Ethernet, 0, PcapNgBuilder.TsResol(0)).Epb(0, ulong.MaxValue, Payload).ToArray();
        var result = CaptureFileReader.Read(new MemoryStream(file));
        result.Error.ShouldBeNull();
        result.Frames.Single().Timestamp.ShouldBe(DateTimeOffset.MaxValue);
    }

    [Fact]
    public void Reads_simple_packet_blocks()
    {
        byte[] ten = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];
        var file = new PcapNgBuilder()
            .Shb()
            .Idb(LinkType.Raw, snapLength: 8)
            .Spb(originalLength: 10, ten) // block holds 10 (padded to 12) but the snap length caps it at 8
            .Spb(originalLength: 3, [0xaa, 0xbb, 0xcc]) // 3 data bytes + 1 padding byte
            .Spb(originalLength: 1500, [0x11, 0x22, 0x33, 0x44]) // truncated capture: only 4 bytes present
            .ToArray();

        var result = CaptureFileReader.Read(new MemoryStream(file));

        result.Error.ShouldBeNull();
        result.Frames.Count.ShouldBe(3);
        result.Frames[0].Data.ShouldBe(ten[..8]);
        result.Frames[0].OriginalLength.ShouldBe(10);
        result.Frames[0].LinkType.ShouldBe(LinkType.Raw);
        result.Frames[0].Timestamp.ShouldBe(DateTimeOffset.UnixEpoch); // SPBs carry no timestamp
        result.Frames[1].Data.ShouldBe(new byte[] { 0xaa, 0xbb, 0xcc });
        result.Frames[2].Data.ShouldBe(new byte[] { 0x11, 0x22, 0x33, 0x44 });
        result.Frames[2].OriginalLength.ShouldBe(1500);
    }

    [Fact]
    public void Reads_obsolete_packet_blocks_with_comment()
    {
        var file = new PcapNgBuilder()
            .Shb()
            .Idb(LinkType.Ethernet)
            .Idb(LinkType.LinuxSll)
            .Pb(1, 3_000_000, Payload, PcapNgBuilder.Comment("old style"))
            .ToArray();

        var frame = CaptureFileReader.Read(new MemoryStream(file)).Frames.ShouldHaveSingleItem();

        frame.InterfaceId.ShouldBe(1);
        frame.LinkType.ShouldBe(LinkType.LinuxSll);
        frame.Comment.ShouldBe("old style");
        frame.Data.ShouldBe(Payload);
        frame.Timestamp.ShouldBe(DateTimeOffset.UnixEpoch.AddSeconds(3));
    }

    [Fact]
    public void Keeps_first_comment_and_skips_other_options()
    {
        var file = new PcapNgBuilder()
            .Shb(1, PcapNgBuilder.Comment("section comment"), (4, Encoding.UTF8.GetBytes("someone else")))
            .Idb(LinkType.Ethernet, 0, (2, Encoding.UTF8.GetBytes("eth0")), PcapNgBuilder.TsResol(9))
            .Epb(0, 1, Payload, null, (2, [0, 0, 0, 1]), PcapNgBuilder.Comment("première ✓"), PcapNgBuilder.Comment("second"))
            .ToArray();

        var frame = CaptureFileReader.Read(new MemoryStream(file)).Frames.ShouldHaveSingleItem();

        frame.Comment.ShouldBe("première ✓");
    }

    [Fact]
    public void Skips_unknown_blocks()
    {
        var file = new PcapNgBuilder()
            .Shb()
            .Block(0x0000_0BAD, [1, 2, 3, 4, 5]) // custom block
            .Idb(LinkType.Ethernet)
            .Block(4, [0, 0, 0, 0]) // name resolution block
            .Epb(0, 1, Payload)
            .Block(5, new byte[28]) // interface statistics block
            .Block(0x4000_0000, []) // empty unknown block
            .Epb(0, 2, Payload)
            .ToArray();

        var result = CaptureFileReader.Read(new MemoryStream(file));

        result.Error.ShouldBeNull();
        result.Frames.Count.ShouldBe(2);
    }

    [Fact]
    public void Reads_several_sections_with_different_byte_orders()
    {
        var builder = new PcapNgBuilder(bigEndian: false)
            .Shb()
            .Idb(LinkType.Ethernet)
            .Epb(0, 1_000_000, [0x01], null, PcapNgBuilder.Comment("le"));
        builder.BigEndian = true;
        builder
            .Shb()
            .Idb(LinkType.Raw, 0, PcapNgBuilder.TsResol(3))
            .Idb((LinkType)4242, 0, PcapNgBuilder.TsResol(0x80 | 1))
            .Epb(1, 5, [0x02, 0x03], 9, PcapNgBuilder.Comment("be"))
            .Epb(0, 250, [0x04]);
        builder.BigEndian = false;
        builder.Shb().Idb(LinkType.LinuxSll2).Epb(0, 0, []);
        byte[] file = builder.ToArray();

        var result = CaptureFileReader.Read(new MemoryStream(file));

        result.Error.ShouldBeNull();
        result.Format.ShouldBe(CaptureFormat.PcapNg);
        result.Frames.Count.ShouldBe(4);
        result.Frames[0].ShouldSatisfyAllConditions(
            f => f.LinkType.ShouldBe(LinkType.Ethernet),
            f => f.Timestamp.ShouldBe(DateTimeOffset.UnixEpoch.AddSeconds(1)),
            f => f.Comment.ShouldBe("le"));
        result.Frames[1].ShouldSatisfyAllConditions(
            f => f.InterfaceId.ShouldBe(1),
            f => f.LinkType.ShouldBe((LinkType)4242),
            f => f.Timestamp.ShouldBe(DateTimeOffset.UnixEpoch.AddSeconds(2.5)),
            f => f.Data.ShouldBe(new byte[] { 0x02, 0x03 }),
            f => f.OriginalLength.ShouldBe(9),
            f => f.Comment.ShouldBe("be"));
        result.Frames[2].ShouldSatisfyAllConditions(
            f => f.InterfaceId.ShouldBe(0),
            f => f.LinkType.ShouldBe(LinkType.Raw),
            f => f.Timestamp.ShouldBe(DateTimeOffset.UnixEpoch.AddMilliseconds(250)));
        result.Frames[3].ShouldSatisfyAllConditions(
            f => f.LinkType.ShouldBe(LinkType.LinuxSll2), // interfaces restart with each section
            f => f.Data.ShouldBeEmpty());
    }

    [Fact]
    public void Packet_on_unknown_interface_is_an_error()
    {
        var file = new PcapNgBuilder().Shb().Idb(LinkType.Ethernet).Epb(0, 1, Payload).Epb(3, 1, Payload).ToArray();
        var result = CaptureFileReader.Read(new MemoryStream(file));
        result.Frames.Count.ShouldBe(1);
        result.Error.ShouldBe("pcapng packet at byte 88 references interface 3 but the section has 1"); // SHB 28 + IDB 20 + EPB 40

        var spbFirst = new PcapNgBuilder().Shb().Spb(1, [1]).ToArray();
        CaptureFileReader.Read(new MemoryStream(spbFirst)).Error
            .ShouldBe("pcapng simple packet at byte 28 appears before any interface description");
    }

    [Fact]
    public void Unsupported_section_version_is_an_error()
    {
        var file = new PcapNgBuilder().Shb(major: 2).ToArray();
        CaptureFileReader.Read(new MemoryStream(file)).Error.ShouldBe("unsupported pcapng version 2.0 at byte 12");
    }
}
