using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Wire.Matching;

/// <summary>
/// Scapy's two-step reply matching without allocation: does <c>reply</c> answer <c>sent</c>? The 4-tuple must be the
/// sent one reversed, then the flags and numbers must fit (wrap-safe): an ACK must acknowledge what was sent, a RST must
/// be a valid answer to it; an ICMP error must quote it; an echo reply must carry its identifier and sequence; an ARP
/// reply must come from the address asked about.
/// </summary>
public static class Answers
{
    public static bool IsAnswer(in ParsedFrame sent, in ParsedFrame reply)
    {
        if (sent.Arp is { } ask)
        {
            return reply.Arp is { Operation: ArpPacket.Reply } a && a.SenderIp == ask.TargetIp && ask.Operation == ArpPacket.Request;
        }

        if (sent.IPv6 is { } sip6)
        {
            return reply.IPv6 is { } rip6 && IsAnswer6(sent, sip6, reply, rip6);
        }

        if (sent.IPv4 is not { } sip || reply.IPv4 is not { } rip)
        {
            return false;
        }

        // An ICMP error quoting our datagram answers it, whoever sends it (a router on the way, the host itself).
        if (reply.Icmp is { } err && reply.IcmpQuote is { } q && err.QuotesDatagram)
        {
            return q.Ip.Source == sip.Source && q.Ip.Destination == sip.Destination && q.Ip.Protocol == sip.Protocol && q.Ip.Id == sip.Id
                && (sent.Tcp is not { } qt || (q.SourcePort == qt.SourcePort && q.DestinationPort == qt.DestinationPort));
        }

        if (rip.Source != sip.Destination || rip.Destination != sip.Source)
        {
            return false;
        }

        return sent.Icmp is { Type: IcmpHeader.EchoRequest } echo
            ? reply.Icmp is { Type: IcmpHeader.EchoReply } r && r.RestOfHeader == echo.RestOfHeader
            : TransportAnswers(sent, reply);
    }

    private static bool IsAnswer6(in ParsedFrame sent, in IPv6Header sip, in ParsedFrame reply, in IPv6Header rip)
    {
        // An ICMPv6 error quoting our packet answers it, whoever sends it; IPv6 has no ID to compare, the flow label stands in.
        if (reply.Icmpv6 is { } err && reply.Icmpv6Quote is { } q && err.QuotesDatagram)
        {
            return q.Ip.Source == sip.Source && q.Ip.Destination == sip.Destination && q.Protocol == sent.UpperProtocol && q.Ip.FlowLabel == sip.FlowLabel
                && (sent.Tcp is not { } qt || (q.SourcePort == qt.SourcePort && q.DestinationPort == qt.DestinationPort && q.TcpSeq == qt.Seq))
                && (sent.Udp is not { } qu || (q.SourcePort == qu.SourcePort && q.DestinationPort == qu.DestinationPort));
        }

        if (sent.Ndp is { Type: Icmpv6Header.NeighborSolicitation, Target: { } asked })
        {
            return reply.Ndp is { Type: Icmpv6Header.NeighborAdvertisement, Target: { } told } && told == asked;
        }

        if (rip.Source != sent.Ipv6PseudoDestination || rip.Destination != sip.Source)
        {
            return false;
        }

        return sent.Icmpv6 is { Type: Icmpv6Header.EchoRequest } echo
            ? reply.Icmpv6 is { Type: Icmpv6Header.EchoReply } r && r.RestOfHeader == echo.RestOfHeader
            : TransportAnswers(sent, reply);
    }

    /// <summary>Between the same two addresses, either family: a TCP segment answers ours on the swapped ports with the
    /// right flags and numbers, a UDP datagram on the swapped ports.</summary>
    private static bool TransportAnswers(in ParsedFrame sent, in ParsedFrame reply)
    {
        if (sent.Tcp is { } st)
        {
            return reply.Tcp is { } rt && rt.SourcePort == st.DestinationPort && rt.DestinationPort == st.SourcePort && TcpAnswers(sent, st, rt);
        }

        return sent.Udp is { } su && reply.Udp is { } ru && ru.SourcePort == su.DestinationPort && ru.DestinationPort == su.SourcePort;
    }

    private static bool TcpAnswers(in ParsedFrame sent, TcpHeader st, TcpHeader rt)
    {
        var seqLen = SequenceSpace.Of(st.Flags, sent.PayloadLength);
        var expectedAck = st.Seq + seqLen;
        if (rt.Has(TcpFlags.Rst))
        {
            // RFC 9293 §3.10.7.1: to a segment without ACK the RST acknowledges it; to one with ACK it takes SEQ = SEG.ACK.
            return st.Has(TcpFlags.Ack) ? rt.Seq == st.Ack || (rt.Has(TcpFlags.Ack) && rt.Ack == expectedAck) : rt.Has(TcpFlags.Ack) && rt.Ack == expectedAck;
        }

        if (!rt.Has(TcpFlags.Ack))
        {
            return false;
        }

        // An ACK answers when it acknowledges our segment (or, for a pure ACK/keep-alive, at least reaches its sequence).
        return seqLen > 0 ? rt.Ack == expectedAck || (rt.Ack - st.Seq > 0 && rt.Ack - expectedAck <= 0) : rt.Ack >= st.Seq;
    }

    /// <summary>True when <paramref name="other"/> is a TCP segment of the same connection as <paramref name="sent"/>, either way.</summary>
    public static bool SameConnection(in ParsedFrame sent, in ParsedFrame other) =>
        sent.Tcp is { } st && other.Tcp is { } ot &&
        ((Reversed(sent, other) && ot.SourcePort == st.DestinationPort && ot.DestinationPort == st.SourcePort) || FromOurSide(sent, other));

    /// <summary>True when <paramref name="other"/> goes the way <paramref name="sent"/> went (same 4-tuple, same direction).</summary>
    public static bool FromOurSide(in ParsedFrame sent, in ParsedFrame other) =>
        sent.Tcp is { } st && other.Tcp is { } ot && SameWay(sent, other) && ot.SourcePort == st.SourcePort && ot.DestinationPort == st.DestinationPort;

    private static bool Reversed(in ParsedFrame a, in ParsedFrame b) =>
        (a.IPv4 is { } a4 && b.IPv4 is { } b4 && b4.Source == a4.Destination && b4.Destination == a4.Source)
        || (a.IPv6 is { } a6 && b.IPv6 is { } b6 && b6.Source == a6.Destination && b6.Destination == a6.Source);

    private static bool SameWay(in ParsedFrame a, in ParsedFrame b) =>
        (a.IPv4 is { } a4 && b.IPv4 is { } b4 && b4.Source == a4.Source && b4.Destination == a4.Destination)
        || (a.IPv6 is { } a6 && b.IPv6 is { } b6 && b6.Source == a6.Source && b6.Destination == a6.Destination);
}
