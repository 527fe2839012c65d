using RawHandshake.Wire.Building;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Net;

/// <summary>ARP (RFC 826): IPv4's neighbour resolution.</summary>
public sealed class Arp : INeighbourProtocol
{
    public static readonly Arp Instance = new();

    private Arp()
    {
    }

    public IpFamily Family => IpFamily.V4;

    public string Name => "ARP";

    public int BuildRequest(Span<byte> buffer, MacAddress localMac, IpAddress sender, IpAddress target) =>
        FrameBuilder.BuildArpRequest(buffer, localMac, sender.V4, target.V4);

    public int BuildReply(Span<byte> buffer, MacAddress localMac, IpAddress owned, in NeighbourMessage request) =>
        FrameBuilder.BuildArpReply(buffer, localMac, owned.V4, request.SenderMac, request.Sender.V4);

    public NeighbourMessage Read(in ParsedFrame frame) => frame.Arp is not { } arp
        ? default
        : new NeighbourMessage(
            arp.Operation switch
            {
                ArpPacket.Request => NeighbourKind.Request,
                ArpPacket.Reply => NeighbourKind.Reply,
                _ => NeighbourKind.Other,
            },
            arp.SenderIp,
            arp.SenderMac,
            arp.TargetIp);
}
