namespace RawHandshake.Wire.Capture;

/// <summary>Container format of a capture file.</summary>
public enum CaptureFormat
{
    /// <summary>Classic libpcap format (any byte order, microsecond or nanosecond).</summary>
    Pcap,

    /// <summary>pcapng (PCAP Next Generation).</summary>
    PcapNg,
}
