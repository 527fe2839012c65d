using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using RawHandshake.Lab.Servers;
using RawHandshake.Lab.Tests.Support;
using RawHandshake.Lab.Topology;

namespace RawHandshake.Lab.Tests.Topology;

/// <summary>The standard lab seen by kernel clients in its client namespace: both paths, every server, every variant.</summary>
[Collection(SharedLabCollection.Name)]
public sealed class LabEndToEndTests(SharedLab lab)
{
    private LabInfo Info => lab.Info;

    [Fact]
    public void Up_reports_the_plan_and_seven_servers()
    {
        Info.State.ShouldBe(LabState.Up);
        Info.AlreadyUp.ShouldBeFalse();
        Info.Problems.ShouldBeEmpty();
        Info.ClientNamespace.ShouldBe($"rh-{lab.Name}-cli");
        Info.RouterNamespace.ShouldBe($"rh-{lab.Name}-rtr");
        Info.ServerNamespace.ShouldBe($"rh-{lab.Name}-srv");
        Info.SlirpNamespace.ShouldBe($"rh-{lab.Name}-slirp");
        Info.ExistingNamespaces.ShouldBe([Info.ClientNamespace, Info.RouterNamespace, Info.ServerNamespace, Info.SlirpNamespace], ignoreOrder: true);
        var slirp = Info.Slirp.ShouldNotBeNull();
        slirp.Running.ShouldBeTrue();
        slirp.Configured.ShouldBeTrue();
        slirp.Namespace.ShouldBe(Info.SlirpNamespace);
        Info.ServerAddress.ShouldBe(IPAddress.Parse("198.18.2.10"));
        Info.Servers.Select(s => s.Port).Order().ShouldBe([9, 19, 80, 20000, 20001, 20002, 20003]);
        Info.Servers.ShouldAllBe(s => s.Running && s.Listening && s.Pid > 0 && s.StartTime > 0);
        Info.Servers.Single(s => s.Port == LabPorts.EchoReadOnce).Label.ShouldBe("echo --read-once --close-after 3s");
        Info.Servers.Single(s => s.Port == LabPorts.EchoHalfClose).Label.ShouldBe("echo --send-after-eof \"late data\"");
    }

    [Theory]
    [InlineData("198.18.2.10")]
    [InlineData("198.18.1.10")]
    public async Task Echo_answers_through_the_router_and_on_link(string address)
    {
        using var client = await Kernel.ConnectAsync(new IPEndPoint(IPAddress.Parse(address), LabPorts.Echo), Info.ClientNamespace);
        var local = ((IPEndPoint)client.LocalEndPoint!).Address.ToString();
        local.ShouldBe(address == "198.18.2.10" ? "198.18.0.1" : "198.18.1.1");
        await Kernel.SendAsync(client, "AB");
        (await Kernel.ReadExactlyAsync(client, 2)).ShouldBe("AB");
        client.Shutdown(SocketShutdown.Send);
        var (rest, _, reset) = await Kernel.ReadToEndAsync(client, Stopwatch.StartNew());
        rest.ShouldBeEmpty();
        reset.ShouldBeFalse();
    }

    [Theory]
    [InlineData("2001:db8:2::10", "2001:db8::1")]
    [InlineData("2001:db8:1::10", "2001:db8:1::1")]
    public async Task The_lab_is_dual_stack_echo_answers_over_IPv6_through_the_router_and_on_link(string address, string from)
    {
        Info.Ipv6.ShouldBeTrue();
        using var client = await Kernel.ConnectAsync(new IPEndPoint(IPAddress.Parse(address), LabPorts.Echo), Info.ClientNamespace);
        ((IPEndPoint)client.LocalEndPoint!).Address.ShouldBe(IPAddress.Parse(from));
        await Kernel.SendAsync(client, "v6");
        (await Kernel.ReadExactlyAsync(client, 2)).ShouldBe("v6");

        // Quiet IPv6: no duplicate address detection (addresses usable at once), no router solicitations.
        Run("ip", "-n", Info.ClientNamespace, "-6", "addr", "show", "dev", "eth0").ShouldContain("inet6 2001:db8::1/64 scope global nodad");
        Run("ip", "netns", "exec", Info.ClientNamespace, Shell.Resolve("sysctl"), "-n", "net.ipv6.conf.eth0.router_solicitations").Trim().ShouldBe("0");
        Run("ip", "netns", "exec", Info.ClientNamespace, Shell.Resolve("sysctl"), "-n", "net.ipv6.conf.eth0.accept_ra").Trim().ShouldBe("0");
        LabText.Describe(Info).ShouldContain("  ipv6    client eth0 2001:db8::1/64 (default via 2001:db8::fe)   eth1 2001:db8:1::1/64\n");
        using var json = System.Text.Json.JsonDocument.Parse(LabText.ToJson(Info));
        json.RootElement.GetProperty("ipv6").GetBoolean().ShouldBeTrue();
        json.RootElement.GetProperty("server").GetProperty("eth0").GetProperty("address6").GetString().ShouldBe("2001:db8:2::10/64");
    }

    [Fact]
    public async Task Echo_and_http_answer_through_slirp()
    {
        using (var client = await Kernel.ConnectAsync(Info.ViaSlirp(LabPorts.Echo), Info.SlirpNamespace))
        {
            ((IPEndPoint)client.LocalEndPoint!).Address.ShouldBe(IPAddress.Parse("198.19.64.100"));
            await Kernel.SendAsync(client, "AB");
            (await Kernel.ReadExactlyAsync(client, 2)).ShouldBe("AB");
            client.Shutdown(SocketShutdown.Send);
            var (rest, _, reset) = await Kernel.ReadToEndAsync(client, Stopwatch.StartNew());
            rest.ShouldBeEmpty();
            reset.ShouldBeFalse();
        }

        using var http = await Kernel.ConnectAsync(Info.ViaSlirp(LabPorts.Http), Info.SlirpNamespace);
        await Kernel.SendAsync(http, "GET / HTTP/1.1\r\nHost: 198.19.64.2\r\n\r\n");
        var (data, _, _) = await Kernel.ReadToEndAsync(http, Stopwatch.StartNew());
        Kernel.Text(data).ShouldStartWith("HTTP/1.1 200 OK\r\n");
    }

    [Fact]
    public void Slirp_runs_in_the_server_namespace_and_its_client_reaches_only_slirp()
    {
        var slirp = Info.Slirp.ShouldNotBeNull();

        // slirp4netns relays from the server namespace: same network namespace (inode) as rh-NAME-srv, so its outbound
        // sockets reach the lab's servers and nothing else (that namespace's only routes lead into the lab).
        Run("stat", "-L", "-c", "%i", $"/proc/{slirp.Pid}/ns/net").Trim()
            .ShouldBe(Run("stat", "-L", "-c", "%i", Path.Combine(LabNetns.Directory, Info.ServerNamespace)).Trim());
        slirp.Command.ShouldContain("--disable-dns");
        slirp.Command.ShouldContain("--enable-sandbox");
        slirp.Command.ShouldContain("--cidr=198.19.64.0/24");
        File.ReadAllText($"/proc/{slirp.Pid}/environ").ShouldContain($"RAWHANDSHAKE_LAB={lab.Name}\0");

        // The client namespace has tap0 and one on-link route: no default route, no IPv6.
        Run("ip", "-n", Info.SlirpNamespace, "-br", "addr", "show", "dev", "tap0").ShouldContain("198.19.64.100/24");
        Run("ip", "-n", Info.SlirpNamespace, "link", "show", "tap0").ShouldContain(LabPlan.SlirpClientMac);
        Run("ip", "-n", Info.SlirpNamespace, "route").Trim().ShouldBe("198.19.64.0/24 dev tap0 proto kernel scope link src 198.19.64.100");
        Run("ip", "-n", Info.SlirpNamespace, "-6", "addr").Trim().ShouldBeEmpty();
        var unreachable = Should.Throw<SocketException>(() => Kernel.ConnectAsync(new IPEndPoint(Info.ServerAddress, LabPorts.Echo), Info.SlirpNamespace).GetAwaiter().GetResult());
        unreachable.SocketErrorCode.ShouldBe(SocketError.NetworkUnreachable);
    }

    [Fact]
    public async Task Http_answers_200()
    {
        using var client = await Kernel.ConnectAsync(Info.Routed(LabPorts.Http), Info.ClientNamespace);
        await Kernel.SendAsync(client, "GET / HTTP/1.1\r\nHost: 198.18.2.10\r\n\r\n");
        var (data, _, _) = await Kernel.ReadToEndAsync(client, Stopwatch.StartNew());
        var text = Kernel.Text(data);
        text.ShouldStartWith("HTTP/1.1 200 OK\r\n");
        text.ShouldContain("RawHandshake");
    }

    [Fact]
    public async Task Discard_and_chargen_answer()
    {
        using (var discard = await Kernel.ConnectAsync(Info.Routed(LabPorts.Discard), Info.ClientNamespace))
        {
            await Kernel.SendAsync(discard, "dropped");
            discard.Shutdown(SocketShutdown.Send);
            (await Kernel.ReadToEndAsync(discard, Stopwatch.StartNew())).Data.ShouldBeEmpty();
        }

        using var chargen = await Kernel.ConnectAsync(Info.OnLink(LabPorts.Chargen), Info.ClientNamespace);
        (await Kernel.ReadExactlyAsync(chargen, Chargen.LineBytes)).ShouldBe(System.Text.Encoding.ASCII.GetString(Chargen.Line(0)));
    }

    [Fact]
    public async Task Variants_behave_read_once_close_first_and_half_close()
    {
        // Run the three together: the read-once server's 3 s dominate.
        await Task.WhenAll(ReadOnce(), CloseFirst(), HalfClose());

        async Task ReadOnce()
        {
            using var client = await Kernel.ConnectAsync(Info.Routed(LabPorts.EchoReadOnce), Info.ClientNamespace);
            // Timed from before our send: the server's 3 s start after it echoes what it read, so its close can come no
            // sooner. (Timed from when our read of the echo returned, the bound moved with how late the continuation ran
            // on a loaded machine: 2.3 s once.)
            var sinceSend = Stopwatch.StartNew();
            await Kernel.SendAsync(client, "AB");
            (await Kernel.ReadExactlyAsync(client, 2)).ShouldBe("AB");
            var (rest, at, reset) = await Kernel.ReadToEndAsync(client, sinceSend);
            rest.ShouldBeEmpty();
            reset.ShouldBeFalse();
            at.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromSeconds(2.99)); // as the unit test of the server: 10 ms for the timers
            at.ShouldBeLessThan(TimeSpan.FromSeconds(6));
        }

        async Task CloseFirst()
        {
            var since = Stopwatch.StartNew();
            using var client = await Kernel.ConnectAsync(Info.Routed(LabPorts.EchoCloseFirst), Info.ClientNamespace);
            var (data, at, reset) = await Kernel.ReadToEndAsync(client, since);
            data.ShouldBeEmpty();
            reset.ShouldBeFalse();
            at.ShouldBeGreaterThan(TimeSpan.FromSeconds(0.8));
            at.ShouldBeLessThan(TimeSpan.FromSeconds(4));
        }

        async Task HalfClose()
        {
            using var client = await Kernel.ConnectAsync(Info.OnLink(LabPorts.EchoHalfClose), Info.ClientNamespace);
            await Kernel.SendAsync(client, "AB");
            (await Kernel.ReadExactlyAsync(client, 2)).ShouldBe("AB");
            client.Shutdown(SocketShutdown.Send);
            var (data, _, reset) = await Kernel.ReadToEndAsync(client, Stopwatch.StartNew());
            Kernel.Text(data).ShouldBe("late datalate datalate data");
            reset.ShouldBeFalse();
        }
    }

    [Fact]
    public void Status_is_up_and_matches()
    {
        var status = LabTopology.Status(lab.Name);
        status.State.ShouldBe(LabState.Up);
        status.Servers.Select(s => (s.Pid, s.StartTime)).ShouldBe(Info.Servers.Select(s => (s.Pid, s.StartTime)), ignoreOrder: true);
        File.Exists(LabTopology.StatePath(lab.Name)).ShouldBeTrue();
        LabText.Describe(status).ShouldStartWith($"lab {lab.Name}: up\n");
        using var json = System.Text.Json.JsonDocument.Parse(LabText.ToJson(status));
        json.RootElement.GetProperty("state").GetString().ShouldBe("up");
        json.RootElement.GetProperty("servers").GetArrayLength().ShouldBe(7);
        var slirp = json.RootElement.GetProperty("slirp");
        slirp.GetProperty("namespace").GetString().ShouldBe(Info.SlirpNamespace);
        slirp.GetProperty("runs_in").GetString().ShouldBe(Info.ServerNamespace);
        slirp.GetProperty("tap0").GetProperty("address").GetString().ShouldBe("198.19.64.100/24");
        slirp.GetProperty("gateway").GetString().ShouldBe("198.19.64.2");
        slirp.GetProperty("pid").GetInt32().ShouldBe(Info.Slirp!.Pid);
        slirp.GetProperty("running").GetBoolean().ShouldBeTrue();
        var line = LabText.Describe(status).Split('\n').Single(l => l.StartsWith("  slirp   ", StringComparison.Ordinal));
        line.ShouldBe($"  slirp   rh-{lab.Name}-slirp tap0 198.19.64.100/24   gateway 198.19.64.2: slirp4netns (pid {Info.Slirp.Pid}, in rh-{lab.Name}-srv) running");
    }

    [Fact]
    public void Up_again_changes_nothing()
    {
        var again = LabTopology.Up(lab.Name, new LabUpOptions { ServeCommand = TestDll.ServeCommand, ReadyTimeout = TimeSpan.FromMinutes(2) });
        again.AlreadyUp.ShouldBeTrue();
        again.State.ShouldBe(LabState.Up);
        again.Servers.Select(s => s.Pid).ShouldBe(Info.Servers.Select(s => s.Pid), ignoreOrder: true);
    }

    [Fact]
    public void Interfaces_are_as_planned_with_tx_checksum_offload_off()
    {
        var cli = Run("ip", "-n", Info.ClientNamespace, "-br", "addr");
        cli.ShouldContain("198.18.0.1/24");
        cli.ShouldContain("198.18.1.1/24");
        Run("ip", "-n", Info.ClientNamespace, "route").ShouldContain("default via 198.18.0.254 dev eth0");
        Run("ip", "-n", Info.ServerNamespace, "route").ShouldContain("default via 198.18.2.254 dev eth0");
        Run("ip", "-n", Info.ClientNamespace, "link", "show", "eth0").ShouldContain(LabPlan.ClientMac);
        Run("ip", "-n", Info.ServerNamespace, "link", "show", "eth1").ShouldContain(LabPlan.ServerOnLinkMac);
        Run("ip", "netns", "exec", Info.RouterNamespace, "cat", "/proc/sys/net/ipv4/ip_forward").Trim().ShouldBe("1");
        foreach (var (ns, dev) in new[] { (Info.ServerNamespace, "eth0"), (Info.ServerNamespace, "eth1"), (Info.ClientNamespace, "eth0"), (Info.ClientNamespace, "eth1") })
        {
            Run("ip", "netns", "exec", ns, "ethtool", "-k", dev).ShouldContain("tx-checksumming: off");
        }
    }

    [Fact]
    public void Servers_are_detached_and_marked()
    {
        foreach (var s in Info.Servers)
        {
            var stat = File.ReadAllText($"/proc/{s.Pid}/stat");
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            fields[3].ShouldBe(s.Pid.ToString(System.Globalization.CultureInfo.InvariantCulture)); // session id = own pid (setsid)
            File.ReadAllText($"/proc/{s.Pid}/cmdline").ShouldContain("serve");
        }

        Leftovers.Processes(lab.Name).Order().ShouldBe(Info.Servers.Select(s => s.Pid).Append(Info.Slirp!.Pid).Order());
    }

    private static string Run(params string[] argv)
    {
        var psi = new ProcessStartInfo(argv[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in argv.Skip(1))
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        p.ExitCode.ShouldBe(0, string.Join(' ', argv) + ": " + p.StandardError.ReadToEnd());
        return output;
    }
}
