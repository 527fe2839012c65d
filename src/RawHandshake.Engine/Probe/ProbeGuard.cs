using RawHandshake.Engine.Bench;
using RawHandshake.Engine.Live;
using RawHandshake.Link;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Engine.Probe;

/// <summary>
/// The kernel-RST guard for a probe's flows, as <c>handshake</c> sets it up (<see cref="LiveSetup.GuardFlow"/>): with
/// nft, the table gets the first flow's rule and then one range rule for all the source ports the frames use
/// (<see cref="PortRangeGuard"/>, as the bench does), so a million frames cost one rule, not a million.
/// </summary>
public static class ProbeGuard
{
    public static void Ports(LiveSetup live, IpAddress local, ushort firstPort, int count, IpAddress remote, ushort remotePort)
    {
        ArgumentNullException.ThrowIfNull(live);
        if (live.Guard != RstGuardMode.Nft || count < 1)
        {
            return;
        }

        live.GuardFlow(local, firstPort, remote, remotePort);
        if (count == 1)
        {
            return;
        }

        foreach (var (first, last) in Ranges(firstPort, count))
        {
            if (!PortRangeGuard.TryAdd(live.NftGuard!, local, first, last, remote, remotePort, out var why))
            {
                throw new LinkException($"installing the RST guard for source ports {first}-{last}: {why}");
            }
        }
    }

    /// <summary>The guard for a block of source ports that probe many destination ports: the first flow's rule, then one
    /// range rule for the block toward any port of <paramref name="remote"/>.</summary>
    public static void SourcePorts(LiveSetup live, IpAddress local, ushort firstPort, int count, IpAddress remote, ushort firstRemotePort)
    {
        ArgumentNullException.ThrowIfNull(live);
        if (live.Guard != RstGuardMode.Nft || count < 1)
        {
            return;
        }

        live.GuardFlow(local, firstPort, remote, firstRemotePort);
        var last = (ushort)Math.Min(ushort.MaxValue, firstPort + count - 1);
        if (count > 1 && !PortRangeGuard.TryAdd(live.NftGuard!, local, firstPort, last, remote, null, out var why))
        {
            throw new LinkException($"installing the RST guard for source ports {firstPort}-{last}: {why}");
        }
    }

    /// <summary>The ports <paramref name="first"/>, +1, … (<paramref name="count"/> of them, wrapping at 65535) as one
    /// range, or two when they wrap.</summary>
    public static IReadOnlyList<(ushort First, ushort Last)> Ranges(ushort first, int count)
    {
        if (count >= 0x1_0000)
        {
            return [(0, ushort.MaxValue)];
        }

        var last = first + count - 1;
        return last <= ushort.MaxValue ? [(first, (ushort)last)] : [(first, ushort.MaxValue), (0, (ushort)(last - 0x1_0000))];
    }
}
