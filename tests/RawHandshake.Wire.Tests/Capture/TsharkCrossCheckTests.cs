using System.Diagnostics;
using System.Text;
using RawHandshake.Wire.Capture;
using static RawHandshake.Wire.Tests.Capture.CaptureTestData;

namespace RawHandshake.Wire.Tests.Capture;

/// <summary>
/// Cross-checks the writers against Wireshark's tshark. tshark is a required test dependency
/// (the test command installs it): when it is missing these tests fail rather than pass silently.
/// </summary>
public sealed class TsharkCrossCheckTests : IDisposable
{
    private static readonly DateTimeOffset Start = new(2024, 5, 6, 7, 8, 9, TimeSpan.Zero);

    private readonly DirectoryInfo _directory = Directory.CreateTempSubdirectory("rawhandshake-tshark-");

    public void Dispose() => _directory.Delete(recursive: true);

    [Fact]
    public void Tshark_reads_pcapng_comments()
    {
        string[] comments = ["SYN from the crafted client", "Grüße ✓ 日本語", "third; with, punctuation"];
        string path = Path.Combine(_directory.FullName, "comments.pcapng");
        using (var writer = new PcapNgWriter(File.Create(path)))
        {
            for (int i = 0; i < comments.Length; i++)
            {
                writer.Write(Start.AddMilliseconds(i), EthernetFrame60, comments[i]);
            }
        }

        // tshark 4.0 exposes per-packet comments as frame.comment (pkt_comment is only the protocol name).
        string output = RunTshark("-r", path, "-T", "fields", "-e", "frame.comment");

        output.Split('\n', StringSplitOptions.RemoveEmptyEntries).ShouldBe(comments);
    }

    [Fact]
    public void Tshark_reads_classic_pcap_frames_and_timestamps()
    {
        string path = Path.Combine(_directory.FullName, "frames.pcap");
        int[] lengths = [60, 54, 14, 60, 42];
        using (var writer = new PcapWriter(File.Create(path)))
        {
            for (int i = 0; i < lengths.Length; i++)
            {
                writer.Write(Start.AddTicks(i * 1_234_560L), EthernetFrame60.AsSpan(0, lengths[i]));
            }
        }

        string output = RunTshark("-r", path, "-T", "fields", "-e", "frame.len", "-e", "frame.time_epoch", "-e", "eth.type");

        string[] lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Length.ShouldBe(lengths.Length);
        for (int i = 0; i < lengths.Length; i++)
        {
            string[] fields = lines[i].Split('\t');
            fields[0].ShouldBe(lengths[i].ToString(System.Globalization.CultureInfo.InvariantCulture));
            long microseconds = (Start.AddTicks(i * 1_234_560L) - DateTimeOffset.UnixEpoch).Ticks / 10;
            fields[1].ShouldStartWith($"{microseconds / 1_000_000}.{microseconds % 1_000_000:D6}");
            fields[2].ShouldBe("0x0800");
        }
    }

    [Fact]
    public void Tshark_reads_pcapng_nanosecond_timestamps_and_truncation()
    {
        string path = Path.Combine(_directory.FullName, "snap.pcapng");
        var timestamp = Start.AddTicks(1_234_567);
        using (var writer = new PcapNgWriter(File.Create(path), LinkType.Ethernet, snapLength: 40))
        {
            writer.Write(timestamp, EthernetFrame60);
        }

        string output = RunTshark("-r", path, "-T", "fields", "-e", "frame.len", "-e", "frame.cap_len", "-e", "frame.time_epoch");

        output.Trim().ShouldBe($"60\t40\t{Start.ToUnixTimeSeconds()}.123456700");
    }

    [Theory]
    [InlineData("pcapng", CaptureFormat.PcapNg)]
    [InlineData("nsecpcap", CaptureFormat.Pcap)]
    [InlineData("pcap", CaptureFormat.Pcap)]
    public void Reader_reads_files_written_by_tshark(string tsharkFormat, CaptureFormat expectedFormat)
    {
        string source = Path.Combine(_directory.FullName, "source.pcapng");
        string converted = Path.Combine(_directory.FullName, "converted." + tsharkFormat);
        var timestamp = Start.AddTicks(1_234_560);
        using (var writer = new PcapNgWriter(File.Create(source)))
        {
            writer.Write(timestamp, EthernetFrame60, "kept by tshark");
            writer.Write(timestamp.AddSeconds(1), EthernetFrame60.AsSpan(0, 42));
        }

        RunTshark("-r", source, "-F", tsharkFormat, "-w", converted);
        var result = RawHandshake.Wire.Tests.Support.CaptureFilesOnDisk.Read(converted);

        result.Error.ShouldBeNull();
        result.Format.ShouldBe(expectedFormat);
        result.Frames.Count.ShouldBe(2);
        result.Frames[0].Data.ShouldBe(EthernetFrame60);
        result.Frames[0].Timestamp.ShouldBe(timestamp);
        result.Frames[0].LinkType.ShouldBe(LinkType.Ethernet);
        result.Frames[0].Comment.ShouldBe(expectedFormat == CaptureFormat.PcapNg ? "kept by tshark" : null);
        result.Frames[1].Data.ShouldBe(EthernetFrame60[..42]);
        result.Frames[1].Timestamp.ShouldBe(timestamp.AddSeconds(1));
    }

    private static string RunTshark(params string[] arguments)
    {
        string tshark = FindOnPath("tshark")
            ?? throw new InvalidOperationException(
                "tshark was not found on PATH. These cross-checks need Wireshark's tshark (apt-get install tshark); they must not be skipped.");

        var startInfo = new ProcessStartInfo(tshark)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            StandardOutputEncoding = Encoding.UTF8,
            StandardErrorEncoding = Encoding.UTF8,
        };
        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"could not start {tshark}");
        Task<string> stdout = process.StandardOutput.ReadToEndAsync();
        Task<string> stderr = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(TimeSpan.FromSeconds(60)))
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"tshark {string.Join(' ', arguments)} did not finish within 60 s");
        }

        process.ExitCode.ShouldBe(0, $"tshark {string.Join(' ', arguments)} failed: {stderr.Result}");
        // e.g. "appears to be damaged or corrupt" / "appears to have been cut short in the middle of a packet"
        stderr.Result.ShouldNotContain("appears to", customMessage: $"tshark {string.Join(' ', arguments)}");
        return stdout.Result.ReplaceLineEndings("\n");
    }

    private static string? FindOnPath(string name)
    {
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator))
        {
            if (directory.Length == 0)
            {
                continue;
            }

            string candidate = Path.Combine(directory, name);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
