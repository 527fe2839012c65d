using RawHandshake.Cli.Args;
using RawHandshake.Engine.Trace;

namespace RawHandshake.Cli.Verbs;

/// <summary>Verbs that can draw their run: <c>--ladder-svg FILE</c> and <c>--report FILE</c> (handshake, run).</summary>
public interface IPictureOptions
{
    string? LadderSvg { get; }

    string? Report { get; }
}

/// <summary>Opens the picture files before anything is sent (a bad path exits 2), and renders them when the run is over.</summary>
public static class PictureOutputs
{
    public static void Attach(LiveRun run, IPictureOptions options)
    {
        Add(run, options.LadderSvg, "--ladder-svg", SvgLadderRenderer.Render);
        Add(run, options.Report, "--report", HtmlReportRenderer.Render);
    }

    private static void Add(LiveRun run, string? path, string option, Action<IReadOnlyList<TraceEvent>, TextWriter> render)
    {
        if (Open(path, option, render) is { } writer)
        {
            run.Trace.Add(run.Own(writer));
        }
    }

    /// <summary>The picture's file opened now (a bad path: one line, exit 2), rendered when the writer is disposed; null without a path.</summary>
    public static RenderOnCloseWriter? Open(string? path, string option, Action<IReadOnlyList<TraceEvent>, TextWriter> render)
    {
        if (path is null)
        {
            return null;
        }

        Stream stream;
        try
        {
            stream = new FileStream(path, FileMode.Create, FileAccess.Write);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new UsageException($"{option} {path}: {e.Message}");
        }

        return new RenderOnCloseWriter(stream, render);
    }
}
