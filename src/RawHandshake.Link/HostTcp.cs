using System.Globalization;

namespace RawHandshake.Link;

/// <summary>
/// Facts about the kernel's own TCP in the calling thread's network namespace, read from <c>/proc</c>.
/// </summary>
/// <remarks>
/// <c>/proc/net/tcp</c> (= <c>/proc/self/net/tcp</c>) shows the namespace of the thread-group leader, not of the
/// calling thread (see <see cref="NetNs"/>); <c>/proc/thread-self/net/tcp</c> shows the caller's. The sysctls under
/// <c>/proc/sys/net</c> are looked up in the opener's namespace.
/// </remarks>
public static class HostTcp
{
    /// <summary>The socket table of the calling thread's namespace (IPv4).</summary>
    public const string SocketTable = "/proc/thread-self/net/tcp";

    private const string PortRange = "/proc/sys/net/ipv4/ip_local_port_range";

    /// <summary><c>st</c> of <c>/proc/net/tcp</c> for TIME-WAIT (include/net/tcp_states.h).</summary>
    public const int TimeWaitState = 6;

    /// <summary>How many IPv4 sockets are in TIME-WAIT in the calling thread's namespace, or null when it cannot be read.</summary>
    public static int? TimeWaitCount() => CountInState(TimeWaitState);

    /// <summary>How many IPv4 sockets are in state <paramref name="state"/> (the kernel's number), or null when unreadable.</summary>
    public static int? CountInState(int state)
    {
        try
        {
            return CountInState(File.ReadLines(SocketTable), state);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>Counts the lines of a <c>/proc/net/tcp</c> listing (header first) whose <c>st</c> is <paramref name="state"/>.</summary>
    public static int CountInState(IEnumerable<string> lines, int state)
    {
        ArgumentNullException.ThrowIfNull(lines);
        var count = 0;
        foreach (var line in lines.Skip(1))
        {
            // "  sl  local_address rem_address   st …": the 4th field is the state.
            var fields = line.Split(' ', 5, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length >= 4 && int.TryParse(fields[3], NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var st) && st == state)
            {
                count++;
            }
        }

        return count;
    }

    /// <summary><c>net.ipv4.ip_local_port_range</c> of the calling thread's namespace (Linux's default when unreadable).</summary>
    public static (int Low, int High) EphemeralPortRange()
    {
        try
        {
            return ParsePortRange(File.ReadAllText(PortRange)) ?? (32768, 60999);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return (32768, 60999);
        }
    }

    /// <summary>"32768\t60999" as (low, high); null when it is not two ports in order.</summary>
    public static (int Low, int High)? ParsePortRange(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var parts = text.Split((char[])[' ', '\t', '\n'], StringSplitOptions.RemoveEmptyEntries);
        return parts.Length == 2 &&
               int.TryParse(parts[0], NumberStyles.None, CultureInfo.InvariantCulture, out var lo) &&
               int.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var hi) &&
               lo is >= 1 and <= 65535 && hi >= lo && hi <= 65535
            ? (lo, hi)
            : null;
    }
}
