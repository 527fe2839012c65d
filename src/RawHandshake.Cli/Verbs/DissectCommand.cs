using System.Text;
using System.Text.Json;
using RawHandshake.Cli.Args;
using RawHandshake.Cli.Output;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Dissection;
using RawHandshake.Wire.Parsing;

namespace RawHandshake.Cli.Verbs;

public sealed partial class DissectOptions : ICommand
{
    public int Execute(CliContext context)
    {
        var count = ArgParse.Optional(Count, "-c", int.MaxValue, v => (int)v);
        var only = ArgParse.Optional(Frame, "--frame", int.MaxValue, v => (int)v);
        if (only is 0)
        {
            throw new UsageException("--frame: frames are numbered from 1");
        }

        // Frames come one at a time (stdin is streamed: any amount of tcpdump text, in bounded memory).
        using var frames = Load(context).GetEnumerator();
        var tracker = new ConversationTracker();
        var analyzer = new Engine.Trace.TcpAnalyzer();
        DateTimeOffset? first = null;
        var shown = 0;
        var i = 0;
        for (; (count is null || shown < count) && (only is null || i < only) && Next(frames); i++)
        {
            var cf = frames.Current;
            first ??= cf.Timestamp;
            var parsed = FrameParser.Parse(cf.Data, cf.LinkType);
            var rel = parsed.Tcp is not null ? tracker.Track(parsed, cf.Data) : (RelativeSeq?)null;
            var tags = analyzer.Analyze(parsed, cf.Data, i + 1, cf.Timestamp);
            if (only is not null && only != i + 1)
            {
                continue;
            }

            var seconds = (cf.Timestamp - first.Value).TotalSeconds;
            if (Json)
            {
                context.Out.WriteLine(ToJson(i + 1, cf.Timestamp, seconds, parsed, cf.Data, rel, cf.Comment, tags));
            }
            else if (Summary)
            {
                context.Out.WriteLine(FrameText.SummaryLine(i + 1, seconds, parsed, cf.Data, rel, tags));
            }
            else
            {
                var extra = ForeignDecoder.Applies(parsed) ? ForeignDecoder.Decode(cf.Data, cf.LinkType) : null;
                if (shown > 0)
                {
                    context.Out.WriteLine();
                }

                context.Out.Write(FrameText.Render(i + 1, cf.Timestamp, seconds, parsed, cf.Data, rel, extra, cf.Comment, tags));
            }

            shown++;
        }

        if (only > i)
        {
            throw new UsageException($"--frame: there are only {i} frames");
        }

        return ExitCodes.Ok;

        bool Next(IEnumerator<CapturedFrame> e)
        {
            try
            {
                return e.MoveNext();
            }
            catch (FormatException x)
            {
                throw new UsageException($"dissect: {(Hex.ToList() is ["-"] ? "stdin" : "hex")}: {x.Message}");
            }
        }
    }

    private IEnumerable<CapturedFrame> Load(CliContext context)
    {
        var hexArgs = Hex.ToList();
        if (Read is not null)
        {
            if (hexArgs.Count > 0)
            {
                throw new UsageException("dissect: give hex bytes or -r FILE, not both");
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

            if (result.Error is not null)
            {
                context.Err.WriteLine($"rawhandshake: warning: {Read}: {result.Error} (showing the {result.Frames.Count} frames before it)");
            }

            return [.. result.Frames];
        }

        if (hexArgs.Count == 0)
        {
            throw new UsageException("dissect: give frame bytes as hex, '-' to read hex from stdin, or -r FILE");
        }

        var link = (LinkType?.ToLowerInvariant()) switch
        {
            null or "ethernet" or "eth" or "en10mb" => Wire.Capture.LinkType.Ethernet,
            "raw" or "ip" or "ipv4" => Wire.Capture.LinkType.Raw,
            "sll" or "linux_sll" => Wire.Capture.LinkType.LinuxSll,
            "sll2" or "linux_sll2" => Wire.Capture.LinkType.LinuxSll2,
            _ => throw new UsageException($"--link-type: '{LinkType}' is not one of ethernet, raw, sll, sll2"),
        };
        // Hex has no time: frames get the epoch, which the renderers leave out.
        // Without --link-type, bytes that begin with a whole IPv4 header with a good checksum are taken as IP, as
        // tcpdump -x/-X (without -e) prints them; an Ethernet frame never passes that test by chance.
        // Stdin is read as a stream, bounded per line and per frame; hex on the command line is read whole first.
        IEnumerable<byte[]> bytes = hexArgs is ["-"] ? HexText.ReadFrames(context.In) : ParseWhole(string.Join(" ", hexArgs));
        return bytes.Select(b => new CapturedFrame(DateTimeOffset.UnixEpoch, LinkType is null && Wire.Protocols.IPv4Header.StartsWithValidHeader(b) ? Wire.Capture.LinkType.Raw : link, b, b.Length));
    }

    private static List<byte[]> ParseWhole(string text)
    {
        try
        {
            return HexText.ParseFrames(text);
        }
        catch (FormatException e)
        {
            throw new UsageException($"dissect: hex: {e.Message}");
        }
    }

    /// <summary>One frame as a JSON object: number, time, length, summary, then the fields of <see cref="FrameJson"/>.</summary>
    public static string ToJson(int number, DateTimeOffset time, double seconds, in ParsedFrame parsed, byte[] frame, RelativeSeq? rel, string? comment, IReadOnlyList<string>? tags = null)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteNumber("frame", number);
            if (time != DateTimeOffset.UnixEpoch)
            {
                w.WriteString("time", time.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ss.ffffffZ", System.Globalization.CultureInfo.InvariantCulture));
            }

            w.WriteNumber("rel_time", Math.Round(seconds, 6));
            w.WriteNumber("caplen", frame.Length);
            w.WriteString("summary", FrameText.Info(parsed, frame, rel, tags));
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
            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(ms.ToArray());
    }
}
