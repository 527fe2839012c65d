using System.Globalization;
using System.Net.Sockets;

namespace RawHandshake.Lab.Servers;

/// <summary>What one step of a <see cref="ServerScript"/> does.</summary>
public enum ScriptStepKind
{
    /// <summary>SO_RCVBUF (before <c>accept</c>: on the listener, before listen, so the SYN-ACK's window scale follows it).</summary>
    ReceiveBuffer,

    /// <summary>SO_SNDBUF.</summary>
    SendBuffer,

    /// <summary>TCP_NODELAY on.</summary>
    NoDelay,

    /// <summary>SO_LINGER on with <see cref="ScriptStep.Count"/> seconds (0: close sends a RST).</summary>
    Linger,

    /// <summary>Where the connection begins: every later step runs on the accepted socket.</summary>
    Accept,

    Sleep,

    /// <summary>Writes <see cref="ScriptStep.Count"/> bytes (zeros, as packetdrill's writes).</summary>
    Write,

    /// <summary>Reads until <see cref="ScriptStep.Count"/> bytes have come (or the peer's FIN).</summary>
    Read,

    /// <summary>Reads until the peer's FIN.</summary>
    ReadEof,

    Shutdown,

    /// <summary>Closes the connection (a RST when unread data is left, or with linger 0, as the kernel does).</summary>
    Close,
}

/// <summary>One step of a script, as <c>--actions</c> writes it.</summary>
public sealed record ScriptStep(ScriptStepKind Kind, long Count = 0, TimeSpan Delay = default, SocketShutdown How = SocketShutdown.Send)
{
    /// <summary>Socket options: the only steps allowed before <c>accept</c>.</summary>
    public bool IsSocketOption => Kind is ScriptStepKind.ReceiveBuffer or ScriptStepKind.SendBuffer or ScriptStepKind.NoDelay or ScriptStepKind.Linger;

    /// <summary>Applies a socket option step to <paramref name="socket"/>.</summary>
    public void Apply(Socket socket)
    {
        ArgumentNullException.ThrowIfNull(socket);
        switch (Kind)
        {
            case ScriptStepKind.ReceiveBuffer:
                socket.ReceiveBufferSize = (int)Count;
                break;
            case ScriptStepKind.SendBuffer:
                socket.SendBufferSize = (int)Count;
                break;
            case ScriptStepKind.NoDelay:
                socket.NoDelay = true;
                break;
            case ScriptStepKind.Linger:
                socket.LingerState = new LingerOption(true, (int)Count);
                break;
            default:
                throw new InvalidOperationException($"{Kind} is not a socket option");
        }
    }
}

/// <summary>
/// A list of steps a <see cref="ServerMode.Script"/> server follows on each connection, such as packetdrill's
/// system calls: <c>rcvbuf 65536; accept; sleep 100ms; write 1000; read 1000; shutdown write; read eof; close</c>.
/// Steps are separated by <c>;</c>. When the steps end without <c>close</c>, the server waits for the client to close
/// or reset (at most 10 s), then closes.
/// </summary>
public sealed record ServerScript(IReadOnlyList<ScriptStep> Setup, IReadOnlyList<ScriptStep> Steps)
{
    /// <summary>The most steps a script may have.</summary>
    public const int MaxSteps = 10_000;

    /// <summary>Parses <c>--actions</c> text; throws <see cref="LabException"/> with a one-line reason naming the step.</summary>
    public static ServerScript Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split(';').Select(p => p.Trim()).ToList();
        if (parts.Count > 0 && parts[^1].Length == 0)
        {
            parts.RemoveAt(parts.Count - 1);
        }

        if (parts.Count == 0)
        {
            throw new LabException("--actions: no steps (e.g. \"accept; write 1000; close\")");
        }

        if (parts.Count > MaxSteps)
        {
            throw new LabException($"--actions: {parts.Count} steps (at most {MaxSteps})");
        }

        var setup = new List<ScriptStep>();
        var steps = new List<ScriptStep>();
        var accepted = false;
        var closed = false;
        for (var i = 0; i < parts.Count; i++)
        {
            var where = $"--actions: step {i + 1} '{parts[i]}'";
            if (closed)
            {
                throw new LabException($"{where}: comes after close");
            }

            var step = Step(parts[i], where);
            if (step.Kind == ScriptStepKind.Accept)
            {
                if (accepted)
                {
                    throw new LabException($"{where}: a second accept (one connection per script)");
                }

                accepted = true;
                continue;
            }

            if (!accepted && steps.Count == 0 && step.IsSocketOption)
            {
                setup.Add(step);
                continue;
            }

            if (!accepted && !step.IsSocketOption)
            {
                // No accept written: the connection starts with the first step that needs it.
                accepted = true;
            }

            closed = step.Kind == ScriptStepKind.Close;
            steps.Add(step);
        }

        return new ServerScript(setup, steps);
    }

    private static ScriptStep Step(string part, string where)
    {
        var words = part.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (words.Length == 0)
        {
            throw new LabException($"{where}: an empty step");
        }

        var verb = words[0].ToLowerInvariant();
        var arg = words.Length > 1 ? words[1] : null;
        if (words.Length > 2)
        {
            throw new LabException($"{where}: unexpected '{words[2]}'");
        }

        long Count(long min, long max)
        {
            if (arg is null || !long.TryParse(arg, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
            {
                throw new LabException($"{where}: expected a number after {verb}");
            }

            return n >= min && n <= max ? n : throw new LabException($"{where}: {n} is out of range ({min} to {max})");
        }

        void NoArgument()
        {
            if (arg is not null)
            {
                throw new LabException($"{where}: {verb} takes no value");
            }
        }

        switch (verb)
        {
            case "accept":
                NoArgument();
                return new ScriptStep(ScriptStepKind.Accept);
            case "close":
                NoArgument();
                return new ScriptStep(ScriptStepKind.Close);
            case "nodelay":
                NoArgument();
                return new ScriptStep(ScriptStepKind.NoDelay);
            case "rcvbuf":
                return new ScriptStep(ScriptStepKind.ReceiveBuffer, Count(1, int.MaxValue));
            case "sndbuf":
                return new ScriptStep(ScriptStepKind.SendBuffer, Count(1, int.MaxValue));
            case "linger":
                return new ScriptStep(ScriptStepKind.Linger, Count(0, 65535));
            case "write":
                return new ScriptStep(ScriptStepKind.Write, Count(1, 1L << 30));
            case "read" when arg == "eof":
                return new ScriptStep(ScriptStepKind.ReadEof);
            case "read":
                return new ScriptStep(ScriptStepKind.Read, Count(1, 1L << 30));
            case "sleep":
                return new ScriptStep(ScriptStepKind.Sleep, Delay: Duration(arg, where));
            case "shutdown":
                return new ScriptStep(ScriptStepKind.Shutdown, How: arg switch
                {
                    "write" => SocketShutdown.Send,
                    "read" => SocketShutdown.Receive,
                    "both" => SocketShutdown.Both,
                    _ => throw new LabException($"{where}: expected shutdown write, read or both"),
                });
            default:
                throw new LabException($"{where}: unknown step '{words[0]}' (accept, write N, read N, read eof, sleep D, shutdown write|read|both, close, rcvbuf N, sndbuf N, nodelay, linger N)");
        }
    }

    /// <summary><c>250ms</c>, <c>1500us</c>, <c>2s</c>, <c>1.5s</c>: at most 10 minutes.</summary>
    private static TimeSpan Duration(string? text, string where)
    {
        var (number, scale) = text switch
        {
            null => throw new LabException($"{where}: expected a duration after sleep (e.g. 100ms)"),
            _ when text.EndsWith("us", StringComparison.Ordinal) => (text[..^2], 1e-6),
            _ when text.EndsWith("ms", StringComparison.Ordinal) => (text[..^2], 1e-3),
            _ when text.EndsWith('s') => (text[..^1], 1.0),
            _ => throw new LabException($"{where}: '{text}' needs a unit (us, ms or s)"),
        };
        if (!double.TryParse(number, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) || value * scale > 600)
        {
            throw new LabException($"{where}: '{text}' is not a duration of at most 10 minutes (e.g. 100ms)");
        }

        return TimeSpan.FromSeconds(value * scale);
    }
}
