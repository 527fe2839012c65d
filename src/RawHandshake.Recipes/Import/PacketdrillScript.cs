namespace RawHandshake.Recipes.Import;

/// <summary>When an event happens: <c>*</c> (any time), <c>0.1</c> (absolute), <c>+0.1</c> (after the previous
/// event), or a range <c>+0.3~+0.4</c>. Seconds.</summary>
internal sealed record PdTime(bool Any, bool Relative, double Start, double? End, bool EndRelative);

/// <summary>One event of a script: its time and what happens, at the line and column where the event starts.</summary>
internal sealed record PdEvent(PdTime Time, PdAction Action, int Line, int Column);

internal abstract record PdAction(int Line, int Column);

/// <summary>A TCP option as written: <c>mss 1000</c>, <c>nop</c>, <c>TS val 100 ecr 0</c>, <c>sack 1:100</c>.</summary>
internal sealed record PdOption(string Name, IReadOnlyList<long> Values, int Line, int Column);

/// <summary>
/// A TCP packet line. <c>&lt;</c> is inbound to the system under test (what the tester sends: our <c>send</c>),
/// <c>&gt;</c> outbound (what the server sends: our <c>expect</c>).
/// </summary>
internal sealed record PdPacket(
    int Line,
    int Column,
    bool Inbound,
    int? Ecn,
    string Flags,
    int FlagsColumn,
    uint Seq,
    uint End,
    int Length,
    uint? Ack,
    int? Window,
    int? Urgent,
    IReadOnlyList<PdOption>? Options,
    bool AnyOptions) : PdAction(Line, Column);

/// <summary>One argument of a system call: its tokens (between top-level commas).</summary>
internal sealed record PdArg(IReadOnlyList<PdToken> Tokens)
{
    public PdToken First => Tokens[0];

    public bool IsEllipsis => Tokens.Count == 1 && Tokens[0].Is("...");

    public string Text => string.Join(" ", Tokens.Select(t => t.Text));
}

/// <summary>A system call: <c>write(4, ..., 1000) = 1000</c>, <c>read(4, ..., 10) = -1 ECONNRESET (…)</c>.</summary>
internal sealed record PdSyscall(int Line, int Column, string Name, IReadOnlyList<PdArg> Args, long Result, string? Errno) : PdAction(Line, Column);

/// <summary>A <c>%{ }%</c> block or a backquoted shell command: kept out of the import, with a warning.</summary>
internal sealed record PdSkipped(int Line, int Column, string What) : PdAction(Line, Column);

/// <summary>A whole script: the <c>--name=value</c> options at its top, and its events in order.</summary>
internal sealed record PdScript(IReadOnlyList<PdToken> Options, IReadOnlyList<PdEvent> Events, IReadOnlyList<PdSkipped> Untimed);
