using RawHandshake.Engine.Live;
using RawHandshake.Link;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Engine.Probe;

/// <summary>
/// The kernel-RST guard for a probe's flows: with nft, one element of the run's table for all the source ports the
/// frames use (<see cref="LiveSetup.GuardPorts"/>, as the bench does), so a million frames cost one element, not a million.
/// </summary>
public static class ProbeGuard
{
    public static void Ports(LiveSetup live, IpAddress local, ushort firstPort, int count, IpAddress remote, ushort remotePort) =>
        Guard(live, local, firstPort, count, remote, remotePort, remotePort);

    /// <summary>The guard for a block of source ports that probe many destination ports: one element for the block
    /// toward any port of <paramref name="remote"/>.</summary>
    public static void SourcePorts(LiveSetup live, IpAddress local, ushort firstPort, int count, IpAddress remote, ushort firstRemotePort) =>
        Guard(live, local, firstPort, count, remote, firstRemotePort, null);

    /// <summary>One flow's element for a single port (toward <paramref name="remotePort"/>), else an element per range of
    /// the block (toward <paramref name="blockRemotePort"/>, null: any port of <paramref name="remote"/>).</summary>
    private static void Guard(LiveSetup live, IpAddress local, ushort firstPort, int count, IpAddress remote, ushort remotePort, ushort? blockRemotePort)
    {
        ArgumentNullException.ThrowIfNull(live);
        if (live.Guard != RstGuardMode.Nft || count < 1)
        {
            return;
        }

        if (count == 1)
        {
            live.GuardFlow(local, firstPort, remote, remotePort);
            return;
        }

        foreach (var (first, last) in Ranges(firstPort, count))
        {
            live.GuardPorts(local, first, last, remote, blockRemotePort);
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
