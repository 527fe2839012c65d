using RawHandshake.Session;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Recipes.Syntax;

/// <summary>
/// What the server has told us so far on the flow, as the built-in variables read it: its ISN (from its SYN-ACK), the
/// window of its latest segment, the timestamps of its latest segment that carried them. The runner feeds it every
/// segment that arrives (<see cref="Observe"/>) and forgets the ISN when a new connection starts.
/// </summary>
public sealed class ServerView
{
    /// <summary>The server's ISN, absolute; null before its SYN-ACK.</summary>
    public SeqNum? Isn { get; set; }

    /// <summary>The window field of its latest segment, as sent (unscaled).</summary>
    public ushort? Window { get; private set; }

    public uint? TsVal { get; private set; }

    public uint? TsEcr { get; private set; }

    /// <summary>Takes what a segment from the server says (a frame without TCP says nothing).</summary>
    public void Observe(in ParsedFrame parsed, ReadOnlySpan<byte> frame)
    {
        if (parsed.Tcp is not { } tcp)
        {
            return;
        }

        if (tcp.Has(TcpFlags.Syn) && tcp.Has(TcpFlags.Ack))
        {
            Isn ??= tcp.Seq;
        }

        Window = tcp.Window;
        var o = parsed.TcpOptionsSummary(frame);
        if (o.TsVal is { } tv)
        {
            TsVal = tv;
            TsEcr = o.TsEcr;
        }
    }
}

/// <summary>Where a built-in variable is read from while a recipe runs: our session, the handshake's result (null before it completed), the server's values.</summary>
public readonly record struct VariableSources(TcpClientSession Session, HandshakeCompleted? Handshake, ServerView Server);

/// <summary>A recipe number names a value nobody knows yet (<c>$srv.isn</c> before the SYN-ACK, a capture before its step): the step fails by name.</summary>
public sealed class UnknownValueException(string message) : Exception(message);

/// <summary>
/// One built-in variable (<c>$srv.isn</c> …): its name as written, what it holds (<see cref="Description"/>, for the
/// README and messages), how it is read while running (<see cref="Read"/>: null while unknown) and why it may be
/// unknown (<see cref="WhenUnknown"/>, the end of the failure message; null when it is always known).
/// </summary>
public sealed record RecipeVariable(string Name, string Description, Func<VariableSources, long?> Read, string? WhenUnknown)
{
    /// <summary>The value now; a variable not known yet fails the step by name: <c>$srv.isn is unknown: the server's SYN-ACK has not come</c>.</summary>
    public long Value(VariableSources sources) =>
        Read(sources) ?? throw new UnknownValueException($"{Name} is unknown: {WhenUnknown ?? "it has no value"}");
}

/// <summary>The one table of built-in variables, usable wherever a number goes; the lexer, parser, validator, runner and messages read it.</summary>
public static class RecipeVariables
{
    /// <summary>Every built-in variable, in the order error messages list them.</summary>
    public static IReadOnlyList<RecipeVariable> All { get; } =
    [
        new("$srv.isn", "the server's initial sequence number (absolute), from its SYN-ACK", x => x.Server.Isn?.Value, "the server's SYN-ACK has not come"),
        new("$srv.win", "the window field of the server's latest segment, as sent (unscaled)", x => x.Server.Window, "no segment has come from the server"),
        new("$srv.mss", "the MSS the server announced in its SYN-ACK", x => x.Handshake?.PeerMss ?? x.Session.PeerMss, null),
        new("$srv.wscale", "the window scale the server announced in its SYN-ACK", x => x.Handshake?.PeerWindowScale, "the server's SYN-ACK has not come"),
        new("$srv.tsval", "TSval of the server's latest segment with timestamps", x => x.Server.TsVal, "no segment with timestamps has come from the server"),
        new("$srv.tsecr", "TSecr of the server's latest segment with timestamps", x => x.Server.TsEcr, "no segment with timestamps has come from the server"),
        new("$our.isn", "our initial sequence number (absolute)", x => x.Session.Iss.Value, null),
        new("$snd.nxt", "SND.NXT: the next sequence number we send", x => x.Session.SndNxt.Value, null),
        new("$rcv.nxt", "RCV.NXT: the next sequence number we expect from the server", x => x.Session.RcvNxt?.Value, "the server's SYN has not come"),
    ];

    private static readonly Dictionary<string, RecipeVariable> ByName = All.ToDictionary(v => v.Name, StringComparer.OrdinalIgnoreCase);

    /// <summary>Every known name, in the order error messages list them.</summary>
    public static IReadOnlyList<string> Names { get; } = [.. All.Select(v => v.Name)];

    /// <summary>The names separated by spaces, as error messages show them.</summary>
    public static string Known { get; } = string.Join(' ', Names);

    /// <summary>The built-in variable of that name (any case), or null.</summary>
    public static RecipeVariable? Find(string name) => ByName.GetValueOrDefault(name);

    public static bool IsKnown(string name) => ByName.ContainsKey(name);

    /// <summary>A name a recipe may capture into: <c>$</c> then letters, digits or <c>_</c> (no dot: the dotted names are built in).</summary>
    public static bool IsCapturable(string name) =>
        name.Length > 1 && name[0] == '$' && name.Skip(1).All(ch => char.IsAsciiLetterOrDigit(ch) || ch == '_') && !IsKnown(name);

    /// <summary>What each name holds, for the README and for runner messages.</summary>
    public static string Describe(string name) => Find(name)?.Description ?? "unknown";
}
