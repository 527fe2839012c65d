using System.Net.Sockets;
using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using RawHandshake.Lab.Native;

namespace RawHandshake.Lab.Topology;

/// <summary>
/// Doing things inside a lab namespace from this process, e.g. a kernel client in rh-NAME-cli:
/// <c>using var s = LabNetns.CreateSocket(lab.ClientNamespace); await s.ConnectAsync(lab.Routed(LabPorts.Echo));</c>.
/// </summary>
/// <remarks>A socket belongs to the namespace it was created in for its whole life, whichever thread uses it later, so
/// <see cref="CreateSocket"/> enters the namespace on a short-lived dedicated thread, creates the socket there and
/// returns it: it can then be used with async code anywhere. Never enter a namespace on a thread-pool thread (the pool
/// would create new workers inside it).</remarks>
public static class LabNetns
{
    public const string Directory = "/run/netns";

    /// <summary>A new socket living in namespace <paramref name="ns"/> (TCP over IPv4 by default).</summary>
    public static Socket CreateSocket(
        string ns,
        AddressFamily family = AddressFamily.InterNetwork,
        SocketType type = SocketType.Stream,
        ProtocolType protocol = ProtocolType.Tcp) =>
        Run(ns, () => new Socket(family, type, protocol));

    /// <summary>Runs <paramref name="body"/> synchronously on a new thread inside namespace <paramref name="ns"/>.</summary>
    public static T Run<T>(string ns, Func<T> body)
    {
        ArgumentNullException.ThrowIfNull(body);
        if (ns.Length == 0 || ns.Contains('/', StringComparison.Ordinal) || ns is "." or "..")
        {
            throw new LabException($"no network namespace '{ns}'");
        }

        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                using (var handle = File.OpenHandle(Path.Combine(Directory, ns)))
                {
                    if (LibC.SetNs((int)handle.DangerousGetHandle(), LibC.CloneNewNet) != 0)
                    {
                        throw new LabException($"cannot enter network namespace '{ns}': {LibC.StrError(Marshal.GetLastPInvokeError())}");
                    }
                }

                result = body();
            }
            catch (FileNotFoundException)
            {
                failure = ExceptionDispatchInfo.Capture(new LabException($"no network namespace '{ns}'"));
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        })
        {
            IsBackground = true,
            Name = "netns " + ns,
        };
        thread.Start();
        thread.Join();
        failure?.Throw();
        return result;
    }
}
