using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Parsing;

namespace RawHandshake.Wire.Dissection;

/// <summary>One frame after <see cref="CaptureAnalysis.Next"/>: its number, the parse, relative numbers (TCP only) and analysis tags.</summary>
public sealed record AnalyzedFrame(int Number, ParsedFrame Parsed, RelativeSeq? Rel, IReadOnlyList<string> Tags);

/// <summary>
/// The sequence every reader of a capture goes through, frame after frame: parse, track the conversation (relative
/// numbers, window scale), analyze (Wireshark's tags). One instance per capture or trace, fed frames in order; the
/// engine's trace and <c>dissect</c> both use it.
/// </summary>
public sealed class CaptureAnalysis
{
    private readonly ConversationTracker tracker = new();
    private readonly TcpAnalyzer analyzer = new();

    /// <summary>Frames seen so far (the last one's number).</summary>
    public int Count { get; private set; }

    /// <summary>
    /// Parses and analyzes the next frame. <paramref name="frame"/> must stay unchanged while the result is used (the
    /// parse holds offsets into it). <paramref name="time"/> is the capture time (null: every time bound counts as met).
    /// </summary>
    public AnalyzedFrame Next(byte[] frame, LinkType link, DateTimeOffset? time)
    {
        var parsed = FrameParser.Parse(frame, link);
        var number = ++Count;
        var rel = parsed.Tcp is not null ? tracker.Track(parsed, frame) : (RelativeSeq?)null;
        var tags = analyzer.Analyze(parsed, frame, number, time);
        return new AnalyzedFrame(number, parsed, rel, tags);
    }
}
