using System.Numerics;

namespace RawHandshake.Link;

/// <summary>
/// How big a capture ring (libpcap's buffer size) a run needs, and what it costs. Its pages are most of the process's
/// memory beyond the runtime's own, so each run asks for what it can receive while not reading, no more.
/// </summary>
/// <remarks>
/// In immediate mode libpcap uses TPACKET_V2: a ring of fixed slots, one frame per slot. A slot is
/// <see cref="FrameBytes"/>: the snap length (capped at 65535 + 18 when the interface offloads segmentation, as veth and
/// most NICs do) and <see cref="SlotHeader"/> bytes before it, aligned to 16. libpcap makes ⌈buffer size / slot⌉ slots
/// and puts them in blocks of a power of two (at least a page), as many whole slots as fit in each. So with the default
/// snap length a slot is 65,632 bytes in a 128 KiB block, and a buffer of N bytes costs 2N of memory; a snap length of
/// at most 65,468 bytes fits a 64 KiB block and costs N. <see cref="MemoryBytes"/> is that arithmetic (measured with
/// libpcap 1.10 against the socket's mapping in <c>/proc/self/smaps</c>; a live test keeps checking it).
/// </remarks>
public static class CaptureRing
{
    public const int Min = 2 * 1024 * 1024;
    public const int Max = 32 * 1024 * 1024;

    /// <summary>A handshake, a probe, a few flows.</summary>
    public const int Small = 8 * 1024 * 1024;

    /// <summary>Bulk transfers and benches (the most this program asks for).</summary>
    public const int Bulk = Max;

    /// <summary>What libpcap puts before a frame in its slot (TPACKET_V2 header, link-layer address, alignment): a
    /// 65,468-byte snap length still fits a 64 KiB block, 65,469 does not.</summary>
    public const int SlotHeader = 68;

    /// <summary>The most a frame carries besides its TCP payload: Ethernet with a VLAN tag (18), IPv4 with options (60)
    /// or IPv6 with extension headers, TCP with options (60), with room to spare.</summary>
    public const int MaxHeaders = 256;

    /// <summary>The largest frame libpcap gives a slot to on an interface that offloads segmentation.</summary>
    private const int MaxFrame = 65535 + 18;

    /// <summary>One slot as libpcap sizes it for <paramref name="snapLength"/> (the unit it divides the buffer by).</summary>
    public static int FrameBytes(int snapLength) => (Math.Clamp(snapLength, 64, MaxFrame) + SlotHeader + 15) & ~15;

    /// <summary>The block slots of <paramref name="snapLength"/> go in: a power of two, at least a page.</summary>
    private static int BlockBytes(int snapLength) =>
        Math.Max(Environment.SystemPageSize, (int)BitOperations.RoundUpToPowerOf2((uint)FrameBytes(snapLength)));

    /// <summary>What one slot costs in memory with <paramref name="snapLength"/> (its share of a block).</summary>
    public static int SlotBytes(int snapLength) => BlockBytes(snapLength) / (BlockBytes(snapLength) / FrameBytes(snapLength));

    /// <summary>The memory a ring of <paramref name="ringBytes"/> costs with <paramref name="snapLength"/>.</summary>
    public static long MemoryBytes(int ringBytes, int snapLength)
    {
        var frame = FrameBytes(snapLength);
        var block = BlockBytes(snapLength);
        long slots = (ringBytes + frame - 1) / frame;
        var perBlock = block / frame;
        return (slots + perBlock - 1) / perBlock * block;
    }

    /// <summary>A ring of <paramref name="frames"/> slots (frames waiting at once), between <see cref="Min"/> and
    /// <see cref="Max"/> bytes asked of libpcap.</summary>
    public static int ForFrames(long frames, int snapLength = LiveLink.DefaultSnapLength) =>
        (int)Math.Clamp(Math.Max(frames, 1) * FrameBytes(snapLength), Min, Max);

    /// <summary>A ring for a session that lets <paramref name="bytesInFlight"/> bytes come at once (its receive window) in
    /// full Ethernet segments, and 16 frames more (ACKs, ARP, a FIN). Smaller segments can overflow it: the drops are
    /// then counted and reported, and the session retransmits.</summary>
    public static int ForSession(long bytesInFlight, int snapLength = LiveLink.DefaultSnapLength) =>
        ForFrames((Math.Max(bytesInFlight, 0) / 1460) + 16, snapLength);

    /// <summary>
    /// The snap length for a session whose receive window is <paramref name="receiveWindow"/>: no frame of it can carry
    /// more payload than one window (segments that offloading or GRO merged included), so a window and
    /// <see cref="MaxHeaders"/> hold any frame of it. When that fits a 64 KiB slot, half the memory of the default slot;
    /// else the default, the whole of anything.
    /// </summary>
    public static int SessionSnapLength(long receiveWindow)
    {
        var snap = Math.Max(receiveWindow, 0) + MaxHeaders;
        return FrameBytes((int)Math.Min(snap, MaxFrame)) <= 64 * 1024 ? (int)snap : LiveLink.DefaultSnapLength;
    }
}

/// <summary>libpcap's counters (<c>pcap_stats</c>): frames the filter passed, frames dropped because the ring was full,
/// and frames the interface dropped.</summary>
public readonly record struct CaptureStatistics(uint Received, uint Dropped, uint InterfaceDropped);
