using RawHandshake.Wire.Capture;

namespace RawHandshake.Link;

/// <summary>
/// Capture files on disk: the host I/O lives here, the byte formats in the wire layer
/// (<see cref="CaptureFileReader"/>, <see cref="PcapWriter"/>, <see cref="PcapNgWriter"/>).
/// </summary>
public static class CaptureFiles
{
    /// <summary>
    /// Reads the capture file at <paramref name="path"/>. A file that cannot be opened is reported as
    /// <c>Error = "cannot open &lt;path&gt;: &lt;reason&gt;"</c> rather than thrown.
    /// </summary>
    public static CaptureReadResult Read(string path, int maxFrames = int.MaxValue)
    {
        ArgumentNullException.ThrowIfNull(path);
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite, 64 * 1024);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException or System.Security.SecurityException)
        {
            var guess = CaptureFileWriter.IsPcapNgName(path) ? CaptureFormat.PcapNg : CaptureFormat.Pcap;
            return new CaptureReadResult(guess, [], $"cannot open {path}: {ex.Message.Split('\n')[0].Trim()}");
        }

        using (stream)
        {
            return CaptureFileReader.Read(stream, maxFrames);
        }
    }

    /// <summary>
    /// Creates (or overwrites) <paramref name="path"/> and returns a writer for it: pcapng when the path ends in
    /// ".pcapng" (any case), otherwise classic pcap. Disposing the writer closes the file.
    /// </summary>
    public static ICaptureWriter Create(string path, LinkType linkType = LinkType.Ethernet)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read);
        try
        {
            return CaptureFileWriter.Create(stream, CaptureFileWriter.IsPcapNgName(path), linkType);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }
}
