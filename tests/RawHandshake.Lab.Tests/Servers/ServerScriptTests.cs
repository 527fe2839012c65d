using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using RawHandshake.Lab.Servers;
using RawHandshake.Lab.Tests.Support;

namespace RawHandshake.Lab.Tests.Servers;

/// <summary>The script mode (the server side of an imported packetdrill script): its --actions text, and the server
/// following it on 127.0.0.1 against kernel clients in this process.</summary>
public sealed class ServerScriptTests
{
    private static LabServer Start(string actions) => LabServer.Start(new LabServerOptions
    {
        Mode = ServerMode.Script,
        Port = 0,
        Bind = IPAddress.Loopback,
        Script = ServerScript.Parse(actions),
    });

    [Fact]
    public void Steps_parse_with_socket_options_before_accept_as_setup()
    {
        var s = ServerScript.Parse("rcvbuf 65536; nodelay; accept; sndbuf 4096; linger 0; sleep 1.5s; write 1000; read 10; read eof; sleep 250us; shutdown write; shutdown read; shutdown both; close;");
        s.Setup.Select(x => x.Kind).ShouldBe([ScriptStepKind.ReceiveBuffer, ScriptStepKind.NoDelay]);
        s.Steps.Select(x => x.Kind).ShouldBe([
            ScriptStepKind.SendBuffer, ScriptStepKind.Linger, ScriptStepKind.Sleep, ScriptStepKind.Write, ScriptStepKind.Read, ScriptStepKind.ReadEof,
            ScriptStepKind.Sleep, ScriptStepKind.Shutdown, ScriptStepKind.Shutdown, ScriptStepKind.Shutdown, ScriptStepKind.Close,
        ]);
        s.Setup[0].Count.ShouldBe(65536);
        s.Steps[2].Delay.ShouldBe(TimeSpan.FromSeconds(1.5));
        s.Steps[6].Delay.ShouldBe(TimeSpan.FromMicroseconds(250));
        s.Steps.Where(x => x.Kind == ScriptStepKind.Shutdown).Select(x => x.How).ShouldBe([SocketShutdown.Send, SocketShutdown.Receive, SocketShutdown.Both]);
        ServerScript.Parse("write 1").Steps.Single().Kind.ShouldBe(ScriptStepKind.Write); // accept is implied
    }

    [Theory]
    [InlineData("", "--actions: no steps (e.g. \"accept; write 1000; close\")")]
    [InlineData("accept; close; write 1", "--actions: step 3 'write 1': comes after close")]
    [InlineData("accept; accept", "--actions: step 2 'accept': a second accept (one connection per script)")]
    [InlineData("accept; dance", "--actions: step 2 'dance': unknown step 'dance' (accept, write N, read N, read eof, sleep D, shutdown write|read|both, close, rcvbuf N, sndbuf N, nodelay, linger N)")]
    [InlineData("write", "--actions: step 1 'write': expected a number after write")]
    [InlineData("write 0", "--actions: step 1 'write 0': 0 is out of range (1 to 1073741824)")]
    [InlineData("close now", "--actions: step 1 'close now': close takes no value")]
    [InlineData("write 1 2", "--actions: step 1 'write 1 2': unexpected '2'")]
    [InlineData("sleep 5", "--actions: step 1 'sleep 5': '5' needs a unit (us, ms or s)")]
    [InlineData("sleep 11m", "--actions: step 1 'sleep 11m': '11m' needs a unit (us, ms or s)")]
    [InlineData("sleep 601s", "--actions: step 1 'sleep 601s': '601s' is not a duration of at most 10 minutes (e.g. 100ms)")]
    [InlineData("sleep", "--actions: step 1 'sleep': expected a duration after sleep (e.g. 100ms)")]
    [InlineData("shutdown sideways", "--actions: step 1 'shutdown sideways': expected shutdown write, read or both")]
    [InlineData("accept; ; close", "--actions: step 2 '': an empty step")]
    public void A_bad_step_is_one_line_naming_it(string actions, string message) =>
        Should.Throw<LabException>(() => ServerScript.Parse(actions)).Message.ShouldBe(message);

    [Fact]
    public async Task It_writes_reads_and_closes_as_the_script_says()
    {
        using var server = Start("accept; write 1000; read 5; sleep 100ms; shutdown write; read eof; close");
        using var client = await Kernel.ConnectAsync(server.LocalEndPoint);
        (await Kernel.ReadExactlyAsync(client, 1000)).ShouldBe(new string('\0', 1000));
        var sinceSend = Stopwatch.StartNew();
        await Kernel.SendAsync(client, "hello");
        var (rest, at, reset) = await Kernel.ReadToEndAsync(client, sinceSend);
        rest.ShouldBeEmpty();
        reset.ShouldBeFalse();
        at.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(90)); // its FIN after the pause
        client.Shutdown(SocketShutdown.Send);                            // its read eof ends; it closes
        for (var i = 0; i < 100 && server.Active > 0; i++)
        {
            await Task.Delay(50);
        }

        server.Active.ShouldBe(0);
    }

    [Fact]
    public async Task Linger_zero_makes_its_close_a_reset()
    {
        // It waits for one byte, so the reset cannot race the client's connect.
        using var server = Start("accept; linger 0; read 1; close");
        using var client = await Kernel.ConnectAsync(server.LocalEndPoint);
        await Kernel.SendAsync(client, "x");
        var (rest, _, reset) = await Kernel.ReadToEndAsync(client, Stopwatch.StartNew());
        rest.ShouldBeEmpty();
        reset.ShouldBeTrue();
    }

    [Fact]
    public async Task Without_close_it_waits_for_the_client_then_closes()
    {
        using var server = Start("accept; write 3");
        using var client = await Kernel.ConnectAsync(server.LocalEndPoint);
        (await Kernel.ReadExactlyAsync(client, 3)).ShouldBe("\0\0\0");
        client.Shutdown(SocketShutdown.Send);
        var (rest, _, reset) = await Kernel.ReadToEndAsync(client, Stopwatch.StartNew());
        rest.ShouldBeEmpty();
        reset.ShouldBeFalse();
    }

    [Fact]
    public void Socket_option_steps_set_the_socket()
    {
        using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        foreach (var step in ServerScript.Parse("rcvbuf 4096; sndbuf 8192; nodelay; linger 3; accept").Setup)
        {
            step.Apply(socket);
        }

        socket.ReceiveBufferSize.ShouldBe(8192); // Linux doubles what it is given (for its bookkeeping)
        socket.SendBufferSize.ShouldBe(16384);
        socket.NoDelay.ShouldBeTrue();
        socket.LingerState!.Enabled.ShouldBeTrue();
        socket.LingerState.LingerTime.ShouldBe(3);
        Should.Throw<InvalidOperationException>(() => new ScriptStep(ScriptStepKind.Write, 1).Apply(socket));
    }

    [Fact]
    public void The_script_is_required_in_script_mode_and_refused_elsewhere()
    {
        Should.Throw<ArgumentException>(() => LabServer.Start(new LabServerOptions { Mode = ServerMode.Script, Port = 0, Bind = IPAddress.Loopback }));
        Should.Throw<ArgumentException>(() => LabServer.Start(new LabServerOptions { Mode = ServerMode.Echo, Port = 0, Bind = IPAddress.Loopback, Script = ServerScript.Parse("close") }));
    }
}
