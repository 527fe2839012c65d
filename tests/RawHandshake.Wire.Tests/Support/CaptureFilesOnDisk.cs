using RawHandshake.Wire.Capture;

namespace RawHandshake.Wire.Tests.Support;

/// <summary>File I/O for tests of the (I/O-free) capture formats: the product's own file layer lives in Link.</summary>
public static class CaptureFilesOnDisk
{
    public static CaptureReadResult Read(string path)
    {
        using var stream = File.OpenRead(path);
        return CaptureFileReader.Read(stream);
    }

    public static ICaptureWriter Create(string path, LinkType linkType = LinkType.Ethernet) =>
        CaptureFileWriter.Create(File.Create(path), CaptureFileWriter.IsPcapNgName(path), linkType);
}
