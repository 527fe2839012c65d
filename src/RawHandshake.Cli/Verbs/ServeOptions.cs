using System.Globalization;
using System.Net;
using System.Net.Sockets;
using CommandLine;
using RawHandshake.Cli.Args;
using RawHandshake.Lab;
using RawHandshake.Lab.Servers;

namespace RawHandshake.Cli.Verbs;

/// <summary><c>serve echo|http|discard|chargen --port N</c>: a real kernel-socket server, the lab's default target.</summary>
[Verb("serve", HelpText = "Run a real kernel-socket TCP server (echo, http, discard, chargen) until Ctrl-C or SIGTERM. Ports below 1024 need root.")]
public sealed partial class ServeOptions : ICommand
{
    [Value(0, MetaName = "MODE", Required = true, HelpText = "echo (until EOF), http (200 for / and /index.html), discard (RFC 863), chargen (RFC 864, at most 1 MiB) or script (follows --actions).")]
    public string? Mode { get; set; }

    [Option("port", Required = true, HelpText = "TCP port to listen on (0: any free port, printed on stderr).")]
    public string? Port { get; set; }

    [Option("bind", HelpText = "Local address to listen on (default 0.0.0.0).")]
    public string? Bind { get; set; }

    [Option("once", HelpText = "Serve one client, then exit.")]
    public bool Once { get; set; }

    [Option("read-once", HelpText = "echo: read once, write back what was read, then close (after --close-after if given): seed 003's C server.")]
    public bool ReadOnce { get; set; }

    [Option("close-after", HelpText = "Close each connection this long after accepting it, so the server closes first (e.g. 1s, 500ms); with --read-once: this long after the echo.")]
    public string? CloseAfter { get; set; }

    [Option("send-after-eof", HelpText = "echo, discard: after the client's FIN, send TEXT 3 times 50 ms apart, then close (half-close). C escapes such as \\r\\n work.")]
    public string? SendAfterEof { get; set; }

    [Option("max-clients", HelpText = "Serve at most N clients at a time; later ones wait in the listen backlog.")]
    public string? MaxClients { get; set; }

    [Option("backlog", HelpText = "Listen backlog: how many connections the kernel completes and queues before accept (default 128; Linux caps it at net.core.somaxconn).")]
    public string? Backlog { get; set; }

    [Option("actions", HelpText = "script: the steps each connection follows, e.g. \"accept; write 1000; read 1000; shutdown write; read eof; close\" (also sleep D, read N, rcvbuf N, sndbuf N, nodelay, linger N): what `import` makes of a packetdrill script.")]
    public string? Actions { get; set; }

    [Option('q', "quiet", HelpText = "Print nothing per connection.")]
    public bool Quiet { get; set; }

    public int Execute(CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var options = ToServerOptions(Quiet ? null : context.Err);

        // Subscribed first, so a signal that arrives as soon as the port listens already stops the server cleanly; the
        // exit code (130/143) comes from the interrupt, like every verb's.
        LabServer? server = null;
        using var interrupt = context.Interrupts.OnInterrupt(() => Volatile.Read(ref server)?.Stop());
        try
        {
            // The listening line is written before the first accept, so it is always the first line.
            Volatile.Write(ref server, LabServer.Start(options, at =>
            {
                if (!Quiet)
                {
                    context.Err.WriteLine($"serve {ModeName(options.Mode)}: listening on {Endpoint(at)}");
                }
            }));
        }
        catch (LabException e)
        {
            throw new UsageException(e.Message);
        }

        using (server)
        {
            if (context.Interrupts.Requested)
            {
                server.Stop();
            }

            server.Completion.GetAwaiter().GetResult();
        }

        return ExitCodes.Ok;
    }

    /// <summary>The server these options describe; every error names its option.</summary>
    public LabServerOptions ToServerOptions(TextWriter? log)
    {
        var mode = ParseMode(Mode);
        var port = (int)ArgParse.Number(Port ?? throw new UsageException("serve: --port is required"), "--port", ushort.MaxValue);
        var bind = Bind is null ? IPAddress.Any : ParseAddress(Bind);

        if (ReadOnce && mode != ServerMode.Echo)
        {
            throw new UsageException($"--read-once: only for echo, not {ModeName(mode)}");
        }

        if (SendAfterEof is not null && mode is not (ServerMode.Echo or ServerMode.Discard))
        {
            throw new UsageException($"--send-after-eof: only for echo and discard, not {ModeName(mode)}");
        }

        if (SendAfterEof is not null && ReadOnce)
        {
            throw new UsageException("--send-after-eof: cannot be combined with --read-once (it never reads to EOF)");
        }

        var text = SendAfterEof is null ? null : ArgParse.Escaped(SendAfterEof, "--send-after-eof");
        if (text is { Length: 0 })
        {
            throw new UsageException("--send-after-eof: the text is empty");
        }

        if ((mode == ServerMode.Script) != (Actions is not null))
        {
            throw new UsageException(mode == ServerMode.Script ? "serve script: --actions is required (e.g. --actions \"accept; write 1000; close\")" : $"--actions: only for script, not {ModeName(mode)}");
        }

        ServerScript? script;
        try
        {
            script = Actions is null ? null : ServerScript.Parse(Actions);
        }
        catch (LabException e)
        {
            throw new UsageException(e.Message);
        }

        var max = MaxClients is null ? (int?)null : (int)ArgParse.Number(MaxClients, "--max-clients", 100_000);
        if (max == 0)
        {
            throw new UsageException("--max-clients: 0 would serve nobody (1 or more)");
        }

        var backlog = Backlog is null ? 128 : (int)ArgParse.Number(Backlog, "--backlog", 65535);
        if (backlog == 0)
        {
            throw new UsageException("--backlog: 0 would queue nobody (1 or more)");
        }

        return new LabServerOptions
        {
            Backlog = backlog,
            Mode = mode,
            Port = port,
            Bind = bind,
            Once = Once,
            ReadOnce = ReadOnce,
            CloseAfter = CloseAfter is null ? null : ArgParse.Duration(CloseAfter, "--close-after"),
            SendAfterEof = text,
            MaxClients = max,
            Log = log,
            Script = script,
        };
    }

    /// <summary>Dotted-quad IPv4 (all four parts: IPAddress alone takes "10.0.0" as 10.0.0.0) or IPv6.</summary>
    private static IPAddress ParseAddress(string text)
    {
        var parts = text.Split('.');
        var shapeOk = text.Contains(':', StringComparison.Ordinal)
            || (parts.Length == 4 && parts.All(p => p.Length is >= 1 and <= 3 && p.All(char.IsAsciiDigit) && int.Parse(p, CultureInfo.InvariantCulture) <= 255));
        return shapeOk && IPAddress.TryParse(text, out var address) && address.AddressFamily is AddressFamily.InterNetwork or AddressFamily.InterNetworkV6
            ? address
            : throw new UsageException($"--bind: '{text}' is not an IP address");
    }

    private static ServerMode ParseMode(string? text) => text?.ToLowerInvariant() switch
    {
        "echo" => ServerMode.Echo,
        "http" => ServerMode.Http,
        "discard" => ServerMode.Discard,
        "chargen" => ServerMode.Chargen,
        "script" => ServerMode.Script,
        _ => throw new UsageException($"serve: unknown mode '{text}' (echo, http, discard, chargen or script)"),
    };

    private static string ModeName(ServerMode mode) => mode.ToString().ToLowerInvariant();

    private static string Endpoint(IPEndPoint ep) => ep.AddressFamily == AddressFamily.InterNetworkV6
        ? $"[{ep.Address}]:{ep.Port.ToString(CultureInfo.InvariantCulture)}"
        : $"{ep.Address}:{ep.Port.ToString(CultureInfo.InvariantCulture)}";
}
