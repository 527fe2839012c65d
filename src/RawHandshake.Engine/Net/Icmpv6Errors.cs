using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Net;

/// <summary>An ICMPv6 error (RFC 4443) in the terms the session judges ICMP errors by (RFC 5927), which are ICMPv4's.</summary>
public static class Icmpv6Errors
{
    /// <summary>
    /// The ICMPv4 type and code with the same meaning for a TCP connection, or false when the message is no error for
    /// it: destination unreachable (no route → network unreachable, administratively prohibited → communication
    /// prohibited, beyond scope / address unreachable → host unreachable, port unreachable → port unreachable), packet too
    /// big → fragmentation needed (with the MTU), time exceeded → time exceeded. Parameter problems are not reported to TCP.
    /// </summary>
    public static bool TryAsIcmpv4(in Icmpv6Header icmp, out byte type, out byte code, out int? mtu)
    {
        mtu = null;
        (type, code) = icmp.Type switch
        {
            Icmpv6Header.DestinationUnreachable => ((byte)IcmpHeader.DestinationUnreachable, (byte)(icmp.Code switch
            {
                0 => 0,           // no route to destination → network unreachable
                1 or 5 or 6 => 13, // administratively prohibited, source policy, reject route → communication prohibited
                4 => 3,           // port unreachable
                _ => 1,           // beyond scope, address unreachable → host unreachable
            })),
            Icmpv6Header.PacketTooBig => ((byte)IcmpHeader.DestinationUnreachable, (byte)4),
            Icmpv6Header.TimeExceeded => ((byte)IcmpHeader.TimeExceeded, icmp.Code),
            _ => ((byte)0, (byte)0),
        };
        if (icmp.Type == Icmpv6Header.PacketTooBig)
        {
            mtu = (int)Math.Min(icmp.RestOfHeader, int.MaxValue);
        }

        return type != 0;
    }

    /// <summary>How the trace names it: <c>ICMPv6 destination unreachable (port unreachable)</c>, <c>ICMPv6 packet too big (MTU 1280)</c>.</summary>
    public static string Describe(in Icmpv6Header icmp) => icmp.Type switch
    {
        Icmpv6Header.DestinationUnreachable => "ICMPv6 destination unreachable (" + icmp.Code switch
        {
            0 => "no route to destination",
            1 => "administratively prohibited",
            2 => "beyond scope of source address",
            3 => "address unreachable",
            4 => "port unreachable",
            5 => "source address failed ingress/egress policy",
            6 => "reject route to destination",
            _ => $"code {icmp.Code}",
        } + ")",
        Icmpv6Header.PacketTooBig => $"ICMPv6 packet too big (MTU {icmp.RestOfHeader})",
        Icmpv6Header.TimeExceeded => icmp.Code == 0 ? "ICMPv6 time exceeded (hop limit exceeded in transit)" : "ICMPv6 time exceeded (fragment reassembly time exceeded)",
        Icmpv6Header.ParameterProblem => $"ICMPv6 parameter problem (code {icmp.Code})",
        _ => $"ICMPv6 type {icmp.Type} code {icmp.Code}",
    };
}
