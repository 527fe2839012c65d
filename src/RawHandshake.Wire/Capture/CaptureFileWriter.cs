namespace RawHandshake.Wire.Capture;

/// <summary>Chooses a capture-file writer for a stream: pcapng for a ".pcapng" name, classic pcap otherwise. No I/O here.</summary>
public static class CaptureFileWriter
{
    /// <summary>True when <paramref name="name"/> ends in ".pcapng" (any case).</summary>
    public static bool IsPcapNgName(string name) => name.EndsWith(".pcapng", StringComparison.OrdinalIgnoreCase);

    /// <summary>A writer over <paramref name="stream"/> (disposing it disposes the stream): pcapng or classic pcap.</summary>
    public static ICaptureWriter Create(Stream stream, bool pcapng, LinkType linkType = LinkType.Ethernet) =>
        pcapng ? new PcapNgWriter(stream, linkType) : new PcapWriter(stream, linkType);
}
