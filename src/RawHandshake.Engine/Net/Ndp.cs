using RawHandshake.Wire.Building;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Net;

/// <summary>Neighbour discovery (RFC 4861): IPv6's neighbour resolution, with solicitations and advertisements.</summary>
public sealed class Ndp : INeighbourProtocol
{
    public static readonly Ndp Instance = new();

    private Ndp()
    {
    }

    public IpFamily Family => IpFamily.V6;

    public string Name => "NDP";

    /// <summary>A neighbour solicitation to the target's solicited-node group; from :: it is duplicate address detection
    /// (RFC 4862 §5.4: no source link-layer option, so nobody learns from it).</summary>
    public int BuildRequest(Span<byte> buffer, MacAddress localMac, IpAddress sender, IpAddress target) =>
        FrameBuilder.BuildNeighborSolicitation(buffer, localMac, sender.V6Address, target.V6Address);

    /// <summary>A solicited advertisement to the asker; to all nodes (ff02::1, not solicited) when the asker was :: (RFC 4861 §7.2.4).</summary>
    public int BuildReply(Span<byte> buffer, MacAddress localMac, IpAddress owned, in NeighbourMessage request)
    {
        var dad = request.Sender.IsUnspecified;
        var to = dad ? IPv6Address.AllNodes : request.Sender.V6Address;
        var toMac = dad ? IPv6Address.AllNodes.MulticastMac : request.SenderMac;
        return FrameBuilder.BuildNeighborAdvertisement(buffer, localMac, owned.V6Address, toMac, to, owned.V6Address, solicited: !dad);
    }

    public NeighbourMessage Read(in ParsedFrame frame)
    {
        if (frame.Ndp is not { } ndp || frame.IPv6 is not { } ip || frame.Malformed is not null)
        {
            return default;
        }

        var linkSource = frame.Ethernet?.Source ?? MacAddress.Zero;
        return ndp.Type switch
        {
            Icmpv6Header.NeighborSolicitation when ndp.Target is { } t =>
                new NeighbourMessage(NeighbourKind.Request, ip.Source, ndp.SourceLinkAddress ?? linkSource, t),
            Icmpv6Header.NeighborAdvertisement when ndp.Target is { } t =>
                new NeighbourMessage(NeighbourKind.Reply, t, ndp.TargetLinkAddress ?? linkSource, t),
            _ => new NeighbourMessage(NeighbourKind.Other, ip.Source, linkSource, IpAddress.AnyV6),
        };
    }
}
