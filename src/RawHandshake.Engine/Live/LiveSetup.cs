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

    /// <summary>Run <see cref="Live.Warmup"/> first, so the first flow answers as promptly as later ones (default: when
    /// the code is compiled just in time, see <see cref="Live.Warmup.Needed"/>).</summary>
    public bool Warmup { get; init; } = Live.Warmup.Needed;

    /// <summary>The capture ring libpcap gets (<see cref="Link.CaptureRing"/>): small unless the run receives in bulk.</summary>
    public int CaptureRing { get; init; } = Link.CaptureRing.Small;

    /// <summary>The capture's snap length: the whole of any frame by default; probes that only judge headers take less,
    /// so that the same ring holds more frames.</summary>
    public int SnapLength { get; init; } = LiveLink.DefaultSnapLength;

    /// <summary>Flows known before the run starts, as (our source port, the target's port): with the nft guard they go in
    /// with its table, in the same nft batch, so guarding them later costs nothing.</summary>
    public IReadOnlyList<(ushort LocalPort, ushort RemotePort)> FirstFlows { get; init; } = [];

    /// <summary>The kind of flow to warm up with (default <see cref="Live.Warmup.HandshakeFlow"/>).</summary>
    public Func<(Session.SessionConfig Config, IFlowDriver Driver)>? WarmupFlow { get; init; }

    /// <summary>Received frames stamped to the nanosecond (else the microsecond: see <see cref="LiveLink.Open"/>, which
    /// says what nanoseconds cost the whole host).</summary>
    public bool NanosecondTimestamps { get; init; } = true;

    /// <summary>Snap length of the probe API's high-rate path: the headers of any reply, an ICMP error's quote included
    /// (RFC 1812: at most 576 bytes).</summary>
    public const int HighRateSnapLength = 2048;

    /// <summary>The capture of the probe API's high-rate path (<c>craft --send</c> at rates with no line per reply), for
    /// <paramref name="frames"/> frames: only the headers of replies are judged, so a short snap length makes each ring slot
    /// small and the ring holds a reply for each frame of a burst (up to its 32 MiB); stamps to the microsecond (RTTs are
    /// reported to the microsecond anyway), so that the kernel does not read the clock for every frame the host
    /// receives.</summary>
    public LiveRequest ForHighRate(int frames) => this with
    {
        SnapLength = HighRateSnapLength,
        CaptureRing = Link.CaptureRing.ForFrames(frames, HighRateSnapLength),
        NanosecondTimestamps = false,
    };
}

/// <summary>
/// A live run's resources, opened in order and released in reverse, also on Ctrl-C and SIGTERM: the route toward the
/// target, one libpcap handle with one filter (<c>arp or icmp or (tcp and host T)</c>), the engine, the next-hop MAC
/// (our own ARP request), and the kernel-RST guard.
/// </summary>
/// <remarks>The nft guard's table (and the removal of stale ones) is made on a thread of its own from the moment the
/// guard is chosen, while the capture handle opens and the next hop is resolved: about half of a short run's start-up
/// otherwise. <see cref="ResolveNextHop"/> and every <c>Guard…</c> method wait for it, so no flow is guarded, and no SYN
/// leaves, before the table is there.</remarks>
public sealed class LiveSetup : IDisposable
{
    private Pending<NftGuard>? pendingNft;
    private NftGuard? nft;
    private bool dropsReported;

    private LiveSetup(RouteInfo route, LiveLink link, TcpEngine engine, RstGuardMode guard, MacAddress localMac, Pending<NftGuard>? pendingNft)
    {
        this.pendingNft = pendingNft;
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

        // The table (and the removal of stale ones, through the same nft) while the rest is set up: waited for in Table().
        var first = request.FirstFlows.Select(f => new GuardedFlow(route.Source, f.LocalPort, request.Target, f.RemotePort)).ToList();
        var pending = guard == RstGuardMode.Nft ? Pending<NftGuard>.Start("nft guard set-up", () => NftGuard.Install(first, removeStale: true)) : null;
        try
        {
            return Open(request, clock, trace, route, guard, pending);
        }
        catch
        {
            pending?.Dispose();
            throw;
        }
    }

    private static LiveSetup Open(LiveRequest request, IClock clock, ITraceSink trace, RouteInfo route, RstGuardMode guard, Pending<NftGuard>? pending)
    {
        if (request.Warmup)
        {
            Live.Warmup.Run(request.WarmupFlow);
        }

        // IPv6 adds icmp6: neighbour discovery (also for a phantom source) and ICMPv6 errors.
        var control = request.Target.IsV6 ? "arp or icmp or icmp6" : "arp or icmp";
        var filter = $"{control} or ((tcp or udp) and host {request.Target})";
        if (request.ExtraFilter is not null)
        {
            filter = $"{control} or (tcp and host {request.Target} and ({request.ExtraFilter}))";
        }

        var link = LiveLink.Open(route.Interface, filter, request.SnapLength, ringBytes: request.CaptureRing, nanosecondTimestamps: request.NanosecondTimestamps);
        try
        {
            var engine = new TcpEngine(link, clock, trace) { LinkMtu = route.Mtu };
            var mac = link.HardwareAddress ?? route.InterfaceMac!.Value;
            if (guard == RstGuardMode.Phantom)
            {
                ProbeUnused(engine, route, mac);
                engine.PhantomAddresses.Add(route.Source);
            }

            return new LiveSetup(route, link, engine, guard, mac, pending);
        }
        catch
        {
            link.Dispose();
            throw;
        }
    }

    /// <summary>The phantom guard answers ARP (or neighbour solicitations) for an address; it must not take one that someone
    /// on the link holds. A probe first (RFC 5227: sender address 0.0.0.0; RFC 4862 duplicate address detection: from ::,
    /// so nobody's cache learns anything): an answer refuses the run.</summary>
    private static void ProbeUnused(TcpEngine engine, RouteInfo route, MacAddress mac)
    {
        var v6 = route.Source.IsV6;
        var purpose = v6 ? "NDP probe: is the phantom source unused? (RFC 4862 duplicate address detection)" : "ARP probe: is the phantom source unused? (RFC 5227)";
        if (engine.TryResolve(route.Source, IpAddress.Unspecified(route.Source.Family), mac, TimeSpan.FromMilliseconds(250), tries: 2, purpose) is not { } holder)
        {
            return; // no answer: the address is free
        }

        throw new LinkException($"--source {route.Source} is in use on {route.Interface} ({holder} answered {(v6 ? "a neighbour solicitation" : "an ARP probe")} for it): the phantom guard never takes an address someone holds; give an unused one");
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

    /// <summary>Resolves the next hop's MAC with our own ARP request (cached for the run); with the nft guard, then waits
    /// until its table is in place (a failure to make it is thrown here, before any flow starts).</summary>
    public MacAddress ResolveNextHop(LiveRequest request)
    {
        NextHopMac = Engine.Resolve(Route.NextHop, Route.Source, LocalMac, request.ArpTimeout, request.ArpTries);
        if (Guard == RstGuardMode.Nft)
        {
            Table();
        }

        return NextHopMac;
    }

    /// <summary>Guards one flow when the guard is nft (the run's table is made on first use).</summary>
    public void GuardFlow(IpAddress local, ushort localPort, IpAddress remote, ushort remotePort) =>
        GuardFlows([new GuardedFlow(local, localPort, remote, remotePort)]);

    /// <summary>Guards these flows when the guard is nft: elements of the run's one table, added in batches.</summary>
    public void GuardFlows(IReadOnlyCollection<GuardedFlow> flows)
    {
        ArgumentNullException.ThrowIfNull(flows);
        if (Guard != RstGuardMode.Nft || flows.Count == 0)
        {
            return;
        }

        Table().AddFlows(flows);
    }

    /// <summary>Guards a block of source ports toward <paramref name="remotePort"/> (every port of
    /// <paramref name="remote"/> when null) when the guard is nft: one element, whatever the number of flows.</summary>
    public void GuardPorts(IpAddress local, ushort firstPort, ushort lastPort, IpAddress remote, ushort? remotePort)
    {
        if (Guard != RstGuardMode.Nft)
        {
            return;
        }

        Table().AddPorts(GuardedPorts.Toward(local, firstPort, lastPort, remote, remotePort));
    }

    /// <summary>Flows that ended: their elements leave the table (the table itself goes when this is disposed). Never
    /// throws: what cannot be taken out now goes with the table.</summary>
    public void ReleaseFlows(IEnumerable<GuardedFlow> flows)
    {
        ArgumentNullException.ThrowIfNull(flows);
        try
        {
            nft?.RemoveFlows(flows);
        }
        catch (LinkException)
        {
            // the table's removal at the end takes them
        }
    }

    /// <summary>Frames the capture ring dropped so far (libpcap's <c>pcap_stats</c>), as one line, or null when none were
    /// (or libpcap cannot tell).</summary>
    public string? Drops()
    {
        if (Link.Statistics() is not { } s || s.Dropped + s.InterfaceDropped == 0)
        {
            return null;
        }

        var ifDrops = s.InterfaceDropped > 0 ? $", {s.InterfaceDropped} dropped by the interface" : "";
        return $"capture: {s.Dropped} of {(long)s.Received + s.Dropped} frames dropped by the {Link.RingBytes / (1024 * 1024)} MiB capture ring (pcap_stats){ifDrops}: " +
               "what arrived was not read in time, so the run saw less than the wire carried";
    }

    /// <summary>Publishes <see cref="Drops"/> as a warning on the engine's trace, once; the verbs call it before they
    /// complete their output, <see cref="Dispose"/> again in case they did not.</summary>
    public void ReportDrops()
    {
        if (dropsReported)
        {
            return;
        }

        dropsReported = true;
        if (Drops() is { } line)
        {
            Engine.Trace.Publish(new NoteTraced(Engine.Elapsed, NoteLevel.Warning, line));
        }
    }

    /// <summary>The run's table: the one set up since <see cref="Open"/>, waited for here (its failure is thrown here).</summary>
    private NftGuard Table() => nft ??= pendingNft?.Wait() ?? throw new InvalidOperationException("the nft guard was not chosen for this run");

    public void Dispose()
    {
        try
        {
            ReportDrops();
        }
        catch (Exception e) when (e is ObjectDisposedException or InvalidOperationException)
        {
            // the output was closed already: nothing to report to
        }

        pendingNft?.Dispose(); // waits for a set-up still running, then removes the table
        pendingNft = null;
        Link.Dispose();
    }
}
