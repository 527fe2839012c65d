using System.Globalization;

namespace RawHandshake.Link;

/// <summary>Linux capabilities of the calling thread (the effective set, <c>CapEff</c> in <c>/proc/thread-self/status</c>).</summary>
/// <remarks>Capabilities are per thread: a thread may drop one (capset) while the rest of the process keeps it, so the
/// thread's own status is read, falling back to <c>/proc/self/status</c> (the thread-group leader) on old kernels.</remarks>
public static class Privileges
{
    public const int CapNetAdmin = 12;
    public const int CapNetRaw = 13;
    public const int CapSysAdmin = 21;

    public static bool HasNetRaw => HasCapability(CapNetRaw);

    public static bool HasNetAdmin => HasCapability(CapNetAdmin);

    public static bool HasCapability(int cap)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(cap);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(cap, 63);
        var effective = ReadEffective();
        return effective is { } set && ((set >> cap) & 1) == 1;
    }

    /// <summary>Throws "'<paramref name="verb"/>' puts frames on the wire: run it as root or with CAP_NET_RAW" unless the thread has CAP_NET_RAW.</summary>
    public static void RequireNetRaw(string verb)
    {
        if (!HasNetRaw)
        {
            throw new LinkException(NetRawMessage(verb));
        }
    }

    internal static string NetRawMessage(string verb) => $"'{verb}' puts frames on the wire: run it as root or with CAP_NET_RAW";

    /// <summary>The CapEff bit set from the text of a <c>status</c> file, or null when it has none.</summary>
    internal static ulong? ParseEffective(string status)
    {
        foreach (var line in status.AsSpan().EnumerateLines())
        {
            if (line.StartsWith("CapEff:", StringComparison.Ordinal) &&
                ulong.TryParse(line["CapEff:".Length..].Trim(), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out var value))
            {
                return value;
            }
        }

        return null;
    }

    private static ulong? ReadEffective()
    {
        foreach (var path in new[] { "/proc/thread-self/status", "/proc/self/status" })
        {
            try
            {
                return ParseEffective(File.ReadAllText(path));
            }
            catch (IOException)
            {
            }
            catch (UnauthorizedAccessException)
            {
            }
        }

        return null;
    }
}
