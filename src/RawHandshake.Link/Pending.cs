using System.Runtime.ExceptionServices;

namespace RawHandshake.Link;

/// <summary>
/// Set-up work that runs on a dedicated thread while the caller goes on with its own, and is waited for where its result
/// is first needed: the kernel-RST guard's nft table is made while the route, the capture handle and the next hop are
/// found, and waited for before the first flow is guarded (so before its SYN leaves).
/// </summary>
/// <remarks>The thread is created by the caller, so it runs in the caller's network namespace; never the thread pool,
/// whose threads may be in another (see <see cref="NetNs"/>).</remarks>
public sealed class Pending<T> : IDisposable
    where T : class, IDisposable
{
    private readonly Thread thread;
    private T? result;
    private ExceptionDispatchInfo? failure;
    private bool disposed;

    private Pending(string name, Func<T> work)
    {
        thread = new Thread(() =>
        {
            try
            {
                result = work();
            }
            catch (Exception e)
            {
                failure = ExceptionDispatchInfo.Capture(e);
            }
        })
        {
            IsBackground = true,
            Name = name,
        };
    }

    /// <summary>Whether the work has finished (well or not).</summary>
    public bool IsCompleted => !thread.IsAlive;

    /// <summary>Starts <paramref name="work"/> on a new thread named <paramref name="name"/>.</summary>
    public static Pending<T> Start(string name, Func<T> work)
    {
        ArgumentNullException.ThrowIfNull(work);
        var pending = new Pending<T>(name, work);
        pending.thread.Start();
        return pending;
    }

    /// <summary>Waits for the work to finish; returns its result, or throws what it threw (at every call).</summary>
    public T Wait()
    {
        thread.Join();
        ObjectDisposedException.ThrowIf(disposed, this);
        failure?.Throw();
        return result!;
    }

    /// <summary>Waits for the work to finish and disposes its result (work that failed left nothing to dispose).</summary>
    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        thread.Join();
        result?.Dispose();
    }
}
