using RawHandshake.Engine.Tests.Infra;
using RawHandshake.Wire.Building;

namespace RawHandshake.Engine.Tests;

/// <summary>The engine's send buffer is sized by need: small for a short session, grown for a large segment.</summary>
public sealed class SendBufferTests
{
    [Fact]
    public void The_buffer_starts_small_and_grows_only_when_a_frame_needs_more()
    {
        using var bench = new TestBed();
        var tx = new Transmitter(bench.Link, bench.Clock, new Trace.CaptureOrder(bench.Trace, bench.Clock.Wall));

        tx.SendBuffer.ShouldBeEmpty("nothing is allocated before the first frame");
        var first = tx.SendBufferFor(60);
        first.Length.ShouldBe(Transmitter.MinSendBuffer);
        tx.SendBufferFor(1514).ShouldBeSameAs(first);

        tx.SendBufferFor(9000).Length.ShouldBeGreaterThanOrEqualTo(9000);
        tx.SendBufferFor(FrameBuilder.MaxFrameLength).Length.ShouldBe(FrameBuilder.MaxFrameLength);
        tx.SendBufferFor(100).Length.ShouldBe(FrameBuilder.MaxFrameLength, "it never shrinks");
    }

    [Fact]
    public void A_segment_larger_than_the_first_buffer_goes_out_whole()
    {
        var data = new byte[6000];
        Random.Shared.NextBytes(data);
        using var bench = new TestBed(new ServerBehavior { Mss = 8960 });
        var flow = bench.AddFlow(new HandshakeDriver([data], true, CloseMode.Active), configure: c => c with { Mss = 8960 });

        bench.Engine.Run(TimeSpan.FromSeconds(10)).ShouldBe(RunEnd.Completed);
        bench.Server.Step();

        flow.Driver.Outcome!.Ok.ShouldBeTrue(flow.Driver.Outcome.Error);
        var pushed = bench.Server.Tcp(40000).Where(s => s.Payload.Length > 0).ShouldHaveSingleItem();
        pushed.Payload.ShouldBe(data);
        pushed.Frame.Length.ShouldBeGreaterThan(Transmitter.MinSendBuffer);
    }
}
