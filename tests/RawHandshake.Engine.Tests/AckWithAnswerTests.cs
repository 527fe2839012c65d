using System.Text;
using RawHandshake.Engine.Bench;
using RawHandshake.Engine.Tests.Infra;
using RawHandshake.Session;
using RawHandshake.Wire.Dissection;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Tests;

/// <summary>
/// The ACK of in-order data is held while the segment is handled and the flow's driver takes its turn: when the driver
/// answers with data or a FIN, that segment carries the acknowledgment and no pure ACK goes out before it; when nothing
/// answers, the ACK still goes out in the same turn.
/// </summary>
public sealed class AckWithAnswerTests
{
    private static readonly byte[] Hello = Encoding.ASCII.GetBytes("hello");

    private static List<string> Wire(TestBed bench) =>
        bench.Server.Tcp(40000).Select(s => $"{s.Tcp.Flags.ToWireshark()} {s.Tcp.Seq.Value} {s.Tcp.Ack.Value} {Encoding.ASCII.GetString(s.Payload)}").ToList();

    [Fact]
    public void The_ack_of_the_echo_rides_on_the_FIN_that_answers_it()
    {
        using var bench = new TestBed();
        var driver = new EchoSessionDriver(Hello);
        var flow = bench.AddFlow(driver, configure: c => c with { TimeWait = TimeSpan.Zero });

        bench.Engine.Run(TimeSpan.FromSeconds(10)).ShouldBe(RunEnd.Completed);
        bench.Server.Step();

        driver.Outcome!.Ok.ShouldBeTrue(driver.Outcome.Error);
        Wire(bench).ShouldBe(["[SYN] 1000 0 ", "[ACK] 1001 5001 ", "[PSH, ACK] 1001 5001 hello", "[FIN, ACK] 1006 5006 ", "[ACK] 1007 5007 "]);
        flow.PacketsOut.ShouldBe(5);
        bench.Server.Connections[40000].Received.Count.ShouldBe(5); // the server got all of it
    }

    [Fact]
    public void An_ack_that_nothing_answers_goes_out_in_the_same_turn()
    {
        using var bench = new TestBed();
        var driver = new PushAndListen(Hello);
        bench.AddFlow(driver);

        bench.Engine.Run(TimeSpan.FromSeconds(10)).ShouldBe(RunEnd.Completed);
        bench.Server.Step();

        driver.Outcome!.Ok.ShouldBeTrue();
        Wire(bench).ShouldBe(["[SYN] 1000 0 ", "[ACK] 1001 5001 ", "[PSH, ACK] 1001 5001 hello", "[ACK] 1006 5006 "]);
    }

    [Fact]
    public void A_FIN_with_a_wrong_checksum_does_not_stand_in_for_the_ack()
    {
        using var bench = new TestBed();
        var driver = new EchoSessionDriver(Hello);
        bench.AddFlow(driver, configure: c => c with { TimeWait = TimeSpan.Zero, CorruptFirstFin = true, InitialRto = TimeSpan.FromMilliseconds(300) });

        bench.Engine.Run(TimeSpan.FromSeconds(10)).ShouldBe(RunEnd.Completed);
        bench.Server.Step();

        // The server never sees the first FIN: the echo's ACK goes out on its own before it.
        Wire(bench).Take(5).ShouldBe(["[SYN] 1000 0 ", "[ACK] 1001 5001 ", "[PSH, ACK] 1001 5001 hello", "[ACK] 1006 5006 ", "[FIN, ACK] 1006 5006 "]);
        bench.Server.Tcp(40000).ElementAt(4).TcpChecksum.ShouldBe(ChecksumVerdict.Bad);
        driver.Outcome!.Ok.ShouldBeTrue(driver.Outcome.Error);
    }

    public static TheoryData<TcpFlags, uint, bool, bool> Answers => new()
    {
        { TcpFlags.Fin | TcpFlags.Ack, 5006, false, true },
        { TcpFlags.Psh | TcpFlags.Ack, 5006, false, true },
        { TcpFlags.Ack, 5010, false, true }, // acknowledges more
        { TcpFlags.Fin | TcpFlags.Ack, 5005, false, false }, // acknowledges less
        { TcpFlags.Fin | TcpFlags.Ack, 5006, true, false }, // the server drops it
        { TcpFlags.Rst | TcpFlags.Ack, 5006, false, false },
        { TcpFlags.Rst, 0, false, false },
        { TcpFlags.Syn, 0, false, false },
    };

    [Theory]
    [MemberData(nameof(Answers))]
    public void A_held_ack_is_left_out_only_for_a_segment_that_acknowledges_as_much(TcpFlags flags, uint ack, bool corrupt, bool carries)
    {
        var held = new OutgoingSegment(TcpFlags.Ack, new SeqNum(1006), new SeqNum(5006), 502, default, ReadOnlyMemory<byte>.Empty) { Deferrable = true };
        var next = new OutgoingSegment(flags, new SeqNum(1006), new SeqNum(ack), 502, default, ReadOnlyMemory<byte>.Empty) { CorruptChecksum = corrupt };

        Flow.Carries(next, held).ShouldBe(carries);
    }

    /// <summary>Pushes its data once, is done when the echo is back, and never answers it.</summary>
    private sealed class PushAndListen(byte[] data) : IFlowDriver
    {
        private bool pushed;

        public bool Finished => Outcome is not null;

        public FlowOutcome? Outcome { get; private set; }

        public void Start(Flow flow, TimeSpan now) => flow.Connect();

        public void AfterInput(Flow flow, TimeSpan now)
        {
            if (!pushed && flow.Session.State == TcpState.Established)
            {
                pushed = true;
                flow.Send(data);
            }

            if (flow.Session.ReceivedCount >= data.Length)
            {
                Outcome = new FlowOutcome(true, null, "echoed");
            }
        }
    }
}
