using RawHandshake.Engine.Live;
using RawHandshake.Wire.Dissection;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Probe;

/// <summary>A port's state, with nmap's meanings.</summary>
public enum PortState
{
    /// <summary>A SYN-ACK came back: something listens.</summary>
    Open,

    /// <summary>A RST came back: the host is there, nothing listens.</summary>
    Closed,

    /// <summary>Silence (after every retry), or an ICMP unreachable: something in the way drops or rejects.</summary>
    Filtered,

    /// <summary>ACK scan: a RST came back, so nothing filters the port (open or closed cannot be told).</summary>
    Unfiltered,

    /// <summary>FIN, NULL and Xmas scans: silence, which an open port (RFC 9293 drops such segments) and a filter both give.</summary>
    OpenFiltered,
}

/// <summary>nmap's TCP scan types: which flags the probe carries and how an answer (or silence) reads.</summary>
public enum ScanType
{
    /// <summary>-sS: SYN; SYN-ACK open, RST closed, silence or unreachable filtered.</summary>
    Syn,

    /// <summary>-sA: ACK; RST unfiltered, silence or unreachable filtered.</summary>
    Ack,

    /// <summary>-sF: FIN; RST closed, silence open|filtered, unreachable filtered.</summary>
    Fin,

    /// <summary>-sN: no flags at all; as FIN.</summary>
    Null,

    /// <summary>-sX: FIN|PSH|URG; as FIN.</summary>
    Xmas,

    /// <summary>-sW: ACK; a RST with a non-zero window open, with a zero window closed (some stacks), silence filtered.</summary>
    Window,

    /// <summary>-sU: an empty UDP datagram; a UDP answer open, ICMP port unreachable closed, another unreachable
    /// filtered, silence open|filtered.</summary>
    Udp,
}

/// <summary>An ICMP or ICMPv6 error that answered a probe: its type and code (ICMPv6's numbers when it came over IPv6, RFC
/// 4443), and who sent it (the target, or a router).</summary>
public sealed record IcmpErrorSeen(byte Type, byte Code, IpAddress From)
{
    /// <summary>ICMPv6: it came from an IPv6 address.</summary>
    public bool IsV6 => From.IsV6;

    /// <summary><c>ICMP</c> or <c>ICMPv6</c>.</summary>
    public string Protocol => IsV6 ? "ICMPv6" : "ICMP";

    /// <summary>Destination unreachable (ICMP 3, ICMPv6 1), whatever the code.</summary>
    public bool IsUnreachable => Type == (IsV6 ? Icmpv6Header.DestinationUnreachable : IcmpHeader.DestinationUnreachable);

    /// <summary>Port unreachable: the target itself said nothing takes the datagram (ICMP 3/3, ICMPv6 1/4).</summary>
    public bool IsPortUnreachable => IsUnreachable && Code == (IsV6 ? 4 : 3);

    /// <summary>Wireshark's words for it: "Destination unreachable (Port unreachable)", "Time Exceeded (hop limit exceeded in transit)".</summary>
    public string Name => IsV6 ? Icmpv6InfoText.Name(Type, Code) : Describe.IcmpType(Type, Code);

    /// <summary>nmap's reason word: <c>port-unreach</c>, <c>admin-prohibited</c>, <c>time-exceeded</c> …</summary>
    public string Reason => IsV6 ? Reason6 : (Type, Code) switch
    {
        (3, 0) => "net-unreach",
        (3, 1) => "host-unreach",
        (3, 2) => "proto-unreach",
        (3, 3) => "port-unreach",
        (3, 4) => "frag-needed",
        (3, 9) => "net-prohibited",
        (3, 10) => "host-prohibited",
        (3, 13) => "admin-prohibited",
        (3, _) => $"unreach-code-{Code}",
        (11, _) => "time-exceeded",
        _ => $"icmp-{Type}-{Code}",
    };

    private string Reason6 => (Type, Code) switch
    {
        (1, 0) => "no-route",
        (1, 1) => "admin-prohibited",
        (1, 2) => "beyond-scope",
        (1, 3) => "host-unreach",
        (1, 4) => "port-unreach",
        (1, 5) => "source-addr-fail",
        (1, 6) => "reject-route",
        (1, _) => $"unreach-code-{Code}",
        (2, _) => "pkt-too-big",
        (3, _) => "time-exceeded",
        (4, _) => "param-problem",
        _ => $"icmpv6-{Type}-{Code}",
    };

    /// <summary>The error a received frame carries (ICMP or ICMPv6, one that quotes a datagram); null for anything else.</summary>
    public static IcmpErrorSeen? Of(in ParsedFrame f) =>
        f is { Icmp: { QuotesDatagram: true } icmp, IPv4: { } ip } ? new IcmpErrorSeen(icmp.Type, icmp.Code, ip.Source)
        : f is { Icmpv6: { QuotesDatagram: true } icmp6, IPv6: { } ip6 } ? new IcmpErrorSeen(icmp6.Type, icmp6.Code, ip6.Source)
        : null;
}

/// <summary>What the probes of one port found: its state and why, the RTTs, the first answer's fingerprint, the ICMP
/// error if one came, and every SYN-ACK's ISN (in the order the probes went out).</summary>
public sealed class PortReport(IpAddress host, ushort port, ScanType scan = ScanType.Syn)
{
    private RttAccumulator rtts;

    public IpAddress Host { get; } = host;
    public ushort Port { get; } = port;
    public int Sent { get; internal set; }
    public int Answered => rtts.Count;

    /// <summary>The first answer (a SYN-ACK, else a RST); null when none came.</summary>
    public SynAckFingerprint? Answer { get; internal set; }

    public IcmpErrorSeen? Icmp { get; internal set; }

    /// <summary>RTT of the first answer.</summary>
    public TimeSpan? Rtt { get; private set; }

    public TimeSpan? RttMin => rtts.Min;
    public TimeSpan? RttAverage => rtts.Average;
    public TimeSpan? RttMax => rtts.Max;
    public TimeSpan? RttMdev => rtts.Mdev;

    public List<SeqNum> Isns { get; } = [];

    /// <summary>Every SYN-ACK's IP ID, in the order the probes went out (none over IPv6, which has no IP ID).</summary>
    public List<ushort> IpIds { get; } = [];

    /// <summary>What <c>--deep</c> found; null unless it ran.</summary>
    public DeepReport? Deep { get; set; }

    public ScanType Scan { get; } = scan;

    /// <summary>The state the answers (or silence) mean for <see cref="Scan"/>, with nmap's meanings.</summary>
    public PortState State
    {
        get
        {
            var rst = Answer is { } a && (a.Flags & TcpFlags.Rst) != 0;
            return Scan switch
            {
                ScanType.Udp => UdpAnswered ? PortState.Open
                    : Icmp is { IsPortUnreachable: true } ? PortState.Closed
                    : Icmp is not null ? PortState.Filtered
                    : PortState.OpenFiltered,
                ScanType.Syn => Answer is { IsSynAck: true } ? PortState.Open : rst ? PortState.Closed : PortState.Filtered,
                ScanType.Ack => rst ? PortState.Unfiltered : PortState.Filtered,
                ScanType.Window => rst ? (Answer!.Window > 0 ? PortState.Open : PortState.Closed) : PortState.Filtered,
                _ => rst ? PortState.Closed : Icmp is not null ? PortState.Filtered : PortState.OpenFiltered,
            };
        }
    }

    /// <summary>nmap's reason: <c>syn-ack</c>, <c>reset</c>, the ICMP error's word, or <c>no-response</c>.</summary>
    public string Reason =>
        UdpAnswered ? "udp-response"
        : Answer is { IsSynAck: true } ? "syn-ack"
        : Answer is { } a && (a.Flags & TcpFlags.Rst) != 0 ? "reset"
        : Answer is { } other ? other.Flags.ToLetters()
        : Icmp?.Reason ?? "no-response";

    /// <summary>Why nothing at all came back, when nothing did (<see cref="Silence"/>).</summary>
    public IReadOnlyList<string> WhySilent { get; internal set; } = [];

    /// <summary>A UDP datagram came back from the port (<see cref="ScanType.Udp"/>).</summary>
    public bool UdpAnswered { get; private set; }

    public string Protocol => Scan == ScanType.Udp ? "udp" : "tcp";

    internal void AddUdp(TimeSpan rtt)
    {
        rtts.Add(rtt);
        Rtt ??= rtt;
        UdpAnswered = true;
    }

    internal void Add(TimeSpan rtt, SynAckFingerprint answer)
    {
        rtts.Add(rtt);
        Rtt ??= rtt;
        if (Answer is null || (!Answer.IsSynAck && answer.IsSynAck))
        {
            Answer = answer;
        }

        if (answer.IsSynAck)
        {
            Isns.Add(answer.Isn);
            if (answer.IpId.Applies)
            {
                IpIds.Add(answer.IpId.Value);
            }
        }
    }
}

/// <summary>What to probe on one host: the ports, how many SYNs per port, how fast, how long to wait, how often to ask again.</summary>
public sealed record PortScanRequest(IpAddress Target, IReadOnlyList<ushort> Ports)
{
    /// <summary>SYNs per port (hping3's and ping's <c>-c</c>).</summary>
    public int Count { get; init; } = 1;

    public TimeSpan Interval { get; init; } = ProbeRequest.IntervalForRate(PortScan.DefaultRate);

    /// <summary>How long to wait for answers after a round's last SYN.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Rounds sent again to ports from which nothing at all came back (silence may be a lost frame).</summary>
    public int Retries { get; init; } = 1;

    /// <summary>IP TTL of our SYNs.</summary>
    public byte Ttl { get; init; } = 64;

    /// <summary>The scan type: the flags of the probes and what answers mean.</summary>
    public ScanType Scan { get; init; } = ScanType.Syn;

    /// <summary>The TCP flags a probe of <paramref name="scan"/> carries.</summary>
    public static TcpFlags Flags(ScanType scan) => scan switch
    {
        ScanType.Syn => TcpFlags.Syn,
        ScanType.Ack or ScanType.Window => TcpFlags.Ack,
        ScanType.Fin => TcpFlags.Fin,
        ScanType.Null or ScanType.Udp => 0,
        _ => TcpFlags.Fin | TcpFlags.Psh | TcpFlags.Urg,
    };
}

/// <summary>
/// A SYN probe of many ports of one host on the engine's probe API (<see cref="Prober"/>): round after round of
/// <see cref="PortProbeFrames"/> from a fresh block of source ports outside the kernel's ephemeral range, each SYN-ACK
/// reset by the prober, the kernel's own RST held back by the run's guard (one range rule for the block).
/// </summary>
public static class PortScan
{
    /// <summary>SYNs per second unless told otherwise: polite to a server and to the path.</summary>
    public const double DefaultRate = 200;

    public static IReadOnlyList<PortReport> Run(LiveSetup live, MacAddress nextHop, PortScanRequest request, SourcePorts ports)
    {
        ArgumentNullException.ThrowIfNull(live);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(ports);
        var reports = request.Ports.Select(p => new PortReport(request.Target, p, request.Scan)).ToList();
        var pending = Enumerable.Range(0, reports.Count).ToList();
        var eth = new EthernetHeader(nextHop, live.LocalMac);
        for (var round = 0; round <= request.Retries && pending.Count > 0 && !live.Engine.StopRequested; round++)
        {
            var probes = new List<PortProbe>(pending.Count * request.Count);
            var owner = new List<int>(probes.Capacity);
            for (var c = 0; c < request.Count; c++)
            {
                foreach (var i in pending)
                {
                    probes.Add(new PortProbe(reports[i].Port, request.Ttl));
                    owner.Add(i);
                }
            }

            var basePort = ports.Take(probes.Count);
            var frames = new PortProbeFrames(probes, eth, live.Source, request.Target, basePort, (ushort)Random.Shared.Next(0x1_0000), PortScanRequest.Flags(request.Scan), udp: request.Scan == ScanType.Udp, numbers: (live.Engine.Numbers, live.Engine.HostTime));
            if (request.Scan != ScanType.Udp)
            {
                ProbeGuard.SourcePorts(live, live.Source, basePort, probes.Count, request.Target, probes[0].Port);
            }

            var result = Prober.Run(live.Engine, new ProbeRequest(frames)
            {
                Interval = request.Interval,
                Timeout = request.Timeout,
                Linger = TimeSpan.FromMilliseconds(20),
            });
            foreach (var i in pending)
            {
                reports[i].Sent += request.Count;
            }

            foreach (var reply in result.Replies)
            {
                if (reply.Duplicate || reply.Frame.IsEmpty)
                {
                    continue;
                }

                var report = reports[owner[reply.Index]];
                var bytes = reply.Frame.Span;
                var parsed = reply.Parsed;
                switch (reply.Kind)
                {
                    case ProbeReplyKind.Answer when parsed.Udp is not null:
                        report.AddUdp(reply.Rtt);
                        break;
                    case ProbeReplyKind.Answer when SynAckFingerprint.From(bytes, parsed) is { } fp:
                        report.Add(reply.Rtt, fp);
                        break;
                    case ProbeReplyKind.IcmpError when IcmpErrorSeen.Of(parsed) is { } error:
                        report.Icmp ??= error;
                        break;
                }
            }

            pending = pending.Where(i => reports[i].Answer is null && reports[i].Icmp is null && !reports[i].UdpAnswered).ToList();
            if (pending.Count > 0)
            {
                var silent = owner.IndexOf(pending[0]);
                var why = Silence.Explain(frames.Frame(silent), [], null);
                foreach (var i in pending)
                {
                    reports[i].WhySilent = why;
                }
            }
        }

        return reports;
    }
}
