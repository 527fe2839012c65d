using System.Diagnostics;
using System.Text;
using System.Text.Json;
using RawHandshake.Wire.Building;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Dissection;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Wire.Tests;

/// <summary>IPv4 options decoded as tshark decodes them (field tree, judged by tshark itself), in the JSON, and named on trace lines.</summary>
public class IPv4OptionsTests
{
    private static byte[] Syn(string optionsHex, byte ttl = 64)
    {
        var buffer = new byte[FrameBuilder.MaxFrameLength];
        var ip = new IPv4Header
        {
            Source = IPv4Address.Parse("198.18.0.1"),
            Destination = IPv4Address.Parse("198.18.2.10"),
            Ttl = ttl,
            Id = 1,
            Options = Convert.FromHexString(optionsHex),
        };
        var tcp = new TcpHeader(40000, 20000, new SeqNum(0), new SeqNum(0), TcpFlags.Syn, 64240);
        var n = FrameBuilder.BuildTcp(buffer, new EthernetHeader(MacAddress.Broadcast, MacAddress.Parse("02:00:00:00:00:01")), ip, tcp, default, default);
        return buffer[..n];
    }

    // Record Route (empty, partly recorded, full), Time Stamp (flags 0, 1, 3, an entry past the end), Router Alert,
    // NOPs, Loose and Strict Source Route (pointer at the start, in the middle, at the end), Security (both forms),
    // unknown types, and a length that runs past the options.
    private static readonly string[] Cases =
    [
        "0707040000000000", "070f08c6120001c6120002000000009404000001", "070b0cc6120001c612000200",
        "440c0501c612000100000000", "4408050000000000", "44140d03c612000100000001c612000200000000", "441005f1000000010000000200000000",
        "94040000", "01010000", "830b04c6120001c6120002", "830b08c6120001c6120002", "830b0cc6120001c6120002", "890704c6120001",
        "820b00000000000000000000", "82030000", "9e0412340000", "8a0400050000", "07090000",
    ];

    public static TheoryData<string> Options() => [.. Cases];

    private static readonly Lazy<string[]> TsharkFrames = new(() =>
    {
        // One pcap of every case and one tshark run (tshark takes a second to start); split at each "Frame N:" line.
        var path = Path.Combine(Path.GetTempPath(), $"rh-ipopt-{Guid.NewGuid():N}.pcap");
        try
        {
            using (var w = new PcapWriter(File.Create(path)))
            {
                foreach (var hex in Cases)
                {
                    w.Write(DateTimeOffset.UnixEpoch, Syn(hex));
                }
            }

            var text = Tshark("-n", "-r", path, "-V", "-O", "ip");
            return text.Split("\nFrame ").ToArray();
        }
        finally
        {
            File.Delete(path);
        }
    });

    [Theory]
    [MemberData(nameof(Options))]
    public void TheOptionsTreeIsTsharks(string optionsHex)
    {
        var index = Array.IndexOf(Cases, optionsHex);
        var tshark = OptionsBlock(TsharkFrames.Value[index].Split('\n'), l => l.StartsWith("    Options: (", StringComparison.Ordinal))
            .Where(l => !l.TrimStart().StartsWith('[')) // tshark's expert-info lines under a warning
            .Select(l => l.Trim()).ToList();
        var frame = Syn(optionsHex);
        var parsed = FrameParser.Parse(frame);
        var ours = new List<string>();
        var ip = Dissector.Dissect(frame, parsed).Single(l => l.Key == "ip").Root.Children.Single(c => c.Text.StartsWith("Options: (", StringComparison.Ordinal));
        Flatten(ip, ours);
        ours.Select(l => l.Trim()).ShouldBe(tshark);
    }

    [Fact]
    public void TheJsonListsEachOptionDecoded()
    {
        var frame = Syn("070f08c6120001c6120002000000009404000001");
        var json = Json(frame);
        json.GetProperty("ip_options").GetString().ShouldBe("070f08c6120001c6120002000000009404000001");
        json.GetProperty("ip_options_list").GetRawText().ShouldBe(
            """[{"type":7,"name":"RR","length":15,"pointer":8,"recorded":1,"addresses":["198.18.0.1","198.18.0.2","0.0.0.0"]},{"type":148,"name":"RA","length":4,"value":0},{"type":1,"name":"NOP","length":1}]""");
        var ts = Json(Syn("440c0501c612000100000007")).GetProperty("ip_options_list")[0];
        ts.GetRawText().ShouldBe("""{"type":68,"name":"TS","length":12,"pointer":5,"overflow":0,"flag":1,"entries":[{"address":"198.18.0.1","stamp":7}]}""");
        Json(Syn("07090000")).GetProperty("ip_options_list")[0].GetProperty("malformed").GetBoolean().ShouldBeTrue();
    }

    [Fact]
    public void ATraceLineNamesTheUnusualFields()
    {
        var frame = Syn("0707040000000000", ttl: 1);
        frame[^4] = 0xde; // the TCP checksum
        frame[^3] = 0xad;
        var parsed = FrameParser.Parse(frame);
        var suffix = UnusualFields.Suffix(frame, parsed);
        suffix.ShouldStartWith(" TTL=1 [IP options: RR] [bad TCP checksum 0xdead, should be 0x");
        UnusualFields.Suffix(Syn(""), FrameParser.Parse(Syn(""))).ShouldBe("");
        var bad = Syn("");
        bad[24] ^= 0xff; // the IP checksum
        UnusualFields.Of(bad, FrameParser.Parse(bad)).Single().Text.ShouldMatch(@"^\[bad IP checksum 0x[0-9a-f]{4}, should be 0x[0-9a-f]{4}\]$");
    }

    [Fact]
    public void OddDataOffsetsAndReservedBitsAreNamed()
    {
        var frame = Syn("");
        var t = 14 + 20;
        frame[t + 12] = 0x5e; // data offset 5, reserved bits 111
        UnusualFields.Suffix(frame, FrameParser.Parse(frame)).ShouldContain("[reserved bits 0x7]");
        frame[t + 12] = 0x40; // data offset 4
        UnusualFields.Suffix(frame, FrameParser.Parse(frame)).ShouldContain("[data offset 4 (16 bytes), less than the 20-byte header]");
    }

    private static JsonElement Json(byte[] frame)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            FrameJson.WriteFields(w, FrameParser.Parse(frame), frame);
            w.WriteEndObject();
        }

        return JsonDocument.Parse(Encoding.UTF8.GetString(ms.ToArray())).RootElement;
    }

    private static void Flatten(DissectionNode n, List<string> into)
    {
        into.Add(n.Text);
        foreach (var c in n.Children)
        {
            Flatten(c, into);
        }
    }

    /// <summary>The lines from the one that starts the block to the first line indented no deeper than it.</summary>
    private static List<string> OptionsBlock(string[] lines, Func<string, bool> start)
    {
        var i = Array.FindIndex(lines, l => start(l));
        i.ShouldBeGreaterThanOrEqualTo(0, "tshark shows no IP options");
        var block = new List<string> { lines[i] };
        for (var j = i + 1; j < lines.Length && lines[j].StartsWith("     ", StringComparison.Ordinal); j++)
        {
            block.Add(lines[j]);
        }

        return block;
    }

    private static string Tshark(params string[] args)
    {
        var psi = new ProcessStartInfo("tshark") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException("tshark not installed");
        var stdout = p.StandardOutput.ReadToEndAsync();
        _ = p.StandardError.ReadToEndAsync();
        p.WaitForExit(60_000).ShouldBeTrue("tshark took too long");
        return stdout.Result;
    }
}
