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
    private TimeSpan? deadline;
    private int pushTarget;
    private int recvCursor;
    private bool closeIssued;
    private SeqNum? serverIsn;
    private uint? srvTsVal;
    private uint? srvTsEcr;
    private ushort? srvWin;

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
        if (parsed.Tcp is { } tcp)
        {
            if (tcp.Has(TcpFlags.Syn) && tcp.Has(TcpFlags.Ack))
            {
                serverIsn ??= tcp.Seq;
            }

            srvWin = tcp.Window;
            var o = parsed.TcpOptionsSummary(frame);
            if (o.TsVal is { } tv)
            {
                srvTsVal = tv;
                srvTsEcr = o.TsEcr;
            }

            // A segment we had already acknowledged (the server retransmitting because our ACK was slow under load: a
            // tail-loss probe, an RTO) is traced but not offered to expectations. One we never acknowledged is: a recipe
            // may withhold its ACK to watch the server retransmit.
            var seqLength = SequenceSpace.Of(tcp.Flags, parsed.PayloadLength);
            var s = flow.Session;
            if (seqLength > 0 && s.State is not (TcpState.Closed or TcpState.SynSent) && s.LastAckSent is { } acked && tcp.Seq + seqLength <= acked && !tcp.Has(TcpFlags.Rst))
            {
                flow.Note($"the server retransmitted what we had acknowledged (Seq={(serverIsn is { } si ? tcp.Seq.RelativeTo(si).ToString(CultureInfo.InvariantCulture) : "raw:" + tcp.Seq.Value.ToString(CultureInfo.InvariantCulture))}, Len={parsed.PayloadLength}): not offered to expect");
                return;
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
        if (index >= recipe.Steps.Count)
        {
            Outcome = new FlowOutcome(true, null, $"recipe passed: {recipe.Steps.Count} steps");
            return;
        }

        stepStart = now;
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
            ExpectStep e => now + (e.Within ?? defaultWait) + tolerance,
            ExpectNothingStep n => now + n.Within,
            ExpectRstStep r => now + (r.Within ?? defaultWait) + tolerance,
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
                if (inbound.TryDequeue(out var seg))
                {
                    var diffs = StepMatch.Diff(e, seg, serverIsn, s.Iss, Value(flow));
                    return diffs.Count == 0 ? Verdict.Pass : Verdict.Fail($"the segment that came is {Describe(seg, s.Iss)}", diffs);
                }

                return late ? Verdict.Fail($"nothing came within {Ms(now - stepStart)}") : null;

            case ExpectNothingStep:
                if (inbound.TryDequeue(out var unwanted))
                {
                    return Verdict.Fail($"expected nothing, got {Describe(unwanted, s.Iss)}");
                }

                return late ? Verdict.Pass : null;

            case ExpectRstStep:
                while (inbound.TryDequeue(out var r))
                {
                    if (r.Tcp.Has(TcpFlags.Rst))
                    {
                        return Verdict.Pass;
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
                        return Verdict.Fail($"the server acknowledged with Ack={ack}", [StepMatch.Mismatch("tcp.ack", m, ack, x => Relative(x, flow, s.Iss))]);
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
                        p.ThenAck is { } tm ? [StepMatch.Mismatch("tcp.ack", tm, ack, x => Relative(x, flow, s.Iss))] : [$"the server acknowledged up to Ack={ack}"]);
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
        var srv = serverIsn ?? default; // before the SYN-ACK the server's numbers have no origin: taken raw
        var flags = send.Flags;

        // Without "ack N" an ACK acknowledges what we have (RCV.NXT); without <…> a SYN offers the recipe's options and
        // later segments carry the agreed timestamps.
        var ack = send.Ack is { } a ? Absolute(a, flow, srv) : (flags & TcpFlags.Ack) != 0 ? s.RcvNxt ?? default : default; // before the SYN-ACK: 0, as written
        var now = flow.Now;
        var optionSet = send.Options is null
            ? (flags & TcpFlags.Syn) != 0 ? s.SynOptionSet(now) : s.SegmentOptionSet(now)
            : OptionSetOf(send.Options, flow);

        var win = send.Window is { } w ? (ushort)Evaluate(w, flow) : (flags & TcpFlags.Syn) != 0 ? (ushort)Math.Min(s.Config.ReceiveWindow, 65535) : s.AdvertisedWindow;
        byte[]? raw = send.Options is { } opts ? OptionBytes(opts, flow) : null;
        var overrides = Overrides(send.Fields, raw);
        var segment = new OutgoingSegment(flags, seq, ack, win, optionSet, send.Payload);
        flow.SendCrafted(segment, overrides);
        return Verdict.Pass;
    }

    private static FrameOverrides Overrides(IReadOnlyList<FieldOverride> fields, byte[]? rawOptions)
    {
        var o = new FrameOverrides { RawOptions = rawOptions };
        foreach (var f in fields)
        {
            o = f.Name switch
            {
                "ttl" => o with { Ttl = (byte)f.Value },
                "tos" => o with { Tos = (byte)f.Value },
                "ip.id" => o with { IpId = (ushort)f.Value },
                "df" => o with { DontFragment = f.Value != 0 },
                "ip.checksum" => o with { IpChecksum = (ushort)f.Value },
                "tcp.checksum" => o with { TcpChecksum = (ushort)f.Value },
                "urg" => o with { Urgent = (ushort)f.Value },
                "data-offset" => o with { DataOffset = (byte)f.Value },
                "ip.len" => o with { IpLength = (ushort)f.Value },
                "ihl" => o with { Ihl = (byte)f.Value },
                "reserved" => o with { Reserved = (byte)f.Value },
                "dscp" => o with { Dscp = (byte)f.Value },
                "ecn" => o with { Ecn = (byte)f.Value },
                "mf" => o with { MoreFragments = f.Value != 0 },
                "evil" => o with { ReservedFlag = f.Value != 0 },
                "frag-offset" => o with { FragmentOffset = (ushort)f.Value },
                "ip.options" => o with { IpOptions = f.Bytes },
                _ => o,
            };
        }

        return o;
    }

    /// <summary>The options as the session should know them (for negotiation), from a send's option list.</summary>
    private TcpOptionSet OptionSetOf(IReadOnlyList<OptionSpec>? options, Flow flow)
    {
        if (options is null)
        {
            return default;
        }

        ushort? mss = null;
        byte? ws = null;
        var sack = false;
        (uint, uint)? ts = null;
        foreach (var o in options)
        {
            switch (o.Kind)
            {
                case OptionKindName.Mss: mss = (ushort)Evaluate(o.Value!, flow); break;
                case OptionKindName.WindowScale: ws = (byte)Evaluate(o.Value!, flow); break;
                case OptionKindName.SackPermitted: sack = true; break;
                case OptionKindName.Timestamps: ts = ((uint)Evaluate(o.TsVal!, flow), (uint)Evaluate(o.TsEcr!, flow)); break;
            }
        }

        return new TcpOptionSet(mss, ws, sack, ts);
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
                OptionKindName.Sack => w.Sack(o.Sack!.Select(b => (Absolute(b.Left, flow, serverIsn ?? default).Value, Absolute(b.Right, flow, serverIsn ?? default).Value)).ToArray()),
                OptionKindName.Nop => w.Nop(),
                OptionKindName.Eol => w.End(),
                _ => w.Raw(o.RawKind ?? 0, o.RawData ?? []),
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
        serverIsn = null;
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

            var ipOptions = send.Fields.LastOrDefault(f => f.Name == "ip.options")?.Bytes?.Length ?? 0;
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

    private long VariableAbsolute(string name, Flow flow)
    {
        var s = flow.Session;
        return name.ToLowerInvariant() switch
        {
            "$srv.isn" => serverIsn?.Value ?? throw new UnknownValueException("$srv.isn is unknown: the server's SYN-ACK has not come"),
            "$our.isn" => s.Iss.Value,
            "$snd.nxt" => s.SndNxt.Value,
            "$rcv.nxt" => s.RcvNxt?.Value ?? throw new UnknownValueException("$rcv.nxt is unknown: the server's SYN has not come"),
            "$srv.win" => srvWin ?? 0,
            "$srv.mss" => flow.Handshake?.PeerMss ?? s.PeerMss,
            "$srv.wscale" => flow.Handshake?.PeerWindowScale ?? 0,
            "$srv.tsval" => srvTsVal ?? 0,
            "$srv.tsecr" => srvTsEcr ?? 0,
            _ => 0,
        };
    }

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
        var rel = serverIsn is { } origin ? (long)tcp.Seq.RelativeTo(origin) : tcp.Seq.Value;
        return string.Create(CultureInfo.InvariantCulture,
            $"{tcp.Flags.ToTcpdump()} {rel}:{rel + seg.Parsed.PayloadLength}({seg.Parsed.PayloadLength}){(tcp.Has(TcpFlags.Ack) ? $" ack {tcp.Ack.RelativeTo(ourIsn)}" : "")} win {tcp.Window}");
    }

    /// <summary>A recipe number that needs a value nobody knows yet (the server's ISN before its SYN-ACK): the step fails.</summary>
    private sealed class UnknownValueException(string message) : Exception(message);

    private static string Ms(TimeSpan t) => string.Create(CultureInfo.InvariantCulture, $"{t.TotalMilliseconds:0} ms");
}
