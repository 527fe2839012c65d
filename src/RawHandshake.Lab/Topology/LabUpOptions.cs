namespace RawHandshake.Lab.Topology;

/// <summary>How <see cref="LabTopology.Up"/> builds a lab; the defaults make the standard lab.</summary>
public sealed record LabUpOptions
{
    /// <summary>The command that, followed by <c>echo --port 20000 …</c>, runs a server: default this program's
    /// <c>serve</c> verb (<see cref="LabTopology.DefaultServeCommand"/>), e.g. <c>dotnet /opt/rh/rawhandshake.dll serve</c>.</summary>
    public IReadOnlyList<string>? ServeCommand { get; init; }

    /// <summary>The servers to start; default <see cref="LabServerSpec.Defaults"/>. Tests that need only echo save time with fewer.</summary>
    public IReadOnlyList<LabServerSpec>? Servers { get; init; }

    /// <summary>Whether to add the second TCP stack: slirp4netns in the server namespace, serving rh-NAME-slirp
    /// (<see cref="LabPlan.SlirpNetwork"/>). On by default; needs Debian's <c>slirp4netns</c>.</summary>
    public bool Slirp { get; init; } = true;

    /// <summary>Whether to add the far path: a second router (rh-NAME-far) behind the first, and the server address
    /// <see cref="LabPlan.FarServerAddress"/> behind it, so that a traceroute to it has three hops (<see cref="LabPlan"/>).
    /// Off by default: the standard lab stays as it is.</summary>
    public bool FarPath { get; init; }

    /// <summary>Whether the lab is dual-stack: IPv6 stays on in the client, router and server namespaces, each veth end gets
    /// its address of 2001:db8::/32 beside the IPv4 one (<see cref="LabPlan.ServerAddress6"/> …, <c>nodad</c>), the router
    /// forwards IPv6, and the servers listen on <c>::</c> for both families. On by default; no duplicate address
    /// detection, router solicitations or router advertisements, so the IPv4 captures stay as they were. Off: IPv6 is
    /// disabled in every namespace (<c>lab up --no-ipv6</c>).</summary>
    public bool Ipv6 { get; init; } = true;

    /// <summary>The slirp4netns program: default <c>slirp4netns</c> from PATH or the system directories.</summary>
    public string SlirpCommand { get; init; } = "slirp4netns";

    /// <summary>How long the servers get to start listening (seven .NET servers start at once: a busy machine needs a while).</summary>
    public TimeSpan ReadyTimeout { get; init; } = TimeSpan.FromSeconds(90);

    /// <summary>Told each step as it runs (for a verbose mode); null for silence.</summary>
    public Action<string>? Progress { get; init; }
}
