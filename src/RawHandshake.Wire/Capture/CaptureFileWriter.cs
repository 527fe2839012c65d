namespace RawHandshake.Wire.Capture;

/// <summary>Opens capture-file writers by path.</summary>
public static class CaptureFileWriter
{
    /// <summary>
    /// Creates (or overwrites) <paramref name="path"/> and returns a writer for it: a <see cref="PcapNgWriter"/>
    /// when the path ends in ".pcapng" (any case), otherwise a classic <see cref="PcapWriter"/>.
    /// Disposing the writer closes the file.
    /// </summary>
    public static ICaptureWriter Create(string path, LinkType linkType = LinkType.Ethernet)
    {
        ArgumentException.ThrowIfNullOrEmpty(path);
        var stream = new FileStream(path, FileMode.Create, FileAccess.Write, FileShare.Read);
        try
        {
            return path.EndsWith(".pcapng", StringComparison.OrdinalIgnoreCase)
                ? new PcapNgWriter(stream, linkType)
                : new PcapWriter(stream, linkType);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }
}
