using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using RawHandshake.Lab.Servers;
using RawHandshake.Lab.Tests.Support;

namespace RawHandshake.Lab.Tests.Servers;

/// <summary>Each server mode on 127.0.0.1 with a free port, kernel clients in this process (no crafted frames).</summary>
public sealed class LabServerTests
{
    private static LabServer Start(ServerMode mode, Func<LabServerOptions, LabServerOptions>? tune = null, TextWriter? log = null)
    {
        var options = new LabServerOptions { Mode = mode, Port = 0, Bind = IPAddress.Loopback, Log = log };
        return LabServer.Start(tune is null ? options : tune(options));
    }

    [Fact]
    public async Task Echo_echoes_until_the_client_closes_then_closes()
    {
        using var server = Start(ServerMode.Echo);
        using var client = await Kernel.ConnectAsync(server.LocalEndPoint);
        await Kernel.SendAsync(client, "A");
        (await Kernel.ReadExactlyAsync(client, 1)).ShouldBe("A");
        await Kernel.SendAsync(client, "AB");
        (await Kernel.ReadExactlyAsync(client, 2)).ShouldBe("AB");

        var big = new string('x', 100_000);
        var reading = Kernel.ReadExactlyAsync(client, big.Length);
        await Kernel.SendAsync(client, big);
        (await reading).ShouldBe(big);

        client.Shutdown(SocketShutdown.Send);
        var (rest, _, reset) = await Kernel.ReadToEndAsync(client, Stopwatch.StartNew());
        rest.ShouldBeEmpty();
        reset.ShouldBeFalse();
    }

    [Fact]
    public async Task Read_once_echoes_one_read_then_closes_after_the_delay()
    {
        using var server = Start(ServerMode.Echo, o => o with { ReadOnce = true, CloseAfter = TimeSpan.FromMilliseconds(400) });
        using var client = await Kernel.ConnectAsync(server.LocalEndPoint);

        // Started before the send, so it cannot start after the server's delay does (a busy thread pool only adds).
        var sinceSend = Stopwatch.StartNew();
        await Kernel.SendAsync(client, "AB");
        (await Kernel.ReadExactlyAsync(client, 2)).ShouldBe("AB");
        var (rest, at, reset) = await Kernel.ReadToEndAsync(client, sinceSend);
        rest.ShouldBeEmpty();
        reset.ShouldBeFalse();
        at.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(390));
        at.ShouldBeLessThan(TimeSpan.FromSeconds(20));
    }

    [Fact]
    public async Task Read_once_without_a_delay_closes_right_after_the_echo()
    {
        using var server = Start(ServerMode.Echo, o => o with { ReadOnce = true });
        using var client = await Kernel.ConnectAsync(server.LocalEndPoint);
        await Kernel.SendAsync(client, "hello");
        var (data, _, _) = await Kernel.ReadToEndAsync(client, Stopwatch.StartNew());
        Kernel.Text(data).ShouldBe("hello");
    }

    [Fact]
    public async Task Close_after_makes_the_server_close_first()
    {
        using var server = Start(ServerMode.Echo, o => o with { CloseAfter = TimeSpan.FromMilliseconds(300) });
        var since = Stopwatch.StartNew();
        using var client = await Kernel.ConnectAsync(server.LocalEndPoint);
        await Kernel.SendAsync(client, "AB");
        (await Kernel.ReadExactlyAsync(client, 2)).ShouldBe("AB");
        var (rest, at, reset) = await Kernel.ReadToEndAsync(client, since);
        rest.ShouldBeEmpty();
        reset.ShouldBeFalse();
        at.ShouldBeGreaterThan(TimeSpan.FromMilliseconds(250));
        at.ShouldBeLessThan(TimeSpan.FromSeconds(3));
    }

    [Fact]
    public async Task Send_after_eof_keeps_sending_after_the_clients_fin()
    {
        using var server = Start(ServerMode.Echo, o => o with { SendAfterEof = Encoding.ASCII.GetBytes("late data") });
        using var client = await Kernel.ConnectAsync(server.LocalEndPoint);
        await Kernel.SendAsync(client, "x");
        (await Kernel.ReadExactlyAsync(client, 1)).ShouldBe("x");
        client.Shutdown(SocketShutdown.Send);
        var since = Stopwatch.StartNew();
        var (data, at, reset) = await Kernel.ReadToEndAsync(client, since);
        Kernel.Text(data).ShouldBe("late datalate datalate data");
        reset.ShouldBeFalse();
        at.ShouldBeGreaterThan(TimeSpan.FromMilliseconds(120));
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\n\r\n", 200, true)]
    [InlineData("GET /index.html HTTP/1.0\r\n\r\n", 200, true)]
    [InlineData("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n", 404, true)]
    [InlineData("HEAD / HTTP/1.1\r\nHost: x\r\n\r\n", 200, false)]
    [InlineData("POST / HTTP/1.1\r\nContent-Length: 0\r\n\r\n", 501, true)]
    [InlineData("hello\r\n\r\n", 400, true)]
    public async Task Http_answers_and_closes(string request, int status, bool body)
    {
        using var server = Start(ServerMode.Http);
        using var client = await Kernel.ConnectAsync(server.LocalEndPoint);
        await Kernel.SendAsync(client, request);
        var (data, _, reset) = await Kernel.ReadToEndAsync(client, Stopwatch.StartNew());
        reset.ShouldBeFalse();
        var text = Kernel.Text(data);
        text.ShouldStartWith($"HTTP/1.1 {status} ");
        text.ShouldContain("\r\nConnection: close\r\n");
        var split = text.IndexOf("\r\n\r\n", StringComparison.Ordinal);
        split.ShouldBeGreaterThan(0);
        var length = int.Parse(text.Split("\r\n").Single(l => l.StartsWith("Content-Length: ", StringComparison.Ordinal))["Content-Length: ".Length..], System.Globalization.CultureInfo.InvariantCulture);
        var bodyText = text[(split + 4)..];
        if (body)
        {
            Encoding.UTF8.GetByteCount(bodyText).ShouldBe(length);
        }
        else
        {
            bodyText.ShouldBeEmpty();
        }

        if (status == 200)
        {
            text.ShouldContain("Content-Type: text/html");
            if (body)
            {
                bodyText.ShouldContain("RawHandshake");
            }
        }
    }

    [Fact]
    public async Task Http_waits_for_a_head_sent_in_pieces()
    {
        using var server = Start(ServerMode.Http);
        using var client = await Kernel.ConnectAsync(server.LocalEndPoint);
        await Kernel.SendAsync(client, "GET / HT");
        await Task.Delay(50);
        await Kernel.SendAsync(client, "TP/1.1\r\nHost: lab\r\n");
        await Task.Delay(50);
        await Kernel.SendAsync(client, "\r\n");
        var (data, _, _) = await Kernel.ReadToEndAsync(client, Stopwatch.StartNew());
        Kernel.Text(data).ShouldStartWith("HTTP/1.1 200 OK\r\n");
    }

    [Fact]
    public async Task Discard_reads_everything_and_sends_nothing()
    {
        using var server = Start(ServerMode.Discard);
        using var client = await Kernel.ConnectAsync(server.LocalEndPoint);
        await Kernel.SendAsync(client, new string('d', 200_000));
        client.Shutdown(SocketShutdown.Send);
        var (data, _, reset) = await Kernel.ReadToEndAsync(client, Stopwatch.StartNew());
        data.ShouldBeEmpty();
        reset.ShouldBeFalse();
    }

    [Fact]
    public async Task Discard_can_send_after_eof_too()
    {
        using var server = Start(ServerMode.Discard, o => o with { SendAfterEof = "bye\n"u8.ToArray(), SendAfterEofCount = 2, SendAfterEofInterval = TimeSpan.FromMilliseconds(10) });
        using var client = await Kernel.ConnectAsync(server.LocalEndPoint);
        await Kernel.SendAsync(client, "ignored");
        client.Shutdown(SocketShutdown.Send);
        var (data, _, _) = await Kernel.ReadToEndAsync(client, Stopwatch.StartNew());
        Kernel.Text(data).ShouldBe("bye\nbye\n");
    }

    [Fact]
    public async Task Chargen_sends_the_rfc864_pattern_up_to_its_limit()
    {
        using var server = Start(ServerMode.Chargen, o => o with { ChargenLimit = 200 * Chargen.LineBytes + 10 });
        using var client = await Kernel.ConnectAsync(server.LocalEndPoint);
        var (data, _, reset) = await Kernel.ReadToEndAsync(client, Stopwatch.StartNew());
        reset.ShouldBeFalse();
        data.Length.ShouldBe(200 * Chargen.LineBytes);
        var lines = Kernel.Text(data).Split("\r\n", StringSplitOptions.RemoveEmptyEntries);
        lines.Length.ShouldBe(200);
        lines[0].ShouldBe(" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefg");
        lines[1].ShouldBe("!\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefgh");
        lines[95].ShouldBe(lines[0]);
        lines[199].ShouldBe(lines[199 - 95]);
    }

    [Fact]
    public async Task Chargen_default_limit_is_one_mebibyte_of_whole_lines()
    {
        using var server = Start(ServerMode.Chargen);
        using var client = await Kernel.ConnectAsync(server.LocalEndPoint);
        var (data, _, _) = await Kernel.ReadToEndAsync(client, Stopwatch.StartNew());
        data.Length.ShouldBe((1 << 20) / Chargen.LineBytes * Chargen.LineBytes);
    }

    [Fact]
    public async Task Chargen_stops_when_the_client_closes()
    {
        var log = new StringWriter();
        using var server = Start(ServerMode.Chargen, o => o with { ChargenLimit = long.MaxValue }, log);
        using (var client = await Kernel.ConnectAsync(server.LocalEndPoint))
        {
            await Kernel.ReadExactlyAsync(client, 1000);
            client.Shutdown(SocketShutdown.Send);

            // The client's FIN stops the stream: what was already sent drains, then the server's FIN.
            var (data, _, reset) = await Kernel.ReadToEndAsync(client, Stopwatch.StartNew());
            reset.ShouldBeFalse();
            data.Length.ShouldBeLessThan(64 << 20);
        }

        await WaitUntil(() => server.Active == 0);
        log.ToString().ShouldContain("(peer closed;");
    }

    [Fact]
    public async Task Clients_are_served_concurrently()
    {
        using var server = Start(ServerMode.Echo);
        var clients = await Task.WhenAll(Enumerable.Range(0, 20).Select(_ => Kernel.ConnectAsync(server.LocalEndPoint)));
        try
        {
            await WaitUntil(() => server.Active == 20);
            foreach (var (c, i) in clients.Select((c, i) => (c, i)).Reverse())
            {
                await Kernel.SendAsync(c, $"#{i:00}");
                (await Kernel.ReadExactlyAsync(c, 3)).ShouldBe($"#{i:00}");
            }
        }
        finally
        {
            foreach (var c in clients)
            {
                c.Dispose();
            }
        }
    }

    [Fact]
    public async Task Max_clients_makes_later_clients_wait()
    {
        using var server = Start(ServerMode.Echo, o => o with { MaxClients = 1 });
        using var first = await Kernel.ConnectAsync(server.LocalEndPoint);
        using var second = await Kernel.ConnectAsync(server.LocalEndPoint); // the kernel completes the handshake (backlog)
        await Kernel.SendAsync(first, "1");
        (await Kernel.ReadExactlyAsync(first, 1)).ShouldBe("1");
        await Kernel.SendAsync(second, "2");
        var waiting = Kernel.ReadExactlyAsync(second, 1);
        await Task.Delay(200);
        waiting.IsCompleted.ShouldBeFalse();
        first.Shutdown(SocketShutdown.Send);
        (await waiting).ShouldBe("2");
    }

    [Fact]
    public async Task Once_serves_one_client_then_stops_and_refuses_others()
    {
        using var server = Start(ServerMode.Echo, o => o with { Once = true });
        using (var client = await Kernel.ConnectAsync(server.LocalEndPoint))
        {
            await Kernel.SendAsync(client, "AB");
            (await Kernel.ReadExactlyAsync(client, 2)).ShouldBe("AB");
            client.Shutdown(SocketShutdown.Send);
            await Kernel.ReadToEndAsync(client, Stopwatch.StartNew());
        }

        await server.Completion.WaitAsync(Kernel.Patience);
        var refused = await Should.ThrowAsync<SocketException>(() => Kernel.ConnectAsync(server.LocalEndPoint));
        refused.SocketErrorCode.ShouldBe(SocketError.ConnectionRefused);
    }

    [Fact]
    public async Task Stop_closes_open_connections_and_completes()
    {
        var server = Start(ServerMode.Echo);
        using var client = await Kernel.ConnectAsync(server.LocalEndPoint);
        await WaitUntil(() => server.Active == 1);
        server.Stop();
        await server.Completion.WaitAsync(Kernel.Patience);
        var (data, _, _) = await Kernel.ReadToEndAsync(client, Stopwatch.StartNew());
        data.ShouldBeEmpty();
        server.Dispose();
    }

    [Fact]
    public async Task Logs_one_line_per_accept_and_close()
    {
        var log = new StringWriter();
        using var server = Start(ServerMode.Echo, log: log);
        using var client = await Kernel.ConnectAsync(server.LocalEndPoint);
        var local = (IPEndPoint)client.LocalEndPoint!;
        await Kernel.SendAsync(client, "AB");
        await Kernel.ReadExactlyAsync(client, 2);
        client.Shutdown(SocketShutdown.Send);
        await Kernel.ReadToEndAsync(client, Stopwatch.StartNew());
        await WaitUntil(() => log.ToString().Contains("closed", StringComparison.Ordinal));
        var lines = log.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines[0].ShouldBe($"accepted 127.0.0.1:{local.Port}");
        lines[1].ShouldBe($"closed 127.0.0.1:{local.Port} (peer closed; read 2 B, wrote 2 B)");
    }

    [Fact]
    public void A_port_in_use_is_one_line()
    {
        using var first = Start(ServerMode.Echo);
        var e = Should.Throw<LabException>(() => LabServer.Start(new LabServerOptions { Mode = ServerMode.Echo, Port = first.LocalEndPoint.Port, Bind = IPAddress.Loopback }));
        e.Message.ShouldBe($"port {first.LocalEndPoint.Port} is in use on 127.0.0.1");
    }

    [Fact]
    public void An_address_not_on_this_host_is_one_line()
    {
        var e = Should.Throw<LabException>(() => LabServer.Start(new LabServerOptions { Mode = ServerMode.Echo, Port = 0, Bind = IPAddress.Parse("198.19.255.1") }));
        e.Message.ShouldBe("address 198.19.255.1 is not on this host (cannot listen on port 0)");
    }

    [Fact]
    public async Task Reuse_address_lets_a_restarted_server_bind_despite_time_wait()
    {
        // The server closes first, so its side of the connection sits in TIME-WAIT after the server stops.
        int port;
        using (var server = Start(ServerMode.Echo, o => o with { CloseAfter = TimeSpan.FromMilliseconds(50) }))
        {
            port = server.LocalEndPoint.Port;
            using var client = await Kernel.ConnectAsync(server.LocalEndPoint);
            await Kernel.ReadToEndAsync(client, Stopwatch.StartNew());
            client.Shutdown(SocketShutdown.Both);
        }

        await Task.Delay(50);
        using var again = LabServer.Start(new LabServerOptions { Mode = ServerMode.Echo, Port = port, Bind = IPAddress.Loopback });
        again.LocalEndPoint.Port.ShouldBe(port);
    }

    private static async Task WaitUntil(Func<bool> condition)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > Kernel.Patience)
            {
                throw new TimeoutException("condition not met within 10 s");
            }

            await Task.Delay(10);
        }
    }
}
