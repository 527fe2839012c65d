using System.Globalization;
using RawHandshake.Cli.Args;
using RawHandshake.Link;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Cli.Verbs;

/// <summary>What <c>probe</c> and <c>traceroute</c> take as TARGET and as <c>-p</c>: hosts and ports.</summary>
public static class ProbeTargets
{
    /// <summary>The most hosts a CIDR range may hold (/20).</summary>
    public const int MaxHosts = 4096;

    /// <summary>A host name, an IPv4 or IPv6 address (also in brackets), an IPv4 CIDR range (network and broadcast
    /// addresses left out below /31) or an IPv6 one (see <see cref="Hosts6"/>).</summary>
    public static IReadOnlyList<IpAddress> Hosts(string text, string option = "TARGET")
    {
        var t = text.Trim();
        var slash = t.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0)
        {
            try
            {
                return [Routing.ParseTarget(t)];
            }
            catch (LinkException e)
            {
                throw new UsageException($"{option}: {e.Message}");
            }
        }

        if (t[..slash].Contains(':', StringComparison.Ordinal))
        {
            return Hosts6(t, slash, text, option);
        }

        if (!IPv4Address.TryParse(t[..slash], out var network) || !int.TryParse(t[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var prefix) || prefix > 32)
        {
            throw new UsageException($"{option}: '{text}' is not an IPv4 CIDR range (e.g. 198.18.2.0/28)");
        }

        var size = 1L << (32 - prefix);
        if (size > MaxHosts)
        {
            throw new UsageException($"{option}: {text} holds {size} addresses; at most {MaxHosts} (/20) at a time");
        }

        var mask = prefix == 0 ? 0u : uint.MaxValue << (32 - prefix);
        var first = network.Value.Value & mask;
        var hosts = new List<IpAddress>((int)size);
        for (var i = 0L; i < size; i++)
        {
            if (size > 2 && (i == 0 || i == size - 1))
            {
                continue; // the network and broadcast addresses
            }

            hosts.Add(new IPv4Address((uint)(first + i)));
        }

        return hosts;
    }

    /// <summary>An IPv6 range (<c>2001:db8:2::/120</c>, at most <see cref="MaxHosts"/> addresses: /116): every address but
    /// the all-zeros one, the subnet-router anycast address (RFC 4291 §2.6.1), below /127. IPv6 has no broadcast.</summary>
    private static List<IpAddress> Hosts6(string t, int slash, string text, string option)
    {
        var address = t[..slash].Trim('[', ']');
        if (!IpAddress.TryParse(address, out var network) || network.Family != IpFamily.V6 ||
            !int.TryParse(t[(slash + 1)..], NumberStyles.None, CultureInfo.InvariantCulture, out var prefix) || prefix > 128)
        {
            throw new UsageException($"{option}: '{text}' is not an IPv6 range (e.g. 2001:db8:2::/120)");
        }

        if (prefix < 128 - 12)
        {
            throw new UsageException($"{option}: {text} holds 2^{128 - prefix} addresses; at most {MaxHosts} (/116) at a time");
        }

        var size = 1L << (128 - prefix);
        var first = network.Low & (prefix == 128 ? ulong.MaxValue : ~((1UL << (128 - prefix)) - 1));
        var hosts = new List<IpAddress>((int)size);
        for (var i = size > 2 ? 1L : 0L; i < size; i++)
        {
            hosts.Add(IpAddress.V6(network.High, first + (ulong)i));
        }

        return hosts;
    }

    /// <summary><c>22,80,8000-8100</c>: sorted, each port once, 1 to 65535.</summary>
    public static IReadOnlyList<ushort> Ports(string text, string option = "-p")
    {
        var set = new SortedSet<ushort>();
        foreach (var raw in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (raw.Length == 0)
            {
                throw new UsageException($"{option}: '{text}' has an empty item (write e.g. 22,80,8000-8100)");
            }

            var dash = raw.IndexOf('-', StringComparison.Ordinal);
            var low = Port(dash < 0 ? raw : raw[..dash], text, option);
            var high = dash < 0 ? low : Port(raw[(dash + 1)..], text, option);
            if (high < low)
            {
                throw new UsageException($"{option}: range {raw} runs backwards (write {high}-{low})");
            }

            for (var p = low; p <= high; p++)
            {
                set.Add((ushort)p);
            }
        }

        return [.. set];
    }

    private static int Port(string item, string whole, string option)
    {
        if (!int.TryParse(item.Trim(), NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p is < 1 or > 65535)
        {
            throw new UsageException($"{option}: '{item}' in '{whole}' is not a port (1 to 65535)");
        }

        return p;
    }

    /// <summary>Parses <c>--rate</c>: frames per second, more than 0 and at most <paramref name="max"/>.</summary>
    public static TimeSpan Rate(string? text, double fallback, double max)
    {
        if (text is null)
        {
            return Engine.Probe.ProbeRequest.IntervalForRate(fallback);
        }

        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var pps) && pps > 0 && pps <= max
            ? Engine.Probe.ProbeRequest.IntervalForRate(pps)
            : throw new UsageException($"--rate: '{text}' is not a number of frames per second (more than 0, at most {max.ToString(CultureInfo.InvariantCulture)})");
    }
}
