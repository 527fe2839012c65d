using RawHandshake.Wire.Dissection;
using RawHandshake.Wire.Tests.Support;

namespace RawHandshake.Wire.Tests;

/// <summary>
/// Our Info column equals tshark's transport-only Info column (every dissector above TCP/UDP off, sequence analysis on)
/// frame by frame, on every capture in tests/fixtures: the real kernel captures, and the corpus crafted by
/// capture-scripts/corpus.py (TCP options and flags tshark names, AccECN, window scaling from one side of the handshake,
/// snap-cut and TSO frames, ARP announcements/probes/duplicates/opcodes, every ICMP type and code, 802.3/LLC frames).
/// </summary>
public sealed class InfoColumnCorpusTests
{
    public static TheoryData<string> Captures()
    {
        var dir = Fixtures.Directory;
        return [.. Directory.GetFiles(dir, "*.pcap").Concat(Directory.GetFiles(dir, "*.pcapng")).Concat(Directory.GetFiles(Path.Combine(dir, "corpus"), "*.pcap"))
            .Select(p => Path.GetRelativePath(dir, p)).Order(StringComparer.Ordinal)];
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void Info_column_equals_tsharks_frame_by_frame(string capture)
    {
        var frames = Fixtures.Read(capture);
        var theirs = TransportTshark.Info(Fixtures.PathOf(capture));
        theirs.Length.ShouldBe(frames.Count);
        var analysis = new CaptureAnalysis();
        var diffs = new List<string>();
        for (var i = 0; i < frames.Count; i++)
        {
            var ours = PacketSummary.Info(analysis.Next(frames[i].Data, frames[i].LinkType, frames[i].Timestamp), frames[i].Data);
            if (ours != theirs[i])
            {
                diffs.Add($"frame {i + 1}:\n  tshark: {theirs[i]}\n  ours:   {ours}");
            }
        }

        diffs.ShouldBeEmpty(string.Join('\n', diffs));
    }

    [Theory]
    [MemberData(nameof(Captures))]
    public void Protocol_column_equals_tsharks_frame_by_frame(string capture)
    {
        var frames = Fixtures.Read(capture);
        var theirs = TransportTshark.Protocol(Fixtures.PathOf(capture));
        theirs.Length.ShouldBe(frames.Count);
        var analysis = new CaptureAnalysis();
        var diffs = new List<string>();
        for (var i = 0; i < frames.Count; i++)
        {
            var ours = PacketSummary.Protocol(analysis.Next(frames[i].Data, frames[i].LinkType, frames[i].Timestamp));
            if (ours != theirs[i])
            {
                diffs.Add($"frame {i + 1}: tshark {theirs[i]}, ours {ours}");
            }
        }

        diffs.ShouldBeEmpty(string.Join('\n', diffs));
    }
}
