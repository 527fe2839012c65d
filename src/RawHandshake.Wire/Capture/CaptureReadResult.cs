namespace RawHandshake.Wire.Capture;

/// <summary>Outcome of reading a capture file.</summary>
/// <param name="Format">Detected format (<see cref="CaptureFormat.Pcap"/> when the format could not be recognised).</param>
/// <param name="Frames">Frames read, in file order; when <paramref name="Error"/> is set, the frames read before the problem.</param>
/// <param name="Error">One-line description of why reading stopped early (naming the byte offset), or null when the whole file was read.</param>
public sealed record CaptureReadResult(CaptureFormat Format, IReadOnlyList<CapturedFrame> Frames, string? Error);
