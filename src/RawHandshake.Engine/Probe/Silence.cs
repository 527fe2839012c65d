using System.Globalization;
using RawHandshake.Wire.Dissection;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Probe;

/// <summary>
/// "Say why nothing answered": what the fields of a frame that got no answer make likely, and what came back instead
/// (ICMP errors quoting it), most telling first — for <c>craft --send</c>, <c>probe</c> and <c>traceroute</c> alike.
/// </summary>
public static class Silence
{
    /// <summary>The likely reasons, most telling first; never empty.</summary>
    /// <param name="frame">The frame that went out.</param>
    /// <param name="errors">ICMP errors that quoted it (or its siblings), as frames.</param>
    /// <param name="mtu">The MTU of the interface it left by, when known.</param>
    public static IReadOnlyList<string> Explain(ReadOnlySpan<byte> frame, IEnumerable<ReadOnlyMemory<byte>> errors, int? mtu = null)
    {
        ArgumentNullException.ThrowIfNull(errors);
        var why = new List<string>();
        foreach (var e in errors)
        {
            var f = FrameParser.Parse(e.Span);
            if (f is { Icmpv6: { } icmp6, IPv6: { } from6 })
            {
                var text6 = (icmp6.Type, icmp6.Code) switch
                {
                    (Icmpv6Header.TimeExceeded, 0) => $"it died on the way: {from6.Source} sent time exceeded (its hop limit ran out before the target; raise --hop-limit)",
                    (Icmpv6Header.PacketTooBig, _) => $"{from6.Source} says packet too big: its next-hop MTU is {icmp6.RestOfHeader} and IPv6 routers never fragment (send less)",
                    (Icmpv6Header.DestinationUnreachable, 4) => $"{from6.Source} says port unreachable: nothing listens on that UDP port",
                    _ => $"{from6.Source} sent ICMPv6 {Icmpv6InfoText.TypeName(icmp6.Type)}{(Icmpv6InfoText.CodeName(icmp6.Type, icmp6.Code, icmp6.RestOfHeader) is { } c ? $" ({c})" : "")}",
                };
                if (!why.Contains(text6))
                {
                    why.Add(text6);
                }

                continue;
            }

            if (f is not { Icmp: { } icmp, IPv4: { } from })
            {
                continue;
            }

            var text = (icmp.Type, icmp.Code) switch
            {
                (11, _) => $"it died on the way: {from.Source} sent time exceeded (its TTL ran out before the target; raise --ttl)",
                (3, 4) => $"{from.Source} needs fragmentation: its next-hop MTU is {icmp.RestOfHeader & 0xFFFF} and DF forbids it (send less, or without DF)",
                (3, 3) => $"{from.Source} says port unreachable: nothing listens on that UDP port",
                _ => $"{from.Source} sent ICMP {Describe.IcmpType(icmp.Type, icmp.Code)}",
            };
            if (!why.Contains(text))
            {
                why.Add(text);
            }
        }

        var p = FrameParser.Parse(frame);
        if (p.Malformed is { } bad)
        {
            why.Add($"the frame is malformed ({bad}): the first router or the target drops it without a word");
        }

        if (p.IPv4 is not { } ip)
        {
            return Fallback(why);
        }

        if (ip.Version is { } v && v != 4)
        {
            why.Add(string.Create(CultureInfo.InvariantCulture, $"IP version {v} is set in an IPv4 header: every stack drops it silently"));
        }

        if (p.IpChecksum(frame) == ChecksumVerdict.Bad)
        {
            why.Add(string.Create(CultureInfo.InvariantCulture, $"the IP header checksum 0x{ip.Checksum:x4} is wrong: the first router (or the target) drops the datagram silently (IpInHdrErrors), no ICMP"));
        }

        if (p.Tcp is not null && p.TransportChecksum(frame) == ChecksumVerdict.Bad)
        {
            why.Add("the TCP checksum is wrong: routers do not check it, the receiving stack drops the segment silently (TcpInCsumErrors), no RST and no ICMP");
        }
        else if (p.Udp is { Checksum: not 0 } && p.TransportChecksum(frame) == ChecksumVerdict.Bad)
        {
            why.Add("the UDP checksum is wrong: the receiving stack drops the datagram silently (UdpInCsumErrors)");
        }

        var ipLength = frame.Length - p.NetworkOffset;
        if (ip.DontFragment && mtu is { } m && ipLength > m)
        {
            why.Add(string.Create(CultureInfo.InvariantCulture, $"DF is set and the datagram is {ipLength} bytes, more than the MTU {m} of the interface it left by: it cannot be carried whole (send less, or without DF)"));
        }

        if (ip.Ttl is { } ttl && ttl <= 4 && !why.Any(w => w.Contains("time exceeded", StringComparison.Ordinal)))
        {
            why.Add(string.Create(CultureInfo.InvariantCulture, $"TTL {ttl} may be below the hop count: the router where it ran out should have sent time exceeded, so that router drops or rate-limits its ICMP"));
        }

        if (p.Tcp is { } tcp)
        {
            if (tcp.Has(TcpFlags.Rst))
            {
                why.Add("it is a RST: no stack answers a RST (RFC 9293 §3.10.7)");
            }
            else if (!tcp.Has(TcpFlags.Syn) && !tcp.Has(TcpFlags.Ack))
            {
                why.Add("it carries neither SYN, ACK nor RST: a listening port drops it without a word (RFC 9293 §3.10.7.2; nmap's FIN/NULL/Xmas scans read this as open|filtered), a closed one resets it");
            }
            else if (tcp.Has(TcpFlags.Syn) && tcp.Has(TcpFlags.Fin))
            {
                why.Add("SYN and FIN together: many stacks and firewalls drop such a segment");
            }
        }

        if (p.Udp is not null && why.Count == 0)
        {
            why.Add("a UDP service answers only a request it understands; a closed port would have sent ICMP port unreachable (unless rate-limited), so this one is open or filtered");
        }

        return Fallback(why);
    }

    private static List<string> Fallback(List<string> why)
    {
        if (why.Count == 0)
        {
            why.Add("the frame is well-formed: a firewall on the way or on the target drops it silently (nft/iptables drop), or the host behind the address is down");
        }

        return why;
    }
}
