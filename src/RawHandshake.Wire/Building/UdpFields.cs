namespace RawHandshake.Wire.Building;

/// <summary>The UDP header fields a frame is built from (RFC 768): the ports, and the length and checksum, computed when
/// unset and sent exactly as set otherwise (a length that lies, a wrong checksum, 0 for "no checksum").</summary>
public record struct UdpFields(ushort SourcePort, ushort DestinationPort)
{
    public ushort? Length { get; set; }
    public ushort? Checksum { get; set; }
}
