using RawHandshake.Engine.Tests.Infra;
using RawHandshake.Engine.Trace;
using RawHandshake.Session;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Tests;

/// <summary>Issue 10 §4: the one capture-order stage numbers and times frames by their stamps, for every output.</summary>
public sealed class CaptureOrderTests
{
    private static readonly DateTimeOffset T0 = Lan.Epoch;

    private static byte[] Out(TcpFlags flags, uint seq, uint ack) => Frames.FromClient(40000, flags, seq, ack);

    private static byte[] In(TcpFlags flags, uint seq, uint ack) => Frames.FromServer(40000, flags, seq, ack, 29200, default, []);

    private static void Packet(CaptureOrder order, Direction dir, byte[] frame, double ms) =>
        order.Packet(dir, frame, FrameParser.Parse(frame), T0 + TimeSpan.FromMilliseconds(ms), null);

    [Fact]
    public void A_frame_handled_late_is_numbered_and_timed_by_its_stamp_with_its_consequences()
    {
        var recorder = new TraceRecorder();
        var order = new CaptureOrder(recorder, T0);
        Packet(order, Direction.Out, Out(TcpFlags.Syn, 100, 0), 0);
        Packet(order, Direction.In, In(TcpFlags.Syn | TcpFlags.Ack, 500, 101), 1);
        order.Publish(new StateTraced(TimeSpan.FromMilliseconds(3), Side.Client, TcpState.SynSent, TcpState.Established, null));
        // Our ACK is stamped at 4 ms; the server's data, stamped by the kernel at 3.5 ms, is handled after it.
        Packet(order, Direction.Out, Out(TcpFlags.Ack, 101, 501), 4);
        Packet(order, Direction.In, In(TcpFlags.Psh | TcpFlags.Ack, 501, 101), 3.5);
        order.Publish(new NoteTraced(TimeSpan.FromMilliseconds(5), NoteLevel.Info, "data in"));
        recorder.Events.ShouldBeEmpty("all within the window, nothing idle yet");

        order.ReleaseAll();
        var packets = recorder.Events.OfType<PacketTraced>().ToList();
        packets.Select(p => p.Number).ShouldBe([1, 2, 3, 4]);
        packets.Select(p => p.Time.TotalMilliseconds).ShouldBe([0, 1, 3.5, 4]);
        packets[2].Dir.ShouldBe(Direction.In);
        packets[2].Rel!.Value.Seq.ShouldBe(1u, "relative numbers in capture order");

        // Each consequence right after its frame, at its time; times never go backwards.
        var kinds = recorder.Events.Select(e => e switch { PacketTraced p => $"#{p.Number}", StateTraced => "state", NoteTraced => "note", _ => "?" }).ToList();
        kinds.ShouldBe(["#1", "#2", "state", "#3", "note", "#4"]);
        recorder.Events.OfType<StateTraced>().Single().Time.ShouldBe(TimeSpan.FromMilliseconds(1));
        recorder.Events.Select(e => e.Time).ShouldBeInOrder(SortDirection.Ascending);
    }

    [Fact]
    public void Frames_leave_once_a_newer_one_is_a_window_later_and_everything_before_a_result()
    {
        var recorder = new TraceRecorder();
        var order = new CaptureOrder(recorder, T0);
        Packet(order, Direction.Out, Out(TcpFlags.Syn, 100, 0), 0);
        Packet(order, Direction.Out, Out(TcpFlags.Syn, 100, 0), 10);
        recorder.Events.ShouldBeEmpty();
        Packet(order, Direction.Out, Out(TcpFlags.Syn, 100, 0), 10 + CaptureOrder.Window.TotalMilliseconds + 1);
        recorder.Events.OfType<PacketTraced>().Select(p => p.Number).ShouldBe([1, 2]);

        order.Publish(new ResultTraced(TimeSpan.FromMilliseconds(1), false, "x", new RunSummary()));
        recorder.Events.OfType<PacketTraced>().Count().ShouldBe(3);
        recorder.Events[^1].ShouldBeOfType<ResultTraced>().Time.ShouldBeGreaterThanOrEqualTo(recorder.Events[^2].Time, "never backwards");
    }

    [Fact]
    public void Idle_releases_after_the_window_and_a_later_frame_never_goes_back_in_time()
    {
        var recorder = new TraceRecorder();
        var order = new CaptureOrder(recorder, T0);
        Packet(order, Direction.Out, Out(TcpFlags.Syn, 100, 0), 0);
        order.ReleaseIdle(T0 + TimeSpan.FromMilliseconds(10));
        order.Holding.ShouldBeTrue("the kernel may still hand us a frame it stamped earlier");
        order.ReleaseIdle(T0 + CaptureOrder.Window + TimeSpan.FromMilliseconds(1));
        order.Holding.ShouldBeFalse();

        // A frame the kernel stamped before the released one, handled beyond the window: next number, same time.
        Packet(order, Direction.In, In(TcpFlags.Syn | TcpFlags.Ack, 500, 101), -5);
        order.ReleaseAll();
        var packets = recorder.Events.OfType<PacketTraced>().ToList();
        packets.Select(p => p.Number).ShouldBe([1, 2]);
        packets[1].Wall.ShouldBe(packets[0].Wall);
        packets[1].Time.ShouldBe(packets[0].Time);
    }
}
