using System.Text;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Session.Tests.Support;

/// <summary>
/// One client session, its collector, a scripted server and a virtual clock. Every step checks the timer invariants
/// (a pending deadline lies in the future; a finished session has none; TIME-WAIT always has one).
/// Expectations print segments with relative numbers (C+n for ours, S+n for the server's), as Wireshark would.
/// </summary>
public sealed class Lab
{
    public static readonly FlowKey Flow = new(new IPv4Address(0xC0A80065), 40000, new IPv4Address(0xC0A80001), 80);

    public Lab(uint clientIsn = 1000, uint serverIsn = 5000, Func<SessionConfig, SessionConfig>? configure = null)
    {
        // RFC 6298 §2.4's minimum timeout of 1 s, not Linux's 200 ms: the handshake is timed (at 0 ms unless a test says
        // otherwise), so with Linux's minimum every timer after it would read 200 ms; tests of that minimum set it.
        var config = new SessionConfig(Flow, new SeqNum(clientIsn)) { MinRto = TimeSpan.FromSeconds(1) };
        Config = configure is null ? config : configure(config);
        Session = new TcpClientSession(Config);
        Server = new FakeServer(new SeqNum(serverIsn), new SeqNum(clientIsn));
    }

    public SessionConfig Config { get; }

    /// <summary>Linux's 200 ms floor under the timeout (<see cref="SessionConfig.MinRto"/>'s default) instead of the Lab's 1 s.</summary>
    public static SessionConfig LinuxMinRto(SessionConfig c) => c with { MinRto = TimeSpan.FromMilliseconds(200) };

    public TcpClientSession Session { get; }

    public Collector Out { get; } = new();

    public FakeServer Server { get; }

    public TimeSpan Now { get; private set; }

    public SeqNum ClientIsn => Config.Isn;

    public SeqNum ServerIsn => Server.Isn;

    /// <summary>Our sequence number <paramref name="rel"/> past our ISN.</summary>
    public SeqNum C(int rel) => ClientIsn + rel;

    /// <summary>The server's sequence number <paramref name="rel"/> past its ISN.</summary>
    public SeqNum S(int rel) => ServerIsn + rel;

    public static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    // ---- driving ----------------------------------------------------------------------------------------------

    public Lab Connect()
    {
        Session.Connect(Now, Out);
        CheckInvariants("Connect");
        return this;
    }

    public Lab Send(byte[] data)
    {
        Session.Send(data, Now, Out);
        CheckInvariants("Send");
        return this;
    }

    public Lab Send(string text) => Send(Encoding.ASCII.GetBytes(text));

    public Lab Close()
    {
        Session.Close(Now, Out);
        CheckInvariants("Close");
        return this;
    }

    public Lab Abort()
    {
        Session.Abort(Now, Out);
        CheckInvariants("Abort");
        return this;
    }

    public Lab Deliver(ServerSeg s)
    {
        var header = s.Header;
        var options = s.Options;
        Session.OnSegment(new TcpSegment(header, options, s.Payload) { OptionBytes = s.OptionBytes, ArrivedAt = s.ArrivedAt }, Now, Out);
        CheckInvariants($"OnSegment({s})");
        return this;
    }

    /// <summary>Moves the clock forward by <paramref name="dt"/>, firing every timer that falls due on the way, each at its deadline.</summary>
    public Lab Advance(TimeSpan dt) => RunUntil(Now + dt);

    public Lab RunUntil(TimeSpan t)
    {
        if (t < Now)
        {
            throw new InvalidOperationException("virtual time runs forward only");
        }

        var guard = 0;
        while (Session.NextDeadline is { } d && d <= t)
        {
            if (++guard > 10_000)
            {
                throw new ShouldAssertException("the session keeps asking for timers (10 000 in a row): a timer loop");
            }

            Now = d;
            Session.OnTimer(Now, Out);
            CheckInvariants($"OnTimer({Now.TotalMilliseconds} ms)");
        }

        Now = t;
        return this;
    }

    /// <summary>Jumps to the pending deadline and fires it.</summary>
    public Lab FireTimer()
    {
        var d = Session.NextDeadline ?? throw new ShouldAssertException($"expected a pending timer in {Session.State.ToRfc()}, NextDeadline is null");
        Now = d;
        Session.OnTimer(Now, Out);
        CheckInvariants($"OnTimer({Now.TotalMilliseconds} ms)");
        return this;
    }

    /// <summary>Connect, then the server's SYN-ACK after <paramref name="rtt"/>; segments and events of the handshake are taken.</summary>
    public Lab Established(ushort? mss = 1460, byte? ws = null, bool sack = false, bool ts = false, ushort window = 65535, TimeSpan? rtt = null)
    {
        Connect();
        Advance(rtt ?? TimeSpan.Zero);
        Deliver(Server.SynAck(mss, ws, sack, ts, window));
        Session.State.ShouldBe(TcpState.Established, "handshake");
        Out.TakeSegments();
        Out.TakeEvents();
        return this;
    }

    private void CheckInvariants(string step)
    {
        if (Session.NextDeadline is { } d && d <= Now)
        {
            throw new ShouldAssertException($"after {step}: NextDeadline {d.TotalMilliseconds} ms is not after now ({Now.TotalMilliseconds} ms)");
        }

        if (Session.IsDone && Session.State != TcpState.TimeWait && !Session.Lingering && Session.NextDeadline is not null)
        {
            throw new ShouldAssertException($"after {step}: the session is done ({Session.State.ToRfc()}) yet NextDeadline is {Session.NextDeadline}");
        }

        if (Session.State == TcpState.TimeWait && Session.NextDeadline is null)
        {
            throw new ShouldAssertException($"after {step}: TIME-WAIT with no timer to end it");
        }
    }

    // ---- expectations -----------------------------------------------------------------------------------------

    public List<Sent> Take() => Out.TakeSegments();

    public List<SessionEvent> Events() => Out.TakeEvents();

    public void ExpectNothing(string? because = null)
    {
        var s = Take();
        if (s.Count != 0)
        {
            throw new ShouldAssertException($"expected no segment{Because(because)}, saw {s.Count}: {string.Join(" | ", s.Select(Describe))}");
        }
    }

    /// <summary>Exactly one segment since the last take, with exactly these fields.</summary>
    public Sent ExpectOne(TcpFlags flags, SeqNum seq, SeqNum ack, int window, int len = 0, byte[]? payload = null, TcpOptionSet options = default, SegmentKind? kind = null, (uint, uint)[]? sack = null, string? because = null)
    {
        var s = Take();
        if (s.Count != 1)
        {
            throw new ShouldAssertException($"expected one segment ({flags.ToWireshark()}){Because(because)}, saw {s.Count}: {string.Join(" | ", s.Select(Describe))}");
        }

        Check(s[0], flags, seq, ack, window, len, payload, options, kind, sack, because);
        return s[0];
    }

    public List<Sent> ExpectCount(int n, string? because = null)
    {
        var s = Take();
        if (s.Count != n)
        {
            throw new ShouldAssertException($"expected {n} segments{Because(because)}, saw {s.Count}: {string.Join(" | ", s.Select(Describe))}");
        }

        return s;
    }

    public void Check(Sent s, TcpFlags flags, SeqNum seq, SeqNum ack, int window, int len = 0, byte[]? payload = null, TcpOptionSet options = default, SegmentKind? kind = null, (uint, uint)[]? sack = null, string? because = null)
    {
        var problems = new List<string>();
        if (s.Flags != flags)
        {
            problems.Add($"expected {flags.ToWireshark()}, saw {s.Flags.ToWireshark()}");
        }

        if (s.Seq != seq)
        {
            problems.Add($"seq: expected {RelC(seq)}, saw {RelC(s.Seq)}");
        }

        if (s.Ack != ack)
        {
            problems.Add($"ack: expected {RelS(ack)}, saw {RelS(s.Ack)}");
        }

        if (s.Window != window)
        {
            problems.Add($"window: expected {window}, saw {s.Window}");
        }

        var expectedLen = payload?.Length ?? len;
        if (s.Payload.Length != expectedLen)
        {
            problems.Add($"payload: expected {expectedLen} bytes, saw {s.Payload.Length}");
        }
        else if (payload is not null && !payload.AsSpan().SequenceEqual(s.Payload))
        {
            problems.Add("payload bytes differ");
        }

        if (s.Options != options)
        {
            problems.Add($"options: expected {Show(options)}, saw {Show(s.Options)}");
        }

        if (kind is { } k && s.Kind != k)
        {
            problems.Add($"kind: expected {k}, saw {s.Kind}");
        }

        var sackWanted = sack ?? [];
        var sackSeen = s.Sack ?? [];
        if (!sackWanted.SequenceEqual(sackSeen.Select(b => (b.Left, b.Right))))
        {
            problems.Add($"SACK blocks: expected [{string.Join(", ", sackWanted.Select(b => $"{RelS(new SeqNum(b.Item1))}-{RelS(new SeqNum(b.Item2))}"))}], saw [{string.Join(", ", sackSeen.Select(b => $"{RelS(new SeqNum(b.Left))}-{RelS(new SeqNum(b.Right))}"))}]");
        }

        if (problems.Count > 0)
        {
            throw new ShouldAssertException($"segment {Describe(s)}{Because(because)}: {string.Join("; ", problems)}");
        }
    }

    /// <summary>The single event of type <typeparamref name="T"/> among <paramref name="events"/>.</summary>
    public static T Single<T>(IEnumerable<SessionEvent> events)
        where T : SessionEvent
    {
        var list = events.ToList();
        var matches = list.OfType<T>().ToList();
        if (matches.Count != 1)
        {
            throw new ShouldAssertException($"expected one {typeof(T).Name} event, saw {matches.Count} among: {string.Join(" | ", list)}");
        }

        return matches[0];
    }

    public static void None<T>(IEnumerable<SessionEvent> events)
        where T : SessionEvent
    {
        var list = events.ToList();
        if (list.OfType<T>().Any())
        {
            throw new ShouldAssertException($"expected no {typeof(T).Name} event, saw: {string.Join(" | ", list.OfType<T>())}");
        }
    }

    /// <summary>The client state transitions among <paramref name="events"/>, as "FIN-WAIT-1→FIN-WAIT-2".</summary>
    public static string[] Transitions(IEnumerable<SessionEvent> events, Side side) =>
        events.OfType<StateChanged>().Where(e => e.Side == side).Select(e => $"{e.From.ToRfc()}→{e.To.ToRfc()}").ToArray();

    public void ExpectState(TcpState state)
    {
        if (Session.State != state)
        {
            throw new ShouldAssertException($"expected {state.ToRfc()}, the session is in {Session.State.ToRfc()}");
        }
    }

    public void ExpectDeadline(TimeSpan? deadline, string? because = null)
    {
        if (Session.NextDeadline != deadline)
        {
            throw new ShouldAssertException($"NextDeadline{Because(because)}: expected {Show(deadline)}, saw {Show(Session.NextDeadline)} (now {Now.TotalMilliseconds} ms, {Session.State.ToRfc()})");
        }
    }

    public string Describe(Sent s) =>
        $"{s.Flags.ToWireshark()} seq={RelC(s.Seq)} ack={RelS(s.Ack)} win={s.Window} len={s.Payload.Length} {s.Kind}" +
        (s.Options.IsEmpty ? string.Empty : $" {Show(s.Options)}") +
        (s.Sack is null ? string.Empty : $" SACK[{string.Join(", ", s.Sack.Select(b => $"{RelS(new SeqNum(b.Left))}-{RelS(new SeqNum(b.Right))}"))}]");

    private string RelC(SeqNum n) => $"C+{n.RelativeTo(ClientIsn)} ({n.Value})";

    private string RelS(SeqNum n) => $"S+{n.RelativeTo(ServerIsn)} ({n.Value})";

    private static string Show(TimeSpan? t) => t is { } v ? $"{v.TotalMilliseconds} ms" : "null";

    private static string Show(TcpOptionSet o) =>
        o.IsEmpty ? "none" : $"MSS={o.Mss?.ToString() ?? "-"} WS={o.WindowScale?.ToString() ?? "-"} SACK_PERM={o.SackPermitted} TS={(o.Timestamps is { } ts ? $"{ts.Val}/{ts.Ecr}" : "-")}";

    private static string Because(string? because) => because is null ? string.Empty : $" ({because})";
}
