using System.Numerics;

namespace RawHandshake.Link;

/// <summary>
/// How big a capture ring (libpcap's buffer size) a run needs. Its pages are most of the process's memory (the old fixed
/// 32 MiB ring was 64 MB of a 78 MB peak), so each run asks for what it can receive while not reading, no more.
/// </summary>
/// <remarks>
/// In immediate mode libpcap uses TPACKET_V2: a ring of fixed slots, one frame per slot, each slot the snap length
/// capped at 64 KiB (an interface that offloads segmentation delivers frames up to that) plus headers, in blocks of a
/// power of two. So with the default snap length a slot costs 128 KiB, and the ring holds <c>bytes / 128 KiB</c> frames
/// whatever their size.
/// </remarks>
public static class CaptureRing
{
    public const int Min = 2 * 1024 * 1024;
    public const int Max = 32 * 1024 * 1024;

    /// <summary>A handshake, a probe, a few flows: 64 slots of 128 KiB.</summary>
    public const int Small = 8 * 1024 * 1024;

    /// <summary>Bulk transfers and benches (the most this program asks for).</summary>
    public const int Bulk = Max;

    /// <summary>What one frame slot costs with <paramref name="snapLength"/>.</summary>
    public static int SlotBytes(int snapLength) =>
        (int)BitOperations.RoundUpToPowerOf2((uint)Math.Clamp(snapLength, 64, 65536) + 128);

    /// <summary>A ring for <paramref name="frames"/> frames waiting at once, between <see cref="Min"/> and <see cref="Max"/>.</summary>
    public static int ForFrames(long frames, int snapLength = LiveLink.DefaultSnapLength) =>
        (int)Math.Clamp(Math.Max(frames, 1) * SlotBytes(snapLength), Min, Max);

    /// <summary>A ring for a session that lets <paramref name="bytesInFlight"/> bytes come at once (its receive window) in
    /// full Ethernet segments, and 16 frames more (ACKs, ARP, a FIN). Smaller segments can overflow it: the drops are
    /// then counted and reported, and the session retransmits.</summary>
    public static int ForSession(long bytesInFlight) => ForFrames((Math.Max(bytesInFlight, 0) / 1460) + 16);
}

/// <summary>libpcap's counters (<c>pcap_stats</c>): frames the filter passed, frames dropped because the ring was full,
/// and frames the interface dropped.</summary>
public readonly record struct CaptureStatistics(uint Received, uint Dropped, uint InterfaceDropped);
