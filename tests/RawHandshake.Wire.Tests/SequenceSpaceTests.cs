using RawHandshake.Wire.Protocols;

namespace RawHandshake.Wire.Tests;

public class SequenceSpaceTests
{
    [Theory]
    [InlineData(TcpFlags.Ack, 0, 0)]
    [InlineData(TcpFlags.Syn, 0, 1)]
    [InlineData(TcpFlags.Syn | TcpFlags.Ack, 0, 1)]
    [InlineData(TcpFlags.Fin | TcpFlags.Ack, 0, 1)]
    [InlineData(TcpFlags.Psh | TcpFlags.Ack, 12, 12)]
    [InlineData(TcpFlags.Fin | TcpFlags.Psh | TcpFlags.Ack, 5, 6)]
    [InlineData(TcpFlags.Syn | TcpFlags.Fin, 3, 5)]
    [InlineData(TcpFlags.Rst, 0, 0)]
    public void Payload_plus_one_for_SYN_and_one_for_FIN(TcpFlags flags, int payload, int expected) =>
        SequenceSpace.Of(flags, payload).ShouldBe(expected);
}
