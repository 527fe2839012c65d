using RawHandshake.Engine.Tests.Infra;
using RawHandshake.Engine.Trace;
using RawHandshake.Session;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Tests;

/// <summary>
/// Issue 11: the engine hands each segment its capture stamp, so the session can tell how long the frame waited in the
/// capture ring while the process was not scheduled.
/// </summary>
public sealed class LateAckTests
{
    [Fact]
    public void A_fin_again_captured_before_our_ack_of_the_first_went_out_is_not_acknowledged_twice()
    {
        // The server's FIN came again (its RTO ran out while we were not scheduled) and sat in the ring 150 ms before the
        // loop sent our ACK of the first FIN. That ACK answers both; a second one would reach a server whose socket is
        // closed, and a SYN-cookie listener would open a connection for it.
        using var bench = new TestBed();
        var flow = bench.AddFlow(new HandshakeDriver([], false, CloseMode.Active));
        var injected = false;
        bench.Server.Intercept = s =>
        {
            if (!injected && s.IsTcp && s.Tcp.Flags == TcpFlags.Ack && s.Tcp.Ack.Value == 5002)
            {
                injected = true;
                bench.Link.Inner.Inject(Frames.FromServer(40000, TcpFlags.Fin | TcpFlags.Ack, 5001, 1002), bench.Clock.Wall - TimeSpan.FromMilliseconds(150));
            }

            return false;
        };

        bench.Engine.Run(TimeSpan.FromSeconds(10)).ShouldBe(RunEnd.Completed);
        injected.ShouldBeTrue("our ACK of the server's FIN went out");
        flow.Driver.Outcome!.Ok.ShouldBeTrue();
        bench.Server.Tcp(40000).Count(s => s.Tcp.Flags == TcpFlags.Ack && s.Tcp.Ack.Value == 5002).ShouldBe(1, "one ACK of the FIN");
        bench.Events<NoteTraced>().ShouldContain(n => n.Text.StartsWith("the server's FIN again, 150 ms before our ACK of the FIN went out", StringComparison.Ordinal));
        flow.VisitedStates.ShouldContain(TcpState.TimeWait);
    }
}
