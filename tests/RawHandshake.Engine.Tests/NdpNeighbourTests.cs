using RawHandshake.Engine.Net;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Engine.Tests;

/// <summary>The neighbour step over IPv6: what NDP sends and how the engine reads it back, as ARP does for IPv4.</summary>
public class NdpNeighbourTests
{
    private static readonly MacAddress Ours = MacAddress.Parse("02:52:48:00:01:01");
    private static readonly MacAddress Theirs = MacAddress.Parse("02:52:48:00:01:0a");
    private static readonly IpAddress Phantom = IpAddress.Parse("2001:db8:1::77");
    private static readonly IpAddress Server = IpAddress.Parse("2001:db8:1::10");

    private static NeighbourMessage Read(ReadOnlySpan<byte> frame) => NeighbourProtocols.Read(FrameParser.Parse(frame, Wire.Capture.LinkType.Ethernet));

    [Fact]
    public void ASolicitationReadsAsARequestAndItsAnswerAsAReply()
    {
        NeighbourProtocols.For(IpFamily.V6).ShouldBeSameAs(Ndp.Instance);
        NeighbourProtocols.For(IpFamily.V4).ShouldBeSameAs(Arp.Instance);
        var buffer = new byte[128];
        var n = Ndp.Instance.BuildRequest(buffer, Theirs, Server, Phantom);
        var request = Read(buffer.AsSpan(0, n));
        request.ShouldBe(new NeighbourMessage(NeighbourKind.Request, Server, Theirs, Phantom));

        n = Ndp.Instance.BuildReply(buffer, Ours, Phantom, request);
        var reply = Read(buffer.AsSpan(0, n));
        reply.ShouldBe(new NeighbourMessage(NeighbourKind.Reply, Phantom, Ours, Phantom));
        var parsed = FrameParser.Parse(buffer.AsSpan(0, n), Wire.Capture.LinkType.Ethernet);
        parsed.IPv6!.Value.Destination.ShouldBe(Server.V6Address);
        parsed.Ndp!.Value.Solicited.ShouldBeTrue();
    }

    [Fact]
    public void DuplicateAddressDetectionIsAnsweredToAllNodes()
    {
        var buffer = new byte[128];
        var n = Ndp.Instance.BuildRequest(buffer, Theirs, IpAddress.AnyV6, Phantom);
        var probe = Read(buffer.AsSpan(0, n));
        (probe.Kind, probe.Sender, probe.Target).ShouldBe((NeighbourKind.Request, IpAddress.AnyV6, Phantom));

        n = Ndp.Instance.BuildReply(buffer, Ours, Phantom, probe);
        var parsed = FrameParser.Parse(buffer.AsSpan(0, n), Wire.Capture.LinkType.Ethernet);
        parsed.IPv6!.Value.Destination.ToString().ShouldBe("ff02::1");
        parsed.Ndp!.Value.Solicited.ShouldBeFalse();
    }
}
