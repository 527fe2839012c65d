using RawHandshake.Engine.Tests.Infra;
using RawHandshake.Engine.Trace;
using RawHandshake.Link;
using RawHandshake.Session;
using RawHandshake.Testing;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Tests;

/// <summary>
/// Issue 10 §1: a frame the link refuses (a send error) ends the run like any failure: nothing more goes out but one
/// RST at the end of what did go out, and the result says why. Live, segments are now sized to the link, so an
/// oversize frame no longer happens there; a link that refuses frames over 1000 bytes (and an engine that was not told
/// its MTU) makes one here.
/// </summary>
public sealed class SendErrorTests
{
    private sealed class SmallLink(IFrameLink inner, int max) : IFrameLink
    {
        public string Name => inner.Name;

        public LinkType LinkType => inner.LinkType;

        public MacAddress? HardwareAddress => inner.HardwareAddress;

        public int Refused { get; private set; }

        public DateTimeOffset Send(ReadOnlySpan<byte> frame)
        {
            if (frame.Length > max)
            {
                Refused++;
                throw new LinkException($"send on {Name}: Message too long ({frame.Length} bytes, the link takes {max})");
            }

            return inner.Send(frame);
        }

        public int Poll(FrameHandler handler, int max = 64) => inner.Poll(handler, max);

        public bool WaitReadable(TimeSpan timeout) => inner.WaitReadable(timeout);

        public void Dispose() => inner.Dispose();
    }

    [Fact]
    public void A_refused_frame_ends_the_run_with_its_result_and_one_reset_at_the_end_of_what_went_out()
    {
        var clock = new ManualClock(Lan.Epoch);
        var (a, b) = MemoryLink.CreatePair(() => clock.Wall, Lan.ClientMac, Lan.ServerMac);
        var server = new FakeServer(b, clock, null);
        using var stepped = new SteppedLink(a, clock, server);
        using var link = new SmallLink(stepped, 1000);
        var trace = new TraceRecorder();
        var engine = new TcpEngine(link, clock, trace);
        var config = new SessionConfig(new FlowKey(Lan.ClientIp, 40000, Lan.ServerIp, Lan.ServerPort), new SeqNum(1000));
        var flow = engine.AddFlow(config, new HandshakeDriver([new byte[3000]], false, CloseMode.Active), Lan.ClientMac, Lan.ServerMac, new FlowFrameOptions());

        engine.Run(TimeSpan.FromSeconds(30));
        server.Step();

        link.Refused.ShouldBeGreaterThan(0, "the first full segment is larger than the link takes");
        var outcome = flow.Driver.Outcome.ShouldNotBeNull();
        outcome.Ok.ShouldBeFalse();
        outcome.Ending.ShouldBe("a send failed");
        outcome.Error.ShouldNotBeNull().ShouldContain("Message too long");
        var ours = trace.Events.OfType<PacketTraced>().Where(p => p.Dir == Direction.Out && p.Parsed.Tcp is not null).ToList();
        ours.ShouldNotContain(p => p.Parsed.PayloadLength > 0, "no data went out");
        var resets = ours.Where(p => p.Parsed.Tcp!.Value.Has(TcpFlags.Rst)).ToList();
        resets.ShouldNotBeEmpty("the server is reset");
        resets.ShouldAllBe(p => p.Parsed.Tcp!.Value.Seq == new SeqNum(1001), "at the end of what went out: the SYN only");
        trace.Events[^1].ShouldBeOfType<ResultTraced>();
    }
}
