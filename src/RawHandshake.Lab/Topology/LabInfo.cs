using System.Net;
using RawHandshake.Lab.Servers;

namespace RawHandshake.Lab.Topology;

/// <summary>Whether a lab exists and works.</summary>
public enum LabState
{
    /// <summary>Nothing of it exists: no state file, no namespace.</summary>
    Down,

    /// <summary>Its namespaces exist, every recorded server runs and listens, and slirp4netns (when the lab has it) runs
    /// with tap0 configured.</summary>
    Up,

    /// <summary>Some of it exists (see <see cref="LabInfo.Problems"/>): <c>lab up</c> re-creates it, <c>lab down</c> removes it.</summary>
    Broken,
}

/// <summary>A lab: its names, the fixed address plan (<see cref="LabPlan"/>), its servers and whether it is up.</summary>
public sealed record LabInfo
{
    public required string Name { get; init; }

    public required LabState State { get; init; }

    /// <summary>Set by <see cref="LabTopology.Up"/> when the lab was already up and nothing was changed.</summary>
    public bool AlreadyUp { get; init; }

    /// <summary>Set by <see cref="LabTopology.Up"/> when a broken lab was removed first; the problems it had.</summary>
    public IReadOnlyList<string> Repaired { get; init; } = [];

    /// <summary>What is wrong when <see cref="State"/> is <see cref="LabState.Broken"/>.</summary>
    public IReadOnlyList<string> Problems { get; init; } = [];

    public IReadOnlyList<LabServerInfo> Servers { get; init; } = [];

    /// <summary>The second TCP stack (slirp4netns), or null when the lab was made without it.</summary>
    public LabSlirpInfo? Slirp { get; init; }

    /// <summary>Namespaces named rh-NAME-* that exist now.</summary>
    public IReadOnlyList<string> ExistingNamespaces { get; init; } = [];

    public DateTimeOffset? CreatedAt { get; init; }

    /// <summary>Whether the lab is dual-stack (<see cref="LabUpOptions.Ipv6"/>): its 2001:db8::/32 plan is
    /// <see cref="LabPlan.ClientAddress6"/> … <see cref="LabPlan.ServerOnLinkAddress6"/>.</summary>
    public bool Ipv6 { get; init; }

    public string ClientNamespace => LabPlan.Namespace(Name, LabRole.Client);

    public string RouterNamespace => LabPlan.Namespace(Name, LabRole.Router);

    public string ServerNamespace => LabPlan.Namespace(Name, LabRole.Server);

    /// <summary>rh-NAME-slirp: the client namespace of the second stack (tap0 198.19.64.100/24).</summary>
    public string SlirpNamespace => LabPlan.Namespace(Name, LabRole.SlirpClient);

    /// <summary>198.19.64.100 on tap0 in rh-NAME-slirp.</summary>
    public IPAddress SlirpClientAddress => LabPlan.SlirpClientAddress;

    /// <summary>198.19.64.2: slirp's own TCP, relaying to the server namespace's loopback.</summary>
    public IPAddress SlirpGatewayAddress => LabPlan.SlirpGatewayAddress;

    /// <summary>198.18.0.1 on the client's eth0 (routed path).</summary>
    public IPAddress ClientAddress => LabPlan.ClientAddress;

    /// <summary>198.18.1.1 on the client's eth1 (on-link path).</summary>
    public IPAddress ClientOnLinkAddress => LabPlan.ClientOnLinkAddress;

    /// <summary>198.18.0.254: the router on the client side, the client's gateway.</summary>
    public IPAddress RouterClientSideAddress => LabPlan.RouterClientSideAddress;

    /// <summary>198.18.2.254: the router on the server side, the server's gateway.</summary>
    public IPAddress RouterServerSideAddress => LabPlan.RouterServerSideAddress;

    /// <summary>198.18.2.10 on the server's eth0 (through the router).</summary>
    public IPAddress ServerAddress => LabPlan.ServerAddress;

    /// <summary>198.18.1.10 on the server's eth1 (on-link from the client's eth1).</summary>
    public IPAddress ServerOnLinkAddress => LabPlan.ServerOnLinkAddress;

    /// <summary>A server's endpoint through the router, e.g. <c>Routed(LabPorts.Echo)</c> = 198.18.2.10:20000.</summary>
    public IPEndPoint Routed(int port) => new(ServerAddress, port);

    /// <summary>A server's endpoint on the direct link, e.g. <c>OnLink(LabPorts.Echo)</c> = 198.18.1.10:20000.</summary>
    public IPEndPoint OnLink(int port) => new(ServerOnLinkAddress, port);

    /// <summary>A server's endpoint through the second stack, from rh-NAME-slirp: <c>ViaSlirp(LabPorts.Echo)</c> =
    /// 198.19.64.2:20000, answered by slirp's TCP and relayed to the same server on 127.0.0.1:20000 in rh-NAME-srv.</summary>
    public IPEndPoint ViaSlirp(int port) => new(SlirpGatewayAddress, port);
}

/// <summary>One server process of a lab.</summary>
public sealed record LabServerInfo(
    ServerMode Mode,
    int Port,
    string Label,
    IReadOnlyList<string> Arguments,
    int Pid,
    long StartTime,
    bool Running,
    bool Listening);

/// <summary>The slirp4netns process of a lab (it runs in the server namespace and serves <paramref name="Namespace"/>).</summary>
/// <param name="Configured">Whether tap0 in <paramref name="Namespace"/> is up with 198.19.64.100/24.</param>
public sealed record LabSlirpInfo(string Namespace, IReadOnlyList<string> Command, int Pid, long StartTime, bool Running, bool Configured);

/// <summary>What <see cref="LabTopology.Down"/> removed.</summary>
public sealed record LabDownResult(string Name, IReadOnlyList<string> RemovedNamespaces, int StoppedProcesses, bool RemovedStateFile)
{
    /// <summary>Whether anything of the lab existed.</summary>
    public bool RemovedAnything => RemovedNamespaces.Count > 0 || StoppedProcesses > 0 || RemovedStateFile;
}
