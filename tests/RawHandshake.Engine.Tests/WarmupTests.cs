using RawHandshake.Engine.Live;
using RawHandshake.Session;

namespace RawHandshake.Engine.Tests;

/// <summary>The in-memory session run before a live one: it must really complete (a warm-up that fails half-way leaves the
/// reply path cold), and it must be repeatable in one process.</summary>
public sealed class WarmupTests
{
    [Fact]
    public void The_handshake_flow_completes_against_the_built_in_peer_every_time()
    {
        Warmup.Run().ShouldBeTrue();
        Warmup.Run().ShouldBeTrue();
    }

    [Fact]
    public void A_flow_that_the_peer_cannot_satisfy_reports_false_instead_of_throwing()
    {
        // A passive close waits for a FIN this peer never sends first: the warm-up gives up at its bound (5 s), says so, and
        // does not throw.
        var ok = Warmup.Run(() => (new SessionConfig(Warmup.Flow, new Wire.Primitives.SeqNum(7)) { TimeWait = TimeSpan.FromMilliseconds(1) },
            new HandshakeDriver([[1, 2, 3]], true, CloseMode.Passive)));
        ok.ShouldBeFalse();
    }

    [Fact]
    public void The_flow_uses_documentation_only_addresses()
    {
        Warmup.Flow.LocalAddress.ToString().ShouldStartWith("198.18.");
        Warmup.Flow.RemoteAddress.ToString().ShouldStartWith("198.18.");
    }
}
