using RawHandshake.Session;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Recipes.Syntax;

/// <summary>
/// One step: <see cref="Pos"/> is its first token; <see cref="Text"/> the source line as written, trimmed, without the
/// comment (continued lines joined with one space), for reports.
/// </summary>
public abstract record Step(SourcePos Pos, string Text);

/// <summary>
/// <c>send FLAGS [SEQ[:END](LEN)] [ack N] [win N] [&lt;OPTIONS&gt;] [PAYLOAD] [FIELD VALUE]…</c>.
/// <see cref="Seq"/> null: our SND.NXT. <see cref="Ack"/> null: our RCV.NXT (used when the ACK flag is set).
/// <see cref="Window"/> null: the window we advertise. <see cref="Length"/> is the <c>(LEN)</c> as written (or END-SEQ),
/// null when not written; it always equals <see cref="Payload"/>'s length. <see cref="Options"/> null: not written
/// (the runner's default: a SYN carries the header's options, later segments the negotiated timestamps); empty:
/// <c>&lt;&gt;</c>, no options at all.
/// </summary>
public sealed record SendStep(
    SourcePos Pos,
    string Text,
    TcpFlags Flags,
    NumberExpr? Seq,
    uint? Length,
    NumberExpr? Ack,
    NumberExpr? Window,
    IReadOnlyList<OptionSpec>? Options,
    byte[] Payload,
    IReadOnlyList<FieldOverride> Fields) : Step(Pos, Text)
{
    /// <summary>The payload was not written but generated from <c>(LEN)</c> (zeros, as packetdrill sends).</summary>
    public bool Generated { get; init; }
}

/// <summary>
/// <c>expect FLAGS [SEQ[:END](LEN)] [ack M] [win M] [&lt;OPTIONS&gt;] [PAYLOAD] [FIELD M]… [within D]</c>: the next TCP
/// segment of the flow from the server must match every given field. A null matcher is not checked.
/// <see cref="Options"/> null: not checked; empty: <c>&lt;&gt;</c>, the segment must carry no options.
/// <see cref="Payload"/> null: not checked. <see cref="Within"/> null: the run's timeout.
/// </summary>
public sealed record ExpectStep(
    SourcePos Pos,
    string Text,
    FlagsMatch Flags,
    Matcher? Seq,
    Matcher? Length,
    Matcher? Ack,
    Matcher? Window,
    IReadOnlyList<OptionMatch>? Options,
    byte[]? Payload,
    IReadOnlyList<FieldMatch> Fields,
    TimeSpan? Within) : Step(Pos, Text)
{
    /// <summary>The low end of <c>within A..B</c> (or packetdrill's <c>+A~+B</c>): the segment may not come sooner. Null: no lower bound.</summary>
    public TimeSpan? NotBefore { get; init; }

    /// <summary>The option list is compared exactly (order, NOPs, extras): <c>exact &lt;…&gt;</c>, or any list in the packetdrill dialect.</summary>
    public bool ExactOptions { get; init; }

    /// <summary>The <c>$NAME = FIELD</c> captures, in the order written.</summary>
    public IReadOnlyList<Capture> Captures { get; init; } = [];
}

/// <summary><c>$NAME = FIELD</c> on an <c>expect</c>: keeps FIELD of the matched segment as <c>$NAME</c> for later steps.</summary>
public sealed record Capture(string Variable, RecipeField Field, SourcePos Pos = default);

/// <summary><c>expect nothing within D</c>: no TCP segment of the flow arrives for D.</summary>
public sealed record ExpectNothingStep(SourcePos Pos, string Text, TimeSpan Within) : Step(Pos, Text);

/// <summary><c>expect rst [within D]</c>: a segment with RST set (any other flags) arrives on the flow.</summary>
public sealed record ExpectRstStep(SourcePos Pos, string Text, TimeSpan? Within) : Step(Pos, Text)
{
    /// <summary>The low end of <c>within A..B</c>: the RST may not come sooner. Null: no lower bound.</summary>
    public TimeSpan? NotBefore { get; init; }
}

/// <summary>
/// <c>expect icmp [unreachable|time-exceeded|echo-reply|type N] [code N] [within D]</c>: an ICMP message about the flow.
/// Null type or code: any.
/// </summary>
public sealed record ExpectIcmpStep(SourcePos Pos, string Text, byte? Type, byte? Code, TimeSpan? Within) : Step(Pos, Text);

/// <summary><c>expect state S</c> (our side, <see cref="Side.Client"/>) or <c>expect server-state S</c> (inferred, <see cref="Side.Server"/>).</summary>
public sealed record ExpectStateStep(SourcePos Pos, string Text, Side Side, TcpState State) : Step(Pos, Text);

/// <summary><c>connect [&lt;OPTIONS&gt;]</c>: the whole handshake by the session. Options null: the header's.</summary>
public sealed record ConnectStep(SourcePos Pos, string Text, IReadOnlyList<OptionSpec>? Options) : Step(Pos, Text);

/// <summary><c>push "text" | push hex … [then ack M]</c>: sends the data and waits for its ACK; <see cref="ThenAck"/> checks that ACK (relative to our ISN).</summary>
public sealed record PushStep(SourcePos Pos, string Text, byte[] Data, Matcher? ThenAck) : Step(Pos, Text)
{
    /// <summary><c>push N bytes</c>: the data was generated (zeros), not written.</summary>
    public bool Generated { get; init; }
}

/// <summary>
/// <c>recv "text" | recv hex … | recv N bytes [within D]</c>: the next bytes of the server's stream, however segmented.
/// Exactly one of <see cref="Data"/> (these bytes) and <see cref="Count"/> (any N bytes) is set.
/// </summary>
public sealed record RecvStep(SourcePos Pos, string Text, byte[]? Data, int? Count, TimeSpan? Within) : Step(Pos, Text);

/// <summary>
/// <c>close</c>: active close (our FIN, the server's ACK and FIN, our ACK). <c>close half</c> (<see cref="Half"/>):
/// shutdown of our sending side only: our FIN, done once the server has acknowledged it (FIN-WAIT-2); the server may
/// go on sending.
/// </summary>
public sealed record CloseStep(SourcePos Pos, string Text) : Step(Pos, Text)
{
    public bool Half { get; init; }
}

/// <summary><c>wait-close [within D]</c>: passive close: wait for the server's FIN, then close our side.</summary>
public sealed record WaitCloseStep(SourcePos Pos, string Text, TimeSpan? Within) : Step(Pos, Text);

/// <summary><c>abort</c>: send a RST.</summary>
public sealed record AbortStep(SourcePos Pos, string Text) : Step(Pos, Text);

/// <summary><c>sleep D</c> (at most 10 minutes).</summary>
public sealed record SleepStep(SourcePos Pos, string Text, TimeSpan Duration) : Step(Pos, Text);

/// <summary><c>window N</c>: the receive window we advertise from now on, in bytes (the session scales it).</summary>
public sealed record WindowStep(SourcePos Pos, string Text, uint Bytes) : Step(Pos, Text);

/// <summary><c>echo "text"</c>: a note in the trace.</summary>
public sealed record EchoStep(SourcePos Pos, string Text, string Note) : Step(Pos, Text);
