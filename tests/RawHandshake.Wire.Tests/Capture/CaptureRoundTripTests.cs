using CsCheck;
using RawHandshake.Wire.Capture;
using static RawHandshake.Wire.Tests.Capture.CaptureTestData;

namespace RawHandshake.Wire.Tests.Capture;

public class CaptureRoundTripTests
{
    // Latest instant a classic pcap (unsigned 32-bit seconds) can hold; pcapng nanoseconds reach 2554.
    private const long MaxPcapTicks = (((long)uint.MaxValue + 1) * TimeSpan.TicksPerSecond) - 1;

    private static readonly Gen<string?> GenComment = Gen.OneOf(
        Gen.OneOfConst<string?>(null, string.Empty, "SYN from 10.0.0.1", "Grüße, мир 🌍", "日本語のコメント", "tab\tand\nnewline"),
        Gen.Char["abcXYZ 09éüßŁØ→✓日本語ДЖ"].Array[1, 80].Select(chars => (string?)new string(chars)));

    private static readonly Gen<(byte[] Data, long Ticks, string? Comment)[]> GenFrames =
        Gen.Select(Gen.Byte.Array[0, 2000], Gen.Long[0, MaxPcapTicks], GenComment).Array[0, 12];

    [Fact]
    public void Pcap_round_trips_microsecond()
    {
        GenFrames.Sample(frames => AssertPcapRoundTrip(frames, nanosecond: false, LinkType.Ethernet), iter: 300);
    }

    [Fact]
    public void Pcap_round_trips_nanosecond_and_unknown_link_type()
    {
        GenFrames.Sample(frames => AssertPcapRoundTrip(frames, nanosecond: true, (LinkType)147), iter: 300);
    }

    [Fact]
    public void PcapNg_round_trips_data_timestamps_and_comments()
    {
        var linkTypes = Gen.OneOfConst(LinkType.Ethernet, LinkType.Raw, LinkType.LinuxSll, LinkType.Null, (LinkType)65000);
        Gen.Select(GenFrames, linkTypes).Sample((frames, linkType) =>
        {
            var output = new MemoryStream();
            using (var writer = new PcapNgWriter(output, linkType, leaveOpen: true))
            {
                foreach (var (data, ticks, comment) in frames)
                {
                    writer.Write(FromUnixTicks(ticks), data, comment);
                }
            }

            (output.Length % 4).ShouldBe(0);
            var result = CaptureFileReader.Read(new MemoryStream(output.ToArray()));
            result.Error.ShouldBeNull();
            result.Format.ShouldBe(CaptureFormat.PcapNg);
            result.Frames.Count.ShouldBe(frames.Length);
            for (int i = 0; i < frames.Length; i++)
            {
                var (data, ticks, comment) = frames[i];
                var frame = result.Frames[i];
                frame.Data.ShouldBe(data);
                frame.OriginalLength.ShouldBe(data.Length);
                frame.Timestamp.ShouldBe(FromUnixTicks(ticks)); // nanosecond resolution keeps every tick
                frame.Timestamp.Offset.ShouldBe(TimeSpan.Zero);
                frame.LinkType.ShouldBe(linkType);
                frame.InterfaceId.ShouldBe(0);
                frame.Comment.ShouldBe(string.IsNullOrEmpty(comment) ? null : comment);
            }
        }, iter: 300);
    }

    [Fact]
    public void Max_frames_stops_early_without_error()
    {
        var output = new MemoryStream();
        using (var writer = new PcapNgWriter(output, leaveOpen: true))
        {
            for (int i = 0; i < 5; i++)
            {
                writer.Write(DateTimeOffset.UnixEpoch.AddSeconds(i), EthernetFrame60, $"#{i}");
            }
        }

        var result = CaptureFileReader.Read(new MemoryStream(output.ToArray()), maxFrames: 2);
        result.Error.ShouldBeNull();
        result.Frames.Select(f => f.Comment).ShouldBe(["#0", "#1"]);
        CaptureFileReader.Read(new MemoryStream(output.ToArray()), maxFrames: 0).Frames.ShouldBeEmpty();
    }

    [Theory]
    [InlineData("out.pcapng", CaptureFormat.PcapNg)]
    [InlineData("OUT.PcapNG", CaptureFormat.PcapNg)]
    [InlineData("out.pcap", CaptureFormat.Pcap)]
    [InlineData("out.cap", CaptureFormat.Pcap)]
    public void CaptureFileWriter_picks_format_from_extension(string name, CaptureFormat expected)
    {
        string directory = Directory.CreateTempSubdirectory("rawhandshake-capture-").FullName;
        try
        {
            string path = Path.Combine(directory, name);
            var timestamp = new DateTimeOffset(2025, 6, 7, 8, 9, 10, 123, TimeSpan.FromHours(2));
            using (ICaptureWriter writer = RawHandshake.Wire.Tests.Support.CaptureFilesOnDisk.Create(path, LinkType.Ethernet))
            {
                (writer is PcapNgWriter).ShouldBe(expected == CaptureFormat.PcapNg);
                writer.Write(timestamp, EthernetFrame60, "first ✓");
                writer.Write(timestamp.AddMicroseconds(1), EthernetFrame60[..54]);
                writer.Flush();
            }

            var result = RawHandshake.Wire.Tests.Support.CaptureFilesOnDisk.Read(path);
            result.Error.ShouldBeNull();
            result.Format.ShouldBe(expected);
            result.Frames.Count.ShouldBe(2);
            result.Frames[0].Timestamp.ShouldBe(timestamp);
            result.Frames[0].Timestamp.Offset.ShouldBe(TimeSpan.Zero);
            result.Frames[0].Data.ShouldBe(EthernetFrame60);
            result.Frames[0].Comment.ShouldBe(expected == CaptureFormat.PcapNg ? "first ✓" : null);
            result.Frames[1].Timestamp.ShouldBe(timestamp.AddMicroseconds(1));
            result.Frames[1].Data.Length.ShouldBe(54);
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    [Fact]
    public void Read_rejects_a_null_stream()
    {
        Should.Throw<ArgumentNullException>(() => CaptureFileReader.Read(null!));
    }

    private static void AssertPcapRoundTrip((byte[] Data, long Ticks, string? Comment)[] frames, bool nanosecond, LinkType linkType)
    {
        var output = new MemoryStream();
        using (var writer = new PcapWriter(output, linkType, nanosecond: nanosecond, leaveOpen: true))
        {
            foreach (var (data, ticks, _) in frames)
            {
                writer.Write(FromUnixTicks(ticks), data);
            }
        }

        var result = CaptureFileReader.Read(new MemoryStream(output.ToArray()));
        result.Error.ShouldBeNull();
        result.Format.ShouldBe(CaptureFormat.Pcap);
        result.Frames.Count.ShouldBe(frames.Length);
        for (int i = 0; i < frames.Length; i++)
        {
            var (data, ticks, _) = frames[i];
            var frame = result.Frames[i];
            frame.Data.ShouldBe(data);
            frame.OriginalLength.ShouldBe(data.Length);
            // Microsecond files keep whole microseconds (10 ticks); nanosecond files keep every tick.
            long expectedTicks = nanosecond ? ticks : ticks - (ticks % 10);
            frame.Timestamp.ShouldBe(FromUnixTicks(expectedTicks));
            frame.LinkType.ShouldBe(linkType);
            frame.Comment.ShouldBeNull();
        }
    }
}
