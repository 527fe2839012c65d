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
        var frame = spec.Build();
        var parsed = FrameParser.Parse(frame);
        var now = DateTimeOffset.UtcNow;

        if (Write is not null)
        {
            CaptureOutput.WriteFrames(Write, [(now, frame, "crafted by rawhandshake craft")]);
        }

        if (HexOnly)
        {
            context.Out.WriteLine(HexText.ToHex(frame));
        }
        else if (Json)
        {
            context.Out.WriteLine(DissectOptions.ToJson(1, now, 0, parsed, frame, null, null));
        }
        else
        {
            context.Out.Write(FrameText.Render(1, null, 0, parsed, frame, null));
            if (Write is not null)
            {
                context.Out.WriteLine($"wrote 1 frame to {Write}");
            }
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
