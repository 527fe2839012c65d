using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using RawHandshake.Lab.Topology;

namespace RawHandshake.Lab.Tests.Support;

/// <summary>Kernel TCP clients for the tests: in this namespace, or created inside a lab namespace.</summary>
internal static class Kernel
{
    public static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    public static async Task<Socket> ConnectAsync(IPEndPoint to, string? ns = null)
    {
        var socket = ns is null ? new Socket(to.AddressFamily, SocketType.Stream, ProtocolType.Tcp) : LabNetns.CreateSocket(ns, to.AddressFamily);
        try
        {
            socket.NoDelay = true;
            await socket.ConnectAsync(to).WaitAsync(Patience);
            return socket;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }

    public static async Task SendAsync(Socket s, string text) =>
        await s.SendAsync(System.Text.Encoding.ASCII.GetBytes(text), SocketFlags.None).WaitAsync(Patience);

    public static async Task<string> ReadExactlyAsync(Socket s, int count)
    {
        var buffer = new byte[count];
        var got = 0;
        while (got < count)
        {
            var n = await s.ReceiveAsync(buffer.AsMemory(got), SocketFlags.None).AsTask().WaitAsync(Patience);
            if (n == 0)
            {
                throw new EndOfStreamException($"EOF after {got} of {count} bytes");
            }

            got += n;
        }

        return System.Text.Encoding.ASCII.GetString(buffer);
    }

    /// <summary>Everything until the server's FIN: the bytes, when the FIN came (from <paramref name="since"/>), and whether a RST ended it instead.</summary>
    public static async Task<(byte[] Data, TimeSpan At, bool Reset)> ReadToEndAsync(Socket s, Stopwatch since, TimeSpan? limit = null)
    {
        var data = new MemoryStream();
        var buffer = new byte[65536];
        try
        {
            while (true)
            {
                var n = await s.ReceiveAsync(buffer.AsMemory(), SocketFlags.None).AsTask().WaitAsync(limit ?? Patience);
                if (n == 0)
                {
                    return (data.ToArray(), since.Elapsed, false);
                }

                data.Write(buffer, 0, n);
            }
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.ConnectionReset)
        {
            return (data.ToArray(), since.Elapsed, true);
        }
    }

    public static string Text(byte[] data) => System.Text.Encoding.ASCII.GetString(data);
}
