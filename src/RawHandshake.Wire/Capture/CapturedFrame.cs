namespace RawHandshake.Wire.Capture;

/// <summary>One frame read from a capture file.</summary>
/// <param name="Timestamp">Capture time, UTC, at the file's precision (at most 100 ns ticks).</param>
/// <param name="LinkType">Link-layer type of <paramref name="Data"/>.</param>
/// <param name="Data">The captured bytes (possibly truncated to the snap length).</param>
/// <param name="OriginalLength">Length of the frame on the wire, as recorded in the file.</param>
/// <param name="Comment">The frame's first pcapng opt_comment, if any.</param>
/// <param name="InterfaceId">pcapng interface index within its section (0 for classic pcap).</param>
public sealed record CapturedFrame(
    DateTimeOffset Timestamp,
    LinkType LinkType,
    byte[] Data,
    int OriginalLength,
    string? Comment = null,
    int InterfaceId = 0);
