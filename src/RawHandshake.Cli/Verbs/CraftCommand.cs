using System.Text;
using System.Text.Json;
using RawHandshake.Cli.Args;
using RawHandshake.Cli.Output;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Dissection;
using RawHandshake.Wire.Parsing;

namespace RawHandshake.Cli.Verbs;

public sealed partial class CraftOptions : ICommand
{
    public int Execute(CliContext context)
    {
        if (Send)
        {
            return CraftSend.Run(this, context);
        }

        if (Timeout is not null || Iface is not null || Netns is not null || Count is not null || Interval is not null || Rate is not null || RstGuard is not null)
        {
            throw new UsageException("--timeout, --iface, --netns, --count, --interval, --rate and --rst-guard go with --send");
        }

        var spec = FrameSpec.From(this);
        var frames = Fragments(spec.Build()); // one frame, or its IPv4 or IPv6 fragments with --fragment
        var now = DateTimeOffset.UtcNow;

        if (Write is not null)
        {
            CaptureOutput.WriteFrames(Write, frames.Select(f => (now, f, (string?)"crafted by rawhandshake craft")));
        }

        for (var i = 0; i < frames.Count; i++)
        {
            var (frame, parsed) = (frames[i], FrameParser.Parse(frames[i]));
            if (HexOnly)
            {
                context.Out.WriteLine(HexText.ToHex(frame));
            }
            else if (Json)
            {
                context.Out.WriteLine(DissectOptions.ToJson(i + 1, now, 0, parsed, frame, null, null));
            }
            else
            {
                var text = FrameText.Render(i + 1, null, 0, parsed, frame, null, info: FrameText.Info(parsed, frame, null, null) + UnusualFields.Suffix(frame, parsed));
                var eol = text.IndexOf('\n', StringComparison.Ordinal);
                context.Out.Write((i > 0 ? "\n" : "") + (ColorChoice.Enabled(Color, context) ? Engine.Trace.TraceColors.Paint(text[..eol], frame, parsed, [], ours: true) + text[eol..] : text));
            }
        }

        if (Write is not null && !HexOnly && !Json)
        {
            context.Out.WriteLine($"wrote {frames.Count} frame{(frames.Count == 1 ? "" : "s")} to {Write}");
        }

        return ExitCodes.Ok;
    }
}

/// <summary>Writing capture files from the CLI, with the one-line error a user sees when the path is bad.</summary>
public static class CaptureOutput
{
    public static void WriteFrames(string path, IEnumerable<(DateTimeOffset Time, byte[] Frame, string? Comment)> frames)
    {
        try
        {
            using var writer = Link.CaptureFiles.Create(path);
            foreach (var (time, frame, comment) in frames)
            {
                writer.Write(time, frame, comment);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or NotSupportedException or ArgumentException)
        {
            throw new UsageException($"-w {path}: {e.Message}");
        }
    }
}
