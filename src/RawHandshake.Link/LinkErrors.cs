using System.Net.NetworkInformation;

namespace RawHandshake.Link;

/// <summary>The one-line messages users see for host problems, in one place so tests and callers agree on them.</summary>
internal static class LinkErrors
{
    public const string LibpcapMissing = "libpcap not found: install libpcap0.8 (apt-get install libpcap0.8)";

    public const string NftMissing =
        "the nft guard needs nftables (apt-get install nftables) and CAP_NET_ADMIN; or use --rst-guard phantom with --source <unused address>";

    public static string NeedsNetRaw(string interfaceName) => $"capturing on {interfaceName} needs root or CAP_NET_RAW";

    public static string UnknownInterface(string name, IEnumerable<string> available)
    {
        var names = available.Distinct(StringComparer.Ordinal).ToList();
        return names.Count == 0
            ? $"unknown interface '{name}' (no interfaces available)"
            : $"unknown interface '{name}' (available: {string.Join(", ", names)})";
    }

    /// <summary>
    /// True when <paramref name="e"/> (or an exception inside it) says libpcap could not be loaded. SharpPcap names the
    /// library <c>wpcap</c> even on Linux, so the raw message misleads; it may also arrive inside a
    /// <see cref="TypeInitializationException"/>.
    /// </summary>
    public static bool IsLibpcapMissing(Exception e)
    {
        for (var x = (Exception?)e; x is not null; x = x.InnerException)
        {
            if (x is DllNotFoundException)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Names of the kernel's interfaces as the calling thread sees them (its network namespace).</summary>
    public static IReadOnlyList<string> KernelInterfaceNames()
    {
        try
        {
            return NetworkInterface.GetAllNetworkInterfaces().Select(n => n.Name).ToList();
        }
        catch (NetworkInformationException)
        {
            return [];
        }
    }
}
