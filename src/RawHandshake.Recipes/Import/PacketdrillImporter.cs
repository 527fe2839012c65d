using System.Globalization;
using System.Text;

namespace RawHandshake.Recipes.Import;

/// <summary>How to import: where the server is, and the recipe's tolerance.</summary>
public sealed record ImportSettings
{
    /// <summary>The server's address for the recipe's <c>target</c> line; null writes none (<c>run --target</c> gives it).</summary>
    public string? Address { get; init; }

    /// <summary>The server's port; null takes the script's bind() port, else packetdrill's default 8080.</summary>
    public int? Port { get; init; }

    /// <summary>Written as <c>option tolerance</c>; null keeps the recipe's default (50 ms).</summary>
    public TimeSpan? Tolerance { get; init; }

    /// <summary>Which recipe forms to write; null: those this build's compiler accepts (<see cref="RecipeForms.Supported"/>).</summary>
    public RecipeForms? Forms { get; init; }
}

/// <summary>An import: the recipe and the server it runs against, or the errors; warnings either way.</summary>
public sealed record ImportResult(string? Recipe, ImportedServer? Server, IReadOnlyList<RecipeDiagnostic> Warnings, IReadOnlyList<RecipeDiagnostic> Errors)
{
    public bool Success => Recipe is not null && Server is not null && Errors.Count == 0;
}

/// <summary>
/// Turns a server-side packetdrill script into a recipe plus a server description. We are the client: the script's
/// inbound packets (<c>&lt;</c>, what packetdrill injects) become <c>send</c> steps, its outbound ones (<c>&gt;</c>,
/// what the kernel under test sends) <c>expect</c> steps, timed from the previous packet line as packetdrill times
/// them. Its system calls (socket, setsockopt, bind, listen, accept, write/send, read/recv, shutdown, close) become
/// the steps of the lab's script-driven server (<see cref="ImportedServer"/>), with the pauses between them.
/// <c>%{ }%</c> blocks and backquoted commands are skipped with a warning. Never throws: every unsupported construct is
/// one <c>file:line:col: message</c> error.
/// </summary>
public static class PacketdrillImporter
{
    /// <summary>packetdrill's default server port (its <c>--bind_port</c>).</summary>
    public const int DefaultPort = 8080;

    public static ImportResult Import(string text, string fileName, ImportSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        var file = string.IsNullOrEmpty(fileName) ? "<script>" : fileName;
        text ??= "";
        if (text.Length > RecipeCompiler.MaxSourceBytes)
        {
            return new ImportResult(null, null, [], [new RecipeDiagnostic(file, 1, 1, "more than 1 MiB: not a packetdrill script")]);
        }

        var errors = new List<RecipeDiagnostic>();
        var script = PacketdrillParser.Parse(text, (l, c, m) => errors.Add(new RecipeDiagnostic(file, l, c, m)));
        var translation = new Translation(file, text, settings, settings.Forms ?? RecipeForms.Supported, errors);
        translation.Run(script);
        var sorted = errors.GroupBy(e => e.Line).Select(g => g.OrderBy(e => e.Column).First()).OrderBy(e => e.Line).ToList();
        return sorted.Count > 0
            ? new ImportResult(null, null, translation.Warnings, sorted)
            : new ImportResult(translation.Recipe, translation.Server, translation.Warnings, []);
    }

    /// <summary>A duration as the recipe language writes it: <c>0ms</c>, <c>100ms</c>, <c>1500us</c>.</summary>
    internal static string Duration(double seconds)
    {
        var us = (long)Math.Round(Math.Max(0, seconds) * 1_000_000);
        return us % 1000 == 0 ? $"{us / 1000}ms" : $"{us}us";
    }

    private sealed class Translation(string file, string source, ImportSettings settings, RecipeForms forms, List<RecipeDiagnostic> errors)
    {
        private readonly string[] lines = source.Split('\n');
        private readonly List<string> steps = [];
        private readonly List<string> serverSteps = [];
        private readonly List<RecipeDiagnostic> warnings = [];
        private int? listenFd;
        private int? connFd;
        private bool listening;
        private bool sawPacket;
        private int backlog = 128;
        private int? boundPort;
        private double lastClient;
        private double? handshakeAckAt;
        private double? lastDataAt;
        private bool serverStarted;
        private Blocking serverBlocking;
        private double serverAt;
        private bool connectionOver;
        private int ourFin = -1;
        private int serverFin = -1;
        private int ackAfterServerFin = -1;

        public string? Recipe { get; private set; }

        public ImportedServer? Server { get; private set; }

        public IReadOnlyList<RecipeDiagnostic> Warnings => warnings;

        public void Run(PdScript script)
        {
            foreach (var skipped in script.Untimed)
            {
                Skip(skipped);
            }

            Tolerance? tolerance = null;
            foreach (var option in script.Options)
            {
                tolerance = Option(option) ?? tolerance;
            }

            double previous = 0;
            var index = 0;
            foreach (var e in script.Events)
            {
                var start = e.Time.Any ? previous : e.Time.Relative ? previous + e.Time.Start : e.Time.Start;
                double? end = e.Time.End is { } hi ? (e.Time.EndRelative ? previous + hi : hi) : null;
                if (end < start)
                {
                    Error(e.Line, e.Column, $"the time range ends ({PacketdrillParser.Seconds(end.Value)} s) before it starts ({PacketdrillParser.Seconds(start)} s)");
                }

                try
                {
                    switch (e.Action)
                    {
                        case PdPacket p:
                            Packet(p, e, start, end, index++);
                            break;
                        case PdSyscall call:
                            Syscall(call, start);
                            break;
                        case PdSkipped skipped:
                            Skip(skipped);
                            break;
                    }
                }
                catch (ImportException x)
                {
                    Error(x.Line, x.Column, x.Message);
                }

                previous = start;
            }

            if (!sawPacket && errors.Count == 0)
            {
                var last = script.Events.Count > 0 ? script.Events[^1] : null;
                Error(last?.Line ?? 1, last?.Column ?? 1, "the script has no TCP packets ('<' or '>' lines): nothing to send or expect");
                return;
            }

            if (errors.Count > 0)
            {
                return;
            }

            var closedByFins = ourFin >= 0 && serverFin >= 0 && (ourFin > serverFin || ackAfterServerFin > serverFin);
            if (!connectionOver && !closedByFins)
            {
                steps.Add(Line("abort", "the script ends with the connection open: reset it, so the server holds nothing"));
            }

            var port = settings.Port ?? boundPort ?? DefaultPort;
            Server = new ImportedServer(port, backlog, serverSteps);
            Recipe = Render(port, tolerance);
        }

        private readonly record struct Tolerance(string Text);

        private string Render(int port, Tolerance? scriptTolerance)
        {
            var name = Path.GetFileName(file);
            var b = new StringBuilder();
            b.Append("# Imported from ").Append(name).Append(" by `rawhandshake import`. packetdrill's '<' lines are what we send,\n");
            b.Append("# its '>' lines what the server must send, timed from the line before as packetdrill times them.\n");
            b.Append("# The server does what the script's system calls did; the lab's script server does it with:\n");
            b.Append("#   ").Append(Server!.CommandLine).Append('\n');
            if (scriptTolerance is { } t)
            {
                b.Append("# The script's own tolerance (").Append(t.Text).Append(") is not kept: a remote server gets the recipe's (option tolerance).\n");
            }

            b.Append("description \"").Append(Escape(name)).Append(" (imported from packetdrill)\"\n");
            if (forms.Dialect)
            {
                b.Append("dialect packetdrill\n");
            }

            if (settings.Address is { } address)
            {
                b.Append("target ").Append(address).Append(':').Append(port.ToString(CultureInfo.InvariantCulture)).Append('\n');
            }

            if (settings.Tolerance is { } tol)
            {
                b.Append("option tolerance ").Append(Duration(tol.TotalSeconds)).Append('\n');
            }

            b.Append('\n');
            foreach (var s in steps)
            {
                b.Append(s).Append('\n');
            }

            return b.ToString();
        }

        private static string Escape(string s) => s.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal);

        private Tolerance? Option(PdToken option)
        {
            var eq = option.Text.IndexOf('=', StringComparison.Ordinal);
            var name = eq < 0 ? option.Text : option.Text[..eq];
            var value = eq < 0 ? "" : option.Text[(eq + 1)..];
            switch (name)
            {
                case "--tolerance_usecs" when long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var us):
                    return new Tolerance(Duration(us / 1e6));
                case "--bind_port" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out var p) && p is > 0 and <= 65535:
                    boundPort = p;
                    return null;
                default:
                    Warn(option.Line, option.Column, $"the option {option.Text} is about packetdrill's own run; skipped");
                    return null;
            }
        }

        private void Skip(PdSkipped s) =>
            Warn(s.Line, s.Column, $"{s.What} is skipped: it runs on packetdrill's host, which a remote server is not");

        private void Packet(PdPacket p, PdEvent e, double start, double? end, int index)
        {
            if (!sawPacket && errors.Count == 0)
            {
                if (!listening)
                {
                    throw new ImportException(p.Line, p.Column, "a packet before listen(): import takes server-side scripts (socket, bind, listen, then the client's SYN)");
                }

                if (!p.Inbound || !p.Flags.Contains('S', StringComparison.Ordinal))
                {
                    throw new ImportException(p.Line, p.Column, "the first packet must be the client's SYN ('< S …'): import takes server-side scripts");
                }
            }

            sawPacket = true;
            var flags = Flags(p);
            var seq = $"{p.Seq}:{p.End}({p.Length})";
            var b = new StringBuilder();
            if (p.Inbound)
            {
                var pause = e.Time.Any ? 0 : start - lastClient;
                if (pause >= 0.0005)
                {
                    steps.Add($"sleep {Duration(pause)}");
                }

                lastClient = start;
                if (!p.Flags.Contains('S', StringComparison.Ordinal))
                {
                    handshakeAckAt ??= start;
                }

                if (p.Length > 0 || p.Flags.Contains('F', StringComparison.Ordinal))
                {
                    lastDataAt = start;
                }
                b.Append("send ").Append(flags).Append(' ').Append(seq);
                if (p.Ack is { } ack)
                {
                    b.Append(" ack ").Append(ack.ToString(CultureInfo.InvariantCulture));
                }

                b.Append(" win ").Append(p.Window!.Value.ToString(CultureInfo.InvariantCulture));
                if (p.Urgent is { } urg)
                {
                    b.Append(" urg ").Append(urg.ToString(CultureInfo.InvariantCulture));
                }

                if (p.Options is { } options)
                {
                    b.Append(' ').Append(Options(options, inbound: true));
                }

                if (p.Length > 0 && !forms.Filler)
                {
                    b.Append(" hex ").Append(new string('0', 2 * p.Length));
                }

                if (p.Ecn is { } ecn)
                {
                    b.Append(" ecn ").Append(ecn.ToString(CultureInfo.InvariantCulture));
                }

                if (p.Flags.Contains('R', StringComparison.Ordinal))
                {
                    connectionOver = true;
                }

                if (p.Flags.Contains('F', StringComparison.Ordinal))
                {
                    ourFin = index;
                }
                else if (serverFin >= 0 && p.Flags.Contains('.', StringComparison.Ordinal))
                {
                    ackAfterServerFin = index;
                }
            }
            else
            {
                string prefix = "", within = "";
                if (!e.Time.Any)
                {
                    var low = Math.Max(0, start - lastClient);
                    var high = Math.Max(low, (end ?? start) - lastClient);
                    if (forms.TimePrefix)
                    {
                        prefix = end is null ? $"+{PacketdrillParser.Seconds(low)} " : $"+{PacketdrillParser.Seconds(low)}~+{PacketdrillParser.Seconds(high)} ";
                    }
                    else
                    {
                        within = $" within {Duration(high)}";
                    }
                }

                // After '*' the next times count from when the segment came: the end of this step.
                lastClient = start;

                b.Append(prefix).Append("expect ").Append(flags).Append(' ').Append(seq);
                if (p.Ack is { } ack)
                {
                    b.Append(" ack ").Append(ack.ToString(CultureInfo.InvariantCulture));
                }

                if (p.Window is { } win)
                {
                    b.Append(" win ").Append(win.ToString(CultureInfo.InvariantCulture));
                }

                if (p.Urgent is { } urg)
                {
                    b.Append(" urg ").Append(urg.ToString(CultureInfo.InvariantCulture));
                }

                if (p.Options is { } options)
                {
                    b.Append(' ').Append(Options(options, inbound: false));
                }

                if (p.Ecn is { } ecn)
                {
                    if (forms.EcnMatch)
                    {
                        b.Append(" ecn ").Append(ecn < 0 ? "1..2" : ecn.ToString(CultureInfo.InvariantCulture));
                    }
                    else
                    {
                        Warn(p.Line, p.Column, "this recipe compiler cannot match the ECN bits on expect: they are not checked");
                    }
                }

                b.Append(within);
                if (p.Flags.Contains('R', StringComparison.Ordinal))
                {
                    connectionOver = true;
                }

                if (p.Flags.Contains('F', StringComparison.Ordinal))
                {
                    serverFin = index;
                }
            }

            steps.Add(Line(b.ToString(), $"line {p.Line}"));
        }

        private static string Line(string step, string comment) => $"{step.PadRight(60)}  # {comment}";

        /// <summary>packetdrill's flag letters in the recipe's spelling: as written in the packetdrill dialect (ACE
        /// digits spelled out as E, W, A); in ours, A (AE) is N and no flags is <c>none</c>.</summary>
        private string Flags(PdPacket p)
        {
            if (p.Flags == "-")
            {
                return forms.Dialect ? "-" : "none";
            }

            var b = new StringBuilder();
            foreach (var c in p.Flags)
            {
                if (char.IsAsciiDigit(c))
                {
                    var ace = c - '0';
                    b.Append((ace & 1) != 0 ? "E" : "").Append((ace & 2) != 0 ? "W" : "").Append((ace & 4) != 0 ? (forms.Dialect ? "A" : "N") : "");
                }
                else
                {
                    b.Append(c == 'A' && !forms.Dialect ? 'N' : c);
                }
            }

            var s = b.ToString();
            return s.Length == 0 ? (forms.Dialect ? "-" : "none") : s;
        }

        private string Options(IReadOnlyList<PdOption> options, bool inbound)
        {
            var parts = new List<string>();
            foreach (var o in options)
            {
                switch (o.Name)
                {
                    case "mss":
                        if (o.Values[0] == 0 && inbound)
                        {
                            throw new ImportException(o.Line, o.Column, "mss 0 cannot be sent (1 to 65535)");
                        }

                        parts.Add($"mss {o.Values[0]}");
                        break;
                    case "wscale":
                        if (o.Values[0] > 14 && inbound)
                        {
                            throw new ImportException(o.Line, o.Column, $"wscale {o.Values[0]} cannot be sent: a recipe's window scale is 0 to 14");
                        }

                        parts.Add($"wscale {o.Values[0]}");
                        break;
                    case "TS":
                        // We send TS val as written, so the server's echo is known exactly; the server's own clock is
                        // not, so its TS val is any value, and what we echo is the latest one it sent.
                        parts.Add(inbound
                            ? $"TS val {o.Values[0]} ecr {(o.Values[1] == 0 ? "0" : "$srv.tsval")}"
                            : $"TS val * ecr {o.Values[1]}");
                        break;
                    case "sack":
                        parts.Add("sack " + string.Join(' ', Enumerable.Range(0, o.Values.Count / 2).Select(k => $"{o.Values[2 * k]}:{o.Values[(2 * k) + 1]}")));
                        break;
                    default:
                        parts.Add(o.Name);
                        break;
                }
            }

            return "<" + string.Join(", ", parts) + ">";
        }

        private void Syscall(PdSyscall call, double at)
        {
            var original = lines[call.Line - 1].Trim().TrimEnd('\r');
            switch (call.Name)
            {
                case "socket":
                    if (!call.Args.Any(a => a.Text == "SOCK_STREAM"))
                    {
                        throw new ImportException(call.Line, call.Column, "socket: only SOCK_STREAM (TCP) sockets can be imported");
                    }

                    if (listenFd is not null)
                    {
                        throw new ImportException(call.Line, call.Column, "a second socket(): import reproduces one listening socket per script");
                    }

                    listenFd = (int)call.Result;
                    Comment(original);
                    return;
                case "connect":
                    throw new ImportException(call.Line, call.Column, "connect: this is a client-side script; import takes server-side scripts (socket, bind, listen, accept)");
                case "fcntl" or "getsockopt" or "ioctl":
                    Warn(call.Line, call.Column, $"{call.Name} is skipped: the script server needs no {(call.Name == "getsockopt" ? "check of its socket" : "change of its file descriptor")}");
                    Comment(original + "  (skipped)");
                    return;
            }

            if (call.Name is not ("setsockopt" or "bind" or "listen" or "accept" or "accept4" or "write" or "send" or "read" or "recv" or "shutdown" or "close"))
            {
                throw new ImportException(call.Line, call.Column, $"unsupported system call '{call.Name}' (import reproduces socket, setsockopt, bind, listen, accept, write, send, read, recv, shutdown and close)");
            }

            var fd = FdArgument(call);
            var onListener = fd == listenFd;
            if (!onListener && fd != connFd)
            {
                throw new ImportException(call.Args[0].First.Line, call.Args[0].First.Column, $"{call.Name}: fd {fd} is not a socket of this script (the listener is {listenFd?.ToString(CultureInfo.InvariantCulture) ?? "not made yet"}{(connFd is { } c ? $", the connection {c}" : "")})");
            }

            if (call.Result < 0 && call.Errno is "EAGAIN" or "EWOULDBLOCK" or "EINPROGRESS")
            {
                Warn(call.Line, call.Column, $"{call.Name} = -1 {call.Errno} (a non-blocking call that found nothing) is skipped: nothing for the server to do");
                Comment(original + "  (skipped)");
                return;
            }

            switch (call.Name)
            {
                case "setsockopt":
                    SetSockOpt(call, onListener, at);
                    break;
                case "bind":
                    Need(onListener, call);
                    if (call.Args.Count > 1 && call.Args[1].Tokens.SkipWhile(t => !t.IsWord("htons")).Skip(2).FirstOrDefault() is { IsInteger: true } port)
                    {
                        boundPort = (int)port.Value;
                    }

                    break;
                case "listen":
                    Need(onListener, call);
                    if (call.Args.Count < 2 || !call.Args[1].First.IsInteger)
                    {
                        throw new ImportException(call.Line, call.Column, "listen: expected listen(FD, BACKLOG)");
                    }

                    backlog = Math.Max(1, (int)call.Args[1].First.Value);
                    listening = true;
                    break;
                case "accept" or "accept4":
                    Need(onListener, call);
                    if (!listening)
                    {
                        throw new ImportException(call.Line, call.Column, "accept before listen()");
                    }

                    if (connFd is not null)
                    {
                        throw new ImportException(call.Line, call.Column, "a second accept(): import reproduces one connection per script");
                    }

                    connFd = (int)call.Result;
                    ServerStep("accept", at, Blocking.Accept);
                    break;
                case "write" or "send":
                    NeedConnection(onListener, call);
                    if (call.Result <= 0)
                    {
                        throw new ImportException(call.Line, call.Column, $"{call.Name}: a write that fails ({call.Result} {call.Errno}) cannot be reproduced by the script server");
                    }

                    ServerStep($"write {call.Result}", at, Blocking.No);
                    break;
                case "read" or "recv":
                    NeedConnection(onListener, call);
                    ServerStep(call.Result switch
                    {
                        > 0 => $"read {call.Result}",
                        0 => "read eof",
                        _ => call.Args.Count > 2 && call.Args[2].First.IsInteger ? $"read {Math.Max(1, (long)call.Args[2].First.Value)}" : "read 1",
                    }, at, Blocking.Read);
                    break;
                case "shutdown":
                    NeedConnection(onListener, call);
                    var how = call.Args.Count > 1 ? call.Args[1].Text : "";
                    ServerStep(how switch
                    {
                        "SHUT_WR" => "shutdown write",
                        "SHUT_RD" => "shutdown read",
                        "SHUT_RDWR" => "shutdown both",
                        _ => throw new ImportException(call.Line, call.Column, $"shutdown: expected SHUT_WR, SHUT_RD or SHUT_RDWR, not '{how}'"),
                    }, at, Blocking.No);
                    break;
                case "close":
                    if (onListener)
                    {
                        // The lab's server keeps listening for the next run; the script's listener close changes nothing
                        // on this connection.
                        Comment(original + "  (the listener: the script server keeps it for the next run)");
                        return;
                    }

                    ServerStep("close", at, Blocking.No);
                    break;
            }

            Comment(original);
        }

        private static void Need(bool onListener, PdSyscall call)
        {
            if (!onListener)
            {
                throw new ImportException(call.Line, call.Column, $"{call.Name}: expected the listening socket as its first argument");
            }
        }

        private static void NeedConnection(bool onListener, PdSyscall call)
        {
            if (onListener)
            {
                throw new ImportException(call.Line, call.Column, $"{call.Name}: expected the accepted connection as its first argument, not the listener");
            }
        }

        private static int FdArgument(PdSyscall call)
        {
            if (call.Args.Count == 0 || !call.Args[0].First.IsInteger || call.Args[0].Tokens.Count != 1)
            {
                throw new ImportException(call.Line, call.Column, $"{call.Name}: expected a file descriptor as the first argument");
            }

            return (int)call.Args[0].First.Value;
        }

        private void SetSockOpt(PdSyscall call, bool onListener, double at)
        {
            var name = call.Args.Count > 2 ? call.Args[2].Text : "";
            var value = call.Args.Count > 3 ? call.Args[3] : null;
            long? Number() => value is { Tokens.Count: 3 } v && v.Tokens[0].Is("[") && v.Tokens[1].IsInteger && v.Tokens[2].Is("]")
                ? (long)v.Tokens[1].Value
                : throw new ImportException(value?.First.Line ?? call.Line, value?.First.Column ?? call.Column, $"setsockopt {name}: expected the value as [N]");

            string? step = name switch
            {
                "SO_REUSEADDR" or "SO_REUSEPORT" => null,
                "TCP_NODELAY" => Number() != 0 ? "nodelay" : null,
                "SO_RCVBUF" => $"rcvbuf {Number()}",
                "SO_SNDBUF" => $"sndbuf {Number()}",
                "SO_LINGER" => Linger(call, value),
                _ => throw new ImportException(call.Args.Count > 2 ? call.Args[2].First.Line : call.Line, call.Args.Count > 2 ? call.Args[2].First.Column : call.Column,
                    $"setsockopt {name} is not reproduced by the script server (import knows SO_REUSEADDR, TCP_NODELAY, SO_RCVBUF, SO_SNDBUF and SO_LINGER)"),
            };

            if (step is null)
            {
                return;
            }

            if (onListener)
            {
                if (connFd is not null)
                {
                    throw new ImportException(call.Line, call.Column, $"setsockopt {name} on the listener after accept(): it would not reach the connection");
                }

                serverSteps.Add(step);
            }
            else
            {
                ServerStep(step, at, Blocking.No);
            }
        }

        private static string? Linger(PdSyscall call, PdArg? value)
        {
            // {onoff=1, linger=0}
            var numbers = value?.Tokens.Where(t => t.IsInteger).Select(t => (long)t.Value).ToList() ?? [];
            if (value is null || numbers.Count != 2 || !value.Tokens.Any(t => t.IsWord("onoff")))
            {
                throw new ImportException(call.Line, call.Column, "setsockopt SO_LINGER: expected {onoff=N, linger=N}");
            }

            return numbers[0] != 0 ? $"linger {numbers[1]}" : null;
        }

        private enum Blocking
        {
            No,
            Accept,
            Read,
        }

        /// <summary>A server step after accept, with the pause before it: the script's time since the server's last
        /// step ended. A blocking accept ends when the handshake's last ACK comes, a read when the latest data (or
        /// FIN) we sent before this step comes.</summary>
        private void ServerStep(string step, double at, Blocking blocking)
        {
            if (serverStarted)
            {
                var ended = serverBlocking switch
                {
                    Blocking.Accept => Math.Max(serverAt, handshakeAckAt ?? serverAt),
                    Blocking.Read => Math.Max(serverAt, lastDataAt ?? serverAt),
                    _ => serverAt,
                };
                var pause = at - ended;
                if (pause >= 0.0005)
                {
                    serverSteps.Add($"sleep {Duration(pause)}");
                }
            }

            serverSteps.Add(step);
            serverStarted = true;
            serverAt = at;
            serverBlocking = blocking;
        }

        private void Comment(string original) => steps.Add($"# server: {original}");

        private void Warn(int line, int column, string message) => warnings.Add(new RecipeDiagnostic(file, line, column, "warning: " + message));

        private void Error(int line, int column, string message) => errors.Add(new RecipeDiagnostic(file, line, column, message));
    }

    private sealed class ImportException(int line, int column, string message) : Exception(message)
    {
        public int Line { get; } = line;

        public int Column { get; } = column;
    }
}
