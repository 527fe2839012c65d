using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using RawHandshake.Lab.Servers;

namespace RawHandshake.Lab.Topology;

/// <summary>
/// Creates, inspects and removes a lab: three network namespaces (client, router, server) joined by veth pairs, with
/// real kernel-socket servers in the server namespace, and (unless <see cref="LabUpOptions.Slirp"/> is off) a second TCP
/// stack: slirp4netns, running in the server namespace, serving a fourth namespace (rh-NAME-slirp) through a tap device.
/// The address plan is fixed (<see cref="LabPlan"/>); the name makes labs independent, so tests can each make a private
/// one (<c>LabTopology.Up("t" + random)</c>, always <see cref="Down"/> in a finally).
/// </summary>
/// <remarks>
/// <para>Every step shells out to the standard tools (<c>ip</c>, <c>ethtool</c>, <c>sysctl</c>, <c>ss</c>). A failing step
/// throws <see cref="LabException"/> naming it ("lab up: ip netns add rh-lab-cli failed: …") after removing whatever
/// was made (the same as <see cref="Down"/>).</para>
/// <para>Servers are started as <c>sh -c 'exec "$@" &lt;/dev/null &gt;&gt;LOG 2&gt;&amp;1' ip netns exec rh-NAME-srv setsid SERVE…</c>:
/// every exec keeps the PID, <c>setsid</c> puts the server in a session of its own (no terminal, no SIGHUP or Ctrl-C from
/// the shell that ran <c>lab up</c>), and stdio points at a log file, so <c>lab up | cat</c> ends. They outlive
/// <c>lab up</c> and are reparented to init, which reaps them. Each carries <c>RAWHANDSHAKE_LAB=NAME</c> in its
/// environment. <see cref="Down"/> stops (SIGTERM, then SIGKILL after 3 s) the recorded PIDs whose start time still
/// matches, every process inside the lab's namespaces (<c>ip netns pids</c>), and every process carrying the marker, so
/// nothing survives a <c>lab up</c> that was killed half-way.</para>
/// </remarks>
public static class LabTopology
{
    /// <summary>Where state files live: <c>/run/rawhandshake/lab-NAME.json</c> (tmpfs: gone after a reboot, like the namespaces).</summary>
    public const string StateDirectory = "/run/rawhandshake";

    private static readonly ConcurrentDictionary<int, Process> Spawned = new();

    public static string StatePath(string name) => Path.Combine(StateDirectory, $"lab-{name}.json");

    /// <summary>This program's <c>serve</c> verb: <c>dotnet /path/rawhandshake.dll serve</c> when run through the dotnet
    /// host, else <c>/path/program serve</c>.</summary>
    public static IReadOnlyList<string> DefaultServeCommand()
    {
        var process = Environment.ProcessPath ?? throw new LabException("lab up: cannot tell which program is running (no process path)");
        // Through the dotnet host the first argument is the entry assembly's path; published ahead-of-time it is the program.
        var entry = Environment.GetCommandLineArgs()[0];
        return Path.GetFileNameWithoutExtension(process) == "dotnet" && !string.IsNullOrEmpty(entry)
            ? [process, entry, "serve"]
            : [process, "serve"];
    }

    /// <summary>Makes lab <paramref name="name"/>, or returns it unchanged (<see cref="LabInfo.AlreadyUp"/>) when it is
    /// already up; a broken one is removed and made again (<see cref="LabInfo.Repaired"/>). Needs root.</summary>
    /// <exception cref="LabException">A step failed (everything made was removed again).</exception>
    /// <exception cref="OperationCanceledException">Cancelled (everything made was removed again).</exception>
    public static LabInfo Up(string name = LabPlan.DefaultName, LabUpOptions? options = null, CancellationToken cancellationToken = default)
    {
        const string what = "lab up";
        Check(name, what);
        options ??= new LabUpOptions();
        using var held = Lock(name, what);

        var before = StatusCore(name);
        if (before.State == LabState.Up)
        {
            return before with { AlreadyUp = true };
        }

        var repaired = before.State == LabState.Broken ? before.Problems : [];
        if (before.State == LabState.Broken)
        {
            DownCore(name, what);
        }

        try
        {
            Create(name, options, cancellationToken);
        }
        catch (Exception e) when (e is LabException or OperationCanceledException)
        {
            try
            {
                DownCore(name, what);
                DeleteLock(name);
            }
            catch (LabException)
            {
                // Report the step that failed, not the rollback.
            }

            throw;
        }

        return StatusCore(name) with { Repaired = repaired };
    }

    /// <summary>Removes lab <paramref name="name"/>: its server processes, its namespaces (and with them the veths), its
    /// state file and logs. Works from whatever is left (state file, <c>rh-NAME-*</c> namespaces, marked processes), also
    /// after a crash; removing a lab that is not there is not an error. Needs root.</summary>
    public static LabDownResult Down(string name = LabPlan.DefaultName)
    {
        const string what = "lab down";
        Check(name, what);
        using var held = Lock(name, what);
        var result = DownCore(name, what);
        DeleteLock(name);
        return result;
    }

    /// <summary>Whether lab <paramref name="name"/> is up, down or broken, with its servers and problems. Needs root.</summary>
    public static LabInfo Status(string name = LabPlan.DefaultName)
    {
        Check(name, "lab status");
        return StatusCore(name);
    }

    private static void Check(string name, string what)
    {
        if (!LabPlan.IsValidName(name))
        {
            throw new LabException($"{what}: {LabPlan.BadName(name)}");
        }

        if (!Environment.IsPrivilegedProcess)
        {
            throw new LabException($"{what}: needs root (it creates network namespaces); run it as root or with sudo");
        }
    }

    private static string LockPath(string name) => Path.Combine(StateDirectory, $"lab-{name}.lock");

    /// <summary>Removes the lock file while holding it (a lab that does not exist leaves no file behind).</summary>
    private static void DeleteLock(string name)
    {
        try
        {
            File.Delete(LockPath(name));
        }
        catch (IOException)
        {
            // Harmless leftover.
        }
    }

    /// <summary>One lab command per name at a time, across processes (flock through FileShare.None).</summary>
    private static FileStream Lock(string name, string what)
    {
        Directory.CreateDirectory(StateDirectory);
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            try
            {
                return new FileStream(LockPath(name), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            }
            catch (IOException) when (DateTime.UtcNow < deadline)
            {
                Thread.Sleep(100);
            }
            catch (IOException)
            {
                throw new LabException($"{what}: another lab command for '{name}' still runs (lock {LockPath(name)})");
            }
        }
    }

    private static IReadOnlyList<string> ExistingNamespaces(string name)
    {
        if (!Directory.Exists(LabNetns.Directory))
        {
            return [];
        }

        var prefix = $"rh-{name}-";
        return Directory.EnumerateFileSystemEntries(LabNetns.Directory)
            .Select(Path.GetFileName)
            .OfType<string>()
            .Where(n => n.StartsWith(prefix, StringComparison.Ordinal) && n.Length > prefix.Length && n[prefix.Length..].All(char.IsAsciiLetterLower))
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    private static LabInfo StatusCore(string name)
    {
        var present = ExistingNamespaces(name);
        var state = LabStateFile.Read(StatePath(name));
        var stray = state is null ? ProcessTable.WithMarker(name) : [];
        if (state is null && present.Count == 0 && stray.Count == 0)
        {
            return new LabInfo { Name = name, State = LabState.Down };
        }

        var problems = new List<string>();
        if (state is null)
        {
            problems.Add(File.Exists(StatePath(name)) ? $"state file {StatePath(name)} is unreadable" : $"no state file {StatePath(name)}");
        }
        else if (!state.Complete)
        {
            problems.Add("lab up did not finish");
        }

        IReadOnlyList<string> expected = state is { Namespaces.Count: > 0 }
            ? state.Namespaces
            : [LabPlan.Namespace(name, LabRole.Client), LabPlan.Namespace(name, LabRole.Router), LabPlan.Namespace(name, LabRole.Server)];
        foreach (var ns in expected)
        {
            if (!present.Contains(ns))
            {
                problems.Add($"namespace {ns} is missing");
            }
        }

        if (stray.Count > 0)
        {
            problems.Add($"{stray.Count} process(es) marked {ProcessTable.MarkerVariable}={name} still run");
        }

        var serverNs = LabPlan.Namespace(name, LabRole.Server);
        var listening = present.Contains(serverNs) && state is { Servers.Count: > 0 } ? ListeningPorts(serverNs, "lab status") : [];
        var servers = new List<LabServerInfo>();
        foreach (var s in state?.Servers ?? [])
        {
            var running = ProcessTable.IsRunning(s.Pid, s.StartTime);
            var listens = running && listening.Contains(s.Port);
            if (!running)
            {
                problems.Add($"server {s.Label} on port {s.Port} (pid {s.Pid}) is not running");
            }
            else if (!listens)
            {
                problems.Add($"server {s.Label} on port {s.Port} (pid {s.Pid}) is not listening");
            }

            var mode = Enum.TryParse<ServerMode>(s.Mode, ignoreCase: true, out var m) ? m : ServerMode.Echo;
            servers.Add(new LabServerInfo(mode, s.Port, s.Label, s.Arguments, s.Pid, s.StartTime, running, listens));
        }

        LabSlirpInfo? slirp = null;
        if (state?.Slirp is { } sl)
        {
            var running = ProcessTable.IsRunning(sl.Pid, sl.StartTime);
            var configured = present.Contains(sl.Namespace) && SlirpConfigured(sl.Namespace, "lab status");
            if (!running)
            {
                problems.Add(sl.Pid > 0 ? $"slirp4netns (pid {sl.Pid}) is not running" : "slirp4netns was not started");
            }
            else if (!configured)
            {
                problems.Add($"slirp4netns runs (pid {sl.Pid}) but {LabPlan.SlirpDevice} in {sl.Namespace} is not up with {LabPlan.SlirpClientAddress}/{LabPlan.PrefixLength}");
            }

            slirp = new LabSlirpInfo(sl.Namespace, sl.Command, sl.Pid, sl.StartTime, running, configured);
        }

        return new LabInfo
        {
            Name = name,
            State = problems.Count == 0 ? LabState.Up : LabState.Broken,
            Problems = problems,
            Servers = servers,
            Slirp = slirp,
            ExistingNamespaces = present,
            CreatedAt = state?.Created,
            Ipv6 = state?.Ipv6 ?? false,
        };
    }

    private static LabDownResult DownCore(string name, string what)
    {
        var state = LabStateFile.Read(StatePath(name));
        var present = ExistingNamespaces(name);

        var victims = new List<(int Pid, long StartTime)>();
        foreach (var s in state?.Servers ?? [])
        {
            victims.Add((s.Pid, s.StartTime));
        }

        if (state?.Slirp is { Pid: > 0 } slirp)
        {
            victims.Add((slirp.Pid, slirp.StartTime));
        }

        foreach (var ns in present)
        {
            var pids = Shell.Run(what, ["ip", "netns", "pids", ns]);
            foreach (var line in pids.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                if (int.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && ProcessTable.StartTime(pid) is { } start)
                {
                    victims.Add((pid, start));
                }
            }
        }

        foreach (var pid in ProcessTable.WithMarker(name))
        {
            if (ProcessTable.StartTime(pid) is { } start)
            {
                victims.Add((pid, start));
            }
        }

        var stopped = ProcessTable.Stop(victims.Distinct().ToList(), TimeSpan.FromSeconds(3));

        var removed = new List<string>();
        string? failure = null;
        foreach (var ns in present)
        {
            var r = Shell.Run(what, ["ip", "netns", "del", ns]);
            if (r.Ok)
            {
                removed.Add(ns);
            }
            else
            {
                failure ??= $"{what}: ip netns del {ns} failed: {r.Why}";
            }
        }

        var hadState = File.Exists(StatePath(name));
        File.Delete(StatePath(name));
        File.Delete(StatePath(name) + ".tmp");
        if (Directory.Exists(StateDirectory))
        {
            foreach (var log in Directory.EnumerateFiles(StateDirectory, $"lab-{name}-*.log"))
            {
                File.Delete(log);
            }
        }

        return failure is null
            ? new LabDownResult(name, removed, stopped, hadState)
            : throw new LabException(failure);
    }

    private static void Create(string name, LabUpOptions options, CancellationToken ct)
    {
        const string what = "lab up";
        var cli = LabPlan.Namespace(name, LabRole.Client);
        var rtr = LabPlan.Namespace(name, LabRole.Router);
        var srv = LabPlan.Namespace(name, LabRole.Server);
        var servers = options.Servers ?? LabServerSpec.Defaults;
        if (servers.GroupBy(s => s.Port).FirstOrDefault(g => g.Count() > 1) is { } twice)
        {
            throw new LabException($"{what}: two servers on port {twice.Key}");
        }

        var serve = options.ServeCommand ?? DefaultServeCommand();
        if (serve.Count == 0)
        {
            throw new LabException($"{what}: the serve command is empty");
        }

        var slirpProgram = options.Slirp ? FindSlirp(options.SlirpCommand) : null;
        var sl = LabPlan.Namespace(name, LabRole.SlirpClient);
        string[] all = slirpProgram is null ? [cli, rtr, srv] : [cli, rtr, srv, sl];
        var far = LabPlan.Namespace(name, LabRole.FarRouter);
        if (options.FarPath)
        {
            all = [.. all, far];
        }

        (string Ns, string Dev, string Cidr)[] addresses =
        [
            (cli, LabPlan.Eth0, $"{LabPlan.ClientAddress}/{LabPlan.PrefixLength}"),
            (cli, LabPlan.Eth1, $"{LabPlan.ClientOnLinkAddress}/{LabPlan.PrefixLength}"),
            (rtr, LabPlan.Eth0, $"{LabPlan.RouterClientSideAddress}/{LabPlan.PrefixLength}"),
            (rtr, LabPlan.Eth1, $"{LabPlan.RouterServerSideAddress}/{LabPlan.PrefixLength}"),
            (srv, LabPlan.Eth0, $"{LabPlan.ServerAddress}/{LabPlan.PrefixLength}"),
            (srv, LabPlan.Eth1, $"{LabPlan.ServerOnLinkAddress}/{LabPlan.PrefixLength}"),
        ];
        var slirpCidr = $"{LabPlan.SlirpClientAddress}/{LabPlan.PrefixLength}";

        // First the record, so that a crash from here on leaves down something to go by.
        var state = new LabStateFile
        {
            Name = name,
            Created = DateTimeOffset.UtcNow,
            CreatedBy = Environment.ProcessId,
            Namespaces = [.. all],
            Addresses = addresses.ToDictionary(a => $"{a.Ns} {a.Dev}", a => a.Cidr),
            ServeCommand = [.. serve],
            Ipv6 = options.Ipv6,
        };
        if (slirpProgram is not null)
        {
            state.Addresses[$"{sl} {LabPlan.SlirpDevice}"] = slirpCidr;
            state.Slirp = new LabStateFile.SlirpEntry
            {
                Namespace = sl,
                Command = [slirpProgram, $"--mtu={LabPlan.SlirpMtu}", $"--cidr={LabPlan.SlirpNetwork}", "--disable-dns", "--enable-sandbox",
                    "--netns-type=path", Path.Combine(LabNetns.Directory, sl), LabPlan.SlirpDevice],
                Log = Path.Combine(StateDirectory, $"lab-{name}-slirp.log"),
            };
        }

        state.Write(StatePath(name));

        void Step(params string[] argv)
        {
            ct.ThrowIfCancellationRequested();
            options.Progress?.Invoke(Shell.Text(argv));
            Shell.Step(what, argv);
        }

        foreach (var ns in all)
        {
            Step("ip", "netns", "add", ns);
        }

        foreach (var ns in all)
        {
            if (options.Ipv6 && (ns == cli || ns == rtr || ns == srv))
            {
                // Dual-stack: addresses usable at once (no duplicate address detection), no router advertisements taken and
                // no router solicitations sent, so captures hold little IPv6 chatter and nothing waits. The slirp client and
                // the far router have no IPv6 plan: IPv6 stays off there.
                Step("ip", "netns", "exec", ns, Shell.Resolve("sysctl"), "-qw", "net.ipv6.conf.all.accept_dad=0", "net.ipv6.conf.default.accept_dad=0",
                    "net.ipv6.conf.all.accept_ra=0", "net.ipv6.conf.default.accept_ra=0",
                    "net.ipv6.conf.all.router_solicitations=0", "net.ipv6.conf.default.router_solicitations=0");
            }
            else
            {
                // Best effort: no IPv6 chatter (router solicitations, MLD) in captures. A kernel without IPv6 has nothing to turn off.
                Shell.Run(what, ["ip", "netns", "exec", ns, Shell.Resolve("sysctl"), "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1"]);
            }

            Step("ip", "-n", ns, "link", "set", "lo", "up");
        }

        // veth pairs made directly inside the namespaces: names are per namespace, so parallel labs never collide.
        Step("ip", "link", "add", LabPlan.Eth0, "netns", cli, "address", LabPlan.ClientMac, "type", "veth",
            "peer", "name", LabPlan.Eth0, "netns", rtr, "address", LabPlan.RouterClientSideMac);
        Step("ip", "link", "add", LabPlan.Eth1, "netns", rtr, "address", LabPlan.RouterServerSideMac, "type", "veth",
            "peer", "name", LabPlan.Eth0, "netns", srv, "address", LabPlan.ServerMac);
        Step("ip", "link", "add", LabPlan.Eth1, "netns", cli, "address", LabPlan.ClientOnLinkMac, "type", "veth",
            "peer", "name", LabPlan.Eth1, "netns", srv, "address", LabPlan.ServerOnLinkMac);

        foreach (var (ns, dev, cidr) in addresses)
        {
            Step("ip", "-n", ns, "addr", "add", cidr, "dev", dev);

            // Complete checksums in what the kernel sends, so captures show Good instead of the offload's partial sum.
            Step("ip", "netns", "exec", ns, Shell.Resolve("ethtool"), "-K", dev, "tx", "off");
            Step("ip", "-n", ns, "link", "set", dev, "up");
        }

        if (options.Ipv6)
        {
            var len6 = LabPlan.PrefixLength6.ToString(CultureInfo.InvariantCulture);
            (string Ns, string Dev, IPAddress Address)[] six =
            [
                (cli, LabPlan.Eth0, LabPlan.ClientAddress6),
                (cli, LabPlan.Eth1, LabPlan.ClientOnLinkAddress6),
                (rtr, LabPlan.Eth0, LabPlan.RouterClientSideAddress6),
                (rtr, LabPlan.Eth1, LabPlan.RouterServerSideAddress6),
                (srv, LabPlan.Eth0, LabPlan.ServerAddress6),
                (srv, LabPlan.Eth1, LabPlan.ServerOnLinkAddress6),
            ];
            foreach (var (ns, dev, address) in six)
            {
                Step("ip", "-n", ns, "-6", "addr", "add", $"{address}/{len6}", "dev", dev, "nodad");
            }

            Step("ip", "-n", cli, "-6", "route", "add", "default", "via", LabPlan.RouterClientSideAddress6.ToString());
            Step("ip", "-n", srv, "-6", "route", "add", "default", "via", LabPlan.RouterServerSideAddress6.ToString());
            Step("ip", "netns", "exec", rtr, Shell.Resolve("sysctl"), "-qw", "net.ipv6.conf.all.forwarding=1");
        }

        Step("ip", "-n", cli, "route", "add", "default", "via", LabPlan.RouterClientSideAddress.ToString());
        Step("ip", "-n", srv, "route", "add", "default", "via", LabPlan.RouterServerSideAddress.ToString());
        Step("ip", "netns", "exec", rtr, Shell.Resolve("sysctl"), "-qw", "net.ipv4.ip_forward=1");
        if (options.FarPath)
        {
            AddFarPath(rtr, far, srv, Step);
        }

        foreach (var spec in servers)
        {
            ct.ThrowIfCancellationRequested();
            state.Servers.Add(Spawn(name, srv, serve, spec, options));
            state.Write(StatePath(name));
        }

        // The second stack starts while the servers are still starting: it relays to their ports only when a client connects.
        if (state.Slirp is { } slirp)
        {
            ct.ThrowIfCancellationRequested();
            (slirp.Pid, slirp.StartTime) = Detach(name, srv, slirp.Command, slirp.Log, "slirp4netns", options);
            state.Write(StatePath(name));
            WaitForTap(srv, slirp, ct);
            Step("ip", "-n", sl, "link", "set", LabPlan.SlirpDevice, "address", LabPlan.SlirpClientMac, "mtu", LabPlan.SlirpMtu.ToString(CultureInfo.InvariantCulture));
            Step("ip", "-n", sl, "addr", "add", slirpCidr, "dev", LabPlan.SlirpDevice);
            Step("ip", "-n", sl, "link", "set", LabPlan.SlirpDevice, "up");
        }

        WaitReady(srv, state.Servers, options.ReadyTimeout, ct);
        state.Complete = true;
        state.Write(StatePath(name));
    }

    /// <summary>The far path, an addition to the standard lab: rtr eth2 ── far eth0, far eth1 ── srv eth2, a route on
    /// the first router, and a source rule on the server so that what it sends from the far address goes back the same
    /// way (its main table and default route stay as they are).</summary>
    private static void AddFarPath(string rtr, string far, string srv, Action<string[]> step)
    {
        var len = LabPlan.PrefixLength.ToString(CultureInfo.InvariantCulture);
        step(["ip", "link", "add", LabPlan.Eth2, "netns", rtr, "address", LabPlan.RouterFarSideMac, "type", "veth",
            "peer", "name", LabPlan.Eth0, "netns", far, "address", LabPlan.FarRouterMac]);
        step(["ip", "link", "add", LabPlan.Eth1, "netns", far, "address", LabPlan.FarRouterServerSideMac, "type", "veth",
            "peer", "name", LabPlan.Eth2, "netns", srv, "address", LabPlan.FarServerMac]);
        foreach (var (ns, dev, address) in new[]
                 {
                     (rtr, LabPlan.Eth2, LabPlan.RouterFarSideAddress), (far, LabPlan.Eth0, LabPlan.FarRouterAddress),
                     (far, LabPlan.Eth1, LabPlan.FarRouterServerSideAddress), (srv, LabPlan.Eth2, LabPlan.FarServerAddress),
                 })
        {
            step(["ip", "-n", ns, "addr", "add", $"{address}/{len}", "dev", dev]);
            step(["ip", "netns", "exec", ns, Shell.Resolve("ethtool"), "-K", dev, "tx", "off"]);
            step(["ip", "-n", ns, "link", "set", dev, "up"]);
        }

        step(["ip", "-n", rtr, "route", "add", LabPlan.FarNetwork, "via", LabPlan.FarRouterAddress.ToString()]);
        step(["ip", "-n", far, "route", "add", "default", "via", LabPlan.RouterFarSideAddress.ToString()]);
        step(["ip", "netns", "exec", far, Shell.Resolve("sysctl"), "-qw", "net.ipv4.ip_forward=1"]);
        step(["ip", "-n", srv, "rule", "add", "from", LabPlan.FarServerAddress.ToString(), "lookup", LabPlan.FarTable]);
        step(["ip", "-n", srv, "route", "add", "default", "via", LabPlan.FarRouterServerSideAddress.ToString(), "dev", LabPlan.Eth2, "table", LabPlan.FarTable]);
    }

    private static LabStateFile.ServerEntry Spawn(string name, string srv, IReadOnlyList<string> serve, LabServerSpec spec, LabUpOptions options)
    {
        var log = Path.Combine(StateDirectory, $"lab-{name}-{spec.Port}.log");
        // Dual-stack: one socket on :: takes both families (IPV6_V6ONLY off).
        IReadOnlyList<string> arguments = options.Ipv6 ? [.. spec.Arguments, "--bind", "::"] : spec.Arguments;
        var (pid, start) = Detach(name, srv, [.. serve, .. arguments], log, $"serve {spec.Label} --port {spec.Port}", options);
        return new LabStateFile.ServerEntry
        {
            Mode = spec.Mode.ToString().ToLowerInvariant(),
            Port = spec.Port,
            Label = spec.Label,
            Arguments = [.. serve, .. arguments],
            Pid = pid,
            StartTime = start,
            Log = log,
        };
    }

    /// <summary>Starts <paramref name="argv"/> detached inside <paramref name="ns"/> (own session, stdio to
    /// <paramref name="log"/>, marked with the lab's name); its PID and start time.</summary>
    private static (int Pid, long StartTime) Detach(string name, string ns, IReadOnlyList<string> argv, string log, string label, LabUpOptions options)
    {
        const string what = "lab up";
        string[] inner = [Shell.Resolve("ip"), "netns", "exec", ns, Shell.Resolve("setsid"), .. argv];
        options.Progress?.Invoke(Shell.Text(inner));
        var psi = new ProcessStartInfo("/bin/sh")
        {
            UseShellExecute = false,
            WorkingDirectory = "/",
        };
        foreach (var a in (string[])["-c", "log=$1; shift; exec \"$@\" </dev/null >>\"$log\" 2>&1", "sh", log, .. inner])
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment[ProcessTable.MarkerVariable] = name;

        Process process;
        try
        {
            process = Process.Start(psi) ?? throw new LabException($"{what}: {label} did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new LabException($"{what}: starting {label} failed: {e.Message}");
        }

        // Keep the Process until it exits, so the runtime reaps it while this process lives (no zombies in tests).
        var pid = process.Id;
        Spawned[pid] = process;
        process.EnableRaisingEvents = true;
        process.Exited += (_, _) =>
        {
            if (Spawned.TryRemove(pid, out var p))
            {
                p.Dispose();
            }
        };

        var start = ProcessTable.StartTime(pid)
            ?? throw new LabException($"{what}: {label} in {ns} exited at once: {LastLine(log)}");
        return (pid, start);
    }

    /// <summary>The full path of the slirp4netns program, checked before anything is made.</summary>
    private static string FindSlirp(string command)
    {
        var path = Shell.Resolve(command);
        return File.Exists(path)
            ? path
            : throw new LabException($"lab up: {command} not found: the lab's second TCP stack needs it (apt-get install slirp4netns)");
    }

    /// <summary>Waits until slirp4netns has made its tap device in the namespace it serves (a few ms).</summary>
    private static void WaitForTap(string srv, LabStateFile.SlirpEntry slirp, CancellationToken ct)
    {
        const string what = "lab up";
        var limit = TimeSpan.FromSeconds(10);
        var deadline = DateTime.UtcNow + limit;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            if (Shell.Run(what, ["ip", "-n", slirp.Namespace, "link", "show", LabPlan.SlirpDevice]).Ok)
            {
                return;
            }

            if (!ProcessTable.IsRunning(slirp.Pid, slirp.StartTime))
            {
                throw new LabException($"{what}: slirp4netns in {srv} exited: {LastLine(slirp.Log)}");
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new LabException($"{what}: slirp4netns made no {LabPlan.SlirpDevice} in {slirp.Namespace} within {limit.TotalSeconds:0} s");
            }

            ct.WaitHandle.WaitOne(20);
        }
    }

    /// <summary>Whether tap0 in <paramref name="ns"/> is up with the lab's slirp client address.</summary>
    private static bool SlirpConfigured(string ns, string what)
    {
        var r = Shell.Run(what, ["ip", "-n", ns, "-o", "-4", "addr", "show", "dev", LabPlan.SlirpDevice, "up"]);
        return r.Ok && r.Out.Contains($" {LabPlan.SlirpClientAddress}/{LabPlan.PrefixLength} ", StringComparison.Ordinal);
    }

    private static void WaitReady(string srv, IReadOnlyList<LabStateFile.ServerEntry> servers, TimeSpan timeout, CancellationToken ct)
    {
        const string what = "lab up";
        var deadline = DateTime.UtcNow + timeout;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            foreach (var s in servers)
            {
                if (!ProcessTable.IsRunning(s.Pid, s.StartTime))
                {
                    throw new LabException($"{what}: serve {s.Label} --port {s.Port} in {srv} exited: {LastLine(s.Log)}");
                }
            }

            var listening = ListeningPorts(srv, what);
            var missing = servers.Where(s => !listening.Contains(s.Port)).Select(s => s.Port).ToList();
            if (missing.Count == 0)
            {
                return;
            }

            if (DateTime.UtcNow >= deadline)
            {
                throw new LabException($"{what}: servers in {srv} not listening within {timeout.TotalSeconds:0} s on port(s) {string.Join(", ", missing)}");
            }

            ct.WaitHandle.WaitOne(50);
        }
    }

    /// <summary>TCP ports in LISTEN inside namespace <paramref name="ns"/> (<c>ss -N NS -Hltn</c>).</summary>
    private static HashSet<int> ListeningPorts(string ns, string what)
    {
        var r = Shell.Step(what, "ss", "-N", ns, "-Hltn");
        var ports = new HashSet<int>();
        foreach (var line in r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries))
        {
            // State Recv-Q Send-Q Local:Port Peer:Port
            var cols = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (cols.Length >= 4 && cols[3].LastIndexOf(':') is var colon and >= 0
                && int.TryParse(cols[3].AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var port))
            {
                ports.Add(port);
            }
        }

        return ports;
    }

    private static string LastLine(string log)
    {
        try
        {
            var lines = File.ReadAllLines(log).Select(l => l.Trim()).Where(l => l.Length > 0).ToList();
            return lines.Count == 0 ? "no output" : lines[^1];
        }
        catch (IOException)
        {
            return "no output";
        }
    }
}
