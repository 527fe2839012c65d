using RawHandshake.Wire.Capture;

namespace RawHandshake.Link.Tests;

public class CaptureFilesTests
{
    [Fact]
    public void A_missing_file_is_reported_not_thrown()
    {
        var path = Path.Combine(Path.GetTempPath(), $"rawhandshake-missing-{Guid.NewGuid():N}.pcap");
        var result = CaptureFiles.Read(path);
        result.Frames.ShouldBeEmpty();
        result.Error.ShouldNotBeNull();
        result.Error.ShouldStartWith($"cannot open {path}: ");
        result.Error.ShouldNotContain("\n");
        Should.Throw<ArgumentNullException>(() => CaptureFiles.Read(null!));
    }

    [Theory]
    [InlineData("t.pcap", CaptureFormat.Pcap)]
    [InlineData("t.PCAPNG", CaptureFormat.PcapNg)]
    public void Create_picks_the_format_by_name_and_Read_gets_the_frames_back(string name, CaptureFormat format)
    {
        var dir = Directory.CreateTempSubdirectory("rh-capfiles-");
        try
        {
            var path = Path.Combine(dir.FullName, name);
            var frame = new byte[60];
            frame[12] = 0x08;
            using (var w = CaptureFiles.Create(path))
            {
                w.Write(DateTimeOffset.UnixEpoch.AddSeconds(1), frame, "one");
            }

            var read = CaptureFiles.Read(path);
            read.Error.ShouldBeNull();
            read.Format.ShouldBe(format);
            read.Frames.ShouldHaveSingleItem().Data.ShouldBe(frame);
            read.Frames[0].Comment.ShouldBe(format == CaptureFormat.PcapNg ? "one" : null);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
