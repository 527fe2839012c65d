using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Session;

/// <summary>How a client session connects, sends and gives up. Times are durations; the session never reads a clock.</summary>
public sealed record SessionConfig(FlowKey Flow, SeqNum Isn)
{
    /// <summary>Receive window we advertise (bytes, before scaling).</summary>
    public int ReceiveWindow { get; init; } = 64240;

    public ushort? Mss { get; init; } = 1460;

    /// <summary>The MSS to offer when none is given (RFC 9293 §3.7.1, RFC 8200 §8.3): what a full-sized packet of the
    /// route carries, the route's MTU (at most Ethernet's 1500) less the fixed IP and TCP headers: 1460 over IPv4, 1440
    /// over IPv6.</summary>
    public static ushort DefaultMss(IpFamily family, int routeMtu = 1500) =>
        (ushort)Math.Max(Math.Min(routeMtu, 1500) - IpHeaderLength(family) - TcpHeader.MinLength, 0);

    /// <summary>The IP header our segments carry: IPv4's 20 bytes (no options) or IPv6's 40 (no extension headers).</summary>
    public static int IpHeaderLength(IpFamily family) => family == IpFamily.V6 ? IPv6Header.Length : IPv4Header.MinLength;
    public byte? WindowScale { get; init; }
    public bool SackPermitted { get; init; }
    public bool Timestamps { get; init; }

    /// <summary>Added to the millisecond clock in our TSval (a random offset, as Linux does).</summary>
    public uint TsOffset { get; init; }

    /// <summary>
    /// The largest IP packet the path takes (the link MTU when nothing smaller is known; ICMP "fragmentation needed"
    /// lowers it for the flow). Null: unknown, only the peer's MSS limits a segment.
    /// </summary>
    public int? PathMtu { get; init; }

    public TimeSpan InitialRto { get; init; } = TimeSpan.FromSeconds(1);
    public TimeSpan MaxRto { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>The lowest the RTT estimate may bring the timeout (Linux's TCP_RTO_MIN, 200 ms; RFC 6298 says 1 s). A
    /// smaller <see cref="InitialRto"/> lowers it to that.</summary>
    public TimeSpan MinRto { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Retransmissions of our SYN (or SYN-ACK) before the session gives up.</summary>
    public int Retries { get; init; } = 4;

    /// <summary>Timeouts in a row without progress before the session gives up on its data or FIN (Linux's tcp_retries2,
    /// 15): under loss a hole may need several tries, each after a doubled RTO; the run's time limit ends it sooner.</summary>
    public int DataRetries { get; init; } = 15;

    /// <summary>How long TIME-WAIT is held (2·MSL is 60 s on Linux; a probe needs far less).</summary>
    public TimeSpan TimeWait { get; init; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Our first FIN goes out with a wrong TCP checksum, so the server drops it and never sees it; its retransmission is
    /// correct. Against a server that closes by itself, both FINs then cross: the way to reach CLOSING against Linux.
    /// </summary>
    public bool CorruptFirstFin { get; init; }

    /// <summary>The MSS assumed when the peer sends none (RFC 9293: 536).</summary>
    public const ushort DefaultPeerMss = 536;
}
