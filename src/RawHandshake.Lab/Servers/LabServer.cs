using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace RawHandshake.Lab.Servers;

/// <summary>
/// A real kernel-socket TCP server (echo, http, discard, chargen) with the knobs the lab's scenarios need: who closes
/// first (<see cref="LabServerOptions.CloseAfter"/>), a half-close peer (<see cref="LabServerOptions.SendAfterEof"/>),
/// seed 003's read-once server. Clients are served concurrently, one async flow each.
/// </summary>
/// <remarks>The listener sets SO_REUSEADDR only: .NET's <c>SocketOptionName.ReuseAddress</c> also sets SO_REUSEPORT on
/// Linux, which would let a second server bind the same port silently instead of failing with "in use".</remarks>
public sealed class LabServer : IDisposable
{
    private const int SolSocket = 1;
    private const int SoReuseAddr = 2;
    private const int BufferSize = 8192;

    private readonly Socket listener;
    private readonly CancellationTokenSource stopping = new();
    private readonly TaskCompletionSource completion = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly ConcurrentDictionary<long, Task> clients = new();
    private readonly SemaphoreSlim? slots;
    private readonly TextWriter? log;
    private long accepted;
    private int stopRequested;

    private LabServer(LabServerOptions options, Socket listener)
    {
        Options = options;
        this.listener = listener;
        LocalEndPoint = (IPEndPoint)listener.LocalEndPoint!;
        slots = options.MaxClients is { } n ? new SemaphoreSlim(n, n) : null;
        log = options.Log is null ? null : TextWriter.Synchronized(options.Log);
    }

    public LabServerOptions Options { get; }

    /// <summary>Where the server listens (the real port when <see cref="LabServerOptions.Port"/> was 0).</summary>
    public IPEndPoint LocalEndPoint { get; }

    /// <summary>Connections accepted so far.</summary>
    public long Accepted => Interlocked.Read(ref accepted);

    /// <summary>Connections being served now.</summary>
    public int Active => clients.Count;

    /// <summary>Completes when the server has stopped: after <see cref="Stop"/>, or after its one client with <see cref="LabServerOptions.Once"/>.</summary>
    public Task Completion => completion.Task;

    /// <summary>Binds, listens and starts accepting. Throws <see cref="LabException"/> with a one-line reason when it cannot listen.</summary>
    public static LabServer Start(LabServerOptions options) => Start(options, null);

    /// <summary>As <see cref="Start(LabServerOptions)"/>; <paramref name="listening"/> is told the bound address once the
    /// socket listens and before the first accept, so what it logs comes before any "accepted" line.</summary>
    public static LabServer Start(LabServerOptions options, Action<IPEndPoint>? listening)
    {
        ArgumentNullException.ThrowIfNull(options);
        Validate(options);
        var socket = new Socket(options.Bind.AddressFamily, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            socket.SetRawSocketOption(SolSocket, SoReuseAddr, BitConverter.GetBytes(1));
            if (options.Bind.Equals(IPAddress.IPv6Any))
            {
                socket.DualMode = true; // :: listens for both families
            }

            foreach (var step in options.Script?.Setup ?? [])
            {
                // Before listen, so that the SYN-ACK already follows them (a receive buffer sets the window scale).
                step.Apply(socket);
            }

            socket.Bind(new IPEndPoint(options.Bind, options.Port));
            socket.Listen(options.Backlog);
        }
        catch (SocketException e)
        {
            socket.Dispose();
            throw new LabException(BindError(e, options.Bind, options.Port));
        }

        var server = new LabServer(options, socket);
        listening?.Invoke(server.LocalEndPoint);
        _ = Task.Run(server.AcceptLoopAsync);
        return server;
    }

    /// <summary>Stops accepting and closes every connection; returns at once (await <see cref="Completion"/> to wait).</summary>
    public void Stop()
    {
        if (Interlocked.Exchange(ref stopRequested, 1) == 1)
        {
            return;
        }

        stopping.Cancel();
        listener.Dispose();
    }

    /// <summary>Stops, and waits (up to 5 s) for every connection to close.</summary>
    public void Dispose()
    {
        Stop();
        Completion.Wait(TimeSpan.FromSeconds(5));
    }

    internal static string BindError(SocketException e, IPAddress bind, int port) => e.SocketErrorCode switch
    {
        SocketError.AddressAlreadyInUse => $"port {port} is in use on {bind}",
        SocketError.AddressNotAvailable => $"address {bind} is not on this host (cannot listen on port {port})",
        SocketError.AccessDenied => port < 1024
            ? $"port {port} on {bind} needs root (ports below 1024)"
            : $"not permitted to listen on port {port} on {bind}",
        _ => $"cannot listen on port {port} on {bind}: {e.Message}",
    };

    private static void Validate(LabServerOptions o)
    {
        if (o.Port is < 0 or > 65535)
        {
            throw new ArgumentOutOfRangeException(nameof(o), o.Port, "port must be 0 to 65535");
        }

        if (o.ReadOnce && o.Mode != ServerMode.Echo)
        {
            throw new ArgumentException("ReadOnce is for echo only", nameof(o));
        }

        if (o.SendAfterEof is not null && o.Mode is not (ServerMode.Echo or ServerMode.Discard))
        {
            throw new ArgumentException("SendAfterEof is for echo and discard only", nameof(o));
        }

        if ((o.Mode == ServerMode.Script) != (o.Script is not null))
        {
            throw new ArgumentException("Script is for the script mode, and that mode needs it", nameof(o));
        }

        if (o.MaxClients is < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(o), o.MaxClients, "MaxClients must be at least 1");
        }
    }

    private async Task AcceptLoopAsync()
    {
        var token = stopping.Token;
        try
        {
            while (!token.IsCancellationRequested)
            {
                if (slots is not null)
                {
                    await slots.WaitAsync(token).ConfigureAwait(false);
                }

                Socket client;
                try
                {
                    client = await listener.AcceptAsync(token).ConfigureAwait(false);
                }
                catch (SocketException e) when (!token.IsCancellationRequested)
                {
                    // A connection reset before it was accepted, or out of descriptors: keep serving.
                    slots?.Release();
                    log?.WriteLine($"accept failed: {e.SocketErrorCode}");
                    await Task.Delay(e.SocketErrorCode == SocketError.ConnectionAborted ? 0 : 100, token).ConfigureAwait(false);
                    continue;
                }
                catch
                {
                    slots?.Release();
                    throw;
                }

                var id = Interlocked.Increment(ref accepted);
                var task = ServeAsync(client, token);
                clients[id] = task;
                _ = task.ContinueWith(_ => clients.TryRemove(id, out Task? _), TaskScheduler.Default);

                if (Options.Once)
                {
                    listener.Dispose();
                    await task.ConfigureAwait(false);
                    break;
                }
            }
        }
        catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException or SocketException)
        {
            // Stopping (or the listener failed): fall through to wait for the clients.
        }
        finally
        {
            try
            {
                await Task.WhenAll(clients.Values).ConfigureAwait(false);
            }
            catch
            {
                // Each client flow reports its own end; nothing to add here.
            }

            if (Options.Once)
            {
                listener.Dispose();
            }

            completion.TrySetResult();
        }
    }

    private sealed class Counters
    {
        public long In;
        public long Out;
    }

    private async Task ServeAsync(Socket socket, CancellationToken serverStop)
    {
        await Task.Yield();
        var peer = socket.RemoteEndPoint is IPEndPoint ep ? Format(ep) : "?";
        log?.WriteLine($"accepted {peer}");
        using var connection = CancellationTokenSource.CreateLinkedTokenSource(serverStop);
        if (Options.CloseAfter is { } after && !Options.ReadOnce)
        {
            connection.CancelAfter(after);
        }

        var counters = new Counters();
        string reason;
        try
        {
            reason = Options.Mode switch
            {
                ServerMode.Echo when Options.ReadOnce => await ReadOnceAsync(socket, counters, serverStop).ConfigureAwait(false),
                ServerMode.Echo => await EchoAsync(socket, counters, connection.Token).ConfigureAwait(false),
                ServerMode.Http => await HttpAsync(socket, counters, connection.Token).ConfigureAwait(false),
                ServerMode.Discard => await DiscardAsync(socket, counters, connection.Token).ConfigureAwait(false),
                ServerMode.Script => await ScriptAsync(socket, Options.Script!, counters, connection.Token).ConfigureAwait(false),
                _ => await ChargenAsync(socket, counters, connection.Token).ConfigureAwait(false),
            };
        }
        catch (OperationCanceledException) when (serverStop.IsCancellationRequested)
        {
            reason = "server stopping";
        }
        catch (OperationCanceledException) when (connection.IsCancellationRequested)
        {
            reason = $"closed by the server after {Seconds(Options.CloseAfter!.Value)}";
        }
        catch (SocketException e)
        {
            reason = e.SocketErrorCode switch
            {
                SocketError.ConnectionReset => "reset by the peer",
                SocketError.Shutdown or SocketError.ConnectionAborted => "aborted",
                _ => e.SocketErrorCode.ToString(),
            };
        }
        catch (ObjectDisposedException)
        {
            reason = "server stopping";
        }
        finally
        {
            socket.Dispose();
            slots?.Release();
        }

        log?.WriteLine($"closed {peer} ({reason}; read {counters.In} B, wrote {counters.Out} B)");
    }

    private async Task<string> EchoAsync(Socket socket, Counters c, CancellationToken token)
    {
        var buffer = new byte[BufferSize];
        while (true)
        {
            var n = await socket.ReceiveAsync(buffer, SocketFlags.None, token).ConfigureAwait(false);
            if (n == 0)
            {
                break;
            }

            c.In += n;
            await SendAllAsync(socket, buffer.AsMemory(0, n), c, token).ConfigureAwait(false);
        }

        return await AfterEofAsync(socket, c, token).ConfigureAwait(false);
    }

    private async Task<string> ReadOnceAsync(Socket socket, Counters c, CancellationToken serverStop)
    {
        var buffer = new byte[BufferSize];
        var n = await socket.ReceiveAsync(buffer, SocketFlags.None, serverStop).ConfigureAwait(false);
        c.In += n;
        if (n > 0)
        {
            await SendAllAsync(socket, buffer.AsMemory(0, n), c, serverStop).ConfigureAwait(false);
        }

        if (Options.CloseAfter is { } after)
        {
            await Task.Delay(after, serverStop).ConfigureAwait(false);
            return $"read once, closed {Seconds(after)} after the echo";
        }

        return n == 0 ? "peer closed" : "read once";
    }

    /// <summary>The steps of the script, in order; without a closing step, waits for the client to close (at most 10 s).</summary>
    private static async Task<string> ScriptAsync(Socket socket, ServerScript script, Counters c, CancellationToken token)
    {
        var buffer = new byte[BufferSize];
        foreach (var step in script.Steps)
        {
            switch (step.Kind)
            {
                case ScriptStepKind.Sleep:
                    await Task.Delay(step.Delay, token).ConfigureAwait(false);
                    break;
                case ScriptStepKind.Write:
                    var zeros = new byte[(int)Math.Min(step.Count, BufferSize)];
                    for (var left = step.Count; left > 0; left -= zeros.Length)
                    {
                        await SendAllAsync(socket, zeros.AsMemory(0, (int)Math.Min(left, zeros.Length)), c, token).ConfigureAwait(false);
                    }

                    break;
                case ScriptStepKind.Read:
                    for (var left = step.Count; left > 0;)
                    {
                        var n = await socket.ReceiveAsync(buffer.AsMemory(0, (int)Math.Min(left, buffer.Length)), SocketFlags.None, token).ConfigureAwait(false);
                        if (n == 0)
                        {
                            return $"peer closed {step.Count - left} B into a read of {step.Count} B";
                        }

                        c.In += n;
                        left -= n;
                    }

                    break;
                case ScriptStepKind.ReadEof:
                    int got;
                    while ((got = await socket.ReceiveAsync(buffer, SocketFlags.None, token).ConfigureAwait(false)) > 0)
                    {
                        c.In += got;
                    }

                    break;
                case ScriptStepKind.Shutdown:
                    socket.Shutdown(step.How);
                    break;
                case ScriptStepKind.Close:
                    return "closed by the script";
                default:
                    step.Apply(socket);
                    break;
            }
        }

        using var linger = CancellationTokenSource.CreateLinkedTokenSource(token);
        linger.CancelAfter(TimeSpan.FromSeconds(10));
        try
        {
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, linger.Token).ConfigureAwait(false)) > 0)
            {
                c.In += n;
            }
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            return "script done; the client kept the connection open for 10 s";
        }

        return "script done; peer closed";
    }

    private async Task<string> DiscardAsync(Socket socket, Counters c, CancellationToken token)
    {
        var buffer = new byte[BufferSize];
        int n;
        while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, token).ConfigureAwait(false)) > 0)
        {
            c.In += n;
        }

        return await AfterEofAsync(socket, c, token).ConfigureAwait(false);
    }

    private async Task<string> AfterEofAsync(Socket socket, Counters c, CancellationToken token)
    {
        if (Options.SendAfterEof is not { } text)
        {
            return "peer closed";
        }

        for (var i = 0; i < Options.SendAfterEofCount; i++)
        {
            await Task.Delay(Options.SendAfterEofInterval, token).ConfigureAwait(false);
            await SendAllAsync(socket, text, c, token).ConfigureAwait(false);
        }

        return $"peer half-closed; sent {Options.SendAfterEofCount} × {text.Length} B after its FIN";
    }

    private static async Task<string> HttpAsync(Socket socket, Counters c, CancellationToken token)
    {
        using var headTimeout = CancellationTokenSource.CreateLinkedTokenSource(token);
        headTimeout.CancelAfter(TimeSpan.FromSeconds(10));
        var buffer = new byte[HttpResponder.MaxHead];
        var length = 0;
        var end = -1;
        try
        {
            while (end < 0 && length < buffer.Length)
            {
                var n = await socket.ReceiveAsync(buffer.AsMemory(length), SocketFlags.None, headTimeout.Token).ConfigureAwait(false);
                if (n == 0)
                {
                    return "peer closed before a whole request head";
                }

                c.In += n;
                length += n;
                end = HttpResponder.HeadEnd(buffer.AsSpan(0, length));
            }
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            return "no request head within 10 s";
        }

        string reason;
        if (end < 0)
        {
            await SendAllAsync(socket, HttpResponder.TooLarge(), c, token).ConfigureAwait(false);
            reason = "431 (request head too large)";
        }
        else
        {
            var (status, response) = HttpResponder.Respond(buffer.AsSpan(0, end));
            await SendAllAsync(socket, response, c, token).ConfigureAwait(false);
            reason = status.ToString(CultureInfo.InvariantCulture);
        }

        // Close politely: FIN first, then read what the client still sends until its FIN (at most 1 s), so unread
        // request bytes do not turn our close into a RST.
        socket.Shutdown(SocketShutdown.Send);
        using var linger = CancellationTokenSource.CreateLinkedTokenSource(token);
        linger.CancelAfter(TimeSpan.FromSeconds(1));
        try
        {
            int n;
            while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, linger.Token).ConfigureAwait(false)) > 0)
            {
                c.In += n;
            }
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            // The client kept its side open: close anyway.
        }

        return "answered " + reason;
    }

    private async Task<string> ChargenAsync(Socket socket, Counters c, CancellationToken token)
    {
        using var peerGone = CancellationTokenSource.CreateLinkedTokenSource(token);
        var reader = Task.Run(async () =>
        {
            // RFC 864: whatever the client sends is thrown away; its FIN (or RST) ends the stream.
            var buffer = new byte[BufferSize];
            try
            {
                int n;
                while ((n = await socket.ReceiveAsync(buffer, SocketFlags.None, peerGone.Token).ConfigureAwait(false)) > 0)
                {
                    Interlocked.Add(ref c.In, n);
                }
            }
            catch (Exception e) when (e is SocketException or OperationCanceledException or ObjectDisposedException)
            {
                // Reset, or we are done sending.
            }

            await peerGone.CancelAsync().ConfigureAwait(false);
        }, CancellationToken.None);

        var linesLeft = Options.ChargenLimit / Chargen.LineBytes;
        var chunk = Chargen.Chunk;
        string reason;
        try
        {
            while (linesLeft > 0)
            {
                var lines = (int)Math.Min(linesLeft, Chargen.Period * Chargen.PeriodsPerWrite);
                await SendAllAsync(socket, chunk[..(lines * Chargen.LineBytes)], c, peerGone.Token).ConfigureAwait(false);
                linesLeft -= lines;
            }

            reason = $"sent the {Options.ChargenLimit} B limit";
        }
        catch (OperationCanceledException) when (!token.IsCancellationRequested)
        {
            reason = "peer closed";
        }

        await peerGone.CancelAsync().ConfigureAwait(false);
        await reader.ConfigureAwait(false);
        return reason;
    }

    private static async Task SendAllAsync(Socket socket, ReadOnlyMemory<byte> data, Counters c, CancellationToken token)
    {
        while (!data.IsEmpty)
        {
            var n = await socket.SendAsync(data, SocketFlags.None, token).ConfigureAwait(false);
            Interlocked.Add(ref c.Out, n);
            data = data[n..];
        }
    }

    private static string Format(IPEndPoint ep)
    {
        var address = ep.Address.IsIPv4MappedToIPv6 ? ep.Address.MapToIPv4() : ep.Address;
        return address.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{address}]:{ep.Port}" : $"{address}:{ep.Port}";
    }

    private static string Seconds(TimeSpan t) => t.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture) + " s";
}
