using System.Diagnostics;
using System.Text;
using System.Xml;
using System.Xml.Linq;
using RawHandshake.Engine.Tests.Infra;
using RawHandshake.Engine.Trace;
using RawHandshake.Wire.Capture;

namespace RawHandshake.Engine.Tests;

/// <summary>
/// <c>--ladder-svg</c> and <c>--report</c> over a whole session against the scripted server (one data segment lost,
/// so a retransmission): one arrow per frame, well-formed XML, every part of the page, and the page in a real browser.
/// </summary>
public sealed class PictureTests
{
    private static List<TraceEvent> LossySession()
    {
        using var bench = new TestBed(new ServerBehavior { LoseDataSegments = [1] });
        bench.AddFlow(new HandshakeDriver([Encoding.ASCII.GetBytes("hello"), Encoding.ASCII.GetBytes("world")], false, CloseMode.Active));
        bench.Engine.Run(TimeSpan.FromSeconds(30)).ShouldBe(RunEnd.Completed);
        return bench.Trace.Events;
    }

    private static XDocument Xml(string text) =>
        XDocument.Load(XmlReader.Create(new StringReader(text), new XmlReaderSettings { DtdProcessing = DtdProcessing.Ignore }));

    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    [Fact]
    public void The_svg_ladder_has_one_arrow_per_frame_in_order_and_both_sides_states_at_the_margins()
    {
        var events = LossySession();
        var frames = events.OfType<PacketTraced>().ToList();
        frames.Count.ShouldBeGreaterThan(8);

        var svg = Xml(SvgLadderRenderer.Render(events));

        var arrows = svg.Descendants(Svg + "line").Where(l => (string?)l.Attribute("class") == "arrow").ToList();
        arrows.Select(a => (int)a.Attribute("data-frame")!).ShouldBe(frames.Select(f => f.Number));
        // Ours go right, the server's left.
        for (var i = 0; i < frames.Count; i++)
        {
            var rightward = (double)arrows[i].Attribute("x2")! > (double)arrows[i].Attribute("x1")!;
            rightward.ShouldBe(frames[i].Dir != Direction.In, $"frame {frames[i].Number}");
        }

        var states = svg.Descendants(Svg + "text").Where(t => (string?)t.Attribute("class") == "state").Select(t => t.Value).ToList();
        states.ShouldContain("SYN-SENT");
        states.ShouldContain("ESTABLISHED");
        states.ShouldContain("SYN-RECEIVED");
        states.ShouldContain("TIME-WAIT");
        states[0].ShouldBe("CLOSED");
        states[1].ShouldBe("LISTEN");

        // The retransmission is red and labelled as Wireshark labels it.
        var retransmitted = frames.Single(f => f.Tags.Contains("TCP Retransmission"));
        var arrow = arrows.Single(a => (int)a.Attribute("data-frame")! == retransmitted.Number);
        ((string?)arrow.Attribute("stroke")).ShouldBe("#c00000");
        arrow.Parent!.Elements(Svg + "text").Last().Value.ShouldStartWith("[TCP Retransmission] 40000 → ");
    }

    [Fact]
    public void Sessions_run_one_after_the_other_each_start_from_closed_and_listen()
    {
        var first = LossySession();
        var second = LossySession();
        var events = first.Concat(second).ToList();

        LadderRows.Sessions(events).Select(s => s.Count).ShouldBe([first.Count, second.Count]);
        var svg = Xml(SvgLadderRenderer.Render(events));

        svg.Descendants(Svg + "line").Count(l => (string?)l.Attribute("class") == "arrow").ShouldBe(events.OfType<PacketTraced>().Count());
        var states = svg.Descendants(Svg + "text").Where(t => (string?)t.Attribute("class") == "state").Select(t => t.Value).ToList();
        states.Count(x => x == "LISTEN").ShouldBe(2);
        states.Count(x => x == "SYN-SENT").ShouldBe(2);
    }

    private static readonly (uint Left, uint Right)[] SackBlock = [(1005u, 1009u)];

    /// <summary>A hand-made flow: the first of two segments lost, the server SACKs the second, ours retransmits; then our kernel's RST.</summary>
    private static List<TraceEvent> SackedFlow()
    {
        var tracker = new Wire.Dissection.ConversationTracker();
        var analyzer = new Wire.Dissection.TcpAnalyzer();
        var events = new List<TraceEvent>();
        var number = 0;
        void Add(double ms, Direction dir, byte[] frame)
        {
            var parsed = Wire.Parsing.FrameParser.Parse(frame);
            var rel = tracker.Track(parsed, frame);
            var time = TimeSpan.FromMilliseconds(ms);
            var tags = analyzer.Analyze(parsed, frame, ++number, Lan.Epoch + time);
            events.Add(new PacketTraced(time, Lan.Epoch + time, number, dir, frame, parsed, rel, tags));
        }

        byte[] Ours(Wire.Protocols.TcpFlags flags, uint seq, uint ack, string data = "", ReadOnlySpan<byte> options = default) =>
            Frames.Tcp(Lan.ClientMac, Lan.ServerMac, Lan.ClientIp, Lan.ServerIp, 40000, Lan.ServerPort, flags, seq, ack, 64240, options, Encoding.ASCII.GetBytes(data));
        const Wire.Protocols.TcpFlags A = Wire.Protocols.TcpFlags.Ack;
        const Wire.Protocols.TcpFlags PA = Wire.Protocols.TcpFlags.Psh | A;
        Add(0, Direction.Out, Ours(Wire.Protocols.TcpFlags.Syn, 1000, 0, options: Frames.Options(w => w.Mss(1460).SackPermitted())));
        Add(1, Direction.In, Frames.FromServer(40000, Wire.Protocols.TcpFlags.Syn | A, 5000, 1001, options: Frames.Options(w => w.Mss(1400).SackPermitted())));
        Add(1, Direction.Out, Ours(A, 1001, 5001));
        Add(2, Direction.Out, Ours(PA, 1001, 5001, "aaaa"));
        Add(2, Direction.Out, Ours(PA, 1005, 5001, "bbbb"));
        Add(3, Direction.In, Frames.FromServer(40000, A, 5001, 1001, options: Frames.Options(w => w.Nop().Nop().Sack(SackBlock))));
        Add(200, Direction.Out, Ours(PA, 1001, 5001, "aaaa"));
        Add(201, Direction.In, Frames.FromServer(40000, A, 5001, 1009));
        Add(202, Direction.Kernel, Frames.FromClient(40000, Wire.Protocols.TcpFlags.Rst, 1009, 0));
        return events;
    }

    [Fact]
    public void The_graph_marks_the_retransmission_and_the_sack_block_and_the_ladder_dashes_our_kernels_frame()
    {
        var events = SackedFlow();
        var graphs = TimeSequenceGraph.Render(events).Select(g => Xml(g).Root!).ToList();
        graphs.Count.ShouldBe(2);

        var ours = graphs[0];
        var tags = string.Join(" | ", events.OfType<PacketTraced>().Select(p => string.Join(",", p.Tags)));
        ours.Descendants(Svg + "g").Select(g => (string?)g.Attribute("class")).ShouldBe(["seg", "seg", "seg", "seg retrans"], tags);
        var sack = ours.Descendants(Svg + "line").Single(l => (string?)l.Attribute("class") == "sack");
        // The block 1005-1009 is relative 5-9: the same heights as the I-beam of the second segment ("bbbb", Seq=5).
        var second = ours.Descendants(Svg + "g").ElementAt(2).Elements(Svg + "line").First();
        ((double)sack.Attribute("y1")!).ShouldBe((double)second.Attribute("y1")!);
        ((double)sack.Attribute("y2")!).ShouldBe((double)second.Attribute("y2")!);
        graphs[1].Descendants(Svg + "line").Count(l => (string?)l.Attribute("class") == "sack").ShouldBe(0);

        var ladder = Xml(SvgLadderRenderer.Render(events));
        var arrows = ladder.Descendants(Svg + "line").Where(l => (string?)l.Attribute("class") == "arrow").ToList();
        arrows.Count.ShouldBe(9);
        arrows.Select(a => a.Attribute("stroke-dasharray") is not null).ShouldBe([false, false, false, false, false, false, false, false, true]);
        ((string?)arrows[6].Attribute("stroke")).ShouldBe("#c00000");
    }

    [Fact]
    public void The_header_figure_boxes_a_wrong_checksum_in_red_and_an_unusual_ttl_in_yellow()
    {
        var frame = Frames.Tcp(Lan.ClientMac, Lan.ServerMac, Lan.ClientIp, Lan.ServerIp, 40000, Lan.ServerPort, Wire.Protocols.TcpFlags.Syn, 1000, 0, 64240, ttl: 1);
        var parsed = Wire.Parsing.FrameParser.Parse(frame);
        frame[parsed.TransportOffset + 16] ^= 0xFF;
        var packet = new PacketTraced(TimeSpan.Zero, Lan.Epoch, 1, Direction.Out, frame, parsed, null, []);

        var html = Xml("<div>" + HeaderDiagram.Html(packet) + "</div>");

        var cells = html.Descendants("td").ToDictionary(c => c.Element("span")!.Value);
        ((string?)cells["Time to Live"].Attribute("class")).ShouldBe("odd");
        cells["Time to Live"].Elements("span").Last().Value.ShouldBe("1");
        ((string?)cells["Checksum"].Attribute("class")).ShouldBe("bad");
        cells["Checksum"].Elements("span").Last().Value.ShouldEndWith("[incorrect]");
        ((string?)cells["Header Checksum"].Attribute("class")).ShouldBeNull();
        cells["Flags"].Elements("span").Last().Value.ShouldBe("010 DF");
    }

    [Fact]
    public void The_text_ladder_and_the_svg_ladder_draw_the_same_state_changes()
    {
        var events = LossySession();
        var rows = LadderRows.Of(events, p => p.Parsed.Tcp is not null);
        var text = LadderRenderer.Render(events);
        foreach (var row in rows.Where(r => r.ClientChanged))
        {
            text.ShouldContain(Session.TcpStateNames.ToRfc(row.Client));
        }

        text.Split('\n').Count(l => l.Contains('>') || l.Contains('<')).ShouldBe(events.OfType<PacketTraced>().Count(p => p.Parsed.Tcp is not null));
    }

    [Fact]
    public void The_report_is_well_formed_and_holds_ladder_graphs_table_headers_and_the_capture()
    {
        var events = LossySession();
        var frames = events.OfType<PacketTraced>().ToList();
        var writer = new StringWriter();
        HtmlReportRenderer.Render(events, writer);
        var html = writer.ToString();

        // Nothing to fetch: the only URL is the SVG namespace, and no script.
        var bare = html.Replace("http://www.w3.org/2000/svg", "urn:svg", StringComparison.Ordinal);
        bare.ShouldNotContain("http://");
        bare.ShouldNotContain("https://");
        bare.ShouldNotContain("<script");
        var doc = Xml(bare);
        XNamespace s = "urn:svg";
        var svgs = doc.Descendants(s + "svg").ToList();
        svgs.Count(e => (string?)e.Attribute("class") == "ladder").ShouldBe(1);
        svgs.Single(e => (string?)e.Attribute("class") == "ladder").Descendants(s + "line").Count(l => (string?)l.Attribute("class") == "arrow").ShouldBe(frames.Count);

        // tcptrace: one graph per direction; our lost segment shows as a retransmission on ours, ACK and window lines on both.
        var graphs = svgs.Where(e => (string?)e.Attribute("class") == "tsg").ToList();
        graphs.Count.ShouldBe(2);
        graphs[0].Descendants(s + "g").Count(g => (string?)g.Attribute("class") == "seg retrans").ShouldBe(1);
        graphs[1].Descendants(s + "g").Count(g => (string?)g.Attribute("class") == "seg retrans").ShouldBe(0);
        foreach (var g in graphs)
        {
            g.Descendants(s + "polyline").Select(p => (string?)p.Attribute("class")).ShouldBe(["window", "ack"]);
        }

        // The trace table: a row per frame, the tag in its column.
        var rows = doc.Descendants("table").Single(t => (string?)t.Attribute("class") == "trace").Elements("tr").Skip(1).ToList();
        rows.Count.ShouldBe(frames.Count);
        rows.Count(r => r.Elements("td").ElementAt(8).Value == "TCP Retransmission").ShouldBe(1);

        // RFC 9293's figure per frame: the 32-bit ruler and the flags boxed one bit each.
        var headers = doc.Descendants("table").Where(t => (string?)t.Attribute("class") == "hdr").ToList();
        headers.Count.ShouldBe(2 * frames.Count(f => f.Parsed.Tcp is not null));
        var syn = headers[1];
        syn.Elements("tr").First().Elements("th").Count().ShouldBe(32);
        var cells = syn.Elements("tr").Skip(2).SelectMany(r => r.Elements("td")).ToList();
        cells.Sum(c => (int)c.Attribute("colspan")!).ShouldBe(32 * 5 + 32);
        cells.Single(c => c.Element("span")!.Value == "SYN").Elements("span").Last().Value.ShouldBe("1");
        cells.Single(c => c.Element("span")!.Value == "Checksum").Elements("span").Last().Value.ShouldEndWith("[correct]");

        // The pcapng, embedded: the same frames, byte for byte.
        var href = (string)doc.Descendants("a").Single(a => a.Attribute("download") is not null).Attribute("href")!;
        var bytes = Convert.FromBase64String(href[(href.IndexOf(',', StringComparison.Ordinal) + 1)..]);
        var read = CaptureFileReader.Read(new MemoryStream(bytes));
        read.Error.ShouldBeNull();
        read.Format.ShouldBe(CaptureFormat.PcapNg);
        read.Frames.Select(f => Convert.ToHexString(f.Data)).ShouldBe(frames.Select(f => Convert.ToHexString(f.Frame)));
    }

    [Fact]
    public void The_render_on_close_writer_renders_once_into_its_stream_after_the_run()
    {
        var stream = new MemoryStream();
        var sink = new RenderOnCloseWriter(stream, SvgLadderRenderer.Render);
        using (var bench = new TestBed(extraSink: sink))
        {
            bench.AddFlow(new HandshakeDriver([Encoding.ASCII.GetBytes("hi")], false, CloseMode.Active));
            bench.Engine.Run(TimeSpan.FromSeconds(30)).ShouldBe(RunEnd.Completed);
            stream.Length.ShouldBe(0);
        }

        sink.Dispose();
        sink.Dispose();
        var text = Encoding.UTF8.GetString(stream.ToArray());
        Xml(text).Root!.Name.ShouldBe(Svg + "svg");
        text.Split("class=\"arrow\"").Length.ShouldBeGreaterThan(8);
    }

    [Fact]
    public void Chromium_renders_the_report_to_a_png_with_no_console_errors()
    {
        var writer = new StringWriter();
        HtmlReportRenderer.Render(LossySession(), writer);

        var (png, console) = Chromium.Screenshot(writer.ToString(), 1200, 2000);

        console.ShouldBeEmpty();
        png.Length.ShouldBeGreaterThan(40_000, "a page of text and pictures, not a blank one");
        png[..8].ShouldBe(new byte[] { 0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A });
        System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(16)).ShouldBe(1200);
        System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(20)).ShouldBe(2000);
    }

    [Fact]
    public void The_browser_check_sees_a_console_error_when_a_page_has_one()
    {
        var (_, console) = Chromium.Screenshot("<!DOCTYPE html><html><body><p>x</p><script>console.error('boom')</script></body></html>", 300, 200);

        console.ShouldHaveSingleItem().ShouldContain("\"boom\"");
    }
}

/// <summary>Debian's chromium, headless: renders a page to a PNG and returns the console messages it logged.</summary>
internal static class Chromium
{
    public static (byte[] Png, List<string> Console) Screenshot(string html, int width, int height)
    {
        var dir = Directory.CreateTempSubdirectory("rh-report-");
        try
        {
            var page = Path.Combine(dir.FullName, "page.html");
            var png = Path.Combine(dir.FullName, "page.png");
            File.WriteAllText(page, html);
            var info = new ProcessStartInfo("chromium")
            {
                RedirectStandardError = true,
                RedirectStandardOutput = true,
                UseShellExecute = false,
            };
            foreach (var arg in new[]
            {
                "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run", "--disable-extensions",
                $"--user-data-dir={Path.Combine(dir.FullName, "profile")}", $"--screenshot={png}", $"--window-size={width},{height}",
                "--enable-logging=stderr", "--v=0", new Uri(page).AbsoluteUri,
            })
            {
                info.ArgumentList.Add(arg);
            }

            Process process;
            try
            {
                process = Process.Start(info)!;
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                throw new InvalidOperationException($"chromium is not installed (run-as-root.sh installs it): {e.Message}");
            }

            using (process)
            {
                var stderr = process.StandardError.ReadToEndAsync();
                var stdout = process.StandardOutput.ReadToEndAsync();
                if (!process.WaitForExit(60_000))
                {
                    process.Kill(entireProcessTree: true);
                    throw new TimeoutException("chromium did not finish within 60 s");
                }

                process.WaitForExit();
                var log = stderr.Result + stdout.Result;
                File.Exists(png).ShouldBeTrue($"chromium wrote no screenshot (exit {process.ExitCode}):\n{log}");
                var console = log.Split('\n').Where(l => l.Contains(":CONSOLE", StringComparison.Ordinal)).ToList();
                return (File.ReadAllBytes(png), console);
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
