using System.Globalization;

namespace RawHandshake.Recipes.Import;

/// <summary>
/// Parses packetdrill's script syntax (its grammar: options, then events <c>TIME ACTION</c>, where an action is a TCP
/// packet, a system call, a backquoted command or a Python block) into a <see cref="PdScript"/>. Each error is one
/// diagnostic at its token; after one, parsing resumes at the next line. UDP and ICMP packets are errors here: a TCP
/// recipe cannot send or expect them.
/// </summary>
internal sealed class PacketdrillParser
{
    private readonly List<PdToken> tokens;
    private readonly Action<int, int, string> error;
    private readonly bool lexerFailed;
    private int pos;

    private PacketdrillParser(List<PdToken> tokens, Action<int, int, string> error, bool lexerFailed)
    {
        this.tokens = tokens;
        this.error = error;
        this.lexerFailed = lexerFailed;
    }

    private PdToken Current => tokens[pos];

    private PdToken Peek(int ahead = 1) => tokens[Math.Min(pos + ahead, tokens.Count - 1)];

    public static PdScript Parse(string text, Action<int, int, string> error)
    {
        var failed = false;
        var tokens = PacketdrillLexer.Lex(text, (l, c, m) =>
        {
            failed = true;
            error(l, c, m);
        });
        return new PacketdrillParser(tokens, error, failed).Script();
    }

    private PdScript Script()
    {
        var options = new List<PdToken>();
        var events = new List<PdEvent>();
        var untimed = new List<PdSkipped>();
        while (Current.Kind != PdTokenKind.End)
        {
            var start = Current;
            try
            {
                switch (start.Kind)
                {
                    case PdTokenKind.Option:
                        options.Add(start);
                        pos++;
                        break;
                    case PdTokenKind.Command or PdTokenKind.Code:
                        // packetdrill allows one untimed command before the events (the init command); we take any.
                        untimed.Add(Skipped(start));
                        pos++;
                        break;
                    default:
                        events.Add(Event());
                        break;
                }
            }
            catch (PdSyntaxException e)
            {
                // An unterminated comment or block took the rest of the script: its own error says so.
                if (!(lexerFailed && e.Token.Kind == PdTokenKind.End))
                {
                    error(e.Token.Line, e.Token.Column, e.Message);
                }

                SkipToNextLine(start.Line);
            }
        }

        return new PdScript(options, events, untimed);
    }

    private static PdSkipped Skipped(PdToken t) =>
        new(t.Line, t.Column, t.Kind == PdTokenKind.Code ? "a Python block (%{ … }%)" : $"the shell command `{Shorten(t.Text)}`");

    private static string Shorten(string s)
    {
        var one = s.ReplaceLineEndings(" ").Trim();
        return one.Length <= 40 ? one : one[..37] + "...";
    }

    private void SkipToNextLine(int line)
    {
        while (Current.Kind != PdTokenKind.End && Current.Line <= line)
        {
            pos++;
        }
    }

    private PdEvent Event()
    {
        var start = Current;
        var time = Time();
        var action = Current;
        PdAction result = action switch
        {
            { Kind: PdTokenKind.Command or PdTokenKind.Code } => Skipped(Take()),
            _ when action.Is("<") || action.Is(">") => Packet(),
            { Kind: PdTokenKind.Word } when Peek().Is("(") => Syscall(),
            _ when action.Is("...") => Syscall(),
            _ => throw new PdSyntaxException(action, $"expected a packet ('<' or '>'), a system call, a `command` or a %{{ }}% block after the time, not {action.Shown}"),
        };

        // The next event starts with its time (or is an untimed block); anything else is left over from this one.
        var next = Current;
        if (next.Kind is not (PdTokenKind.End or PdTokenKind.Number or PdTokenKind.Command or PdTokenKind.Code or PdTokenKind.Option) && !next.Is("+") && !next.Is("*"))
        {
            if (next.Line > tokens[pos - 1].Line)
            {
                pos++;
                throw new PdSyntaxException(next, $"expected a time (0, +0.1, +0.3~+0.4 or *) at the start of the event, not {next.Shown}");
            }

            throw new PdSyntaxException(next, $"unexpected {next.Shown} after the {(result is PdPacket ? "packet" : "event")}");
        }

        return new PdEvent(time, result, start.Line, start.Column);
    }

    private PdTime Time()
    {
        if (Current.Is("*"))
        {
            pos++;
            return new PdTime(true, false, 0, null, false);
        }

        var (relative, start) = TimeValue("a time (0, +0.1, +0.3~+0.4 or *) at the start of the event");
        if (!Current.Is("~"))
        {
            return new PdTime(false, relative, start, null, false);
        }

        pos++;
        var (endRelative, end) = TimeValue("the end of the time range (+0.3~+0.4)");
        return new PdTime(false, relative, start, end, endRelative);
    }

    private (bool Relative, double Seconds) TimeValue(string what)
    {
        var relative = false;
        if (Current.Is("+"))
        {
            relative = true;
            pos++;
        }

        var t = Current;
        if (t.Kind != PdTokenKind.Number || t.Text.StartsWith('-'))
        {
            throw new PdSyntaxException(t, $"expected {what}, not {t.Shown}");
        }

        pos++;
        return (relative, t.Value);
    }

    private PdToken Take() => tokens[pos++];

    private PdToken Expect(string punct, string context)
    {
        var t = Current;
        if (!t.Is(punct))
        {
            throw new PdSyntaxException(t, $"expected '{punct}' {context}, not {t.Shown}");
        }

        pos++;
        return t;
    }

    private long Integer(string what, long min, long max)
    {
        var t = Current;
        if (!t.IsInteger)
        {
            throw new PdSyntaxException(t, $"expected {what}, not {t.Shown}");
        }

        var v = t.Value;
        if (v < min || v > max)
        {
            throw new PdSyntaxException(t, $"{what} {t.Text} is out of range ({min} to {max})");
        }

        pos++;
        return (long)v;
    }

    private PdPacket Packet()
    {
        var dir = Take();
        var inbound = dir.Is("<");
        int? ecn = null;
        if (Current.Is("["))
        {
            var open = Take();
            var mark = Current;
            ecn = mark.Kind == PdTokenKind.Word ? mark.Text switch
            {
                "noecn" => 0,
                "ect1" => 1,
                "ect0" => 2,
                "ce" => 3,
                "ect01" => inbound ? throw new PdSyntaxException(mark, "[ect01] only describes packets the server sends ('>'): an inbound packet needs one codepoint") : -1,
                _ => null,
            } : null;
            if (ecn is null)
            {
                throw new PdSyntaxException(mark, $"unsupported IP marking {mark.Shown} (import knows [noecn], [ect0], [ect1], [ect01] and [ce])");
            }

            pos++;
            Expect("]", $"to close the IP marking opened at column {open.Column}");
        }

        if (Current.IsWord("udp") || Current.IsWord("icmp"))
        {
            throw new PdSyntaxException(Current, $"{Current.Text} packets are not supported: a recipe drives one TCP connection");
        }

        var (flags, flagsColumn) = Flags();
        var seq = (uint)Integer("a sequence number (START:END(LENGTH))", 0, uint.MaxValue);
        Expect(":", "between the start and end sequence numbers");
        var end = (uint)Integer("the end sequence number", 0, uint.MaxValue);
        Expect("(", "before the length");
        var lengthToken = Current;
        var length = (int)Integer("the payload length", 0, 65535);
        Expect(")", "after the length");
        if (unchecked(end - seq) != (uint)length)
        {
            throw new PdSyntaxException(lengthToken, $"{seq}:{end} spans {unchecked(end - seq)} bytes, but the length says ({length})");
        }

        uint? ack = null;
        int? window = null;
        int? urgent = null;
        IReadOnlyList<PdOption>? options = null;
        var anyOptions = false;
        while (true)
        {
            var t = Current;
            if (t.IsWord("ack") && ack is null)
            {
                pos++;
                ack = (uint)Integer("an acknowledgment number", 0, uint.MaxValue);
            }
            else if (t.IsWord("win") && window is null)
            {
                pos++;
                window = (int)Integer("a window", 0, 65535);
            }
            else if (t.IsWord("urg") && urgent is null)
            {
                pos++;
                urgent = (int)Integer("an urgent pointer", 0, 65535);
            }
            else if (t.Is("<") && options is null && !anyOptions)
            {
                pos++;
                if (Current.Is("..."))
                {
                    pos++;
                    anyOptions = true;
                    Expect(">", "after <...");
                }
                else
                {
                    options = Options();
                }
            }
            else
            {
                break;
            }
        }

        if (inbound && window is null)
        {
            throw new PdSyntaxException(dir, "an inbound packet ('<') needs its window: add win N (packetdrill requires it too)");
        }

        if (inbound && anyOptions)
        {
            throw new PdSyntaxException(dir, "<...> only describes packets the server sends ('>'): an inbound packet needs its options written out");
        }

        return new PdPacket(dir.Line, dir.Column, inbound, ecn, flags, flagsColumn, seq, end, length, ack, window, urgent, options, anyOptions);
    }

    private (string Flags, int Column) Flags()
    {
        var t = Current;
        if (t.Is("-") || t.Is("."))
        {
            pos++;
            return (t.Text, t.Column);
        }

        if (t.Kind != PdTokenKind.Word)
        {
            throw new PdSyntaxException(t, $"expected TCP flags (S, S., P., F., R, ., -) after the direction, not {t.Shown}");
        }

        pos++;
        var text = t.Text;
        if (Current.Is(".") && Current.Line == t.Line && Current.Column == t.Column + t.Text.Length)
        {
            pos++;
            text += ".";
        }

        for (var k = 0; k < t.Text.Length; k++)
        {
            if (!".FSRPEWAU01234567".Contains(t.Text[k], StringComparison.Ordinal))
            {
                throw new PdSyntaxException(t with { Column = t.Column + k }, $"unknown TCP flag '{t.Text[k]}' (packetdrill's are F S R P . E W A U and 0-7 for ACE)");
            }
        }

        if (t.Text.Count(char.IsAsciiDigit) > 1 || (t.Text.Any(char.IsAsciiDigit) && t.Text.Any(c => c is 'E' or 'W' or 'A')))
        {
            throw new PdSyntaxException(t, $"flags '{text}': an ACE digit cannot go with another ACE digit or with E, W or A");
        }

        return (text, t.Column);
    }

    private List<PdOption> Options()
    {
        var list = new List<PdOption>();
        if (Current.Is(">"))
        {
            pos++;
            return list;
        }

        while (true)
        {
            var t = Current;
            if (t.Kind != PdTokenKind.Word)
            {
                throw new PdSyntaxException(t, $"expected a TCP option (mss, wscale, sackOK, TS, sack, nop, eol), not {t.Shown}");
            }

            pos++;
            switch (t.Text)
            {
                case "nop" or "eol" or "sackOK":
                    list.Add(new PdOption(t.Text, [], t.Line, t.Column));
                    break;
                case "mss":
                    list.Add(new PdOption("mss", [Integer("an MSS", 0, 65535)], t.Line, t.Column));
                    break;
                case "wscale":
                    list.Add(new PdOption("wscale", [Integer("a window scale", 0, 255)], t.Line, t.Column));
                    break;
                case "TS":
                    if (!Current.IsWord("val"))
                    {
                        throw new PdSyntaxException(Current, $"expected 'val' after TS, not {Current.Shown}");
                    }

                    pos++;
                    var val = Integer("a TS value", 0, uint.MaxValue);
                    if (!Current.IsWord("ecr"))
                    {
                        throw new PdSyntaxException(Current, $"expected 'ecr' after the TS value, not {Current.Shown}");
                    }

                    pos++;
                    list.Add(new PdOption("TS", [val, Integer("a TS echo reply", 0, uint.MaxValue)], t.Line, t.Column));
                    break;
                case "sack":
                    var blocks = new List<long>();
                    while (Current.IsInteger)
                    {
                        blocks.Add(Integer("a SACK block's left edge", 0, uint.MaxValue));
                        Expect(":", "in a SACK block (LEFT:RIGHT)");
                        blocks.Add(Integer("a SACK block's right edge", 0, uint.MaxValue));
                    }

                    if (blocks.Count is 0 or > 8)
                    {
                        throw new PdSyntaxException(t, "sack needs 1 to 4 blocks (LEFT:RIGHT …)");
                    }

                    list.Add(new PdOption("sack", blocks, t.Line, t.Column));
                    break;
                default:
                    throw new PdSyntaxException(t, $"unsupported TCP option '{t.Text}' (import knows mss, wscale, sackOK, TS, sack, nop and eol)");
            }

            if (Current.Is(">"))
            {
                pos++;
                return list;
            }

            Expect(",", "between TCP options (or '>' to end them)");
        }
    }

    private PdSyscall Syscall()
    {
        if (Current.Is("..."))
        {
            // A blocking call's end time: "+0...0.100 read(…)". The server blocks by itself; the end time is not needed.
            pos++;
            if (Current.Kind != PdTokenKind.Number)
            {
                throw new PdSyntaxException(Current, $"expected the end time after '...', not {Current.Shown}");
            }

            pos++;
        }

        var name = Current;
        if (name.Kind != PdTokenKind.Word || !Peek().Is("("))
        {
            throw new PdSyntaxException(name, $"expected a system call such as write(4, ..., 1000) after the end time, not {name.Shown}");
        }

        pos += 2;
        var args = new List<PdArg>();
        if (Current.Is(")"))
        {
            pos++;
        }
        else
        {
            while (true)
            {
                args.Add(Argument(name));
                var sep = Take();
                if (sep.Is(")"))
                {
                    break;
                }

                if (!sep.Is(","))
                {
                    throw new PdSyntaxException(sep, $"expected ',' or ')' in the arguments of {name.Text}, not {sep.Shown}");
                }
            }
        }

        Expect("=", $"and the result after {name.Text}(…)");
        var resultToken = Current;
        long result;
        if (resultToken.IsInteger)
        {
            result = (long)resultToken.Value;
            pos++;
        }
        else if (resultToken.Is("..."))
        {
            throw new PdSyntaxException(resultToken, $"{name.Text}: the result must be a number, not '...'");
        }
        else
        {
            throw new PdSyntaxException(resultToken, $"expected the result of {name.Text} (a number), not {resultToken.Shown}");
        }

        string? errno = null;
        if (Current.Kind == PdTokenKind.Word && Current.Text.Length > 1 && Current.Text.All(c => char.IsAsciiLetterUpper(c) || char.IsAsciiDigit(c) || c == '_'))
        {
            errno = Take().Text;
        }

        if (Current.Is("(") && Current.Line == resultToken.Line)
        {
            // The errno's note: "(Connection reset by peer)".
            while (Current.Kind != PdTokenKind.End && !Current.Is(")"))
            {
                pos++;
            }

            Expect(")", "to close the note after the result");
        }

        return new PdSyscall(name.Line, name.Column, name.Text, args, result, errno);
    }

    private PdArg Argument(PdToken call)
    {
        var list = new List<PdToken>();
        var depth = 0;
        while (true)
        {
            var t = Current;
            if (t.Kind == PdTokenKind.End)
            {
                throw new PdSyntaxException(t, $"the arguments of {call.Text} (line {call.Line}) are not closed: add ')'");
            }

            if (depth == 0 && (t.Is(",") || t.Is(")")))
            {
                if (list.Count == 0)
                {
                    throw new PdSyntaxException(t, $"an empty argument in {call.Text}(…)");
                }

                return new PdArg(list);
            }

            if (t.Is("(") || t.Is("[") || t.Is("{"))
            {
                depth++;
            }
            else if (t.Is(")") || t.Is("]") || t.Is("}"))
            {
                depth--;
            }

            list.Add(t);
            pos++;
        }
    }

    internal static string Seconds(double s) => s.ToString("0.######", CultureInfo.InvariantCulture);
}

/// <summary>A syntax error at a token; caught per event.</summary>
internal sealed class PdSyntaxException(PdToken token, string message) : Exception(message)
{
    public PdToken Token { get; } = token;
}
