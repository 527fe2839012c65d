using RawHandshake.Wire.Building;
using RawHandshake.Wire.Matching;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Wire.Tests;

public class AnswersTests
{
    private static readonly IPv4Address Client = IPv4Address.Parse("198.18.0.1");
    private static readonly IPv4Address Server = IPv4Address.Parse("198.18.2.10");

    private static ParsedFrame Tcp(IPv4Address src, ushort sport, IPv4Address dst, ushort dport, TcpFlags flags, uint seq, uint ack, int len = 0)
    {
        var buffer = new byte[128];
        var n = FrameBuilder.BuildTcp(buffer, new EthernetHeader(MacAddress.Broadcast, MacAddress.Zero),
            new IPv4Header { Source = src, Destination = dst }, new TcpHeader(sport, dport, new SeqNum(seq), new SeqNum(ack), flags, 1000), default, new byte[len]);
        return FrameParser.Parse(buffer.AsSpan(0, n));
    }

    [Fact]
    public void A_syn_ack_answers_our_syn_across_the_wrap_and_a_wrong_ack_does_not()
    {
        var syn = Tcp(Client, 40000, Server, 80, TcpFlags.Syn, 0xFFFF_FFFF, 0);
        Answers.IsAnswer(syn, Tcp(Server, 80, Client, 40000, TcpFlags.Syn | TcpFlags.Ack, 5, 0)).ShouldBeTrue();
        Answers.IsAnswer(syn, Tcp(Server, 80, Client, 40000, TcpFlags.Syn | TcpFlags.Ack, 5, 1)).ShouldBeFalse();
        Answers.IsAnswer(syn, Tcp(Server, 80, Client, 40000, TcpFlags.Rst | TcpFlags.Ack, 0, 0)).ShouldBeTrue();
        Answers.IsAnswer(syn, Tcp(Server, 81, Client, 40000, TcpFlags.Syn | TcpFlags.Ack, 5, 0)).ShouldBeFalse();
    }

    [Fact]
    public void Same_connection_is_either_direction_and_from_our_side_only_ours()
    {
        var syn = Tcp(Client, 40000, Server, 80, TcpFlags.Syn, 1, 0);
        var reply = Tcp(Server, 80, Client, 40000, TcpFlags.Ack, 9, 2);
        var kernelRst = Tcp(Client, 40000, Server, 80, TcpFlags.Rst, 2, 0);
        var other = Tcp(Client, 40001, Server, 80, TcpFlags.Ack, 2, 0);
        Answers.SameConnection(syn, reply).ShouldBeTrue();
        Answers.SameConnection(syn, kernelRst).ShouldBeTrue();
        Answers.SameConnection(syn, other).ShouldBeFalse();
        Answers.FromOurSide(syn, kernelRst).ShouldBeTrue();
        Answers.FromOurSide(syn, reply).ShouldBeFalse();
    }
}
