using RawHandshake.Wire.Tests.Support;

namespace RawHandshake.Wire.Tests;

/// <summary>Our IPv6 frames read back by tshark: every field where we put it, every checksum good.</summary>
public class Ipv6TsharkTests
{
    private static readonly string[] Prefs = ["tcp.check_checksum:TRUE", "udp.check_checksum:TRUE", "ipv6.defragment:FALSE"];

    [Fact]
    public void Tshark_reads_every_sample_and_rates_every_checksum_good()
    {
        var samples = SampleFrames6.All().ToArray();
        var dir = Directory.CreateTempSubdirectory("rh-v6-tshark-");
        try
        {
            var path = Path.Combine(dir.FullName, "v6.pcap");
            using (var w = CaptureFilesOnDisk.Create(path))
            {
                foreach (var (_, frame) in samples)
                {
                    w.Write(DateTimeOffset.UnixEpoch, frame);
                }
            }

            var rows = TransportTshark.Fields(
                path, Prefs, "ipv6.src", "ipv6.dst", "ipv6.flow", "ipv6.nxt", "tcp.checksum.status", "udp.checksum.status", "icmpv6.checksum.status",
                "icmpv6.type", "_ws.malformed", "_ws.expert.severity");
            rows.Length.ShouldBe(samples.Length);
            for (var i = 0; i < samples.Length; i++)
            {
                var c = rows[i].Split('\t');
                var name = samples[i].Name;
                c[8].ShouldBeEmpty($"{name}: malformed by tshark: {rows[i]}");
                foreach (var status in c[4..7].Where(s => s.Length > 0))
                {
                    // the first is ours, later ones quoted; a fragment's cannot be checked without the rest
                    status.Split(';')[0].ShouldBe(name.Contains("fragment", StringComparison.Ordinal) ? "2" : "1", $"{name}: checksum not good: {rows[i]}");
                }

                (c[4] + c[5] + c[6]).Length.ShouldBeGreaterThan(name.Contains("fragment", StringComparison.Ordinal) ? -1 : 0, $"{name}: no checksum checked: {rows[i]}");
            }

            rows[0].Split('\t')[..4].ShouldBe(["2001:db8::77", "2001:db8::1", "0x012345", "6"]);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}

/// <summary>The summary columns (Protocol, Source, Destination) of the IPv6 corpus equal tshark's, frame by frame.</summary>
public class Ipv6SummaryColumnTests
{
    public static TheoryData<string> Captures() =>
        [.. Directory.GetFiles(Path.Combine(Fixtures.Directory, "corpus"), "*ipv6*.pcap").Select(p => Path.GetRelativePath(Fixtures.Directory, p)).Order(StringComparer.Ordinal)];

    [Theory]
    [MemberData(nameof(Captures))]
    public void Protocol_source_and_destination_equal_tsharks(string capture)
    {
        var frames = Fixtures.Read(capture);
        var theirs = TransportTshark.Fields(Fixtures.PathOf(capture), [], "_ws.col.Protocol", "_ws.col.Source", "_ws.col.Destination");
        theirs.Length.ShouldBe(frames.Count);
        var analysis = new Dissection.CaptureAnalysis();
        var diffs = new List<string>();
        for (var i = 0; i < frames.Count; i++)
        {
            var a = analysis.Next(frames[i].Data, frames[i].LinkType, frames[i].Timestamp);
            var p = a.Reassembled?.Parsed ?? a.Parsed;
            var ours = $"{Dissection.PacketSummary.Protocol(p)}\t{Dissection.PacketSummary.Source(p)}\t{Dissection.PacketSummary.Destination(p)}";
            if (ours != theirs[i])
            {
                diffs.Add($"frame {i + 1}:\n  tshark: {theirs[i]}\n  ours:   {ours}");
            }
        }

        diffs.ShouldBeEmpty(string.Join('\n', diffs));
    }
}
