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
}
