using System.Text;
using System.Text.Json;
using RawHandshake.Cli.Args;
using RawHandshake.Cli.Output;
using RawHandshake.Engine.Trace;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Dissection;
using RawHandshake.Wire.Parsing;

namespace RawHandshake.Cli.Verbs;

public sealed partial class DissectOptions : ICommand
{
    public int Execute(CliContext context)
    {
        var (frames, timeKnown, warning) = Load(context);
        var count = ArgParse.Optional(Count, "-c", int.MaxValue, v => (int)v);
        var color = !Json && ColorChoice.Enabled(Color, context);
        var only = ArgParse.Optional(Frame, "--frame", int.MaxValue, v => (int)v);
        if (only is 0)
        {
            throw new UsageException("--frame: frames are numbered from 1");
        }

        using var stream = frames.GetEnumerator();
        var any = stream.MoveNext();
        using var filter = Filter is null ? null
            : Link.BpfFilter.TryCreate(Filter, any ? stream.Current.LinkType : Wire.Capture.LinkType.Ethernet, out var filterError)
                ?? throw new UsageException($"-f '{Filter}': {filterError}");
        if (Follow is not null || Conversations)
        {
            Warn();
            return Streams(context, Rest(stream, any), filter);
        }

        if (FollowHex)
        {
            throw new UsageException("--hex: only with --follow");
        }

        var analysis = new CaptureAnalysis();
        var first = any ? stream.Current.Timestamp : default;
        var shown = 0;
        var i = 0;
        for (var more = any; more && (count is null || shown < count) && (only is null || i < only); more = stream.MoveNext(), i++)
        {
            var cf = stream.Current;
            var a = analysis.Next(cf.Data, cf.LinkType, cf.Timestamp);
            var (_, parsed, rel, tags) = a;
            if ((only is not null && only != i + 1) || (filter is not null && !filter.Matches(cf.Data, cf.LinkType, cf.OriginalLength)))
            {
                continue;
            }

            Warn(); // before the first frame shown (an input error found first is the one line that counts)
            var seconds = (cf.Timestamp - first).TotalSeconds;
            DateTimeOffset? time = timeKnown ? cf.Timestamp : null;
            var info = PacketSummary.Info(a, cf.Data);
            var paint = color ? (string line) => TraceColors.Paint(line, cf.Data, parsed, tags ?? [], ours: false) : (Func<string, string>?)null;
            if (Json)
            {
                context.Out.WriteLine(ToJson(i + 1, time, seconds, parsed, cf.Data, rel, cf.Comment, tags, info, a.Reassembled));
            }
            else if (Summary)
            {
                var line = FrameText.SummaryLine(i + 1, seconds, parsed, cf.Data, rel, tags, info, PacketSummary.Protocol(a));
                context.Out.WriteLine(paint is null ? line : paint(line));
            }
            else
            {
                var extra = ForeignDecoder.Applies(parsed) ? ForeignDecoder.Decode(cf.Data, cf.LinkType) : null;
                if (a.Reassembled is { } whole)
                {
                    // tshark's line for the fragments that made the datagram, then the datagram's own layers.
                    var parts = string.Join(", ", whole.Fragments.Select(x => $"#{x.Frame}({x.Length})"));
                    var reassembled = Dissector.Dissect(whole.Bytes, whole.Parsed, rel).SkipWhile(l => l.Key is "eth" or "sll" or "ip" or "ipv6");
                    var family = whole.Parsed.IsIPv6 ? "IPv6" : "IPv4";
                    extra = [.. extra ?? [], $"[{whole.Fragments.Count} {family} Fragments ({whole.Fragments.Sum(x => x.Length)} bytes): {parts}]",
                        .. reassembled.Select(l => "Reassembled: " + l.Root.Text)];
                }

                if (shown > 0)
                {
                    context.Out.WriteLine();
                }

                var text = FrameText.Render(i + 1, time, seconds, parsed, cf.Data, rel, extra, cf.Comment, tags, info, PacketSummary.Protocol(a));
                var eol = text.IndexOf('\n', StringComparison.Ordinal);
                context.Out.Write(paint is null || eol < 0 ? text : paint(text[..eol]) + text[eol..]);
            }

            shown++;
        }

        if (only > i)
        {
            throw new UsageException($"--frame: there {(i == 1 ? "is only 1 frame" : $"are only {i} frames")}");
        }

        Warn();
        return ExitCodes.Ok;

        void Warn()
        {
            if (warning is not null)
            {
                context.Err.WriteLine("rawhandshake: warning: " + warning);
                warning = null;
            }
        }
    }

    /// <summary>The frames of <paramref name="stream"/> from its current one (when <paramref name="any"/>) on.</summary>
    private static IEnumerable<CapturedFrame> Rest(IEnumerator<CapturedFrame> stream, bool any)
    {
        for (var more = any; more; more = stream.MoveNext())
        {
            yield return stream.Current;
        }
    }

    /// <summary>--follow and --conversations: every frame through the analysis and the stream table, then one report.</summary>
    private int Streams(CliContext context, IEnumerable<CapturedFrame> frames, Link.BpfFilter? filter)
    {
        if (Follow is not null && Conversations)
        {
            throw new UsageException("--follow and --conversations: give one of them");
        }

        var analysis = new CaptureAnalysis();
        var streams = new TcpStreams();
        DateTimeOffset? first = null;
        foreach (var cf in frames)
        {
            first ??= cf.Timestamp;
            var a = analysis.Next(cf.Data, cf.LinkType, cf.Timestamp);
            if (filter is null || filter.Matches(cf.Data, cf.LinkType, cf.OriginalLength))
            {
                streams.Add(a, cf.Data, cf.Timestamp);
            }
        }

        if (Conversations)
        {
            var start = first ?? default;
            foreach (var s in streams.All)
            {
                context.Out.WriteLine(TcpStreams.ConversationLine(s, start));
            }

            return ExitCodes.Ok;
        }

        TcpStream? stream;
        if (int.TryParse(Follow, System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var index))
        {
            stream = index < streams.All.Count ? streams.All[index]
                : throw new UsageException($"--follow {Follow}: there {(streams.All.Count == 1 ? "is 1 TCP stream (0)" : $"are {streams.All.Count} TCP streams{(streams.All.Count > 0 ? $" (0 to {streams.All.Count - 1})" : "")}")}");
        }
        else if (Follow!.Split(',') is [var x, var y])
        {
            var (ex, ey) = (Endpoint(x), Endpoint(y));
            if (ex.Address.Family != ey.Address.Family)
            {
                throw new UsageException($"--follow {Follow}: {ex} and {ey} are of two address families; a TCP conversation is IPv4 or IPv6");
            }

            stream = streams.Find(ex, ey) ?? throw new UsageException($"--follow {Follow}: no TCP conversation between {ex} and {ey}");
        }
        else
        {
            throw new UsageException($"--follow {Follow}: give a stream number (0, 1, …) or ADDR:PORT,ADDR:PORT ([ADDR]:PORT for IPv6)");
        }

        context.Out.Write(TcpStreams.Follow(stream, FollowHex));
        return ExitCodes.Ok;
    }

    /// <summary>One end of the conversation <c>--follow ADDR:PORT,ADDR:PORT</c> names.</summary>
    private Wire.Primitives.IpEndpoint Endpoint(string text) =>
        Wire.Primitives.IpEndpoint.TryParse(text, out var e, out var why) ? e : throw new UsageException($"--follow {Follow}: '{text.Trim()}' {why}");

    /// <summary>The frames to show, as a stream (stdin is read as it comes), whether their times are real, and a warning.</summary>
    internal (IEnumerable<CapturedFrame> Frames, bool TimeKnown, string? Warning) Load(CliContext context)
    {
        var hexArgs = Hex.ToList();
        if (Read is not null)
        {
            if (hexArgs.Count > 0)
            {
                throw new UsageException("dissect: give hex bytes or -r FILE, not both");
            }

            if (Directory.Exists(Read))
            {
                throw new UsageException($"-r {Read}: is a directory; give one capture file (.pcap or .pcapng)");
            }

            if (!File.Exists(Read))
            {
                throw new UsageException($"-r {Read}: no such file");
            }

            var result = Link.CaptureFiles.Read(Read);
            if (result.Error is not null && result.Frames.Count == 0)
            {
                throw new UsageException($"-r {Read}: {result.Error}");
            }

            return ([.. result.Frames], true, result.Error is null ? null : $"{Read}: {result.Error} (showing the {result.Frames.Count} frames before it)");
        }

        if (hexArgs.Count == 0)
        {
            throw new UsageException("dissect: give frame bytes as hex, '-' to read hex from stdin, or -r FILE");
        }

        Wire.Capture.LinkType? link = (LinkType?.ToLowerInvariant()) switch
        {
            null => null,
            "ethernet" or "eth" or "en10mb" => Wire.Capture.LinkType.Ethernet,
            "raw" or "ip" or "ipv4" => Wire.Capture.LinkType.Raw,
            "sll" or "linux_sll" => Wire.Capture.LinkType.LinuxSll,
            "sll2" or "linux_sll2" => Wire.Capture.LinkType.LinuxSll2,
            _ => throw new UsageException($"--link-type: '{LinkType}' is not one of ethernet, raw, sll, sll2"),
        };
        var where = hexArgs is ["-"] ? "stdin" : "hex";
        try
        {
            // Without --link-type: tcpdump's "link-type" line if it came along, else what the bytes show (see HexCapture).
            // Stdin is read bounded per line and per frame (endless input is refused in one line); hex arguments whole.
            var result = hexArgs is ["-"] ? HexCapture.Read(context.In, link) : HexCapture.Read(string.Join(" ", hexArgs), link);
            var warning = result.LinkTypeSource == "default"
                ? $"{where}: no frame has an IPv4, ARP or IPv6 header where Ethernet, Linux cooked (sll, sll2) or raw IP would put it; decoding as Ethernet (give --link-type)"
                : null;
            return (Guarded(result.Frames, where), result.DateKnown, warning);
        }
        catch (FormatException e)
        {
            throw new UsageException($"dissect: {where}: {e.Message}");
        }
    }

    /// <summary>Frames read on as they are used: a format error further in the input becomes the same one-line error.</summary>
    private static IEnumerable<CapturedFrame> Guarded(IEnumerable<CapturedFrame> frames, string where)
    {
        using var e = frames.GetEnumerator();
        while (true)
        {
            try
            {
                if (!e.MoveNext())
                {
                    yield break;
                }
            }
            catch (FormatException x)
            {
                throw new UsageException($"dissect: {where}: {x.Message}");
            }

            yield return e.Current;
        }
    }

    /// <summary>One frame as a JSON object: number, time, length, summary, then the fields of <see cref="FrameJson"/>.</summary>
    public static string ToJson(int number, DateTimeOffset? time, double seconds, in ParsedFrame parsed, byte[] frame, RelativeSeq? rel, string? comment, IReadOnlyList<string>? tags = null, string? info = null, ReassembledDatagram? whole = null)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteNumber("frame", number);
            if (time is { } at)
            {
                w.WriteString("time", at.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", System.Globalization.CultureInfo.InvariantCulture));
            }
            else
            {
                w.WriteNull("time"); // hex input without tcpdump's date
            }

            w.WriteNumber("rel_time", Math.Round(seconds, 6));
            w.WriteNumber("caplen", frame.Length);
            w.WriteString("summary", info ?? FrameText.Info(parsed, frame, rel, tags));
            if (tags is { Count: > 0 })
            {
                w.WriteStartArray("analysis");
                foreach (var t in tags)
                {
                    w.WriteStringValue(t);
                }

                w.WriteEndArray();
            }
            if (comment is not null)
            {
                w.WriteString("comment", comment);
            }

            FrameJson.WriteFields(w, parsed, frame, rel);
            if (whole is not null)
            {
                w.WriteStartObject("reassembled");
                w.WriteNumber("len", whole.Fragments.Sum(x => x.Length));
                w.WriteStartArray("fragments");
                foreach (var (f, _, _) in whole.Fragments)
                {
                    w.WriteNumberValue(f);
                }

                w.WriteEndArray();
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(ms.ToArray());
    }
}
