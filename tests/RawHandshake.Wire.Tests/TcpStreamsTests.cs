using System.Globalization;
using RawHandshake.Wire.Building;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Dissection;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Tests.Support;

namespace RawHandshake.Wire.Tests;

/// <summary>
/// Follow TCP Stream equals tshark's (<c>-z follow,tcp,ascii|hex,N</c>), byte for byte, and the stream table counts as
/// tshark's <c>-z conv,tcp</c> does: over IPv4, IPv6 (brackets around an address a port follows), both in one capture,
/// and a conversation whose segments came in IPv6 fragments.
/// </summary>
public sealed class TcpStreamsTests
{
    /// <summary>echo-session (IPv4) and live-ipv6 (real Linux over IPv6) in one file, one after the other.</summary>
    private const string Mixed = "mixed";

    /// <summary>corpus/ipv6-tcp.pcap with every data segment sent as IPv6 fragments.</summary>
    private const string Fragmented = "fragmented";

    public static TheoryData<string, int, bool> Streams() => new()
    {
        { "echo-session.pcap", 0, false }, { "echo-session.pcap", 0, true }, { "http-get.pcap", 0, false }, { "http-get.pcap", 0, true },
        { "vlan.pcap", 0, false }, { "echo-session-sll2.pcap", 0, true },
        { "corpus/tcp-follow.pcap", 0, false }, { "corpus/tcp-follow.pcap", 0, true }, { "corpus/tcp-follow.pcap", 1, false },
        { "corpus/live-ipv6.pcap", 0, false }, { "corpus/live-ipv6.pcap", 0, true }, { "corpus/ipv6-tcp.pcap", 0, false },
        { "corpus/ipv6-tcp.pcap", 0, true }, { Mixed, 0, false }, { Mixed, 1, true }, { Fragmented, 0, false },
    };

    public static TheoryData<string> Captures() =>
        ["echo-session.pcap", "http-get.pcap", "corpus/tcp-follow.pcap", "corpus/live-ipv6.pcap", "corpus/ipv6-tcp.pcap", Mixed, Fragmented];

    private static IReadOnlyList<CapturedFrame> Frames(string capture) => capture switch
    {
        Mixed => [.. Fixtures.Read("echo-session.pcap"), .. Fixtures.Read("corpus/live-ipv6.pcap")],
        Fragmented => [.. Fixtures.Read("corpus/ipv6-tcp.pcap").SelectMany(f => f.Data.Length > 74
            ? FragmentPieces.TrySplit(f.Data, f.LinkType, 8, 0x77, out var e).ShouldNotBeNull(e).Select(d => f with { Data = d, OriginalLength = d.Length })
            : [f])],
        _ => Fixtures.Read(capture),
    };

    /// <summary>The capture on disk for tshark (a fixture, or the frames written to a temporary file).</summary>
    private static string PathOf(string capture, DirectoryInfo dir)
    {
        if (capture is not (Mixed or Fragmented))
        {
            return Fixtures.PathOf(capture);
        }

        var path = Path.Combine(dir.FullName, capture + ".pcap");
        using var w = CaptureFilesOnDisk.Create(path);
        foreach (var f in Frames(capture))
        {
            w.Write(f.Timestamp, f.Data);
        }

        return path;
    }

    private static TcpStreams Read(string capture)
    {
        var analysis = new CaptureAnalysis();
        var streams = new TcpStreams();
        foreach (var f in Frames(capture))
        {
            streams.Add(analysis.Next(f.Data, f.LinkType, f.Timestamp), f.Data, f.Timestamp);
        }

        return streams;
    }

    private static void WithFile(string capture, Action<string> test)
    {
        var dir = Directory.CreateTempSubdirectory("rawhandshake-streams-");
        try
        {
            test(PathOf(capture, dir));
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [MemberData(nameof(Streams))]
    public void Follow_equals_tsharks(string capture, int stream, bool hex) =>
        WithFile(capture, path => TcpStreams.Follow(Read(capture).All[stream], hex).ShouldBe(TransportTshark.Follow(path, stream, hex)));

    /// <summary>
    /// tshark's rows (<c>A &lt;-&gt; B  frames bytes (to A)  frames bytes (from A)  total  start  duration</c>, IPv6
    /// without brackets) against our streams: the same conversations in the same order, counted alike.
    /// </summary>
    [Theory]
    [MemberData(nameof(Captures))]
    public void Conversations_count_as_tsharks(string capture) => WithFile(capture, path =>
    {
        var ours = Read(capture).All;
        var first = Frames(capture)[0].Timestamp;
        var rows = TransportTshark.Conversations(path);
        rows.Length.ShouldBe(ours.Count, string.Join('\n', rows));
        for (var i = 0; i < rows.Length; i++)
        {
            var c = rows[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            var s = ours[i];
            string Plain(IpEndpoint e) => $"{e.Address}:{e.Port}";
            var expected = $"{c[0]} {c[2]} in {c[3]}/{c[4]} out {c[6]}/{c[7]} start {c[12]} duration {c[13]}";
            var actual = string.Create(CultureInfo.InvariantCulture,
                $"{Plain(s.A)} {Plain(s.B)} in {s.Frames[1]}/{s.Bytes[1]} out {s.Frames[0]}/{s.Bytes[0]} start {(s.Start - first).TotalSeconds:F9} duration {(s.End - s.Start).TotalSeconds:F4}");
            actual.ShouldBe(expected, rows[i]);
        }
    });

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
        var v6 = Read("corpus/live-ipv6.pcap").All[0];
        TcpStreams.ConversationLine(v6, v6.Start).ShouldStartWith("  0  [2001:db8:6::1]:40652 ↔ [2001:db8:6::2]:7001  frames 10 (6 →, 4 ←)");
    }

    [Fact]
    public void Streams_are_found_by_their_ends_in_either_order_and_family()
    {
        var s = Read(Mixed);
        s.All.Count.ShouldBe(3);
        IpEndpoint.TryParse("[2001:db8:6::2]:7001", out var server).ShouldBeTrue();
        IpEndpoint.TryParse("[2001:db8:6::1]:40652", out var client).ShouldBeTrue();
        s.Find(server, client).ShouldBeSameAs(s.All[1]);
        s.Find(client, server).ShouldBeSameAs(s.All[1]);
        IpEndpoint.TryParse("198.18.2.10:20000", out var v4).ShouldBeTrue();
        s.Find(v4, client).ShouldBeNull();
    }

    [Theory]
    [InlineData("198.18.0.1:80", null)]
    [InlineData("[2001:db8::1]:80", null)]
    [InlineData("198.18.0.1", "should be ADDRESS:PORT, e.g. 198.18.2.10:20000 or [2001:db8::10]:20000")]
    [InlineData("198.18.0.1:65536", "has port '65536', not a number from 0 to 65535")]
    [InlineData("2001:db8::1:80", "is IPv6 without brackets: write [ADDRESS]:PORT, e.g. [2001:db8::10]:20000")]
    [InlineData("[2001:db8::1]", "should be ADDRESS:PORT, e.g. 198.18.2.10:20000 or [2001:db8::10]:20000")]
    [InlineData("[2001:db8::g]:80", "has '2001:db8::g', not an IPv4 or IPv6 address")]
    public void Endpoints_parse_as_address_and_port(string text, string? error)
    {
        IpEndpoint.TryParse(text, out var e, out var why).ShouldBe(error is null);
        why.ShouldBe(error);
        if (error is null)
        {
            e.ToString().ShouldBe(text);
        }
    }
}
