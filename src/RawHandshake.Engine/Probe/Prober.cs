using RawHandshake.Engine.Trace;
using RawHandshake.Link;
using RawHandshake.Wire.Building;
using RawHandshake.Wire.Matching;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Probe;

/// <summary>
/// Runs a <see cref="ProbeRequest"/> on an engine: sends frame after frame on the engine's clock, and between two sends
/// takes what the engine's one sniffer hands its <see cref="TcpEngine.Observer"/> (ARP is learnt and answered for a
/// phantom source as in any run). A received frame is put to the one frame it can belong to (by the fields that vary,
/// see <see cref="ProbeFrames.Candidate"/>) and judged by the wire layer's <see cref="Answers"/>; ICMP errors by the
/// header they quote. Sending never waits for matching: a burst is interleaved with non-blocking polls, and a wait
/// sleeps in the kernel until the next frame is due or a frame arrives. Single-threaded, like the engine.
/// </summary>
/// <remarks>
/// Without <see cref="ProbeRequest.TraceEach"/> (the high-rate path of <c>craft --send --rate max</c>), frames sent back
/// to back while they go fast (under <see cref="FastFrame"/> each) go in groups that share one send stamp, read from the
/// engine's wall clock before the first of them: the RTT of a reply counts from that stamp, so it is never understated,
/// and overstated by at most the time the earlier frames of its group took to send. On a link that
/// <see cref="IFrameLink.SendsBatches"/> (a live Linux link), a group of a template's frames
/// (<see cref="ProbeFrames.FixedLength"/>) is one batch of <see cref="ProbeRequest.Batch"/> frames (one <c>sendmmsg</c>:
/// <see cref="DefaultBatch"/> frames, about 40 µs on veth); otherwise, with a batch of 1, or with frames of different
/// lengths, a group is <see cref="StampEvery"/> frames sent one system call each (under 15 µs). Slower frames
/// (a target answering each through veth within the send) and slower rates keep a stamp and a system call each.
/// </remarks>
public sealed class Prober
{
    private const int PollEvery = 64;

    /// <summary>Frames per batch on the high-rate path unless the request says otherwise: one <c>sendmmsg</c> for 16
    /// frames costs about 20 % less CPU per frame than 16 <c>send</c> calls on veth (the system call's entry and exit,
    /// the descriptor's lookup and the wrappers around it, paid once), for a stamp at most ~40 µs early.</summary>
    public const int DefaultBatch = 16;

    /// <summary>The largest <see cref="ProbeRequest.Batch"/> (and the largest group sharing a stamp).</summary>
    public const int MaxBatch = 64;

    /// <summary>With one system call per frame, frames per read of the clock while frames go fast (see
    /// <see cref="FastFrame"/>): a read costs about 33 ns here, 1.2 % of a frame's CPU on veth when each is read.</summary>
    public const int StampEvery = 4;

    /// <summary>Frames that took less than this each (in the group before) go on in groups sharing a stamp; slower ones
    /// are stamped one by one, where a clock read costs under 1 % of a frame.</summary>
    public static readonly TimeSpan FastFrame = TimeSpan.FromMicroseconds(5);

    /// <summary>Refused frames in a row from the first one after which the link's reason is thrown instead.</summary>
    private const int RefusedBeforeGivingUp = 100;

    /// <summary>Frames looked at for a reply when nothing tells the frames apart (they then answer alike anyway).</summary>
    private const int ScanLimit = 64;
    private static readonly TimeSpan MaxWait = TimeSpan.FromMilliseconds(200);

    private readonly TcpEngine engine;
    private readonly ProbeRequest request;
    private readonly ProbeFrames frames;
    private readonly long[] sentTicks;
    private readonly long[] rttTicks;
    private readonly bool[] errored;
    private readonly List<ProbeReply> replies = [];
    private readonly byte[] resetBuffer = new byte[128];
    private RttAccumulator rtts;
    private int sent;
    private int refused;
    private int answered;
    private int errors;
    private int duplicates;
    private int oldestUnanswered;
    private long lastStamp;
    private int lastGroup;
    private readonly int group;
    private readonly byte[]? batchBuffer;

    private Prober(TcpEngine engine, ProbeRequest request)
    {
        this.engine = engine;
        this.request = request;
        frames = request.Frames;
        sentTicks = new long[frames.Count];
        rttTicks = new long[frames.Count];
        errored = new bool[frames.Count];
        Array.Fill(rttTicks, -1);
        Array.Fill(sentTicks, 0); // the pages are touched here, not by page faults in the middle of a burst
        ArgumentOutOfRangeException.ThrowIfLessThan(request.Batch, 1, nameof(request.Batch));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(request.Batch, MaxBatch, nameof(request.Batch));
        if (request.Batch > 1 && frames.FixedLength is { } length && engine.Link.SendsBatches)
        {
            group = request.Batch;
            batchBuffer = new byte[group * length];
        }
        else
        {
            group = StampEvery;
        }
    }

    /// <summary>Sends every frame of <paramref name="request"/> and collects the answers until each frame has one (and
    /// the linger passed), the timeout after the last frame passes, or a stop is requested. Publishes the statistics.</summary>
    public static ProbeResult Run(TcpEngine engine, ProbeRequest request)
    {
        ArgumentNullException.ThrowIfNull(engine);
        ArgumentNullException.ThrowIfNull(request);
        return new Prober(engine, request).Run();
    }

    private ProbeResult Run()
    {
        var clock = engine.Clock;
        var previous = engine.Observer;
        engine.Observer = OnFrame;
        var start = clock.Now;
        var end = RunEnd.Completed;
        try
        {
            var count = frames.Count;
            var interval = request.Interval < TimeSpan.Zero ? TimeSpan.Zero : request.Interval;
            TimeSpan? lastSentAt = null;
            TimeSpan? allAnsweredAt = null;
            while (true)
            {
                if (engine.StopRequested)
                {
                    end = RunEnd.Cancelled;
                    break;
                }

                var now = clock.Now;

                // Every frame that is due goes now: after a late wake-up a burst keeps the average rate. Replies are taken
                // every PollEvery frames while a burst goes out.
                var due = DueCount(start, interval, now, count);
                while (sent < due && !engine.StopRequested)
                {
                    var upTo = Math.Min(due, ((sent / PollEvery) + 1) * PollEvery);
                    if (frames.Whole && !request.TraceEach)
                    {
                        SendBurst(upTo);
                    }
                    else
                    {
                        while (sent < upTo && !engine.StopRequested)
                        {
                            Send(sent);
                        }
                    }

                    if (sent % PollEvery == 0)
                    {
                        engine.Receive(PollEvery);
                    }
                }

                if (sent == count)
                {
                    lastSentAt ??= clock.Now;
                }

                var got = engine.Receive(PollEvery);
                now = clock.Now;
                TimeSpan wake;
                if (sent < count)
                {
                    wake = Due(start, interval, sent);
                }
                else
                {
                    var deadline = lastSentAt!.Value + request.Timeout;
                    if (answered + errors == count)
                    {
                        allAnsweredAt ??= now;
                        var lingerEnd = allAnsweredAt.Value + request.Linger;
                        deadline = lingerEnd < deadline ? lingerEnd : deadline;
                    }

                    if (now >= deadline)
                    {
                        end = answered + errors == count || count == 0 ? RunEnd.Completed : RunEnd.TimedOut;
                        break;
                    }

                    wake = deadline;
                }

                if (got == 0 && wake > now)
                {
                    var wait = wake - now;
                    engine.Link.WaitReadable(wait < MaxWait ? wait : MaxWait);
                }
            }
        }
        finally
        {
            engine.Observer = previous;
        }

        var stats = new ProbeStatistics(sent - refused, answered, errors, duplicates, rtts.Min, rtts.Average, rtts.Max, rtts.Mdev, clock.Now - start) { Refused = refused };
        engine.Trace.Publish(new ProbeStatisticsTraced(engine.Elapsed, Target(), end, stats));
        return new ProbeResult(end, replies, rttTicks, sent, stats);
    }

    private static TimeSpan Due(TimeSpan start, TimeSpan interval, int index) => start + TimeSpan.FromTicks(interval.Ticks * index);

    /// <summary>How many frames are due by <paramref name="now"/> (those whose <see cref="Due"/> time has come).</summary>
    internal static int DueCount(TimeSpan start, TimeSpan interval, TimeSpan now, int count)
    {
        if (now < start)
        {
            return 0;
        }

        if (interval <= TimeSpan.Zero)
        {
            return count;
        }

        var due = ((now - start).Ticks / interval.Ticks) + 1;
        return due >= count ? count : (int)due;
    }

    /// <summary>The high-rate path up to frame <paramref name="end"/>: whole frames (no fragments), one clock read per
    /// group while the group before went fast, a group of a template's frames in one batch, else frame by frame; a frame
    /// the link refuses (its queue is full) is counted, not thrown, unless nothing at all gets through. Allocates
    /// nothing.</summary>
    private void SendBurst(int end)
    {
        var link = engine.Link;
        var clock = engine.Clock;
        var stamps = sentTicks;
        var i = sent;
        while (i < end)
        {
            var at = clock.Wall.UtcTicks; // before the group's first frame: on veth the reply can arrive during the send
            var fast = lastGroup > 0 && at - lastStamp < FastFrame.Ticks * lastGroup;
            var groupEnd = Math.Min(end, i + (fast ? group : 1));
            lastStamp = at;
            lastGroup = groupEnd - i;
            stamps.AsSpan(i, groupEnd - i).Fill(at);
            if (batchBuffer is not null && groupEnd - i > 1)
            {
                i = SendBatch(link, batchBuffer, i, groupEnd);
            }
            else
            {
                for (; i < groupEnd; i++)
                {
                    var frame = frames.Frame(i);
                    if (!link.TrySend(frame))
                    {
                        Refused(link, i, frame);
                    }
                }
            }

            sent = i;
        }
    }

    /// <summary>Frames <paramref name="first"/> to <paramref name="end"/> − 1 as one batch; after a refused frame the
    /// rest go on in the next call. Returns <paramref name="end"/>.</summary>
    private int SendBatch(IFrameLink link, byte[] buffer, int first, int end)
    {
        var length = buffer.Length / group;
        frames.CopyFrames(buffer, first, end - first);
        var i = first;
        while (i < end)
        {
            i += link.TrySendBatch(buffer.AsSpan((i - first) * length, (end - i) * length), length);
            if (i < end)
            {
                Refused(link, i, buffer.AsSpan((i - first) * length, length));
                i++;
            }
        }

        return i;
    }

    /// <summary>Counts a refused frame; when every frame so far was refused, from the first, and that is
    /// <see cref="RefusedBeforeGivingUp"/> of them, sends it once more to throw the link's own one-line reason.</summary>
    private void Refused(IFrameLink link, int index, ReadOnlySpan<byte> frame)
    {
        if (++refused == index + 1 && refused >= RefusedBeforeGivingUp)
        {
            link.Send(frame);
        }
    }

    private void Send(int index)
    {
        if (frames.WirePieces(index) is { } pieces)
        {
            // Its fragments, back to back; the RTT runs from the first. A fragment the link refuses loses the datagram.
            var refusedBefore = refused;
            for (var i = 0; i < pieces.Count; i++)
            {
                SendOne(index, pieces[i], first: i == 0, refusedBefore);
            }
        }
        else
        {
            SendOne(index, frames.Frame(index), first: true, refused);
        }

        sent = index + 1;
    }

    private void SendOne(int index, ReadOnlySpan<byte> frame, bool first, int refusedBefore)
    {
        if (request.TraceEach)
        {
            var at = engine.SendRaw(frame).UtcTicks;
            sentTicks[index] = first ? at : sentTicks[index];
            return;
        }

        // Fragments at a high rate: each piece straight to the link; a refused fragment is counted once per datagram, not
        // thrown, unless nothing at all gets through.
        sentTicks[index] = first ? engine.Clock.Wall.UtcTicks : sentTicks[index];
        if (!engine.Link.TrySend(frame) && refused == refusedBefore && ++refused == index + 1 && refused >= RefusedBeforeGivingUp)
        {
            engine.Link.Send(frame); // throws the link's own one-line reason
        }
    }

    private string Target()
    {
        if (frames.Count == 0)
        {
            return "nobody";
        }

        var f = FrameParser.Parse(frames.Frame(0), frames.LinkType);
        return f.Arp is { } arp ? arp.TargetIp.ToString() : f.TryGetAddresses(out _, out var to) ? to.ToString() : "?";
    }

    // ---- receiving --------------------------------------------------------------------------------------------

    private void OnFrame(ReadOnlySpan<byte> frame, DateTimeOffset wall, in ParsedFrame reply)
    {
        if (sent == 0 || reply.Malformed is not null)
        {
            return;
        }

        var (index, kind) = Match(reply);
        if (index < 0)
        {
            return;
        }

        var rtt = TimeSpan.FromTicks(wall.UtcTicks - sentTicks[index]);
        var duplicate = false;
        switch (kind)
        {
            case ProbeReplyKind.Answer when rttTicks[index] >= 0:
                duplicate = true;
                duplicates++;
                break;
            case ProbeReplyKind.Answer:
                rttTicks[index] = rtt.Ticks;
                rtts.Add(rtt);
                answered++;
                if (errored[index])
                {
                    errors--; // an answer after an error: the frame counts as answered
                }

                break;
            case ProbeReplyKind.IcmpError when errored[index] || rttTicks[index] >= 0:
                duplicate = true;
                duplicates++;
                break;
            case ProbeReplyKind.IcmpError:
                errored[index] = true;
                errors++;
                break;
        }

        while (oldestUnanswered < sent && (rttTicks[oldestUnanswered] >= 0 || errored[oldestUnanswered]))
        {
            oldestUnanswered++;
        }

        var r = new ProbeReply(index, kind, duplicate, wall, rtt);
        if (request.TraceEach)
        {
            r = r with { Frame = frame.ToArray(), Parsed = reply };
            // The engine's one parse of the reply serves the matcher above, the trace and the statistics alike.
            engine.TraceReceived(frame, reply, wall, kind == ProbeReplyKind.Kernel ? Direction.Kernel : Direction.In);
            engine.Trace.Publish(new ProbeReplyTraced(engine.Elapsed, r, reply));
        }

        replies.Add(r);
        if (kind == ProbeReplyKind.Answer && !duplicate && request.ResetOpened)
        {
            ResetIfOpened(index, reply);
        }
    }

    /// <summary>The frame <paramref name="reply"/> belongs to and what it is to it; index -1 when to none.</summary>
    private (int Index, ProbeReplyKind Kind) Match(in ParsedFrame reply)
    {
        foreach (var fromOurSide in (ReadOnlySpan<bool>)[false, true])
        {
            if (fromOurSide && reply.Tcp is null)
            {
                break; // only a TCP segment from our side can be our kernel's
            }

            if (frames.Candidate(reply, fromOurSide, sent) is { } candidate)
            {
                if (candidate >= 0 && Judge(candidate, reply, fromOurSide) is { } kind)
                {
                    return (candidate, kind);
                }

                continue;
            }

            // Nothing tells the frames apart: the oldest one still waiting that this answers, else the latest sent.
            for (var i = oldestUnanswered; i < sent && i < oldestUnanswered + ScanLimit; i++)
            {
                if ((rttTicks[i] < 0 || fromOurSide) && Judge(i, reply, fromOurSide) is { } k)
                {
                    return (i, k);
                }
            }

            if (Judge(sent - 1, reply, fromOurSide) is { } last)
            {
                return (sent - 1, last);
            }
        }

        return (-1, ProbeReplyKind.Answer);
    }

    private ProbeReplyKind? Judge(int index, in ParsedFrame other, bool fromOurSide)
    {
        var ours = FrameParser.Parse(frames.Frame(index), frames.LinkType);
        if (fromOurSide)
        {
            return Answers.FromOurSide(ours, other) ? ProbeReplyKind.Kernel : null;
        }

        if (!Answers.IsAnswer(ours, other))
        {
            return null;
        }

        var error = (other.Icmp is { QuotesDatagram: true } && other.IcmpQuote is not null) || (other.Icmpv6 is { QuotesDatagram: true } && other.Icmpv6Quote is not null);
        return error ? ProbeReplyKind.IcmpError : ProbeReplyKind.Answer;
    }

    /// <summary>A SYN-ACK to our SYN opened a connection on the server: a RST at its acknowledgment number closes it
    /// (RFC 9293 §3.10.7.1: to a segment with ACK, the reset takes SEQ = SEG.ACK and no ACK).</summary>
    private void ResetIfOpened(int index, in ParsedFrame reply)
    {
        if (reply.Tcp is not { } rt || !rt.Has(TcpFlags.Syn | TcpFlags.Ack) || rt.Has(TcpFlags.Rst))
        {
            return;
        }

        var ours = FrameParser.Parse(frames.Frame(index), frames.LinkType);
        if (ours.Tcp is not { } st || !ours.TryGetAddresses(out var from, out var to) || ours.Ethernet is not { } eth || !st.Has(TcpFlags.Syn) || st.Has(TcpFlags.Ack))
        {
            return;
        }

        var ip = new ProbeIp(from, to, ours.IPv4?.Ttl ?? ours.IPv6?.HopLimit ?? 64, 0);
        var rst = new TcpHeader(st.SourcePort, st.DestinationPort, rt.Ack, new SeqNum(0), TcpFlags.Rst, 0);
        var n = ip.BuildTcp(resetBuffer, eth, rst, default, default);
        if (request.TraceEach)
        {
            engine.SendRaw(resetBuffer.AsSpan(0, n), "resetting the connection this SYN-ACK opened on the server");
        }
        else
        {
            engine.Link.Send(resetBuffer.AsSpan(0, n));
        }
    }
}
