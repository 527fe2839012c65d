using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using RawHandshake.Cli;
using RawHandshake.Cli.Args;
using RawHandshake.Cli.Verbs;
using RawHandshake.Lab.Servers;
using RawHandshake.Lab.Tests.Support;

namespace RawHandshake.Lab.Tests.Cli;

/// <summary>The serve verb's options class, called directly (and, below, as a real process through <see cref="TestHost"/>).</summary>
public sealed class ServeOptionsTests
{
    [Theory]
    [InlineData("ECHO", ServerMode.Echo)]
    [InlineData("http", ServerMode.Http)]
    [InlineData("discard", ServerMode.Discard)]
    [InlineData("chargen", ServerMode.Chargen)]
    public void Modes(string mode, ServerMode expected) =>
        new ServeOptions { Mode = mode, Port = "20000" }.ToServerOptions(null).Mode.ShouldBe(expected);

    [Fact]
    public void Options_become_server_options()
    {
        var o = new ServeOptions
        {
            Mode = "echo",
            Port = "20002",
            Bind = "127.0.0.1",
            Once = true,
            CloseAfter = "1.5s",
            SendAfterEof = "late\\r\\n",
            MaxClients = "4",
            Backlog = "5",
        }.ToServerOptions(null);
        o.Backlog.ShouldBe(5);
        new ServeOptions { Mode = "echo", Port = "1" }.ToServerOptions(null).Backlog.ShouldBe(128);
        o.Port.ShouldBe(20002);
        o.Bind.ShouldBe(IPAddress.Loopback);
        o.Once.ShouldBeTrue();
        o.CloseAfter.ShouldBe(TimeSpan.FromSeconds(1.5));
        o.SendAfterEof.ShouldBe("late\r\n"u8.ToArray());
        o.MaxClients.ShouldBe(4);
    }

    [Theory]
    [InlineData("gopher", "20000", null, null, null, null, "serve: unknown mode 'gopher' (echo, http, discard, chargen or script)")]
    [InlineData("echo", "70000", null, null, null, null, "--port: 70000 is out of range (0 to 65535, 0xffff)")]
    [InlineData("echo", "x", null, null, null, null, "--port: 'x' is not a number (decimal, 0x-hex or 0b-binary)")]
    [InlineData("echo", "1", "10.0.0", null, null, null, "--bind: '10.0.0' is not an IP address")]
    [InlineData("echo", "1", null, "soon", null, null, "--close-after: 'soon' is not a duration (e.g. 200ms, 1.5s, 2m)")]
    [InlineData("http", "1", null, null, "x", null, "--send-after-eof: only for echo and discard, not http")]
    [InlineData("echo", "1", null, null, "", null, "--send-after-eof: the text is empty")]
    [InlineData("echo", "1", null, null, null, "0", "--max-clients: 0 would serve nobody (1 or more)")]
    public void Bad_options_name_the_option(string mode, string port, string? bind, string? closeAfter, string? sendAfterEof, string? maxClients, string message)
    {
        var options = new ServeOptions { Mode = mode, Port = port, Bind = bind, CloseAfter = closeAfter, SendAfterEof = sendAfterEof, MaxClients = maxClients };
        Should.Throw<UsageException>(() => options.ToServerOptions(null)).Message.ShouldBe(message);
    }

    [Fact]
    public void Script_takes_its_actions()
    {
        var o = new ServeOptions { Mode = "script", Port = "8080", Actions = "accept; write 10; close" }.ToServerOptions(null);
        o.Mode.ShouldBe(ServerMode.Script);
        o.Script!.Steps.Select(s => s.Kind).ShouldBe([ScriptStepKind.Write, ScriptStepKind.Close]);
    }

    [Theory]
    [InlineData("script", null, "serve script: --actions is required (e.g. --actions \"accept; write 1000; close\")")]
    [InlineData("echo", "close", "--actions: only for script, not echo")]
    [InlineData("script", "accept; fly", "--actions: step 2 'fly': unknown step 'fly' (accept, write N, read N, read eof, sleep D, shutdown write|read|both, close, rcvbuf N, sndbuf N, nodelay, linger N)")]
    public void Actions_errors_name_the_option(string mode, string? actions, string message) =>
        Should.Throw<UsageException>(() => new ServeOptions { Mode = mode, Port = "8080", Actions = actions }.ToServerOptions(null)).Message.ShouldBe(message);

    [Fact]
    public void Read_once_is_for_echo_only() =>
        Should.Throw<UsageException>(() => new ServeOptions { Mode = "chargen", Port = "19", ReadOnce = true }.ToServerOptions(null))
            .Message.ShouldBe("--read-once: only for echo, not chargen");

    [Fact]
    public void A_port_in_use_is_a_usage_error_of_one_line()
    {
        using var busy = LabServer.Start(new LabServerOptions { Mode = ServerMode.Discard, Port = 0, Bind = IPAddress.Loopback });
        var port = busy.LocalEndPoint.Port;
        var err = new StringWriter();
        var e = Should.Throw<UsageException>(() => new ServeOptions { Mode = "echo", Port = $"{port}", Bind = "127.0.0.1" }
            .Execute(new CliContext(new StringWriter(), err, new StringReader(""))));
        e.Message.ShouldBe($"port {port} is in use on 127.0.0.1");
    }

    [Fact]
    public async Task Execute_with_once_serves_one_client_and_returns_ok()
    {
        var err = new LineWatcher();
        var context = new CliContext(new StringWriter(), err, new StringReader(""));
        var run = Task.Factory.StartNew(
            () => new ServeOptions { Mode = "echo", Port = "0", Bind = "127.0.0.1", Once = true }.Execute(context),
            TaskCreationOptions.LongRunning);

        // Port 0: the kernel picks a port nobody else holds; the listening line names it.
        var port = PortOf(await err.FirstLine.WaitAsync(Kernel.Patience));
        using var client = await Kernel.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port));
        await Kernel.SendAsync(client, "AB");
        (await Kernel.ReadExactlyAsync(client, 2)).ShouldBe("AB");
        client.Shutdown(SocketShutdown.Send);
        await Kernel.ReadToEndAsync(client, Stopwatch.StartNew());

        (await run.WaitAsync(Kernel.Patience)).ShouldBe(ExitCodes.Ok);
        var lines = err.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines[0].ShouldBe($"serve echo: listening on 127.0.0.1:{port}");
        lines[1].ShouldStartWith("accepted 127.0.0.1:");
        lines[2].ShouldStartWith("closed 127.0.0.1:");
    }

    [Fact]
    public async Task As_a_process_it_exits_143_on_sigterm()
    {
        using var process = TestDll.Start("serve", "echo", "--port", "0", "--bind", "127.0.0.1");
        process.StandardInput.Close();
        try
        {
            // Written once the port listens and the signal handlers are in place.
            var first = await process.StandardError.ReadLineAsync().WaitAsync(Kernel.Patience);
            var port = PortOf(first);
            var stderr = process.StandardError.ReadToEndAsync();
            using (var client = await Kernel.ConnectAsync(new IPEndPoint(IPAddress.Loopback, port)))
            {
                await Kernel.SendAsync(client, "AB");
                (await Kernel.ReadExactlyAsync(client, 2)).ShouldBe("AB");
            }

            Process.Start("kill", ["-TERM", $"{process.Id}"])!.WaitForExit();
            using var cts = new CancellationTokenSource(Kernel.Patience);
            await process.WaitForExitAsync(cts.Token);
            process.ExitCode.ShouldBe(143); // interrupted, like every verb
            var text = await stderr;
            first.ShouldBe($"serve echo: listening on 127.0.0.1:{port}");
            text.ShouldContain("accepted 127.0.0.1:");
            text.ShouldNotContain("   at ");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
            }
        }
    }

    [Fact]
    public async Task As_a_process_a_port_in_use_exits_2_with_one_line()
    {
        using var busy = LabServer.Start(new LabServerOptions { Mode = ServerMode.Discard, Port = 0, Bind = IPAddress.Loopback });
        var port = busy.LocalEndPoint.Port;
        var (code, stdout, stderr) = await TestDll.RunAsync(TimeSpan.FromSeconds(30), "serve", "echo", "--port", $"{port}", "--bind", "127.0.0.1");
        code.ShouldBe(ExitCodes.Usage);
        stdout.ShouldBeEmpty();
        stderr.ShouldBe($"rawhandshake: port {port} is in use on 127.0.0.1\n");
    }

    private static int PortOf(string? listeningLine)
    {
        listeningLine.ShouldNotBeNull();
        listeningLine.ShouldStartWith("serve echo: listening on 127.0.0.1:");
        return int.Parse(listeningLine[(listeningLine.LastIndexOf(':') + 1)..], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>A thread-safe writer that keeps everything and completes <see cref="FirstLine"/> with the first line.</summary>
    private sealed class LineWatcher : StringWriter
    {
        private readonly TaskCompletionSource<string> first = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private readonly Lock gate = new();

        public Task<string> FirstLine => first.Task;

        public override void Write(char value)
        {
            lock (gate)
            {
                base.Write(value);
                if (value == '\n')
                {
                    first.TrySetResult(base.ToString().Split('\n')[0]);
                }
            }
        }

        public override void Write(string? value)
        {
            foreach (var c in value ?? "")
            {
                Write(c);
            }
        }

        public override void WriteLine(string? value)
        {
            lock (gate)
            {
                Write(value);
                Write('\n');
            }
        }

        public override string ToString()
        {
            lock (gate)
            {
                return base.ToString();
            }
        }
    }
}
