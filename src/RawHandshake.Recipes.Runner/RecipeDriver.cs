using System.Globalization;
using RawHandshake.Engine;
using RawHandshake.Engine.Trace;
using RawHandshake.Recipes.Syntax;
using RawHandshake.Session;
using RawHandshake.Wire.Dissection;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Recipes.Runner;

/// <summary>
/// Runs a recipe's steps on one flow, in order. Low-level steps (<c>send</c>, <c>expect</c>) put the session in manual
/// mode: it tracks both sides' states from what goes out and comes in but sends nothing itself. High-level steps
/// (<c>connect</c>, <c>push</c>, <c>recv</c>, <c>close</c> …) let the session do TCP (ACKs, retransmissions). Every step
/// ends in a <see cref="StepTraced"/> event; the first failure stops the run.
/// </summary>
public sealed class RecipeDriver : IFlowDriver
{
    private readonly Recipe recipe;
    private readonly TimeSpan tolerance;
    private readonly TimeSpan defaultWait;
    private readonly Queue<Inbound> inbound = new();
    private readonly Queue<Inbound> icmp = new();
    private readonly List<StepTraced> results = [];
    private int index = -1;
    private bool started;
    private TimeSpan stepStart;
    private TimeSpan? endedAt;
    private TimeSpan? deadline;
    private int pushTarget;
    private int recvCursor;
    private bool closeIssued;
    private readonly ServerView server = new();
    private readonly Dictionary<string, long> captured = new(StringComparer.Ordinal);
    private readonly List<Inbound> run = [];

    /// <summary>The end of the sequence space the server's segments offered to expect have covered (null before the first).</summary>
    private SeqNum? serverSent;

    public RecipeDriver(Recipe recipe, TimeSpan defaultWait)
    {
        this.recipe = recipe;
        tolerance = recipe.Header.Defaults.EffectiveTolerance;
        this.defaultWait = defaultWait;
    }

    public bool Finished => Outcome is not null;
    public FlowOutcome? Outcome { get; private set; }
    public TimeSpan? Deadline => Finished ? null : deadline;
    public IReadOnlyList<StepTraced> Results => results;

    public void Start(Flow flow, TimeSpan now)
    {
        flow.Session.SetManual(true, now, flow);
        Next(flow, now);
    }

    public void OnReceived(Flow flow, in ParsedFrame parsed, ReadOnlySpan<byte> frame, TimeSpan now)
    {
        var copy = new Inbound(now, parsed, frame.ToArray());
        server.Observe(parsed, frame);
        if (parsed.Tcp is { } tcp)
        {
            // A segment we had already acknowledged (the server retransmitting because our ACK was slow under load: a
            // tail-loss probe, an RTO) is traced but not offered to expectations. One we never acknowledged is: a recipe
            // may withhold its ACK to watch the server retransmit.
            var seqLength = SequenceSpace.Of(tcp.Flags, parsed.PayloadLength);
            var s = flow.Session;
            if (seqLength > 0 && s.State is not (TcpState.Closed or TcpState.SynSent) && s.LastAckSent is { } acked && tcp.Seq + seqLength <= acked && !tcp.Has(TcpFlags.Rst))
            {
                flow.Note($"the server retransmitted what we had acknowledged (Seq={(server.Isn is { } si ? tcp.Seq.RelativeTo(si).ToString(CultureInfo.InvariantCulture) : "raw:" + tcp.Seq.Value.ToString(CultureInfo.InvariantCulture))}, Len={parsed.PayloadLength}): not offered to expect");
                return;
            }

            // A pure ACK the server sent before data we have already received from it, overtaken on the way (its
            // ACK leaves from softirq on one CPU while its program's next write goes out on the other): TCP would not
            // accept it (RFC 9293 §3.10.7.4: a segment without data must start at RCV.NXT or later) and it says nothing
            // new, so it is traced but not offered to expect. One below what the server sent is a probe, offered as
            // ever: a zero-window probe or a keep-alive carries SND.UNA − 1 on purpose (RFC 9293 §3.8.4).
            if (seqLength == 0 && !tcp.Has(TcpFlags.Rst) && serverSent is { } highest && tcp.Seq + 1 < highest)
            {
                flow.Note("an ACK the server sent before data we already have came late (overtaken on the way): not offered to expect");
                return;
            }

            var end = tcp.Seq + seqLength;
            if (serverSent is not { } seen || end > seen)
            {
                serverSent = end;
            }

            inbound.Enqueue(copy);
        }
        else if (parsed.Icmp is not null)
        {
            icmp.Enqueue(copy);
        }
    }

    public void AfterInput(Flow flow, TimeSpan now)
    {
        if (!started || Finished)
        {
            return;
        }

        // A step may complete, and the next ones may complete at once: go on until one has to wait.
        for (var guard = 0; guard < 10_000 && !Finished; guard++)
        {
            var step = recipe.Steps[index];
            Verdict? verdict;
            try
            {
                verdict = Evaluate(step, flow, now);
            }
            catch (UnknownValueException u)
            {
                verdict = Verdict.Fail(u.Message);
            }

            if (verdict is null)
            {
                return; // waiting
            }

            Report(flow, step, verdict.Value.Passed, verdict.Value.Message, verdict.Value.Diffs);
            if (!verdict.Value.Passed)
            {
                var why = verdict.Value.Diffs.Count > 0 ? string.Join("; ", verdict.Value.Diffs) : verdict.Value.Message;
                Outcome = new FlowOutcome(false, $"{recipe.File}:{step.Pos.Line}: {step.Text} — {why}", "recipe failed");
                return;
            }

            Next(flow, now);
        }
    }

    private void Next(Flow flow, TimeSpan now)
    {
        index++;
        started = true;
        deadline = null;
        closeIssued = false;
        run.Clear();
        if (index >= recipe.Steps.Count)
        {
            Outcome = new FlowOutcome(true, null, $"recipe passed: {recipe.Steps.Count} steps");
            return;
        }

        // A step that ended with a segment ended when that segment came (not when it was looked at): the next step's
        // time, as packetdrill counts it, starts there.
        stepStart = endedAt is { } at && at <= now ? at : now;
        endedAt = null;
        Begin(recipe.Steps[index], flow, now);
    }

    private readonly record struct Verdict(bool Passed, string? Message, IReadOnlyList<string> Diffs)
    {
        public static Verdict Pass => new(true, null, []);

        public static Verdict Fail(string message, IReadOnlyList<string>? diffs = null) => new(false, message, diffs ?? []);
    }

    /// <summary>What a step does when it starts (commands, deadlines).</summary>
    private void Begin(Step step, Flow flow, TimeSpan now)
    {
        var s = flow.Session;
        switch (step)
        {
            case SendStep:
            case ExpectStep:
            case ExpectNothingStep:
            case ExpectRstStep:
            case ExpectIcmpStep:
                s.SetManual(true, now, flow);
                break;
            case ConnectStep:
                if (s.IsDone || s.State == TcpState.TimeWait)
                {
                    s = NewConnection(flow);
                }

                s.SetManual(false, now, flow);
                if (s.State == TcpState.Closed)
                {
                    flow.Connect();
                }

                break;
            case PushStep p:
                s.SetManual(false, now, flow);
                pushTarget = s.QueuedCount + p.Data.Length;
                flow.Send(p.Data);
                break;
            case RecvStep:
            case CloseStep:
            case WaitCloseStep:
                s.SetManual(false, now, flow);
                break;
            case AbortStep:
                s.SetManual(false, now, flow);
                flow.Abort();
                break;
            case WindowStep w:
                s.SetReceiveWindow((int)Math.Min(w.Bytes, int.MaxValue));
                break;
            case EchoStep e:
                flow.Note(e.Note);
                break;
        }

        deadline = step switch
        {
            ExpectStep e => stepStart + (e.Within ?? defaultWait) + tolerance,
            ExpectNothingStep n => now + n.Within,
            ExpectRstStep r => stepStart + (r.Within ?? defaultWait) + tolerance,
            ExpectIcmpStep i => now + (i.Within ?? defaultWait) + tolerance,
            RecvStep r => now + (r.Within ?? defaultWait) + tolerance,
            WaitCloseStep w => now + (w.Within ?? defaultWait) + tolerance,
            SleepStep sl => now + sl.Duration,
            ConnectStep or PushStep or CloseStep => now + defaultWait,
            _ => null,
        };
    }

    /// <summary>Null while the step waits; a verdict when it is over.</summary>
    private Verdict? Evaluate(Step step, Flow flow, TimeSpan now)
    {
        var s = flow.Session;
        var late = deadline is { } d && now >= d;
        switch (step)
        {
            case SendStep send:
                return DoSend(send, flow);

            case ExpectStep e:
                while (inbound.TryDequeue(out var seg))
                {
                    if (Early(e.NotBefore, seg) is { } early)
                    {
                        return early;
                    }

                    var v = MatchSegment(e, seg, flow);
                    if (v is not null)
                    {
                        return v;
                    }
                }

                return late
                    ? Verdict.Fail(run.Count > 0
                        ? $"only {run.Sum(x => x.Parsed.PayloadLength)} of {e.Length!.A!.Offset} bytes came within {Ms(now - stepStart)}, in {Segments(run.Count)}"
                        : $"nothing came within {Ms(now - stepStart)}")
                    : null;

            case ExpectNothingStep:
                if (inbound.TryDequeue(out var unwanted))
                {
                    return Verdict.Fail($"expected nothing, got {Describe(unwanted, s.Iss)}");
                }

                return late ? Verdict.Pass : null;

            case ExpectRstStep rs:
                while (inbound.TryDequeue(out var r))
                {
                    if (r.Tcp.Has(TcpFlags.Rst))
                    {
                        endedAt = r.At;
                        return Early(rs.NotBefore, r) ?? Verdict.Pass;
                    }
                }

                return late ? Verdict.Fail($"no RST within {Ms(now - stepStart)}") : null;

            case ExpectIcmpStep i:
                while (icmp.TryDequeue(out var m))
                {
                    var h = m.Parsed.Icmp!.Value;
                    if ((i.Type is null || i.Type == h.Type) && (i.Code is null || i.Code == h.Code))
                    {
                        return Verdict.Pass;
                    }
                }

                return late ? Verdict.Fail($"no matching ICMP message within {Ms(now - stepStart)}") : null;

            case ExpectStateStep st:
                var actual = st.Side == Side.Client ? s.State : s.PeerState;
                return actual == st.State
                    ? Verdict.Pass
                    : Verdict.Fail($"{(st.Side == Side.Client ? "state" : "server-state")}: expected {st.State.ToRfc()} vs actual {actual.ToRfc()}");

            case ConnectStep:
                if (s.State == TcpState.Established)
                {
                    return Consumed(Verdict.Pass);
                }

                if (flow.Failure is { } cf)
                {
                    return Verdict.Fail(cf.Reason);
                }

                return late ? Verdict.Fail($"not ESTABLISHED after {Ms(now - stepStart)} (state {s.State.ToRfc()})") : null;

            case PushStep p:
                if (s.AcknowledgedCount >= pushTarget)
                {
                    var ack = (long)s.SndUna.RelativeTo(s.Iss);
                    if (p.ThenAck is { } m && !m.Matches(ack, x => Relative(x, flow, s.Iss)))
                    {
                        return Verdict.Fail($"the server acknowledged with Ack={ack}", [StepMatch.Mismatch(RecipeFields.Ack.Shown, m, ack, x => Relative(x, flow, s.Iss))]);
                    }

                    return Consumed(Verdict.Pass);
                }

                if (flow.Failure is { } pf)
                {
                    return Verdict.Fail(pf.Reason);
                }

                if (late)
                {
                    var ack = (long)s.SndUna.RelativeTo(s.Iss);
                    return Verdict.Fail($"not acknowledged within {Ms(now - stepStart)}",
                        p.ThenAck is { } tm ? [StepMatch.Mismatch(RecipeFields.Ack.Shown, tm, ack, x => Relative(x, flow, s.Iss))] : [$"the server acknowledged up to Ack={ack}"]);
                }

                return null;

            case RecvStep r:
                var need = r.Data?.Length ?? r.Count ?? 0;
                if (s.ReceivedCount >= recvCursor + need)
                {
                    var got = s.Received.Slice(recvCursor, need).ToArray();
                    recvCursor += need;
                    if (r.Data is { } want && !got.AsSpan().SequenceEqual(want))
                    {
                        return Verdict.Fail("received different bytes", [$"data: expected \"{StepMatch.Escape(want)}\" vs actual \"{StepMatch.Escape(got)}\""]);
                    }

                    return Consumed(Verdict.Pass);
                }

                if (late || s.PeerFinReceived || flow.Failure is not null)
                {
                    var have = s.Received[recvCursor..].ToArray();
                    return Verdict.Fail($"{(s.PeerFinReceived ? "the server closed" : "waited " + Ms(now - stepStart))} with {have.Length} of {need} bytes",
                        r.Data is { } w ? [$"data: expected \"{StepMatch.Escape(w)}\" vs actual \"{StepMatch.Escape(have)}\""] : null);
                }

                return null;

            case CloseStep { Half: true }:
                if (!closeIssued)
                {
                    closeIssued = true;
                    flow.Close(); // our FIN only: the server may go on sending
                }

                // Done once our FIN is acknowledged: FIN-WAIT-2, or TIME-WAIT when the server's FIN came with the ACK.
                if (s.State is TcpState.FinWait2 or TcpState.TimeWait)
                {
                    return Consumed(Verdict.Pass);
                }

                if (flow.Failure is { } hf)
                {
                    return Verdict.Fail(hf.Reason);
                }

                return late ? Verdict.Fail($"our FIN was not acknowledged within {Ms(now - stepStart)} (state {s.State.ToRfc()})") : null;

            case CloseStep:
                if (!closeIssued)
                {
                    closeIssued = true;
                    flow.Close();
                }

                if (s.State is TcpState.TimeWait or TcpState.Closed)
                {
                    return Consumed(flow.Failure is { } xf ? Verdict.Fail(xf.Reason) : Verdict.Pass);
                }

                return late ? Verdict.Fail($"close did not finish within {Ms(now - stepStart)} (state {s.State.ToRfc()})") : null;

            case WaitCloseStep:
                if (s.PeerFinReceived && !closeIssued)
                {
                    closeIssued = true;
                    flow.Close();
                }

                // Done when the server's FIN is in and the close finished: CLOSED after our LAST-ACK, or TIME-WAIT when our
                // FIN had gone first (a half-close).
                if (s.PeerFinReceived && (s.State == TcpState.TimeWait || (s.State == TcpState.Closed && s.IsDone)))
                {
                    return Consumed(Verdict.Pass);
                }

                if (flow.Failure is { } wf)
                {
                    return Verdict.Fail(wf.Reason);
                }

                return late ? Verdict.Fail(s.PeerFinReceived ? $"the close did not finish (state {s.State.ToRfc()})" : $"no FIN from the server within {Ms(now - stepStart)}") : null;

            case AbortStep:
                return Consumed(Verdict.Pass);

            case SleepStep:
                return late ? Verdict.Pass : null; // what arrives meanwhile stays for the next expect

            case WindowStep or EchoStep:
                return Verdict.Pass;

            default:
                return Verdict.Fail($"step '{step.GetType().Name}' is not supported by the runner");
        }
    }

    /// <summary>
    /// A segment that came before the step's lower time bound (less the tolerance) fails it: packetdrill's
    /// <c>+0.3</c> is as much "not sooner" as "not later".
    /// </summary>
    private Verdict? Early(TimeSpan? notBefore, Inbound seg)
    {
        if (notBefore is not { } low)
        {
            return null;
        }

        var after = seg.At - stepStart;
        return after < low - tolerance
            ? Verdict.Fail($"it came too early: after {Ms(after)}, expected no sooner than {Ms(low)} (tolerance {Ms(tolerance)})", [$"time: expected {Ms(low)}.. vs actual {Ms(after)}"])
            : null;
    }

    /// <summary>
    /// One arrived segment against an expect: a verdict, or null while a run of segments that together make up the
    /// expected one (TSO/GSO on the server) is still incomplete. A run: contiguous segments, each with the expected
    /// flags (FIN only on the last; PSH, when expected, on any), each short of the expected length, adding up to it exactly.
    /// </summary>
    private Verdict? MatchSegment(ExpectStep e, Inbound seg, Flow flow)
    {
        var s = flow.Session;
        var value = Value(flow);
        if (run.Count == 0)
        {
            var diffs = StepMatch.Diff(e, seg, server.Isn, s.Iss, value);
            if (diffs.Count == 0)
            {
                return Captured(e, seg, seg.At, seg.Parsed.PayloadLength, null);
            }

            if (RunPart(e, seg, 0) is not { } first || StepMatch.Diff(first, seg, server.Isn, s.Iss, value).Count > 0)
            {
                return Verdict.Fail($"the segment that came is {Describe(seg, s.Iss)}", diffs);
            }

            run.Add(seg);
            return null;
        }

        var sofar = run.Sum(x => x.Parsed.PayloadLength);
        var previous = run[^1];
        var contiguous = seg.Tcp.Seq == previous.Tcp.Seq + previous.Parsed.PayloadLength;
        var part = RunPart(e, seg, sofar);
        var partDiffs = part is null ? [] : StepMatch.Diff(part, seg, server.Isn, s.Iss, value);
        if (!contiguous || part is null || partDiffs.Count > 0)
        {
            var why = !contiguous ? [$"{RecipeFields.Seq.Shown}: the segment does not follow the run's previous one"] : part is null ? [$"{RecipeFields.Len.Shown}: {seg.Parsed.PayloadLength} bytes overrun the expected {e.Length!.A!.Offset}"] : partDiffs;
            return Verdict.Fail($"segment {run.Count + 1} of a run that should make up the expected one is {Describe(seg, s.Iss)}", why);
        }

        run.Add(seg);
        var total = sofar + seg.Parsed.PayloadLength;
        return total == e.Length!.A!.Offset ? Captured(e, run[0], seg.At, total, run.Count) : null;
    }

    /// <summary>
    /// The expectation for one segment of a run starting <paramref name="offset"/> bytes into the expected payload:
    /// the same step with its length (and payload slice) for this segment, the start only for the first, PSH and FIN
    /// only on the last. Null when the step cannot be met by a run (no exact constant length) or the segment is too long.
    /// </summary>
    private static ExpectStep? RunPart(ExpectStep e, Inbound seg, long offset)
    {
        if (e.Length is not { Kind: MatchKind.Equal, A: { IsConstant: true, Base: NumberBase.Relative } lenExpr })
        {
            return null;
        }

        var len = seg.Parsed.PayloadLength;
        var want = lenExpr.Offset;
        if (len == 0 || offset + len > want)
        {
            return null;
        }

        var last = offset + len == want;
        if (offset == 0 && last)
        {
            return null; // a single segment is matched as it is
        }

        // Before the last segment: no FIN, and PSH only when the step expects it (the server may push each part); flags *
        // take any flags on every segment.
        TcpFlags? partFlags = e.Flags.Exact is not { } flags || last ? e.Flags.Exact : (flags & ~(TcpFlags.Psh | TcpFlags.Fin)) | (flags & seg.Tcp.Flags & TcpFlags.Psh);
        return e with
        {
            Flags = e.Flags with { Exact = partFlags },
            Seq = offset == 0 ? e.Seq : null,
            Length = Matcher.EqualTo(len),
            Payload = e.Payload is { } p ? p[(int)offset..(int)(offset + len)] : null,
        };
    }

    /// <summary>The step matched (on one segment, or on a run of <paramref name="segments"/>): keeps its captures.</summary>
    private Verdict Captured(ExpectStep e, Inbound seg, TimeSpan at, long length, int? segments)
    {
        endedAt = at;
        foreach (var c in e.Captures)
        {
            long? v = ReferenceEquals(c.Field, RecipeFields.Len) ? length : c.Field.Read(seg.Parsed, seg.Frame);
            if (v is not { } value)
            {
                return Verdict.Fail($"cannot capture {c.Variable} = {c.Field.Name}: the segment does not carry {c.Field.Shown}");
            }

            captured[c.Variable] = value;
        }

        var kept = e.Captures.Count == 0 ? null : string.Join(", ", e.Captures.Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Variable} = {captured[c.Variable]}")));
        var message = segments is { } n ? $"matched by a run of {Segments(n)}" + (kept is null ? "" : "; " + kept) : kept;
        return new Verdict(true, message, []);
    }

    private static string Segments(int n) => n == 1 ? "1 segment" : $"{n} segments";

    /// <summary>A high-level step owns what arrived while it ran: low-level expectations start after it.</summary>
    private Verdict Consumed(Verdict v)
    {
        inbound.Clear();
        icmp.Clear();
        return v;
    }

    private Verdict DoSend(SendStep send, Flow flow)
    {
        var s = flow.Session;
        if ((send.Flags & TcpFlags.Syn) != 0 && (send.Flags & TcpFlags.Ack) == 0 && (s.IsDone || s.State == TcpState.TimeWait))
        {
            s = NewConnection(flow); // a SYN after the last connection ended opens a new one on the same ports
        }

        var ourIsn = s.Iss;
        var seq = send.Seq is { } q ? Absolute(q, flow, ourIsn) : s.State == TcpState.Closed ? ourIsn : s.SndNxt;
        var srv = server.Isn ?? default; // before the SYN-ACK the server's numbers have no origin: taken raw
        var flags = send.Flags;

        // Without "ack N" an ACK acknowledges what we have (RCV.NXT); before the SYN-ACK: 0, as written.
        var ack = send.Ack is { } a ? Absolute(a, flow, srv) : (flags & TcpFlags.Ack) != 0 ? s.RcvNxt ?? default : default;

        // The options, worked out once: a list written on the step goes out exactly as written (its bytes); without one a
        // SYN offers the session's options and later segments carry the agreed timestamps (its option set). The builder
        // writes whichever it is, and the session hears of the segment from the build (Flow.SendCrafted).
        var now = flow.Now;
        var written = send.Options is { } opts ? OptionBytes(opts, flow) : null;
        var options = written is not null ? default : (flags & TcpFlags.Syn) != 0 ? s.SynOptionSet(now) : s.SegmentOptionSet(now);
        var win = send.Window is { } w ? (ushort)Evaluate(w, flow) : (flags & TcpFlags.Syn) != 0 ? (ushort)Math.Min(s.Config.ReceiveWindow, 65535) : s.AdvertisedWindow;
        var segment = new OutgoingSegment(flags, seq, ack, win, options, send.Payload);
        flow.SendCrafted(segment, RecipeFields.Overrides(send.Fields, written));
        return Verdict.Pass;
    }

    /// <summary>Writes the options exactly in the order given (packetdrill style), padded to 32 bits.</summary>
    private byte[] OptionBytes(IReadOnlyList<OptionSpec> options, Flow flow)
    {
        Span<byte> buffer = stackalloc byte[64];
        var w = new TcpOptionWriter(buffer);
        foreach (var o in options)
        {
            w = o.Kind switch
            {
                OptionKindName.Mss => w.Mss((ushort)Evaluate(o.Value!, flow)),
                OptionKindName.WindowScale => w.WindowScale((byte)Evaluate(o.Value!, flow)),
                OptionKindName.SackPermitted => w.SackPermitted(),
                OptionKindName.Timestamps => w.Timestamps((uint)Evaluate(o.TsVal!, flow), (uint)Evaluate(o.TsEcr!, flow)),
                OptionKindName.Sack => w.Sack(o.Sack!.Select(b => (Absolute(b.Left, flow, server.Isn ?? default).Value, Absolute(b.Right, flow, server.Isn ?? default).Value)).ToArray()),
                OptionKindName.Nop => w.Nop(),
                OptionKindName.Eol => w.End(),
                OptionKindName.Raw => w.Raw(o.RawKind ?? throw new ArgumentException("kind N without its number", nameof(options)), o.RawData ?? []),
                _ => throw new ArgumentOutOfRangeException(nameof(options), o.Kind, "an option kind the driver cannot write"),
            };
        }

        var n = w.PadToWord().Length;
        return buffer[..n].ToArray();
    }

    /// <summary>A new connection on the same ports: a fresh session with a fresh ISN well past the old one.</summary>
    private TcpClientSession NewConnection(Flow flow)
    {
        var old = flow.Session;
        var config = old.Config with { Isn = old.SndNxt + 100_000 };
        flow.Restart(config);
        server.Isn = null;
        recvCursor = 0;
        inbound.Clear();
        icmp.Clear();
        flow.Session.SetManual(true, flow.Now, flow);
        return flow.Session;
    }

    /// <summary>
    /// The first <c>send</c> whose frame cannot fit the link (its IP packet longer than <paramref name="mtu"/>), as a
    /// one-line error with <c>file:line:col</c> and the limit; null when every frame fits. Checked at run start, once the
    /// route and the interface are known, so that nothing is sent.
    /// </summary>
    public static string? FrameTooLarge(Recipe recipe, int mtu, string linkName)
    {
        var config = RecipeSession.Config(recipe, default, 0);
        Span<byte> scratch = stackalloc byte[64];
        foreach (var step in recipe.Steps)
        {
            if (step is not SendStep send)
            {
                continue;
            }

            var ipOptions = send.Fields.LastOrDefault(f => f.Name == RecipeFields.IpOptions)?.Bytes?.Length ?? 0;
            var ipHeader = IPv4Header.MinLength + ((ipOptions + 3) & ~3);
            int tcpOptions;
            if (send.Options is { } opts)
            {
                tcpOptions = (opts.Sum(o => o.WireLength) + 3) & ~3;
            }
            else if ((send.Flags & TcpFlags.Syn) != 0)
            {
                tcpOptions = TcpOptionLayout.Write(scratch, new TcpOptionSet(config.Mss, config.WindowScale, config.SackPermitted, config.Timestamps ? (0u, 0u) : null));
            }
            else
            {
                // Later segments carry the timestamps when they were agreed.
                tcpOptions = config.Timestamps ? TcpOptionLayout.Write(scratch, new TcpOptionSet(Timestamps: (0u, 0u))) : 0;
            }

            var packet = ipHeader + TcpHeader.MinLength + tcpOptions + send.Payload.Length;
            if (packet > mtu)
            {
                var room = Math.Max(0, mtu - (packet - send.Payload.Length));
                return string.Create(CultureInfo.InvariantCulture,
                    $"{recipe.File}:{send.Pos}: send: the frame does not fit the link: an IP packet of {packet} bytes, the MTU of {linkName} is {mtu} (at most {room} payload bytes with these headers)");
            }
        }

        return null;
    }

    // ---- numbers ----------------------------------------------------------------------------------------------

    private Func<NumberExpr, SeqNum?, long> Value(Flow flow) => (e, origin) => origin is { } o ? Relative(e, flow, o) : Evaluate(e, flow);

    /// <summary>An absolute sequence number for a slot whose relative origin is <paramref name="origin"/>.</summary>
    private SeqNum Absolute(NumberExpr e, Flow flow, SeqNum origin) => e.Base switch
    {
        NumberBase.Raw => new SeqNum((uint)e.Offset),
        NumberBase.Variable => new SeqNum((uint)(VariableAbsolute(e.Variable!, flow) + e.Offset)),
        _ => origin + (int)e.Offset,
    };

    /// <summary>The relative value of a number in a slot whose origin is <paramref name="origin"/>.</summary>
    private long Relative(NumberExpr e, Flow flow, SeqNum origin) => e.Base switch
    {
        NumberBase.Relative => e.Offset,
        _ => Absolute(e, flow, origin).RelativeTo(origin),
    };

    /// <summary>A plain number (window, option values).</summary>
    private long Evaluate(NumberExpr e, Flow flow) => e.Base == NumberBase.Variable ? VariableAbsolute(e.Variable!, flow) + e.Offset : e.Offset;

    /// <summary>A built-in variable from the one table (<see cref="RecipeVariables"/>), or a value an earlier expect captured.</summary>
    private long VariableAbsolute(string name, Flow flow) =>
        RecipeVariables.Find(name) is { } builtIn ? builtIn.Value(new VariableSources(flow.Session, flow.Handshake, server))
        : captured.TryGetValue(name.ToLowerInvariant(), out var v) ? v
        : throw new UnknownValueException($"{name} is unknown: the step that captures it has not run");

    // ---- reporting --------------------------------------------------------------------------------------------

    private void Report(Flow flow, Step step, bool passed, string? message, IReadOnlyList<string> diffs)
    {
        var e = new StepTraced(flow.TraceTime, recipe.File, step.Pos.Line, step.Text, passed, message, diffs);
        results.Add(e);
        flow.Publish(e);
    }

    /// <summary>A segment in the recipe's own notation: <c>S. 0:0(0) ack 1 win 65160</c>.</summary>
    private string Describe(Inbound seg, SeqNum ourIsn)
    {
        var tcp = seg.Tcp;
        // Before the server's SYN-ACK its numbers have no origin: shown as they are on the wire (origin 0).
        var rel = server.Isn is { } origin ? (long)tcp.Seq.RelativeTo(origin) : tcp.Seq.Value;
        return string.Create(CultureInfo.InvariantCulture,
            $"{tcp.Flags.ToTcpdump()} {rel}:{rel + seg.Parsed.PayloadLength}({seg.Parsed.PayloadLength}){(tcp.Has(TcpFlags.Ack) ? $" ack {tcp.Ack.RelativeTo(ourIsn)}" : "")} win {tcp.Window}");
    }

    private static string Ms(TimeSpan t) => string.Create(CultureInfo.InvariantCulture, $"{t.TotalMilliseconds:0} ms");
}
