using System.Globalization;
using System.Text;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Wire.Dissection;

/// <summary>The Info column of ICMPv6 and neighbour discovery as tshark 4.0 writes it (packet-icmpv6.c).</summary>
public static class Icmpv6InfoText
{
    /// <summary>
    /// The type's name, the code's meaning in parentheses where the type has codes, <c>id=0x…, seq=n, hop limit=n</c>
    /// for echo, and what neighbour discovery messages say: the target, NA flags, and each link-layer address option
    /// (<c>from</c> a source, <c>is at</c> a target).
    /// </summary>
    public static string Info(in ParsedFrame f, ReadOnlySpan<byte> frame, int? requestFrame = null)
    {
        var icmp = f.Icmpv6!.Value;
        var sb = new StringBuilder(TypeName(icmp.Type));
        if (CodeName(icmp.Type, icmp.Code, icmp.RestOfHeader) is { } code)
        {
            sb.Append(" (").Append(code).Append(')');
        }

        if (icmp.Type is Icmpv6Header.EchoRequest or Icmpv6Header.EchoReply)
        {
            sb.Append(CultureInfo.InvariantCulture, $" id=0x{icmp.Identifier:x4}, seq={icmp.SequenceNumber}, hop limit={f.IPv6?.HopLimit ?? 0}");
            if (requestFrame is { } n)
            {
                sb.Append(CultureInfo.InvariantCulture, $" (request in {n})");
            }
        }

        if (f.Ndp is { } m)
        {
            if (m.Type == Icmpv6Header.NeighborSolicitation)
            {
                sb.Append(" for ").Append(m.Target);
            }
            else if (m.Type == Icmpv6Header.NeighborAdvertisement)
            {
                List<string> flags = [];
                if (m.Router) { flags.Add("rtr"); }
                if (m.Solicited) { flags.Add("sol"); }
                if (m.Override) { flags.Add("ovr"); }
                sb.Append(' ').Append(m.Target).Append(" (").Append(flags.Count == 0 ? "none" : string.Join(", ", flags)).Append(')');
            }

            foreach (var o in new NdpOptionReader(frame.Slice(m.OptionsOffset, Math.Min(m.OptionsLength, frame.Length - m.OptionsOffset)), m.OptionsOffset))
            {
                if (o.Type is NdpOption.SourceLinkAddress or NdpOption.TargetLinkAddress && o.Length == 8)
                {
                    sb.Append(o.Type == NdpOption.SourceLinkAddress ? " from " : " is at ").Append(MacAddress.Read(frame[(o.Offset + 2)..]));
                }
            }
        }

        return sb.ToString();
    }

    /// <summary>tshark's name of an ICMPv6 type.</summary>
    public static string TypeName(byte type) => type switch
    {
        1 => "Destination Unreachable",
        2 => "Packet Too Big",
        3 => "Time Exceeded",
        4 => "Parameter Problem",
        100 or 101 or 200 or 201 => "Private experimentation",
        127 => "Reserved for expansion of ICMPv6 error messages",
        128 => "Echo (ping) request",
        129 => "Echo (ping) reply",
        130 => "Multicast Listener Query",
        131 => "Multicast Listener Report",
        132 => "Multicast Listener Done",
        133 => "Router Solicitation",
        134 => "Router Advertisement",
        135 => "Neighbor Solicitation",
        136 => "Neighbor Advertisement",
        137 => "Redirect",
        138 => "Router Renumbering",
        139 => "Node Information Query",
        140 => "Node Information Reply",
        141 => "Inverse Neighbor Discovery Solicitation",
        142 => "Inverse Neighbor Discovery Advertisement",
        143 => "Multicast Listener Report Message v2",
        144 => "Home Agent Address Discovery Request",
        145 => "Home Agent Address Discovery Reply",
        146 => "Mobile Prefix Solicitation",
        147 => "Mobile Prefix Advertisement",
        148 => "Certification Path Solicitation",
        149 => "Certification Path Advertisement",
        150 => "Experimental Mobility",
        151 => "Multicast Router Advertisement",
        152 => "Multicast Router Solicitation",
        153 => "Multicast Router Termination",
        154 => "FMIPv6",
        155 => "RPL Control",
        156 => "Locator Update",
        157 => "Duplicate Address Request",
        158 => "Duplicate Address Confirmation",
        159 => "MPL Control Message",
        160 => "Extended Echo request",
        161 => "Extended Echo reply",
        255 => "Reserved for expansion of ICMPv6 informational messages",
        _ => string.Create(CultureInfo.InvariantCulture, $"Unknown ({type})"),
    };

    /// <summary>The type's name with the code's meaning after it when tshark names one: "Time Exceeded (hop limit exceeded in transit)".</summary>
    public static string Name(byte type, byte code, uint rest = 0) =>
        CodeName(type, code, rest) is { } meaning ? $"{TypeName(type)} ({meaning})" : TypeName(type);

    /// <summary>The code's meaning (a subtype's for experimental mobility and FMIPv6), for the types tshark names it
    /// of; null for the others.</summary>
    public static string? CodeName(byte type, byte code, uint rest) => type switch
    {
        1 => code < Unreachable.Length ? Unreachable[code] : "Unknown",
        3 => Named(code, ["hop limit exceeded in transit", "fragment reassembly time exceeded"]),
        4 => Named(code, ["erroneous header field encountered", "unrecognized Next Header type encountered", "unrecognized IPv6 option encountered", "IPv6 First Fragment has incomplete IPv6 Header Chain"]),
        138 => Named(code, ["Command", "Result"]) is var rr && code == 255 ? "Sequence number reset" : rr,
        139 => Named(code, ["Query subject = IPv6 addresses", "Query subject = DNS name or empty", "Query subject = IPv4 addresses"]),
        140 => Named(code, ["Successful", "Refused", "Unknown query type"]),
        150 or 154 => Named((byte)(rest >> 24), []),
        155 => Named(code, ["DODAG Information Solicitation", "DODAG Information Object", "Destination Advertisement Object", "Destination Advertisement Object Acknowledgment",
            "P2P Discovery Reply Object", "P2P Discovery Reply Object Acknowledgement"]),
        160 => Named(code, ["No error"]),
        161 => Named(code, ["No error", "Malformed Query", "No Such Interface", "No Such Table Entry", "Multiple Interfaces Satisfy Query"]),
        _ => null,
    };

    private static readonly string[] Unreachable =
    [
        "no route to destination", "Administratively prohibited", "Beyond scope of source address", "Address unreachable",
        "Port unreachable", "Source address failed ingress/egress policy", "Reject route to destination", "Error in Source Routing Header",
    ];

    private static string Named(byte code, string[] names) =>
        code < names.Length ? names[code] : string.Create(CultureInfo.InvariantCulture, $"Unknown ({code})");
}
