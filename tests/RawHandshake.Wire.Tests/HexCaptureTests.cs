using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Dissection;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Tests.Support;

namespace RawHandshake.Wire.Tests;

/// <summary>
/// tcpdump's hex text read back as a capture. The texts in tests/fixtures/tcpdump-text are the stdout of tcpdump 4.99.3
/// run over the fixture captures (<c>TZ=UTC tcpdump -nn -xx -tttt -r X.pcap</c>, and the variants named in each file's
/// name: -x without the link header, -X with ASCII, -tt, -ttt, the default time of day, stderr merged). Every frame must
/// come out with the pcap's bytes, link type and (where the text has it) time.
/// </summary>
public sealed class HexCaptureTests
{
    public static TheoryData<string, string, LinkType> Texts => new()
    {
        { "echo-session.xx-tttt.txt", "echo-session.pcap", LinkType.Ethernet },
        { "echo-session.xx.txt", "echo-session.pcap", LinkType.Ethernet },
        { "echo-session-any.xx-tttt.txt", "echo-session-any.pcap", LinkType.LinuxSll2 },
        { "echo-session-any.xx-stderr.txt", "echo-session-any.pcap", LinkType.LinuxSll2 },
        { "echo-session-sll.xx-tttt.txt", "echo-session-sll.pcap", LinkType.LinuxSll },
        { "vlan.xx-tttt.txt", "vlan.pcap", LinkType.Ethernet },
        { "http-get.xx-tttt.txt", "http-get.pcap", LinkType.Ethernet },
        { "http-get.X-ttt.txt", "http-get.pcap", LinkType.Raw },
        { "icmp.xx-tttt.txt", "icmp.pcap", LinkType.Ethernet },
        { "icmp.x-tt.txt", "icmp.pcap", LinkType.Raw },
        { "live-options-any.xx-tttt.txt", "corpus/live-options-any.pcap", LinkType.LinuxSll2 },
        { "live-options.x.txt", "corpus/live-options.pcap", LinkType.Raw },
    };

    private static string Text(string name) => File.ReadAllText(Fixtures.PathOf(Path.Combine("tcpdump-text", name)));

    [Theory]
    [MemberData(nameof(Texts))]
    public void Tcpdump_text_gives_the_captures_frames_link_type_and_times(string text, string pcap, LinkType link)
    {
        var want = Fixtures.Read(pcap);
        var got = HexCapture.Read(Text(text));
        got.Frames.Count.ShouldBe(want.Count);
        for (var i = 0; i < want.Count; i++)
        {
            var g = got.Frames[i];
            g.LinkType.ShouldBe(link, $"frame {i + 1}");
            var bytes = link == LinkType.Raw ? want[i].Data.AsSpan(FrameParser.Parse(want[i].Data, want[i].LinkType).NetworkOffset).ToArray() : want[i].Data;
            g.Data.ShouldBe(bytes, $"frame {i + 1}: every byte, the last line's lone 2-byte group too");
            FrameParser.Parse(g.Data, g.LinkType).Malformed.ShouldBeNull($"frame {i + 1}");
            (g.Timestamp - got.Frames[0].Timestamp).ShouldBe(want[i].Timestamp - want[0].Timestamp, $"frame {i + 1}: time since the first");
        }

        got.DateKnown.ShouldBe(text.Contains("-tttt") || text.Contains("-tt."));
        if (got.DateKnown)
        {
            got.Frames[0].Timestamp.ShouldBe(want[0].Timestamp);
        }

        got.LinkTypeSource.ShouldBe(text.Contains("stderr") ? "tcpdump's link-type line" : "recognised from the bytes");
    }

    [Fact]
    public void A_last_line_with_one_group_keeps_its_two_bytes()
    {
        var frames = HexText.ParseFrames("\t0x0000:  0200 0000 00fe 0200 0000 0001 0800 4500\n\t0x0010:  8330\n");
        frames.ShouldHaveSingleItem().Length.ShouldBe(18);
        frames[0][^2..].ShouldBe(new byte[] { 0x83, 0x30 });
    }

    [Fact]
    public void Plain_hex_in_groups_of_four_is_still_plain_hex()
    {
        // Without tcpdump's 0x or a colon, "0200 4500" is two groups of plain hex, not an offset and a byte group.
        HexText.ParseFrames("0200 4500").ShouldHaveSingleItem().ShouldBe(new byte[] { 0x02, 0x00, 0x45, 0x00 });
    }

    [Fact]
    public void Deltas_since_the_previous_frame_add_up()
    {
        var text = " 00:00:00.000000 IP a > b\n\t0x0000:  4500 0014 0000 0000 4001 0000 0a00 0001\n\t0x0010:  0a00 0002\n"
            + " 00:00:00.500000 IP a > b\n\t0x0000:  4500 0014 0000 0000 4001 0000 0a00 0001\n\t0x0010:  0a00 0002\n"
            + " 00:00:00.250000 IP a > b\n\t0x0000:  4500 0014 0000 0000 4001 0000 0a00 0001\n\t0x0010:  0a00 0002\n";
        var got = HexCapture.Read(text, LinkType.Raw);
        got.Frames.Select(f => (f.Timestamp - got.Frames[0].Timestamp).TotalMilliseconds).ShouldBe([0, 500, 750]);
        got.DateKnown.ShouldBeFalse();
        got.LinkTypeSource.ShouldBe("given");
    }

    [Fact]
    public void A_time_of_day_earlier_than_the_one_before_is_past_midnight()
    {
        var text = "23:59:59.900000 IP a > b\n\t0x0000:  4500 0014 0000 0000 4001 0000 0a00 0001\n\t0x0010:  0a00 0002\n"
            + "00:00:00.100000 IP a > b\n\t0x0000:  4500 0014 0000 0000 4001 0000 0a00 0001\n\t0x0010:  0a00 0002\n";
        var got = HexCapture.Read(text, LinkType.Raw);
        (got.Frames[1].Timestamp - got.Frames[0].Timestamp).TotalMilliseconds.ShouldBe(200, 0.001);
    }

    [Fact]
    public void Bytes_with_no_network_header_anywhere_fall_back_to_ethernet()
    {
        var got = HexCapture.Read("ffffffffffff 020000000001 88cc 0000");
        got.LinkTypeSource.ShouldBe("default");
        got.Frames.ShouldHaveSingleItem().LinkType.ShouldBe(LinkType.Ethernet);
    }
}
