using RawHandshake.Wire.Building;
using RawHandshake.Wire.Matching;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;
using RawHandshake.Wire.Tests.Support;

namespace RawHandshake.Wire.Tests;

/// <summary>Reply matching over IPv6: TCP, echo, NS/NA, and ICMPv6 errors through their quote.</summary>
public class Answers6Tests
{
    private static readonly IPv6Address Client = SampleFrames6.Client;
    private static readonly IPv6Address Server = SampleFrames6.Server;

    private static ParsedFrame Tcp(IPv6Address src, ushort sport, IPv6Address dst, ushort dport, TcpFlags flags, uint seq, uint ack)
    {
        var buffer = new byte[128];
        var n = FrameBuilder.BuildTcp(buffer, new EthernetHeader(MacAddress.Broadcast, MacAddress.Zero),
            new IPv6Header { Source = src, Destination = dst, FlowLabel = 7 }, new TcpHeader(sport, dport, new SeqNum(seq), new SeqNum(ack), flags, 1000), default, default);
        return FrameParser.Parse(buffer.AsSpan(0, n));
    }

    [Fact]
    public void A_syn_ack_answers_our_syn_and_an_ipv4_one_does_not()
    {
        var syn = Tcp(Client, 40000, Server, 80, TcpFlags.Syn, 0xFFFF_FFFF, 0);
        Answers.IsAnswer(syn, Tcp(Server, 80, Client, 40000, TcpFlags.Syn | TcpFlags.Ack, 5, 0)).ShouldBeTrue();
        Answers.IsAnswer(syn, Tcp(Server, 80, Client, 40000, TcpFlags.Syn | TcpFlags.Ack, 5, 1)).ShouldBeFalse();
        Answers.IsAnswer(syn, Tcp(Client, 80, Client, 40000, TcpFlags.Syn | TcpFlags.Ack, 5, 0)).ShouldBeFalse();
        Answers.IsAnswer(syn, FrameParser.Parse(SampleFrames.LinuxSyn())).ShouldBeFalse();
        Answers.SameConnection(syn, Tcp(Server, 80, Client, 40000, TcpFlags.Ack, 9, 2)).ShouldBeTrue();
        Answers.FromOurSide(syn, Tcp(Client, 40000, Server, 80, TcpFlags.Rst, 0, 0)).ShouldBeTrue();
    }

    [Fact]
    public void Icmpv6_errors_answer_the_packet_they_quote()
    {
        var syn = FrameParser.Parse(SampleFrames6.Syn());
        var ptb = FrameParser.Parse(SampleFrames6.ErrorQuotingSyn(Icmpv6Header.PacketTooBig, 0, 1280, SampleFrames6.Router));
        var unreachable = FrameParser.Parse(SampleFrames6.ErrorQuotingSyn(Icmpv6Header.DestinationUnreachable, 4, 0, Server));
        Answers.IsAnswer(syn, ptb).ShouldBeTrue();
        Answers.IsAnswer(syn, unreachable).ShouldBeTrue();
        var otherSyn = FrameParser.Parse(SampleFrames6.Syn(SampleFrames6.Ip(Client, SampleFrames6.Router)));
        Answers.IsAnswer(otherSyn, ptb).ShouldBeFalse();
    }

    [Fact]
    public void Echo_and_neighbour_solicitation_are_answered_by_their_reply()
    {
        Answers.IsAnswer(FrameParser.Parse(SampleFrames6.EchoRequest()), FrameParser.Parse(SampleFrames6.EchoReply())).ShouldBeTrue();
        Answers.IsAnswer(FrameParser.Parse(SampleFrames6.EchoRequest()), FrameParser.Parse(SampleFrames6.EchoRequest())).ShouldBeFalse();
        var ns = FrameParser.Parse(SampleFrames6.NeighborSolicitation());
        Answers.IsAnswer(ns, FrameParser.Parse(SampleFrames6.NeighborAdvertisement())).ShouldBeTrue();
        Answers.IsAnswer(ns, FrameParser.Parse(SampleFrames6.RouterSolicitation())).ShouldBeFalse();
    }
}
