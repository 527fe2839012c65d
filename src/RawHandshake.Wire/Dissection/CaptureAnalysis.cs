using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Wire.Dissection;

/// <summary>
/// One frame after <see cref="CaptureAnalysis.Next"/>: its number, the parse, relative numbers (TCP only), analysis
/// tags, the IP address an ARP packet claims that an earlier frame bound to another MAC, and an echo reply's request.
/// </summary>
public sealed record AnalyzedFrame(int Number, ParsedFrame Parsed, RelativeSeq? Rel, IReadOnlyList<string> Tags)
{
    public IPv4Address? ArpDuplicate { get; init; }

    public int? EchoRequestFrame { get; init; }

    /// <summary>The IPv4 datagram or IPv6 packet this fragment completed; then the other fields describe it, not the fragment alone.</summary>
    public ReassembledDatagram? Reassembled { get; init; }
}

/// <summary>
/// The sequence every reader of a capture goes through, frame after frame: parse, track the conversation (relative
/// numbers, window scale), analyze (Wireshark's tags). One instance per capture or trace, fed frames in order; the
/// engine's trace and <c>dissect</c> both use it.
/// </summary>
public sealed class CaptureAnalysis(bool conversationsFromStart = false)
{
    /// <summary>Relative numbers from each conversation's first frame (a live trace, <see cref="ConversationTracker.FromStart"/>) or as tshark counts them in a capture.</summary>
    private readonly ConversationTracker tracker = new() { FromStart = conversationsFromStart };
    private readonly TcpAnalyzer analyzer = new();
    private readonly Dictionary<uint, (MacAddress Mac, int Frame)> arpBindings = [];
    private readonly Dictionary<(uint From, uint To, uint IdSeq), int> echoRequests = [];
    private readonly Dictionary<(IpAddress A, IpAddress B, uint IdSeq), int> echoRequests6 = [];
    private readonly IPv4Reassembler fragments = new();
    private readonly IPv6Reassembler fragments6 = new();

    /// <summary>Frames seen so far (the last one's number).</summary>
    public int Count { get; private set; }

    /// <summary>
    /// Parses and analyzes the next frame. <paramref name="frame"/> must stay unchanged while the result is used (the
    /// parse holds offsets into it). <paramref name="time"/> is the capture time (null: every time bound counts as met).
    /// </summary>
    public AnalyzedFrame Next(byte[] frame, LinkType link, DateTimeOffset? time) => Next(frame, FrameParser.Parse(frame, link), time);

    /// <summary>As <see cref="Next(byte[], LinkType, DateTimeOffset?)"/> for a frame parsed already (the engine parses
    /// each frame once; the parse must be of <paramref name="frame"/>).</summary>
    public AnalyzedFrame Next(byte[] frame, ParsedFrame parsed, DateTimeOffset? time)
    {
        var link = parsed.Link;
        var number = ++Count;
        ReassembledDatagram? whole = null;
        if (parsed.IsFragment)
        {
            // A fragment is analyzed only as part of the datagram it completes, as in tshark.
            whole = parsed.IsIPv6 ? fragments6.Add(frame, parsed, link, number) : fragments.Add(frame, parsed, link, number);
            if (whole is null)
            {
                return new AnalyzedFrame(number, parsed, null, []);
            }
        }

        var (p, bytes) = whole is null ? (parsed, frame) : (whole.Parsed, whole.Bytes);
        var rel = p.Tcp is not null ? tracker.Track(p, bytes) : (RelativeSeq?)null;
        var tags = analyzer.Analyze(p, bytes, number, time);
        return new AnalyzedFrame(number, parsed, rel, tags)
        {
            ArpDuplicate = p.Arp is { } arp ? ArpDuplicate(arp, number) : null,
            EchoRequestFrame = p.Icmp is { } icmp && p.IPv4 is { } ip ? Echo(icmp, ip, number) : p.Icmpv6 is { } icmp6 ? Echo6(icmp6, p, number) : null,
            Reassembled = whole,
        };
    }

    /// <summary>
    /// tshark's duplicate-address check (packet-arp.c): requests and replies bind their sender's IP to its MAC, replies
    /// their target's too; an IP seen before with another MAC is a duplicate (the first binding stays). The target's
    /// check, when there is one, decides the result, as in tshark.
    /// </summary>
    private IPv4Address? ArpDuplicate(ArpPacket a, int number)
    {
        if (a.Operation is not (ArpPacket.Request or ArpPacket.Reply) || a.HardwareType is not (1 or 6) || a.ProtocolType != (ushort)EtherType.IPv4)
        {
            return null;
        }

        IPv4Address? found = null;
        if (LinkInfoText.IsBinding(a.SenderMac, a.SenderIp))
        {
            found = Bind(a.SenderIp, a.SenderMac, number) ? a.SenderIp : null;
        }

        if (a.Operation == ArpPacket.Reply && LinkInfoText.IsBinding(a.TargetMac, a.TargetIp) && found != a.TargetIp)
        {
            found = Bind(a.TargetIp, a.TargetMac, number) ? a.TargetIp : null;
        }

        return found;
    }

    private bool Bind(IPv4Address ip, MacAddress mac, int number)
    {
        if (arpBindings.TryGetValue(ip.Value, out var known))
        {
            if (known.Mac != mac)
            {
                return true;
            }

            arpBindings[ip.Value] = (mac, number);
            return false;
        }

        arpBindings[ip.Value] = (mac, number);
        return false;
    }

    /// <summary>An echo reply's request: the last request with its identifier and sequence number sent the other way.</summary>
    private int? Echo(IcmpHeader icmp, IPv4Header ip, int number)
    {
        var idSeq = icmp.RestOfHeader;
        if (icmp.Type == IcmpHeader.EchoRequest)
        {
            echoRequests[(ip.Source.Value, ip.Destination.Value, idSeq)] = number;
            return null;
        }

        return icmp.Type == IcmpHeader.EchoReply && echoRequests.TryGetValue((ip.Destination.Value, ip.Source.Value, idSeq), out var request) ? request : null;
    }

    /// <summary>An ICMPv6 echo reply's request: the last request between the same two addresses (either way, as tshark
    /// keys its ICMPv6 conversations) with its identifier and sequence number.</summary>
    private int? Echo6(Icmpv6Header icmp, in ParsedFrame p, int number)
    {
        if (icmp.Type is not (Icmpv6Header.EchoRequest or Icmpv6Header.EchoReply) || !p.TryGetTransportAddresses(out var src, out var dst))
        {
            return null;
        }

        if (icmp.Type == Icmpv6Header.EchoRequest)
        {
            echoRequests6[(src, dst, icmp.RestOfHeader)] = echoRequests6[(dst, src, icmp.RestOfHeader)] = number;
            return null;
        }

        return echoRequests6.TryGetValue((src, dst, icmp.RestOfHeader), out var request) ? request : null;
    }
}
