using System.Globalization;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Link;

/// <summary>One TCP flow whose kernel-generated RSTs the guard drops (from <see cref="Local"/> to <see cref="Remote"/>).</summary>
public readonly record struct GuardedFlow(IpAddress Local, ushort LocalPort, IpAddress Remote, ushort RemotePort)
{
    /// <summary>The element of the guard's <c>flows</c> set: <c>saddr . sport . daddr . dport</c>.</summary>
    public string Element => string.Create(CultureInfo.InvariantCulture, $"{Local} . {LocalPort} . {Remote} . {RemotePort}");

    public override string ToString() => $"{new IpEndpoint(Local, LocalPort)} -> {new IpEndpoint(Remote, RemotePort)}";
}

/// <summary>
/// A block of flows whose kernel RSTs the guard drops: from <see cref="Local"/> ports <see cref="FirstPort"/> to
/// <see cref="LastPort"/>, toward <see cref="Remote"/> ports <see cref="FirstRemotePort"/> to <see cref="LastRemotePort"/>
/// (one port, or all of them for a port probe). For runs whose flows take consecutive source ports (bench, probes): one
/// element of the guard's <c>ranges</c> set covers them all.
/// </summary>
public readonly record struct GuardedPorts
{
    public GuardedPorts(IpAddress local, ushort firstPort, ushort lastPort, IpAddress remote, ushort firstRemotePort, ushort lastRemotePort)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstPort, lastPort);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(firstRemotePort, lastRemotePort);
        Local = local;
        FirstPort = firstPort;
        LastPort = lastPort;
        Remote = remote;
        FirstRemotePort = firstRemotePort;
        LastRemotePort = lastRemotePort;
    }

    public IpAddress Local { get; }
    public ushort FirstPort { get; }
    public ushort LastPort { get; }
    public IpAddress Remote { get; }
    public ushort FirstRemotePort { get; }
    public ushort LastRemotePort { get; }

    /// <summary>Source ports <paramref name="firstPort"/>..<paramref name="lastPort"/> toward <paramref name="remotePort"/>, or toward every port of <paramref name="remote"/> when null.</summary>
    public static GuardedPorts Toward(IpAddress local, ushort firstPort, ushort lastPort, IpAddress remote, ushort? remotePort) =>
        remotePort is { } p ? new(local, firstPort, lastPort, remote, p, p) : new(local, firstPort, lastPort, remote, 0, ushort.MaxValue);

    /// <summary>The element of the guard's <c>ranges</c> set, e.g. <c>198.18.1.2 . 61000-61999 . 198.18.2.10 . 80</c>.</summary>
    public string Element => string.Create(
        CultureInfo.InvariantCulture,
        $"{Local} . {Range(FirstPort, LastPort)} . {Remote} . {Range(FirstRemotePort, LastRemotePort)}");

    public bool Covers(GuardedFlow f) =>
        f.Local == Local && f.Remote == Remote && f.LocalPort >= FirstPort && f.LocalPort <= LastPort &&
        f.RemotePort >= FirstRemotePort && f.RemotePort <= LastRemotePort;

    public bool Overlaps(GuardedPorts o) =>
        o.Local == Local && o.Remote == Remote &&
        o.FirstPort <= LastPort && FirstPort <= o.LastPort &&
        o.FirstRemotePort <= LastRemotePort && FirstRemotePort <= o.LastRemotePort;

    /// <summary>
    /// What of this block <paramref name="o"/> does not cover, as at most four disjoint blocks (an interval set refuses
    /// elements that overlap one it holds, so a new block goes in as the pieces no earlier block covers).
    /// </summary>
    public IEnumerable<GuardedPorts> Minus(GuardedPorts o)
    {
        if (!Overlaps(o))
        {
            yield return this;
            yield break;
        }

        if (FirstPort < o.FirstPort)
        {
            yield return new(Local, FirstPort, (ushort)(o.FirstPort - 1), Remote, FirstRemotePort, LastRemotePort);
        }

        if (LastPort > o.LastPort)
        {
            yield return new(Local, (ushort)(o.LastPort + 1), LastPort, Remote, FirstRemotePort, LastRemotePort);
        }

        var lo = Math.Max(FirstPort, o.FirstPort);
        var hi = Math.Min(LastPort, o.LastPort);
        if (FirstRemotePort < o.FirstRemotePort)
        {
            yield return new(Local, (ushort)lo, (ushort)hi, Remote, FirstRemotePort, (ushort)(o.FirstRemotePort - 1));
        }

        if (LastRemotePort > o.LastRemotePort)
        {
            yield return new(Local, (ushort)lo, (ushort)hi, Remote, (ushort)(o.LastRemotePort + 1), LastRemotePort);
        }
    }

    public override string ToString() => $"{Shown(Local)}:{Range(FirstPort, LastPort)} -> {Shown(Remote)}:{Range(FirstRemotePort, LastRemotePort)}";

    private static string Shown(IpAddress a) => a.IsV6 ? $"[{a}]" : a.ToString();

    private static string Range(ushort first, ushort last) =>
        first == last ? first.ToString(CultureInfo.InvariantCulture) : string.Create(CultureInfo.InvariantCulture, $"{first}-{last}");
}
