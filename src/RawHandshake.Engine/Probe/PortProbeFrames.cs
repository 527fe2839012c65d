using RawHandshake.Wire.Building;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Probe;

/// <summary>One TCP probe of a scan or a traceroute: the destination port and the IP TTL (IPv6: hop limit) it goes out with.</summary>
public readonly record struct PortProbe(ushort Port, byte Ttl);

/// <summary>
/// The SYNs of a port probe or a TCP traceroute, one per <see cref="PortProbe"/>: frame <c>i</c> leaves from source port
/// <c>BasePort + i</c> with IP ID <c>BaseId + i</c> (IPv6: that flow label) and its own ISN, so an answer (by its
/// destination port) and an ICMP or ICMPv6 error (by the port it quotes) map to their frame. The SYN carries Linux's
/// options (MSS, SACK-permitted, timestamps, NOP, window scale) and offers ECN (ECE|CWR, RFC 3168), so the answer shows
/// what the server negotiates. The family is the destination's. Each frame is built when it is due, into one buffer.
/// </summary>
public sealed class PortProbeFrames : ProbeFrames
{
    /// <summary>Linux's own SYN window.</summary>
    public const ushort Window = 64240;

    /// <summary>The MSS our SYN offers over IPv4 (an Ethernet MTU's: 1500 − 20 IP − 20 TCP).</summary>
    public const ushort OfferedMss = 1460;

    /// <summary>The MSS our SYN offers over IPv6 (1500 − 40 IPv6 − 20 TCP, as Linux offers it).</summary>
    public const ushort OfferedMss6 = 1440;

    /// <summary>The window-scale shift our SYN offers.</summary>
    public const byte OfferedWindowScale = 7;

    private readonly IReadOnlyList<PortProbe> probes;
    private readonly EthernetHeader ethernet;
    private readonly IpAddress source;
    private readonly IpAddress destination;
    private readonly uint[] isns;
    private readonly byte[] buffer = new byte[128];
    private readonly byte[] options = new byte[20];
    private readonly int optionsLength;
    private int built = -1;
    private int length;

    /// <param name="probes">The probes, in the order they go out.</param>
    /// <param name="ethernet">Source and next-hop MACs.</param>
    /// <param name="basePort">Source port of frame 0; the frames use <c>basePort</c> to <c>basePort + count − 1</c>.</param>
    /// <param name="baseId">IP ID of frame 0.</param>
    /// <param name="flags">The TCP flags of every frame (a SYN unless a scan type says otherwise).</param>
    /// <param name="offerEcn">Add ECE|CWR to a SYN (RFC 3168's ECN-setup SYN).</param>
    /// <param name="udp">Send empty UDP datagrams instead (nmap's -sU); <paramref name="flags"/> then does not matter.</param>
    /// <param name="numbers">Where the ISNs and the TSval come from, and the host's time now: the engine's
    /// (<see cref="TcpEngine.Numbers"/>, <see cref="TcpEngine.HostTime"/>), as a flow's are, so a probe of a 4-tuple the
    /// server holds in TIME-WAIT is answered as a new connection. Null: random ISNs and a random TSval.</param>
    public PortProbeFrames(IReadOnlyList<PortProbe> probes, EthernetHeader ethernet, IpAddress source, IpAddress destination, ushort basePort, ushort baseId, TcpFlags flags = TcpFlags.Syn, bool offerEcn = true, bool udp = false, (Session.InitialNumbers Numbers, TimeSpan HostTime)? numbers = null)
    {
        Udp = udp;
        ArgumentNullException.ThrowIfNull(probes);
        if (basePort + probes.Count - 1 > ushort.MaxValue)
        {
            throw new ArgumentOutOfRangeException(nameof(basePort), $"{probes.Count} source ports from {basePort} pass 65535");
        }

        this.probes = probes;
        this.ethernet = ethernet with { EtherType = null };
        this.source = source;
        this.destination = destination;
        BasePort = basePort;
        BaseId = baseId;
        Flags = flags | (offerEcn && (flags & TcpFlags.Syn) != 0 ? TcpFlags.Ece | TcpFlags.Cwr : 0);
        isns = new uint[probes.Count];
        for (var i = 0; i < isns.Length; i++)
        {
            isns[i] = numbers is var (n, at)
                ? n.Isn(new Session.FlowKey(source, (ushort)(basePort + i), destination, probes[i].Port), at).Value
                : (uint)Random.Shared.NextInt64(0, 1L << 32);
        }

        var tsVal = numbers is var (tn, now) ? tn.TsVal(new Session.FlowKey(source, basePort, destination, 0), now) : (uint)Random.Shared.Next();

        if ((flags & TcpFlags.Syn) != 0)
        {
            var w = new TcpOptionWriter(options);
            w = w.Mss(Offered(destination)).SackPermitted().Timestamps(tsVal, 0).Nop().WindowScale(OfferedWindowScale);
            optionsLength = w.Length;
        }
    }

    public override int Count => probes.Count;

    /// <summary>The MSS our SYNs offer toward <paramref name="destination"/>: an Ethernet MTU less that family's IP and TCP headers.</summary>
    public static ushort Offered(IpAddress destination) => destination.IsV6 ? OfferedMss6 : OfferedMss;

    public ushort BasePort { get; }

    public ushort BaseId { get; }

    public TcpFlags Flags { get; }

    /// <summary>UDP datagrams, not TCP segments.</summary>
    public bool Udp { get; }

    /// <summary>The probe frame <paramref name="index"/> carries.</summary>
    public PortProbe Probe(int index) => probes[index];

    /// <summary>The ISN of frame <paramref name="index"/>.</summary>
    public SeqNum Isn(int index) => new(isns[index]);

    public override ReadOnlySpan<byte> Frame(int index)
    {
        if (index != built)
        {
            var p = probes[index];
            var ip = new ProbeIp(source, destination, p.Ttl, (ushort)(BaseId + index));
            if (Udp)
            {
                length = ip.BuildUdp(buffer, ethernet, (ushort)(BasePort + index), p.Port);
                built = index;
                return buffer.AsSpan(0, length);
            }

            var ack = (Flags & TcpFlags.Ack) != 0 ? new SeqNum(isns[index] * 2654435761u) : new SeqNum(0); // any number, the same each time the frame is built
            var tcp = new TcpHeader((ushort)(BasePort + index), p.Port, Isn(index), ack, Flags, Window);
            length = ip.BuildTcp(buffer, ethernet, tcp, options.AsSpan(0, optionsLength), default);
            built = index;
        }

        return buffer.AsSpan(0, length);
    }

    public override int? Candidate(in ParsedFrame other, bool fromOurSide, int sent)
    {
        int? port = other.Tcp is { } tcp ? (fromOurSide ? tcp.SourcePort : tcp.DestinationPort)
            : other.Udp is { } udp ? (fromOurSide ? udp.SourcePort : udp.DestinationPort)
            : other.IcmpQuote is { SourcePort: { } quoted } ? quoted
            : other.Icmpv6Quote is { SourcePort: { } quoted6 } ? quoted6
            : null;
        if (port is not { } p)
        {
            return -1; // nothing else can answer a TCP probe
        }

        var index = p - BasePort;
        return index >= 0 && index < sent ? index : -1;
    }
}
