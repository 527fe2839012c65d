using RawHandshake.Engine.Trace;
using RawHandshake.Link;
using RawHandshake.Wire.Building;
using RawHandshake.Wire.Parsing;

namespace RawHandshake.Engine;

/// <summary>
/// The engine's outward side, shared by the engine and its flows (which hold this, not the engine): the link frames
/// leave by, the one clock, the trace in capture order, the send buffer, and the record of frames we sent (so that a
/// frame on one of our flows from our side is known for the host kernel's, not ours).
/// </summary>
internal sealed class Transmitter
{
    private const int Remembered = 256;
    private readonly IFrameLink link;
    private readonly CaptureOrder captureOrder;
    private readonly HashSet<ulong> recentlySent = [];
    private readonly Queue<ulong> recentOrder = new();
    private readonly TimeSpan origin;

    private readonly IPacketStampSink? stamps;

    /// <param name="stamps">Where frames go instead of the capture-order stage, when the run's sink takes stamps only.</param>
    public Transmitter(IFrameLink link, IClock clock, CaptureOrder captureOrder, IPacketStampSink? stamps = null)
    {
        this.link = link;
        this.captureOrder = captureOrder;
        this.stamps = stamps;
        Clock = clock;
        origin = clock.Now;
    }

    public IClock Clock { get; }

    /// <summary>Every event, also the flows' and drivers', goes through the one capture-order stage.</summary>
    public ITraceSink Trace => captureOrder;

    /// <summary>Where a flow builds its next frame (one at a time: the loop is single-threaded); see <see cref="SendBufferFor"/>.</summary>
    public byte[] SendBuffer { get; private set; } = [];

    /// <summary>The send buffer, grown to hold at least <paramref name="length"/> bytes. It is sized by need, not for the
    /// largest frame up front: 64 KiB zeroed for every engine was most of a short session's set-up.</summary>
    public byte[] SendBufferFor(int length)
    {
        if (SendBuffer.Length < length)
        {
            SendBuffer = new byte[Math.Max(length, Math.Min(FrameBuilder.MaxFrameLength, Math.Max(MinSendBuffer, SendBuffer.Length * 2)))];
        }

        return SendBuffer;
    }

    /// <summary>The first send buffer: any frame up to a jumbo-less Ethernet MTU with room to spare.</summary>
    internal const int MinSendBuffer = 2048;

    /// <summary>The trace's clock: time since the engine started.</summary>
    public TimeSpan Elapsed => Clock.Now - origin;

    /// <summary>Whether frames go into the trace (off for benchmarks of the receive path: a traced frame is a copy).</summary>
    public bool TracePackets { get; set; } = true;

    /// <summary>Sends a frame, remembers it as ours and traces it; throws <see cref="LinkException"/> when the link refuses it.</summary>
    public DateTimeOffset Send(ReadOnlySpan<byte> frame, string? note)
    {
        var wall = link.Send(frame);
        Remember(frame);
        if (TracePackets)
        {
            // Our own frame is parsed once, here, for the trace; nothing else reads it back.
            Packet(Direction.Out, frame, FrameParser.Parse(frame, link.LinkType), wall, note);
        }

        return wall;
    }

    /// <summary>A frame into the trace with the parse that was made of it already (numbered and analysed in capture order),
    /// or straight to a sink that takes stamps only (<see cref="IPacketStampSink"/>).</summary>
    public void Packet(Direction dir, ReadOnlySpan<byte> frame, in ParsedFrame parsed, DateTimeOffset wall, string? note)
    {
        if (!TracePackets)
        {
            return;
        }

        if (stamps is not null)
        {
            stamps.Packet(dir, frame, parsed, wall); // no copy: the sink reads the frame now or never
            return;
        }

        captureOrder.Packet(dir, frame.ToArray(), parsed, wall, note); // the parse is offsets: it holds for the copy
    }

    public void Remember(ReadOnlySpan<byte> frame)
    {
        var h = Hash(frame);
        if (recentlySent.Add(h))
        {
            recentOrder.Enqueue(h);
            if (recentOrder.Count > Remembered)
            {
                recentlySent.Remove(recentOrder.Dequeue());
            }
        }
    }

    public bool WasSentByUs(ReadOnlySpan<byte> frame) => recentlySent.Contains(Hash(frame));

    private static ulong Hash(ReadOnlySpan<byte> frame)
    {
        // FNV-1a over the frame: enough to recognise a frame we just sent if a capture ever hands it back.
        var h = 14695981039346656037UL;
        foreach (var b in frame)
        {
            h = (h ^ b) * 1099511628211UL;
        }

        return h;
    }
}
