using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Engine.Net;

/// <summary>What a received frame says in a neighbour protocol.</summary>
public enum NeighbourKind
{
    /// <summary>Not a frame of this protocol.</summary>
    None,

    /// <summary>"Who has <see cref="NeighbourMessage.Target"/>?" (ARP request, neighbour solicitation).</summary>
    Request,

    /// <summary>"<see cref="NeighbourMessage.Sender"/> is at <see cref="NeighbourMessage.SenderMac"/>" (ARP reply, neighbour advertisement).</summary>
    Reply,

    /// <summary>A frame of the protocol that is neither (e.g. an ARP operation we do not use).</summary>
    Other,
}

/// <summary>A neighbour message as the engine needs it. For a request, <see cref="Sender"/>/<see cref="SenderMac"/> are
/// the asker (<see cref="Sender"/> unspecified for a probe); for a reply, the address that was resolved and its MAC.</summary>
public readonly record struct NeighbourMessage(NeighbourKind Kind, IpAddress Sender, MacAddress SenderMac, IpAddress Target);

/// <summary>
/// The neighbour-resolution step of one address family: ARP (RFC 826) for IPv4, neighbour discovery (RFC 4861) for IPv6.
/// The engine sends requests and learns replies through it, and answers requests for phantom addresses with it.
/// </summary>
public interface INeighbourProtocol
{
    IpFamily Family { get; }

    /// <summary>For trace notes and errors: "ARP" or "NDP".</summary>
    string Name { get; }

    /// <summary>Builds a request for <paramref name="target"/> into <paramref name="buffer"/> (at least 128 bytes); returns
    /// its length. An unspecified <paramref name="sender"/> makes it a probe nobody learns from (RFC 5227, RFC 4862 DAD).</summary>
    int BuildRequest(Span<byte> buffer, MacAddress localMac, IpAddress sender, IpAddress target);

    /// <summary>Builds the answer "<paramref name="owned"/> is at <paramref name="localMac"/>" to <paramref name="request"/>.</summary>
    int BuildReply(Span<byte> buffer, MacAddress localMac, IpAddress owned, in NeighbourMessage request);

    /// <summary>Reads a received frame; <see cref="NeighbourKind.None"/> when it is not of this protocol.</summary>
    NeighbourMessage Read(in ParsedFrame frame);
}

/// <summary>The neighbour protocol of each family.</summary>
public static class NeighbourProtocols
{
    public static INeighbourProtocol For(IpFamily family) => family == IpFamily.V4
        ? Arp.Instance
        : throw new InvalidOperationException("IPv6 neighbour discovery is not built in yet");

    /// <summary>Reads a received frame with each protocol; <see cref="NeighbourKind.None"/> when it is of none.</summary>
    public static NeighbourMessage Read(in ParsedFrame frame) => Arp.Instance.Read(frame);
}
