using RawHandshake.Wire.Primitives;

namespace RawHandshake.Wire.Parsing;

/// <summary>A parsed frame's network-layer addresses, whatever the family.</summary>
public static class ParsedFrameAddresses
{
    /// <summary>The source and destination of the frame's IP header; false when it has none.</summary>
    public static bool TryGetAddresses(this in ParsedFrame frame, out IpAddress source, out IpAddress destination)
    {
        if (frame.IPv4 is { } ip)
        {
            source = ip.Source;
            destination = ip.Destination;
            return true;
        }

        if (frame.IPv6 is { } ip6)
        {
            source = ip6.Source;
            destination = ip6.Destination;
            return true;
        }

        source = destination = default;
        return false;
    }

    /// <summary>
    /// The addresses the transport layer sees (its pseudo-header's): as <see cref="TryGetAddresses"/>, but an IPv6
    /// destination is the final one of a routing header with segments left. tshark keys TCP conversations and streams
    /// by these.
    /// </summary>
    public static bool TryGetTransportAddresses(this in ParsedFrame frame, out IpAddress source, out IpAddress destination)
    {
        if (!frame.TryGetAddresses(out source, out destination))
        {
            return false;
        }

        if (frame.IPv6 is not null)
        {
            destination = frame.Ipv6PseudoDestination;
        }

        return true;
    }
}
