using System.Text;
using RawHandshake.Engine.Tests.Infra;
using RawHandshake.Engine.Trace;
using RawHandshake.Session;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Tests;

public sealed class KernelInterferenceTests
{
    private const string Guidance =
        "kernel interference: our own kernel sent a RST on this flow (it has no socket for it). " +
        "Use --rst-guard nft (needs nftables and CAP_NET_ADMIN) or --rst-guard phantom --source <an unused address on the link>";

    private static readonly byte[][] Hello = [Encoding.ASCII.GetBytes("hello")];

    [Fact]
    public void A_RST_from_our_own_address_after_the_SYN_ACK_fails_the_flow_as_kernel_interference()
    {
        using var bench = new TestBed();
        byte[]? kernelRst = null;
        bench.Server.Intercept = s =>
        {
            if (s.IsTcp && s.Tcp.Flags == TcpFlags.Syn)
            {
                // The host's stack sees the SYN-ACK, has no socket, and resets: our capture shows that RST.
                kernelRst = Frames.FromClient(40000, TcpFlags.Rst, 1001, 0);
                bench.Server.Schedule(TimeSpan.Zero, () => bench.Server.InjectAtClient(kernelRst));
            }

            return false;
        };
        var flow = bench.AddFlow(new HandshakeDriver(Hello, true, CloseMode.Active));

        bench.Engine.Run(TimeSpan.FromSeconds(10)).ShouldBe(RunEnd.Completed);

        var kernel = bench.Events<PacketTraced>().Where(p => p.Dir == Direction.Kernel).ShouldHaveSingleItem();
        kernel.Frame.ShouldBe(kernelRst);
        kernel.Parsed.Tcp!.Value.Flags.ShouldBe(TcpFlags.Rst);
        TextTraceRenderer.PacketLine(kernel).ShouldContain("⇢ 10.0.0.1:40000 → 10.0.0.2:7777");
        TextTraceRenderer.PacketLine(kernel).ShouldEndWith("[sent by our own kernel, not by rawhandshake]");

        flow.Failure.ShouldNotBeNull();
        flow.Failure.Kind.ShouldBe(FailureKind.KernelInterference);
        flow.Failure.Reason.ShouldBe(Guidance);
        flow.Driver.Outcome.ShouldBe(new FlowOutcome(false, Guidance, "kernel interference"));
        flow.Session.State.ShouldBe(TcpState.Closed);
        flow.PacketsIn.ShouldBe(1); // the SYN-ACK; the kernel's frame is not the server's
        bench.Events<NoteTraced>().ShouldContain(n => n.Level == NoteLevel.Error && n.Text == Guidance);
        var result = bench.Events<ResultTraced>().ShouldHaveSingleItem();
        result.Ok.ShouldBeFalse();
        result.Error.ShouldBe(Guidance);

        // The event order: the kernel's packet, then the failure (note, client state), then the result.
        var events = bench.Trace.Events;
        var at = events.IndexOf(kernel);
        events[at + 1].ShouldBeOfType<NoteTraced>().Text.ShouldBe(Guidance);
        events.OfType<StateTraced>().Last(s => s.Side == Side.Client).To.ShouldBe(TcpState.Closed);
    }

    [Fact]
    public void A_non_RST_frame_from_our_kernel_is_traced_as_kernel_but_does_not_fail_the_flow()
    {
        using var bench = new TestBed();
        bench.Server.Intercept = s =>
        {
            if (s.IsTcp && s.Tcp.Flags == TcpFlags.Syn)
            {
                bench.Server.Schedule(TimeSpan.Zero, () => bench.Server.InjectAtClient(Frames.FromClient(40000, TcpFlags.Ack, 1001, 5001, 512)));
            }

            return false;
        };
        var flow = bench.AddFlow(new HandshakeDriver(Hello, true, CloseMode.Active));

        bench.Engine.Run(TimeSpan.FromSeconds(10)).ShouldBe(RunEnd.Completed);

        bench.Events<PacketTraced>().Count(p => p.Dir == Direction.Kernel).ShouldBe(1);
        flow.Failure.ShouldBeNull();
        flow.Driver.Outcome!.Ok.ShouldBeTrue();
    }

    [Fact]
    public void Frames_we_sent_echoed_back_by_the_capture_are_not_kernel_traffic()
    {
        using var bench = new TestBed();
        var echoedBack = 0;
        bench.Server.Intercept = s =>
        {
            if (s.IsTcp)
            {
                // A capture that also shows outgoing frames hands every one of ours back, byte for byte.
                bench.Server.InjectAtClient(s.Frame);
                echoedBack++;
            }

            return false;
        };
        var observed = 0;
        bench.Engine.Observer = (frame, wall, in parsed) => observed++;
        var flow = bench.AddFlow(new HandshakeDriver([Encoding.ASCII.GetBytes("hello"), Encoding.ASCII.GetBytes("world")], true, CloseMode.Rst));

        bench.Engine.Run(TimeSpan.FromSeconds(10)).ShouldBe(RunEnd.Completed);
        bench.Engine.Pump(TimeSpan.FromMilliseconds(10)); // let the last ones (the RST) come back too

        echoedBack.ShouldBeGreaterThanOrEqualTo(6); // SYN, ACK, hello, world, ACK, RST (the echoes' ACKs ride on our data)
        bench.Events<PacketTraced>().Where(p => p.Dir == Direction.Kernel).ShouldBeEmpty();
        observed.ShouldBe(echoedBack);
        flow.Failure.ShouldBeNull();
        flow.Driver.Outcome!.Ok.ShouldBeTrue();
    }

    [Fact]
    public void A_kernel_RST_after_the_flow_ended_is_traced_but_changes_nothing()
    {
        using var bench = new TestBed();
        var flow = bench.AddFlow(new HandshakeDriver(Hello, true, CloseMode.Rst));
        bench.Engine.Run(TimeSpan.FromSeconds(10)).ShouldBe(RunEnd.Completed);
        var outcome = flow.Driver.Outcome;

        bench.Link.Inner.Inject(Frames.FromClient(40000, TcpFlags.Rst, 1006, 0));
        bench.Engine.Pump(TimeSpan.FromMilliseconds(10));

        bench.Events<PacketTraced>().Last().Dir.ShouldBe(Direction.Kernel);
        flow.Failure.ShouldBeNull();
        flow.Driver.Outcome.ShouldBe(outcome);
        bench.Events<NoteTraced>().ShouldNotContain(n => n.Level == NoteLevel.Error);
    }
}

public sealed class IcmpTests
{
    [Theory]
    [InlineData(SynAnswer.IcmpPortUnreachable, "ICMP Destination unreachable (Port unreachable) from 10.0.0.254")]
    [InlineData(SynAnswer.IcmpHostUnreachable, "ICMP Destination unreachable (Host unreachable) from 10.0.0.254")]
    public void An_ICMP_error_quoting_our_SYN_fails_the_flow(SynAnswer answer, string reason)
    {
        using var bench = new TestBed(new ServerBehavior { Syn = answer });
        var flow = bench.AddFlow(new HandshakeDriver([], false, CloseMode.Active));

        bench.Engine.Run(TimeSpan.FromSeconds(10)).ShouldBe(RunEnd.Completed);

        flow.Failure.ShouldNotBeNull();
        flow.Failure.Kind.ShouldBe(FailureKind.Unreachable);
        flow.Failure.Reason.ShouldBe(reason);
        flow.Driver.Outcome.ShouldBe(new FlowOutcome(false, reason, "unreachable (ICMP)"));
        flow.PacketsIn.ShouldBe(1);
        var icmp = bench.Events<PacketTraced>().Single(p => p.Dir == Direction.In);
        icmp.Parsed.Icmp!.Value.Type.ShouldBe(IcmpHeader.DestinationUnreachable);
        bench.Events<ResultTraced>().ShouldHaveSingleItem().Error.ShouldBe(reason);
        bench.Clock.Now.ShouldBeLessThan(TimeSpan.FromSeconds(1)); // no retransmission after it
    }

    [Fact]
    public void Time_exceeded_quoting_our_SYN_fails_the_flow()
    {
        using var bench = new TestBed(new ServerBehavior { Syn = SynAnswer.Silent });
        bench.Server.Intercept = s =>
        {
            if (s.IsTcp && s.Tcp.Flags == TcpFlags.Syn)
            {
                bench.Server.Send(Frames.IcmpError(IcmpHeader.TimeExceeded, 0, Lan.RouterIp, s.Frame, quoteTransportBytes: 1000));
            }

            return false;
        };
        var flow = bench.AddFlow(new HandshakeDriver([], false, CloseMode.Active));

        bench.Engine.Run(TimeSpan.FromSeconds(10)).ShouldBe(RunEnd.Completed);

        flow.Failure!.Reason.ShouldBe("ICMP Time-to-live exceeded (Time to live exceeded in transit) from 10.0.0.254");
    }

    [Fact]
    public void An_ICMP_error_quoting_another_flow_goes_to_the_observer()
    {
        using var bench = new TestBed();
        bench.Server.Intercept = s =>
        {
            if (s.IsTcp && s.Tcp.Flags == TcpFlags.Syn)
            {
                var other = Frames.FromClient(40001, TcpFlags.Syn, 1000, 0, 64240);
                bench.Server.Send(Frames.IcmpError(IcmpHeader.DestinationUnreachable, 3, Lan.RouterIp, other));
            }

            return false;
        };
        var observed = new List<byte>();
        bench.Engine.Observer = (frame, wall, in parsed) =>
        {
            if (parsed.Icmp is { } i)
            {
                observed.Add(i.Type);
            }
        };
        var flow = bench.AddFlow(new HandshakeDriver([Encoding.ASCII.GetBytes("hi")], true, CloseMode.Active));

        bench.Engine.Run(TimeSpan.FromSeconds(10)).ShouldBe(RunEnd.Completed);

        observed.ShouldBe([IcmpHeader.DestinationUnreachable]);
        flow.Failure.ShouldBeNull();
        flow.Driver.Outcome!.Ok.ShouldBeTrue();
    }
}
