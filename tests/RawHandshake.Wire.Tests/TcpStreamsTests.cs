using RawHandshake.Wire.Dissection;
using RawHandshake.Wire.Tests.Support;

namespace RawHandshake.Wire.Tests;

/// <summary>Follow TCP Stream equals tshark's (<c>-z follow,tcp,ascii|hex,N</c>), byte for byte, and the stream table counts.</summary>
public sealed class TcpStreamsTests
{
    public static TheoryData<string, int, bool> Streams() => new()
    {
        { "echo-session.pcap", 0, false }, { "echo-session.pcap", 0, true }, { "http-get.pcap", 0, false }, { "http-get.pcap", 0, true },
        { "vlan.pcap", 0, false }, { "echo-session-sll2.pcap", 0, true },
        { "corpus/tcp-follow.pcap", 0, false }, { "corpus/tcp-follow.pcap", 0, true }, { "corpus/tcp-follow.pcap", 1, false },
    };

    private static TcpStreams Read(string capture)
    {
        var analysis = new CaptureAnalysis();
        var streams = new TcpStreams();
        foreach (var f in Fixtures.Read(capture))
        {
            streams.Add(analysis.Next(f.Data, f.LinkType, f.Timestamp), f.Data, f.Timestamp);
        }

        return streams;
    }

    [Theory]
    [MemberData(nameof(Streams))]
    public void Follow_equals_tsharks(string capture, int stream, bool hex)
    {
        var ours = TcpStreams.Follow(Read(capture).All[stream], hex);
        ours.ShouldBe(TransportTshark.Follow(Fixtures.PathOf(capture), stream, hex));
    }

    [Fact]
    public void Out_of_order_and_retransmitted_data_is_followed_once_in_sequence_order()
    {
        var s = Read("corpus/tcp-follow.pcap");
        s.All.Count.ShouldBe(2, "a SYN with a new ISN on the same ports starts stream 1");
        var client = string.Concat(s.All[0].Payload.Where(p => p.FromA).Select(p => System.Text.Encoding.ASCII.GetString(p.Data)));
        client.ShouldBe("AAAABBBBCCCCDD\r\n");
        s.All[0].Tags.ShouldContainKeyAndValue("TCP Retransmission", 1);
        s.All[0].Tags.ShouldContainKeyAndValue("TCP Dup ACK", 1);
    }

    [Fact]
    public void Conversation_line_counts_frames_and_bytes_each_way()
    {
        var s = Read("http-get.pcap").All.ShouldHaveSingleItem();
        var line = TcpStreams.ConversationLine(s, s.Start);
        line.ShouldBe("  0  198.18.0.1:54250 ↔ 198.18.2.10:80  frames 12 (6 →, 6 ←)  bytes 1077 (441 →, 636 ←)  start 0.000000  duration 0.002934  analysis: none");
    }

    [Fact]
    public void Endpoints_parse_as_address_and_port()
    {
        TcpEndpoint.TryParse("198.18.0.1:80", out var e).ShouldBeTrue();
        e.ToString().ShouldBe("198.18.0.1:80");
        TcpEndpoint.TryParse("198.18.0.1", out _).ShouldBeFalse();
        TcpEndpoint.TryParse("198.18.0.1:65536", out _).ShouldBeFalse();
    }
}
