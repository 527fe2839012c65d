using System.Runtime.InteropServices;

namespace RawHandshake.Link;

/// <summary>Thrown where an interrupt (Ctrl-C, SIGTERM, SIGHUP) stops work that cannot end with a result of its own.</summary>
public sealed class InterruptedException(int exitCode) : Exception("interrupted")
{
    /// <summary>128 + the signal's number: 130 (SIGINT), 143 (SIGTERM), 129 (SIGHUP).</summary>
    public int ExitCode { get; } = exitCode;
}

/// <summary>
/// The one place a process handles SIGINT, SIGTERM and SIGHUP. A signal never ends the process by itself: it only
/// records which signal came first and cancels <see cref="Token"/>; the code under way then takes the one shutdown path
/// (stop the session, reset the server, write the result, then remove the guards) and returns <see cref="ExitCode"/>.
/// A third signal gives up waiting: the default action ends the process (the nft guard's exit hook still runs).
/// </summary>
/// <remarks>
/// <see cref="Process"/> is the instance wired to the real signals (by <see cref="InstallSignalHandlers"/>, which the
/// program calls first thing, from the main thread in the process's own namespace). Tests make their own instance and
/// call <see cref="Request"/>.
/// </remarks>
public sealed class Interrupts
{
    public const int SigHup = 129;
    public const int SigInt = 130;
    public const int SigTerm = 143;

    private readonly CancellationTokenSource cancel = new();
    private readonly List<PosixSignalRegistration> registrations = [];
    private int exitCode;
    private int count;

    /// <summary>The process's own interrupts (the real signals, once <see cref="InstallSignalHandlers"/> ran).</summary>
    public static Interrupts Process { get; } = new();

    /// <summary>Cancelled at the first signal.</summary>
    public CancellationToken Token => cancel.Token;

    /// <summary>130, 143 or 129 after the first signal; null before.</summary>
    public int? ExitCode => Volatile.Read(ref exitCode) is var c and not 0 ? c : null;

    public bool Requested => ExitCode is not null;

    /// <summary>Registers the process's handlers for SIGINT, SIGTERM and SIGHUP (once; later calls do nothing).</summary>
    public void InstallSignalHandlers()
    {
        lock (registrations)
        {
            if (registrations.Count > 0)
            {
                return;
            }

            foreach (var (signal, code) in new[] { (PosixSignal.SIGINT, SigInt), (PosixSignal.SIGTERM, SigTerm), (PosixSignal.SIGHUP, SigHup) })
            {
                try
                {
                    registrations.Add(PosixSignalRegistration.Create(signal, ctx => ctx.Cancel = Request(code)));
                }
                catch (PlatformNotSupportedException)
                {
                }
            }
        }
    }

    /// <summary>Records the interrupt (the first one's code wins) and cancels <see cref="Token"/>. False from the third
    /// call on: the caller should then let the signal's default action end the process.</summary>
    public bool Request(int code)
    {
        Interlocked.CompareExchange(ref exitCode, code, 0);
        if (Interlocked.Increment(ref count) >= 3)
        {
            return false;
        }

        try
        {
            cancel.Cancel();
        }
        catch (AggregateException)
        {
            // a subscriber threw; the others ran and the interrupt is recorded
        }

        return true;
    }

    /// <summary>Runs <paramref name="action"/> at the first signal (at once if it came already). Dispose to unsubscribe.</summary>
    public CancellationTokenRegistration OnInterrupt(Action action) => cancel.Token.Register(action);

    /// <summary>Throws <see cref="InterruptedException"/> when a signal came.</summary>
    public void ThrowIfRequested()
    {
        if (ExitCode is { } c)
        {
            throw new InterruptedException(c);
        }
    }
}
