using System.Text;
using RawHandshake.Engine.Tests.Infra;
using RawHandshake.Engine.Trace;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Tests;

/// <summary>
/// Our Wireshark-style analysis tags against tshark's for the same frames (tshark 4.0 reads them from a pcap written by
/// our PcapWriter). Only tags in the analyzer's documented vocabulary are compared; tshark's others (Window Full,
/// ZeroWindowProbeAck, …) are dropped.
/// </summary>
public sealed partial class TcpAnalyzerTests
{
    private static readonly string[] Vocabulary =
    [
        "TCP Retransmission", "TCP Out-Of-Order", "TCP Dup ACK", "TCP Window Update", "TCP ZeroWindow", "TCP ZeroWindowProbe",
        "TCP Keep-Alive", "TCP Keep-Alive ACK", "TCP Previous segment not captured", "TCP ACKed unseen segment",
    ];

    /// <summary>A conversation C (10.0.0.1, a port per scenario) ↔ S (10.0.0.2:44444), numbers relative to each side's ISN.</summary>
    private sealed class Script
    {
        private static int count;
        private readonly int index = count++;
        private const uint CIsn = 1_000_000;
        private const uint SIsn = 7_000_000;
        private static readonly MacAddress CMac = Lan.ClientMac;
        private static readonly MacAddress SMac = Lan.ServerMac;

        public List<(DateTimeOffset Time, byte[] Frame)> Frames { get; } = [];

        /// <summary>Each scenario has its own client port and its own 100 s of time, so all of them fit in one capture.</summary>
        public ushort Port => (ushort)(30000 + index);

        public Script Handshake(ushort cWin = 64240, ushort sWin = 65160)
        {
            var mss = Infra.Frames.Options(w => w.Mss(1460));
            Add(0, Infra.Frames.Tcp(CMac, SMac, Lan.ClientIp, Lan.ServerIp, Port, 44444, TcpFlags.Syn, CIsn, 0, cWin, mss));
            Add(10, Infra.Frames.Tcp(SMac, CMac, Lan.ServerIp, Lan.ClientIp, 44444, Port, TcpFlags.Syn | TcpFlags.Ack, SIsn, CIsn + 1, sWin, mss));
            return C(20, TcpFlags.Ack, 1, 1, 0, cWin);
        }

        public Script C(double ms, TcpFlags flags, uint seq, uint ack, int len = 0, ushort win = 64240) =>
            Add(ms, Infra.Frames.Tcp(CMac, SMac, Lan.ClientIp, Lan.ServerIp, Port, 44444, flags, CIsn + seq, SIsn + ack, win, default, Payload(len)));

        public Script S(double ms, TcpFlags flags, uint seq, uint ack, int len = 0, ushort win = 65160) =>
            Add(ms, Infra.Frames.Tcp(SMac, CMac, Lan.ServerIp, Lan.ClientIp, 44444, Port, flags, SIsn + seq, CIsn + ack, win, default, Payload(len)));

        public Script Add(double ms, byte[] frame)
        {
            Frames.Add((Lan.Epoch + TimeSpan.FromSeconds(100 * index) + TimeSpan.FromMilliseconds(ms), frame));
            return this;
        }

        private static byte[] Payload(int len) => Enumerable.Range(0, len).Select(i => (byte)('a' + (i % 26))).ToArray();
    }

    private const TcpFlags A = TcpFlags.Ack;
    private const TcpFlags PA = TcpFlags.Psh | TcpFlags.Ack;

    public static TheoryData<string> Scenarios => new(ScenarioTable.Keys);

    private static readonly Dictionary<string, (Script Script, int Frame, string Tag)> ScenarioTable = new()
    {
        // name → frames, and the frame (1-based) where tshark must show the tag the scenario is about.
        ["retransmission"] = (new Script().Handshake().C(100, PA, 1, 1, 10).C(400, PA, 1, 1, 10).S(410, A, 1, 11), 5, "TCP Retransmission"),
        ["syn retransmission"] = (new Script().C(0, TcpFlags.Syn, 0, 0).C(1000, TcpFlags.Syn, 0, 0), 2, "TCP Retransmission"),
        ["gap then fill"] = (new Script().Handshake().C(100, PA, 1, 1, 10).C(101, PA, 21, 1, 10).C(102, PA, 11, 1, 10).S(110, A, 1, 31), 6, "TCP Out-Of-Order"),
        ["previous segment not captured"] = (new Script().Handshake().C(100, PA, 1, 1, 10).C(101, PA, 21, 1, 10), 5, "TCP Previous segment not captured"),
        ["dup ack numbering"] = (new Script().Handshake().S(100, PA, 1, 1, 100).C(110, A, 1, 101).S(120, PA, 201, 1, 100).C(121, A, 1, 101).S(130, PA, 301, 1, 100).C(131, A, 1, 101), 7, "TCP Dup ACK 5#1"),
        ["window update"] = (new Script().Handshake().C(100, PA, 1, 1, 10).S(110, A, 1, 11, 0, 1000).S(200, A, 1, 11, 0, 2000), 6, "TCP Window Update"),
        ["zero window"] = (new Script().Handshake().C(100, PA, 1, 1, 10).S(110, A, 1, 11, 0, 0), 5, "TCP ZeroWindow"),
        ["window shrinks to zero"] = (new Script().Handshake().C(100, PA, 1, 1, 10).S(110, A, 1, 11, 0, 1000).S(120, A, 1, 11, 0, 0), 6, "TCP ZeroWindow"),
        ["zero-window probe"] = (new Script().Handshake().C(100, PA, 1, 1, 10).S(110, A, 1, 11, 0, 0).C(400, PA, 11, 1, 1), 6, "TCP ZeroWindowProbe"),
        ["one byte below into a zero window"] = (new Script().Handshake().C(100, PA, 1, 1, 10).S(110, A, 1, 11, 0, 0).C(400, PA, 10, 1, 1), 6, "TCP Keep-Alive"),
        ["linux zero-window probe"] = (new Script().Handshake().C(100, PA, 1, 1, 10).S(110, A, 1, 11, 0, 0).C(400, A, 10, 1), 6, "TCP Keep-Alive"),
        ["keep-alive"] = (new Script().Handshake().C(100, PA, 1, 1, 10).S(110, A, 1, 11).C(5000, A, 10, 1).C(10000, A, 10, 1, 1), 6, "TCP Keep-Alive"),
        ["retransmission of acknowledged data"] = (new Script().Handshake().C(100, PA, 1, 1, 10).S(110, A, 1, 11).C(400, PA, 1, 1, 10), 6, "TCP Retransmission"),
        ["late gap fill"] = (new Script().Handshake().C(100, PA, 1, 1, 10).C(101, PA, 21, 1, 10).C(600, PA, 11, 1, 10), 6, "TCP Retransmission"),
        ["acked unseen segment"] = (new Script().Handshake().C(100, PA, 1, 1, 10).S(110, A, 1, 21), 5, "TCP ACKed unseen segment"),
        ["acked unseen segment, acked again"] = (new Script().Handshake().C(100, PA, 1, 1, 10).S(110, A, 1, 21).S(120, A, 1, 21).C(130, PA, 21, 1, 10), 5, "TCP ACKed unseen segment"),
        ["FIN retransmission"] = (new Script().Handshake().C(100, TcpFlags.Fin | A, 1, 1).C(400, TcpFlags.Fin | A, 1, 1), 5, "TCP Retransmission"),
        ["RST after data"] = (new Script().Handshake().C(100, PA, 1, 1, 10).S(110, TcpFlags.Rst | A, 1, 11).C(120, TcpFlags.Rst, 11, 0), 4, ""),
        ["pure ack after a lost segment"] = (new Script().Handshake().C(100, PA, 1, 1, 10).C(200, A, 21, 1), 5, "TCP Previous segment not captured"),
        ["dup ack count goes on across a window update"] = (new Script().Handshake().S(100, PA, 1, 1, 100).C(110, A, 1, 101, 0, 500).S(120, PA, 201, 1, 100).C(121, A, 1, 101, 0, 500)
                                                            .C(122, A, 1, 101, 0, 600).S(130, PA, 301, 1, 100).C(131, A, 1, 101, 0, 600), 10, "TCP Dup ACK 5#2"),
        ["dup ack count goes on across data with the same ack"] = (new Script().Handshake().S(100, PA, 1, 1, 100).C(110, A, 1, 101).S(120, PA, 201, 1, 100).C(121, A, 1, 101)
                                                            .C(122, PA, 1, 101, 5).S(130, PA, 301, 1, 100).C(131, A, 6, 101), 10, "TCP Dup ACK 5#2"),
        ["reply to a keep-alive"] = (new Script().Handshake().C(100, PA, 1, 1, 10).S(110, A, 1, 11).C(5000, A, 10, 1).S(5010, A, 1, 11).S(5020, A, 1, 11), 6, "TCP Keep-Alive"),
    };

    private static List<string> Ours(Script s)
    {
        var analyzer = new TcpAnalyzer();
        var result = new List<string>();
        for (var i = 0; i < s.Frames.Count; i++)
        {
            var parsed = FrameParser.Parse(s.Frames[i].Frame);
            result.Add(string.Join(", ", analyzer.Analyze(parsed, i + 1, s.Frames[i].Time)));
        }

        return result;
    }

    /// <summary>tshark runs once, over every scenario in one capture; Dup ACK frame numbers are made scenario-relative.</summary>
    private static readonly Lazy<Dictionary<Script, IReadOnlyList<string>>> TsharkInfo = new(() =>
    {
        var scripts = ScenarioTable.Values.Select(v => v.Script).ToList();
        var info = Tshark.Info(scripts.SelectMany(s => s.Frames).ToList());
        info.Count.ShouldBe(scripts.Sum(s => s.Frames.Count));
        var result = new Dictionary<Script, IReadOnlyList<string>>();
        var at = 0;
        foreach (var s in scripts)
        {
            var first = at;
            result[s] = info.Skip(at).Take(s.Frames.Count).Select(i => DupAckFrame().Replace(i, m => $"TCP Dup ACK {int.Parse(m.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) - first}#")).ToList();
            at += s.Frames.Count;
        }

        return result;
    });

    [System.Text.RegularExpressions.GeneratedRegex(@"TCP Dup ACK (\d+)#")]
    private static partial System.Text.RegularExpressions.Regex DupAckFrame();

    private static (List<string> Tags, IReadOnlyList<string> Info) Theirs(Script s)
    {
        var info = TsharkInfo.Value[s];
        return (info.Select(i => string.Join(", ", Tshark.Tags(i).Select(Coarse).Where(t => Vocabulary.Any(v => t == v || (v == "TCP Dup ACK" && t.StartsWith("TCP Dup ACK ", StringComparison.Ordinal)))))).ToList(), info);
    }

    [Theory]
    [MemberData(nameof(Scenarios))]
    public void Tags_match_tshark(string scenario)
    {
        var (script, frame, tag) = ScenarioTable[scenario];

        var (theirs, info) = Theirs(script);
        var ours = Ours(script);

        theirs.Count.ShouldBe(script.Frames.Count);
        if (tag.Length > 0)
        {
            Tshark.Tags(info[frame - 1]).Select(Coarse).ShouldContain(tag, $"the scenario does not show what it is about in tshark: {string.Join(" | ", theirs)}");
        }

        var table = new StringBuilder();
        for (var i = 0; i < ours.Count; i++)
        {
            table.Append(i + 1).Append(": ours [").Append(ours[i]).Append("] tshark [").Append(theirs[i]).Append("]   (tshark: ").Append(info[i]).Append(")\n");
        }

        ours.Select(Sorted).ShouldBe(theirs.Select(Sorted), $"per frame:\n{table}");
    }

    /// <summary>Our vocabulary has no fast or spurious retransmissions: both are retransmissions to us.</summary>
    private static string Coarse(string tag) => tag is "TCP Fast Retransmission" or "TCP Spurious Retransmission" ? "TCP Retransmission" : tag;

    private static string Sorted(string tags) => string.Join(", ", tags.Split(", ", StringSplitOptions.RemoveEmptyEntries).Order(StringComparer.Ordinal));

    [Fact]
    public void Hand_checked_tags_for_the_basic_cases()
    {
        Ours(ScenarioTable["retransmission"].Script)[4].ShouldBe("TCP Retransmission");
        Ours(ScenarioTable["gap then fill"].Script).Skip(3).Take(3).ShouldBe(["", "TCP Previous segment not captured", "TCP Out-Of-Order"]);
        Ours(ScenarioTable["dup ack numbering"].Script).Skip(3).ShouldBe(["", "", "TCP Previous segment not captured", "TCP Dup ACK 5#1", "", "TCP Dup ACK 5#2"]);
        Ours(ScenarioTable["window update"].Script)[5].ShouldBe("TCP Window Update");
        Ours(ScenarioTable["zero window"].Script)[4].ShouldBe("TCP ZeroWindow");
        Ours(ScenarioTable["keep-alive"].Script).Skip(5).ShouldBe(["TCP Keep-Alive", "TCP Keep-Alive"]);
        Ours(ScenarioTable["acked unseen segment"].Script)[4].ShouldBe("TCP ACKed unseen segment");
    }

    /// <summary>The tags the engine put in its own trace for a whole session, against tshark's for the same frames.</summary>
    private static void EngineTagsMatchTshark(ServerBehavior behavior, byte[][] items, CloseMode mode, params string[] mustShow)
    {
        using var bench = new TestBed(behavior);
        bench.AddFlow(new Engine.HandshakeDriver(items, false, mode));
        bench.Engine.Run(TimeSpan.FromSeconds(30)).ShouldBe(Engine.RunEnd.Completed);
        var packets = bench.Events<PacketTraced>();

        var info = Tshark.Info(packets.Select(p => (p.Wall, p.Frame)).ToList());

        var ours = packets.Select(p => string.Join(", ", p.Tags)).ToList();
        var theirs = info.Select(i => string.Join(", ", Tshark.Tags(i).Select(Coarse).Where(t => Vocabulary.Any(v => t == v || (v == "TCP Dup ACK" && t.StartsWith("TCP Dup ACK ", StringComparison.Ordinal)))))).ToList();
        var table = new StringBuilder();
        for (var i = 0; i < ours.Count; i++)
        {
            table.Append(i + 1).Append(": ours [").Append(ours[i]).Append("] tshark [").Append(theirs[i]).Append("]   (tshark: ").Append(info[i]).Append(")\n");
        }

        foreach (var tag in mustShow)
        {
            ours.ShouldContain(o => o.Contains(tag, StringComparison.Ordinal), $"the session should show {tag}:\n{table}");
        }

        ours.Select(Sorted).ShouldBe(theirs.Select(Sorted), $"per frame:\n{table}");
    }

    [Fact]
    public void Engine_trace_tags_match_tshark_for_a_session_with_a_lost_segment()
    {
        EngineTagsMatchTshark(
            new ServerBehavior { LoseDataSegments = [1] },
            [Encoding.ASCII.GetBytes("hello"), Encoding.ASCII.GetBytes("world")],
            Engine.CloseMode.Active,
            "TCP Retransmission");
    }

    [Fact]
    public void Engine_trace_tags_match_tshark_for_a_zero_window_session()
    {
        // The server closes its window after "hello"; our session probes (Linux style, one byte below) until it opens.
        EngineTagsMatchTshark(
            new ServerBehavior { ZeroWindowProbes = 2, Echo = false },
            [Encoding.ASCII.GetBytes("hello"), Encoding.ASCII.GetBytes("world")],
            Engine.CloseMode.Active,
            "TCP ZeroWindow", "TCP Keep-Alive", "TCP Window Update");
    }
}
