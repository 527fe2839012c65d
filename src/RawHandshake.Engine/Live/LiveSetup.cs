using RawHandshake.Engine.Trace;
using RawHandshake.Link;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Engine.Live;

/// <summary>What a live verb asks for: where to, from where, and how to guard.</summary>
public sealed record LiveRequest(IpAddress Target)
{
    public string? Interface { get; init; }
    public IpAddress? Source { get; init; }
    public RstGuardMode Guard { get; init; } = RstGuardMode.Auto;
    public TimeSpan ArpTimeout { get; init; } = TimeSpan.FromMilliseconds(700);
    public int ArpTries { get; init; } = 3;

    /// <summary>Extra capture filter terms (ANDed with the target host).</summary>
    public string? ExtraFilter { get; init; }

    /// <summary>Run <see cref="Live.Warmup"/> first, so the first flow answers as promptly as later ones (default on).</summary>
    public bool Warmup { get; init; } = true;

    /// <summary>The kind of flow to warm up with (default <see cref="Live.Warmup.HandshakeFlow"/>).</summary>
    public Func<(Session.SessionConfig Config, IFlowDriver Driver)>? WarmupFlow { get; init; }
}

/// <summary>
/// A live run's resources, opened in order and released in reverse, also on Ctrl-C and SIGTERM: the route toward the
/// target, one libpcap handle with one filter (<c>arp or icmp or (tcp and host T)</c>), the engine, the next-hop MAC
/// (our own ARP request), and the kernel-RST guard.
/// </summary>
public sealed class LiveSetup : IDisposable
{
    private NftGuard? nft;

    private LiveSetup(RouteInfo route, LiveLink link, TcpEngine engine, RstGuardMode guard, MacAddress localMac)
    {
        Route = route;
        Link = link;
        Engine = engine;
        Guard = guard;
        LocalMac = localMac;
    }

    public RouteInfo Route { get; }
    public LiveLink Link { get; }
    public TcpEngine Engine { get; }
    public RstGuardMode Guard { get; }
    public MacAddress LocalMac { get; }
    public MacAddress NextHopMac { get; private set; }
    public IpAddress Source => Route.Source;
    public NftGuard? NftGuard => nft;

    /// <summary>Opens everything up to (not including) the ARP request. Throws <see cref="LinkException"/> with one line.</summary>
    public static LiveSetup Open(LiveRequest request, IClock clock, ITraceSink trace, string verb)
    {
        Privileges.RequireNetRaw(verb);
        if (TcpTargets.WhyNotHere(request.Target) is { } notAServer)
        {
            throw new LinkException(notAServer);
        }

        var route = Routing.Resolve(request.Target, request.Interface, request.Source);
        if (route.Interface == "lo" || route.InterfaceMac is null)
        {
            throw new LinkException($"{request.Target} is on this host (reached over {route.Interface}): hand-made frames on loopback are dropped as martians; " +
                                    "use the built-in lab instead (./run-as-root.sh lab up, then --netns rh-lab-cli --target 198.18.2.10:20000)");
        }

        var guard = ChooseGuard(request, route);
        if (request.Warmup)
        {
            Live.Warmup.Run(request.WarmupFlow);
        }

        if (guard == RstGuardMode.Nft)
        {
            NftGuard.RemoveStale();
        }

        var filter = $"arp or icmp or ((tcp or udp) and host {request.Target})";
        if (request.ExtraFilter is not null)
        {
            filter = $"arp or icmp or (tcp and host {request.Target} and ({request.ExtraFilter}))";
        }

        var link = LiveLink.Open(route.Interface, filter);
        try
        {
            var engine = new TcpEngine(link, clock, trace) { LinkMtu = route.Mtu };
            var mac = link.HardwareAddress ?? route.InterfaceMac!.Value;
            if (guard == RstGuardMode.Phantom)
            {
                ProbeUnused(engine, route, mac);
                engine.PhantomAddresses.Add(route.Source);
            }

            return new LiveSetup(route, link, engine, guard, mac);
        }
        catch
        {
            link.Dispose();
            throw;
        }
    }

    /// <summary>The phantom guard answers ARP for an address; it must not take one that someone on the link holds. An
    /// ARP probe first (RFC 5227: sender address 0.0.0.0, so nobody's cache learns anything): an answer refuses the run.</summary>
    private static void ProbeUnused(TcpEngine engine, RouteInfo route, MacAddress mac)
    {
        if (engine.TryResolve(route.Source, IpAddress.AnyV4, mac, TimeSpan.FromMilliseconds(250), tries: 2, "ARP probe: is the phantom source unused? (RFC 5227)") is not { } holder)
        {
            return; // no answer: the address is free
        }

        throw new LinkException($"--source {route.Source} is in use on {route.Interface} ({holder} answered an ARP probe for it): the phantom guard never takes an address someone holds; give an unused one");
    }

    private static RstGuardMode ChooseGuard(LiveRequest request, RouteInfo route)
    {
        var owned = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Any(a => a.Address.AddressFamily is System.Net.Sockets.AddressFamily.InterNetwork or System.Net.Sockets.AddressFamily.InterNetworkV6 && IpAddress.FromIPAddress(a.Address) == route.Source);
        switch (request.Guard)
        {
            case RstGuardMode.Phantom:
                if (request.Source is null)
                {
                    throw new LinkException("--rst-guard phantom needs --source: an unused address on the link that the kernel does not own");
                }

                if (owned)
                {
                    throw new LinkException($"--rst-guard phantom: {route.Source} is an address of this host, so its kernel would reset the flow; give an unused address");
                }

                return RstGuardMode.Phantom;
            case RstGuardMode.Nft:
                if (!NftGuard.Available(out var why))
                {
                    throw new LinkException(why);
                }

                return RstGuardMode.Nft;
            case RstGuardMode.None:
                return RstGuardMode.None;
            default:
                if (request.Source is not null && !owned)
                {
                    return RstGuardMode.Phantom; // an address nobody owns: answer ARP for it, no firewall change needed
                }

                if (NftGuard.Available(out var reason))
                {
                    return RstGuardMode.Nft;
                }

                throw new LinkException(reason);
        }
    }

    /// <summary>Resolves the next hop's MAC with our own ARP request (cached for the run).</summary>
    public MacAddress ResolveNextHop(LiveRequest request)
    {
        NextHopMac = Engine.Resolve(Route.NextHop, Route.Source, LocalMac, request.ArpTimeout, request.ArpTries);
        return NextHopMac;
    }

    /// <summary>Installs (or extends) the nft rule for one flow when the guard is nft.</summary>
    public void GuardFlow(IpAddress local, ushort localPort, IpAddress remote, ushort remotePort)
    {
        if (Guard != RstGuardMode.Nft)
        {
            return;
        }

        if (nft is null)
        {
            nft = NftGuard.Install(local, localPort, remote, remotePort);
        }
        else
        {
            nft.AddFlow(local, localPort, remote, remotePort);
        }
    }

    public void Dispose()
    {
        nft?.Dispose();
        Link.Dispose();
    }
}
