using RawHandshake.Engine.Live;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Probe;

/// <summary>What came back for one probe of a hop: who answered, after how long, and how (a time-exceeded or another
/// ICMP error whose quoted header is our SYN's, or the target's own SYN-ACK or RST). Null in a hop's list: silence (<c>*</c>).</summary>
public sealed record HopReply(IpAddress From, TimeSpan Rtt, IcmpErrorSeen? Icmp, TcpFlags? Flags)
{
    /// <summary>The target itself answered: the path ends here.</summary>
    public bool FromTarget => Flags is not null;

    /// <summary>The path ends here: the target answered, or an unreachable (or ICMPv6's packet too big, ICMP's
    /// fragmentation needed) came back.</summary>
    public bool EndsPath => FromTarget || Icmp is { IsUnreachable: true } or { IsV6: true, Type: Icmpv6Header.PacketTooBig };

    /// <summary>traceroute's mark after an RTT: <c>!H !N !P !X !F</c> for an unreachable (ICMPv6's codes as traceroute
    /// reads them: no route <c>!N</c>, prohibited <c>!X</c>, beyond scope and address unreachable <c>!H</c>, packet too
    /// big <c>!F</c>), <c>!&lt;code&gt;</c> for another; empty for time-exceeded and for the target's answer.</summary>
    public string Mark => Icmp switch
    {
        { IsV6: true, Type: Icmpv6Header.PacketTooBig } => "!F",
        not { IsUnreachable: true } => "",
        { IsV6: true, Code: var c6 } => c6 switch
        {
            0 => "!N",
            1 => "!X",
            2 or 3 => "!H",
            4 => "", // the target's port unreachable: the path ends there
            _ => $"!<{c6}>",
        },
        { Code: var c } => c switch
        {
            0 => "!N",
            1 => "!H",
            2 => "!P",
            3 => "",  // the target's port unreachable: the path ends there, as traceroute prints it
            4 => "!F",
            9 or 10 or 13 => "!X",
            _ => $"!<{c}>",
        },
    };
}

/// <summary>One TTL's probes, in the order they went out (null where nothing came back).</summary>
public sealed record Hop(int Ttl, IReadOnlyList<HopReply?> Replies)
{
    /// <summary>The target answered one of this hop's probes, or an ICMP unreachable ended the path.</summary>
    public bool Ends => Replies.Any(r => r is { EndsPath: true });
}

/// <summary>What a TCP traceroute asks for: where to, which port, the TTLs, probes per hop, the wait.</summary>
public sealed record TracerouteRequest(IpAddress Target, ushort Port)
{
    public int FirstHop { get; init; } = 1;
    public int MaxHops { get; init; } = 30;
    public int ProbesPerHop { get; init; } = 3;

    /// <summary>How long to wait for a hop's answers after its last probe.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Time between two probes of a hop.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromMilliseconds(10);
}

/// <summary>
/// traceroute -T on the probe API, over IPv4 or IPv6 (the TTL is then the hop limit, and the errors ICMPv6's): for each TTL from the first hop, <see cref="TracerouteRequest.ProbesPerHop"/> SYNs
/// (<see cref="PortProbeFrames"/>: each from its own source port with its own IP ID, so an ICMP time-exceeded maps to
/// its probe by the header it quotes); a hop ends the path when the target answers (a SYN-ACK, reset by the prober, or
/// a RST) or an unreachable comes back. Hop after hop, each told to <c>onHop</c> as soon as it is known.
/// </summary>
public static class TcpTraceroute
{
    public static IReadOnlyList<Hop> Run(LiveSetup live, MacAddress nextHop, TracerouteRequest request, SourcePorts ports, Action<Hop>? onHop = null)
    {
        ArgumentNullException.ThrowIfNull(live);
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(ports);
        var eth = new EthernetHeader(nextHop, live.LocalMac);
        var hops = new List<Hop>();
        for (var ttl = request.FirstHop; ttl <= request.MaxHops && !live.Engine.StopRequested; ttl++)
        {
            var probes = Enumerable.Repeat(new PortProbe(request.Port, (byte)ttl), request.ProbesPerHop).ToList();
            var basePort = ports.Take(probes.Count);
            var frames = new PortProbeFrames(probes, eth, live.Source, request.Target, basePort, (ushort)Random.Shared.Next(0x1_0000), numbers: (live.Engine.Numbers, live.Engine.HostTime));
            ProbeGuard.Ports(live, live.Source, basePort, probes.Count, request.Target, request.Port);
            var result = Prober.Run(live.Engine, new ProbeRequest(frames)
            {
                Interval = request.Interval,
                Timeout = request.Timeout,
                Linger = TimeSpan.FromMilliseconds(10),
            });
            var hop = HopOf(ttl, probes.Count, result);
            hops.Add(hop);
            onHop?.Invoke(hop);
            if (hop.Ends)
            {
                break;
            }
        }

        return hops;
    }

    /// <summary>What a hop's probe run amounts to: per probe, the first answer from the target or ICMP (ICMPv6) error
    /// quoting it, by whoever sent it; null for silence. Our own kernel's frames and duplicates are left out.</summary>
    public static Hop HopOf(int ttl, int probes, ProbeResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var replies = new HopReply?[probes];
        foreach (var reply in result.Replies)
        {
            if (reply.Duplicate || reply.Frame.IsEmpty || reply.Kind == ProbeReplyKind.Kernel || reply.Index >= probes || replies[reply.Index] is not null)
            {
                continue;
            }

            var parsed = FrameParser.Parse(reply.Frame.Span);
            if (!parsed.TryGetAddresses(out var from, out _))
            {
                continue;
            }

            replies[reply.Index] = parsed.Tcp is { } tcp ? new HopReply(from, reply.Rtt, null, tcp.Flags)
                : IcmpErrorSeen.Of(parsed) is { } error ? new HopReply(from, reply.Rtt, error, null)
                : null;
        }

        return new Hop(ttl, replies);
    }
}

/// <summary>A hop as traceroute prints it: <c> 2  198.18.3.1  0.101 ms  0.087 ms *</c> (traceroute's own spacing), the address again where a probe
/// was answered by someone else than the one before, <c>!X</c> marks after unreachables, and what the target said
/// (<c>[open]</c> for a SYN-ACK, <c>[closed]</c> for a RST); and as one JSON object per hop.</summary>
public static class HopText
{
    public static string Line(Hop hop)
    {
        ArgumentNullException.ThrowIfNull(hop);
        var sb = new System.Text.StringBuilder();
        sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"{hop.Ttl,2} ");
        IpAddress? last = null;
        string? ending = null;
        foreach (var r in hop.Replies)
        {
            if (r is null)
            {
                sb.Append(" *");
                continue;
            }

            if (last != r.From)
            {
                sb.Append(System.Globalization.CultureInfo.InvariantCulture, $" {r.From}");
                last = r.From;
            }

            sb.Append(System.Globalization.CultureInfo.InvariantCulture, $"  {r.Rtt.TotalMilliseconds:0.000} ms");
            if (r.Mark.Length > 0)
            {
                sb.Append(' ').Append(r.Mark);
            }

            if (r.Flags is { } f)
            {
                ending ??= (f & TcpFlags.Rst) != 0 ? "[closed]" : "[open]";
            }
        }

        if (ending is not null)
        {
            sb.Append("  ").Append(ending);
        }

        return sb.ToString();
    }

    /// <summary><c>{"event":"hop","hop":2,"replies":[{"from":"198.18.3.1","rtt_us":101.2,"icmp":{"type":11,"code":0,"name":"…"}},null,
    /// {"from":"198.18.4.10","rtt_us":…,"flags":"SAE"}],"reached":false}</c>.</summary>
    public static string Json(Hop hop)
    {
        ArgumentNullException.ThrowIfNull(hop);
        using var stream = new MemoryStream();
        using (var w = new System.Text.Json.Utf8JsonWriter(stream))
        {
            w.WriteStartObject();
            w.WriteString("event", "hop");
            w.WriteNumber("hop", hop.Ttl);
            w.WriteStartArray("replies");
            foreach (var r in hop.Replies)
            {
                if (r is null)
                {
                    w.WriteNullValue();
                    continue;
                }

                w.WriteStartObject();
                w.WriteString("from", r.From.ToString());
                w.WriteNumber("rtt_us", Math.Round(r.Rtt.TotalMicroseconds, 1));
                if (r.Icmp is { } icmp)
                {
                    w.WriteStartObject("icmp");
                    w.WriteNumber("type", icmp.Type);
                    w.WriteNumber("code", icmp.Code);
                    w.WriteString("name", icmp.Name);
                    w.WriteEndObject();
                }

                if (r.Flags is { } f)
                {
                    w.WriteString("flags", f.ToLetters());
                }

                w.WriteEndObject();
            }

            w.WriteEndArray();
            w.WriteBoolean("reached", hop.Replies.Any(r => r is { FromTarget: true }));
            w.WriteEndObject();
        }

        return System.Text.Encoding.UTF8.GetString(stream.ToArray());
    }
}
