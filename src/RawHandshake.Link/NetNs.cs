using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;
using RawHandshake.Link.Native;

namespace RawHandshake.Link;

/// <summary>
/// Network namespaces made by <c>ip netns add NAME</c> (bind-mounted under <c>/var/run/netns</c>), entered per OS thread
/// with <c>setns(CLONE_NEWNET)</c>.
/// </summary>
/// <remarks>
/// <para>What follows the thread (measured): sockets and pcap handles it opens, netlink (interface lists,
/// <c>System.Net.NetworkInformation</c>), <c>/proc/thread-self/net/*</c>, and child processes it starts
/// (<c>Process.Start</c> forks from the calling thread, so <c>nft</c>, <c>ip</c> run inside). What does not:
/// <c>/proc/self/net</c> (= <c>/proc/net</c>) follows the thread-group leader, i.e. the main thread's namespace, so route
/// reads must use <c>/proc/thread-self/net/route</c>; and <c>/sys/class/net</c> shows the namespace sysfs was mounted in.</para>
/// <para>Trap: threads are created with the namespace of the thread that creates them. The .NET thread pool creates
/// workers from whichever thread queues work, so a <c>Task.Run</c>, an <c>await</c> or a <c>ReadToEndAsync</c> on a
/// thread that has entered a namespace can leave pool threads in that namespace for the rest of the process (seen: 64 of
/// 64 pool tasks ran inside). Enter namespaces only on dedicated threads (<see cref="Run{T}"/>) and do synchronous work
/// there.</para>
/// </remarks>
public static class NetNs
{
    public const string Directory = "/var/run/netns";

    /// <summary>Moves the calling OS thread into namespace <paramref name="name"/>. Refuses thread-pool threads.</summary>
    public static void EnterForThisThread(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (name.Length == 0 || name.Contains('/') || name is "." or "..")
        {
            throw new LinkException($"no network namespace '{name}'");
        }

        using var ns = OpenFile(Path.Combine(Directory, name), $"network namespace '{name}'");
        Enter(ns, $"network namespace '{name}'");
    }

    /// <summary>The calling thread's namespace, e.g. <c>net:[4026531840]</c> (equal strings = same namespace).</summary>
    public static string CurrentId => new FileInfo("/proc/thread-self/ns/net").LinkTarget ?? string.Empty;

    /// <summary>
    /// Null when this process runs in the host's own network namespace; else why not, in words: a namespace that differs
    /// from init's (when init's can be read), or a named one under /run/netns (<c>ip netns exec NAME</c>, told by
    /// <c>ip netns identify</c>). Namespaces made from there (<c>ip netns add</c> inside <c>ip netns exec</c>) live in its
    /// private mount namespace and cannot be entered from outside (setns: "Invalid argument"), so a lab is only made
    /// from the host's namespace.
    /// </summary>
    public static string? WhyNotInitial()
    {
        try
        {
            var ours = new FileInfo("/proc/self/ns/net").LinkTarget;
            var init = new FileInfo("/proc/1/ns/net").LinkTarget;
            if (ours is not null && init is not null && ours != init)
            {
                return $"this process runs in another network namespace ({ours}, not init's {init})";
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // init's namespace cannot be read here (a container's PID 1): ask ip which named namespace we are in
        }

        try
        {
            var psi = new System.Diagnostics.ProcessStartInfo("ip") { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardError = true };
            psi.ArgumentList.Add("netns");
            psi.ArgumentList.Add("identify");
            psi.ArgumentList.Add(Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
            using var p = System.Diagnostics.Process.Start(psi);
            if (p is null)
            {
                return null;
            }

            var names = p.StandardOutput.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            p.StandardError.ReadToEnd();
            p.WaitForExit(5000);
            return names.Length > 0 ? $"this process runs in another network namespace ('{names[0]}', as inside 'ip netns exec {names[0]}')" : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no ip: nothing known against it (the lab needs ip anyway and says so)
        }
    }

    /// <summary>Whether namespace <paramref name="name"/> exists under <see cref="Directory"/>.</summary>
    public static bool Exists(string name) => !string.IsNullOrEmpty(name) && !name.Contains('/') && File.Exists(Path.Combine(Directory, name));

    /// <summary>Runs <paramref name="body"/> on a new dedicated thread inside namespace <paramref name="name"/>, rethrowing what it throws.</summary>
    /// <exception cref="TimeoutException">The body did not finish within <paramref name="timeout"/> (the thread is left to finish in the background).</exception>
    public static T Run<T>(string name, Func<T> body, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        return OnDedicatedThread(() => EnterForThisThread(name), body, timeout, $"network namespace '{name}'");
    }

    /// <inheritdoc cref="Run{T}(string, Func{T}, TimeSpan?)"/>
    public static void Run(string name, Action body, TimeSpan? timeout = null)
    {
        ArgumentNullException.ThrowIfNull(body);
        Run<object?>(name, () =>
        {
            body();
            return null;
        }, timeout);
    }

    /// <summary>A handle on the calling thread's namespace, to come back to it later from another thread.</summary>
    internal static SafeFileHandle OpenCurrent() => OpenFile("/proc/thread-self/ns/net", "the current network namespace");

    /// <summary>Runs <paramref name="body"/> inside the namespace behind <paramref name="ns"/>: directly when the calling thread is already there, else on a dedicated thread.</summary>
    internal static T RunIn<T>(SafeFileHandle ns, string nsId, Func<T> body, TimeSpan? timeout = null) =>
        CurrentId == nsId ? body() : OnDedicatedThread(() => Enter(ns, "the saved network namespace"), body, timeout, nsId);

    /// <summary>
    /// Runs <paramref name="body"/> in the main thread's namespace (<c>/proc/self/ns/net</c> follows the thread-group
    /// leader): directly when the calling thread is already there, else on a dedicated thread. For work that may create
    /// long-lived runtime threads (signal handling), which would otherwise inherit a namespace the caller entered.
    /// </summary>
    internal static T RunInProcessNamespace<T>(Func<T> body)
    {
        const string leader = "/proc/self/ns/net";
        var leaderId = new FileInfo(leader).LinkTarget;
        if (leaderId is null || leaderId == CurrentId)
        {
            return body();
        }

        using var ns = OpenFile(leader, "the process's network namespace");
        return OnDedicatedThread(() => Enter(ns, "the process's network namespace"), body, null, "the process's network namespace");
    }

    internal static void Enter(SafeFileHandle ns, string what)
    {
        if (Thread.CurrentThread.IsThreadPoolThread)
        {
            throw new InvalidOperationException(
                "entering a network namespace moves the whole OS thread: use a dedicated thread (NetNs.Run), never a thread-pool thread");
        }

        var added = false;
        try
        {
            ns.DangerousAddRef(ref added);
            if (LibC.SetNs((int)ns.DangerousGetHandle(), LibC.CloneNewNet) != 0)
            {
                var errno = Marshal.GetLastPInvokeError();
                throw new LinkException(errno == LibC.EPerm
                    ? $"entering {what} needs root (CAP_SYS_ADMIN)"
                    : $"cannot enter {what}: {LibC.StrError(errno)}");
            }
        }
        finally
        {
            if (added)
            {
                ns.DangerousRelease();
            }
        }
    }

    private static SafeFileHandle OpenFile(string path, string what)
    {
        var fd = LibC.Open(path, LibC.ORdOnly | LibC.OCloExec);
        if (fd < 0)
        {
            var errno = Marshal.GetLastPInvokeError();
            throw new LinkException(errno == LibC.ENoEnt
                ? $"no {what}"
                : $"cannot open {what}: {LibC.StrError(errno)}");
        }

        return new SafeFileHandle(fd, ownsHandle: true);
    }

    private static T OnDedicatedThread<T>(Action enter, Func<T> body, TimeSpan? timeout, string what)
    {
        T result = default!;
        ExceptionDispatchInfo? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                enter();
                result = body();
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        })
        {
            IsBackground = true,
            Name = $"netns {what}",
        };
        thread.Start();
        if (!thread.Join(timeout ?? Timeout.InfiniteTimeSpan))
        {
            throw new TimeoutException($"work inside {what} did not finish within {timeout!.Value.TotalSeconds:0.###} s");
        }

        failure?.Throw();
        return result;
    }
}
