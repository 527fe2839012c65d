using System.Diagnostics;
using RawHandshake.Lab.Servers;
using RawHandshake.Lab.Tests.Support;
using RawHandshake.Lab.Topology;

namespace RawHandshake.Lab.Tests.Topology;

/// <summary>Labs of their own (only an echo server, to save time): up/down twice, repair, rollback, errors.</summary>
public sealed class LabLifecycleTests
{
    private static readonly LabUpOptions EchoOnly = new() { ServeCommand = TestDll.ServeCommand, Servers = [new LabServerSpec(ServerMode.Echo, LabPorts.Echo)] };

    [Fact]
    public async Task Up_twice_and_down_twice_are_clean()
    {
        var name = Names.Unique();
        try
        {
            var first = LabTopology.Up(name, EchoOnly);
            first.State.ShouldBe(LabState.Up);
            first.AlreadyUp.ShouldBeFalse();
            first.Servers.Count.ShouldBe(1);

            var second = LabTopology.Up(name, EchoOnly);
            second.AlreadyUp.ShouldBeTrue();
            second.Servers.Single().Pid.ShouldBe(first.Servers.Single().Pid);

            using (var client = await Kernel.ConnectAsync(first.Routed(LabPorts.Echo), first.ClientNamespace))
            {
                await Kernel.SendAsync(client, "AB");
                (await Kernel.ReadExactlyAsync(client, 2)).ShouldBe("AB");
            }

            var down = LabTopology.Down(name);
            down.RemovedNamespaces.ShouldBe([$"rh-{name}-cli", $"rh-{name}-rtr", $"rh-{name}-srv", $"rh-{name}-slirp"], ignoreOrder: true);
            down.StoppedProcesses.ShouldBe(2, "the echo server and slirp4netns");
            down.RemovedAnything.ShouldBeTrue();
            Leftovers.ShouldBeNone(name);
            LabTopology.Status(name).State.ShouldBe(LabState.Down);

            var again = LabTopology.Down(name);
            again.RemovedAnything.ShouldBeFalse();
            Leftovers.ShouldBeNone(name);
        }
        finally
        {
            LabTopology.Down(name);
        }
    }

    [Fact]
    public async Task Without_ipv6_the_lab_is_IPv4_only()
    {
        var name = Names.Unique();
        try
        {
            var lab = LabTopology.Up(name, EchoOnly with { Ipv6 = false, Slirp = false });
            lab.Ipv6.ShouldBeFalse();
            LabTopology.Status(name).Ipv6.ShouldBeFalse("the state file says so");
            LabText.Describe(lab).ShouldNotContain("ipv6");
            LabText.Describe(lab).ShouldNotContain("2001:db8");
            foreach (var ns in new[] { lab.ClientNamespace, lab.RouterNamespace, lab.ServerNamespace })
            {
                Shell.Run("test", ["ip", "-n", ns, "-6", "addr"]).Out.Trim().ShouldBeEmpty($"no IPv6 in {ns}");
            }

            using var client = await Kernel.ConnectAsync(lab.Routed(LabPorts.Echo), lab.ClientNamespace);
            await Kernel.SendAsync(client, "AB");
            (await Kernel.ReadExactlyAsync(client, 2)).ShouldBe("AB");
        }
        finally
        {
            LabTopology.Down(name);
        }
    }

    [Fact]
    public void A_broken_lab_shows_as_broken_and_up_recreates_it()
    {
        var name = Names.Unique();
        try
        {
            var first = LabTopology.Up(name, EchoOnly);
            var pid = first.Servers.Single().Pid;
            Process.GetProcessById(pid).Kill();
            WaitUntil(() => LabTopology.Status(name).State == LabState.Broken);

            var broken = LabTopology.Status(name);
            broken.Problems.ShouldContain($"server echo on port 20000 (pid {pid}) is not running");
            LabText.Describe(broken).ShouldContain("NOT RUNNING");

            var repaired = LabTopology.Up(name, EchoOnly);
            repaired.State.ShouldBe(LabState.Up);
            repaired.AlreadyUp.ShouldBeFalse();
            repaired.Repaired.ShouldContain($"server echo on port 20000 (pid {pid}) is not running");
            repaired.Servers.Single().Pid.ShouldNotBe(pid);
        }
        finally
        {
            LabTopology.Down(name);
            Leftovers.ShouldBeNone(name);
        }
    }

    [Fact]
    public void A_dead_slirp_makes_it_broken_and_up_recreates_it()
    {
        var name = Names.Unique();
        try
        {
            var first = LabTopology.Up(name, EchoOnly);
            var pid = first.Slirp.ShouldNotBeNull().Pid;
            Process.GetProcessById(pid).Kill();

            // Its tap device goes as its files close, a moment before the process is gone: wait for the second.
            var dead = $"slirp4netns (pid {pid}) is not running";
            WaitUntil(() => LabTopology.Status(name).Problems.Contains(dead));

            var broken = LabTopology.Status(name);
            broken.State.ShouldBe(LabState.Broken);
            broken.Problems.ShouldBe([dead]);
            LabText.Describe(broken).ShouldContain($"slirp4netns (pid {pid}, in rh-{name}-srv) NOT RUNNING");

            var repaired = LabTopology.Up(name, EchoOnly);
            repaired.State.ShouldBe(LabState.Up);
            repaired.Repaired.ShouldBe([dead]);
            repaired.Slirp.ShouldNotBeNull().Pid.ShouldNotBe(pid);
            repaired.Slirp.Running.ShouldBeTrue();
            repaired.Slirp.Configured.ShouldBeTrue();
        }
        finally
        {
            LabTopology.Down(name);
            Leftovers.ShouldBeNone(name);
        }
    }

    [Fact]
    public void A_slirp_tap_without_its_address_makes_it_broken()
    {
        var name = Names.Unique();
        try
        {
            var lab = LabTopology.Up(name, EchoOnly);
            using (var flush = Process.Start("ip", ["-n", lab.SlirpNamespace, "addr", "flush", "dev", LabPlan.SlirpDevice]))
            {
                flush.WaitForExit();
            }

            var status = LabTopology.Status(name);
            status.State.ShouldBe(LabState.Broken);
            status.Problems.ShouldBe([$"slirp4netns runs (pid {lab.Slirp!.Pid}) but tap0 in rh-{name}-slirp is not up with 198.19.64.100/24"]);
            status.Slirp.ShouldNotBeNull().Configured.ShouldBeFalse();
        }
        finally
        {
            LabTopology.Down(name);
            Leftovers.ShouldBeNone(name);
        }
    }

    [Fact]
    public void A_lab_without_slirp_has_three_namespaces()
    {
        var name = Names.Unique();
        try
        {
            var lab = LabTopology.Up(name, EchoOnly with { Slirp = false });
            lab.State.ShouldBe(LabState.Up);
            lab.Slirp.ShouldBeNull();
            lab.ExistingNamespaces.ShouldBe([$"rh-{name}-cli", $"rh-{name}-rtr", $"rh-{name}-srv"], ignoreOrder: true);
            LabText.Describe(lab).ShouldNotContain("slirp");
            using var json = System.Text.Json.JsonDocument.Parse(LabText.ToJson(lab));
            json.RootElement.GetProperty("slirp").ValueKind.ShouldBe(System.Text.Json.JsonValueKind.Null);
            LabTopology.Down(name).StoppedProcesses.ShouldBe(1);
        }
        finally
        {
            LabTopology.Down(name);
            Leftovers.ShouldBeNone(name);
        }
    }

    [Fact]
    public void A_missing_slirp4netns_is_refused_in_one_line_before_anything_is_made()
    {
        var name = Names.Unique();
        var e = Should.Throw<LabException>(() => LabTopology.Up(name, EchoOnly with { SlirpCommand = "/nonexistent/slirp4netns" }));
        e.Message.ShouldBe("lab up: /nonexistent/slirp4netns not found: the lab's second TCP stack needs it (apt-get install slirp4netns)");
        Leftovers.ShouldBeNone(name);
    }

    [Fact]
    public void A_slirp4netns_that_exits_fails_in_one_line_and_rolls_back()
    {
        var name = Names.Unique();
        try
        {
            var e = Should.Throw<LabException>(() => LabTopology.Up(name, EchoOnly with { SlirpCommand = "/bin/false" }));
            e.Message.ShouldStartWith($"lab up: slirp4netns in rh-{name}-srv exited");
            e.Message.ShouldNotContain("\n");
            Leftovers.ShouldBeNone(name);
        }
        finally
        {
            LabTopology.Down(name);
        }
    }

    [Fact]
    public void A_missing_namespace_makes_it_broken()
    {
        var name = Names.Unique();
        try
        {
            var lab = LabTopology.Up(name, EchoOnly);
            using (var del = Process.Start("ip", ["netns", "del", lab.RouterNamespace]))
            {
                del.WaitForExit();
            }

            var status = LabTopology.Status(name);
            status.State.ShouldBe(LabState.Broken);
            status.Problems.ShouldBe([$"namespace rh-{name}-rtr is missing"]);
        }
        finally
        {
            LabTopology.Down(name);
            Leftovers.ShouldBeNone(name);
        }
    }

    [Fact]
    public void A_server_that_cannot_start_fails_in_one_line_and_rolls_back()
    {
        var name = Names.Unique();
        try
        {
            var options = EchoOnly with { ServeCommand = ["/nonexistent/rawhandshake", "serve"] };
            var e = Should.Throw<LabException>(() => LabTopology.Up(name, options));
            e.Message.ShouldStartWith($"lab up: serve echo --port 20000 in rh-{name}-srv exited");
            e.Message.ShouldContain("/nonexistent/rawhandshake");
            e.Message.ShouldNotContain("\n");
            Leftovers.ShouldBeNone(name);
        }
        finally
        {
            LabTopology.Down(name);
        }
    }

    [Fact]
    public void Two_servers_on_one_port_are_refused_before_anything_is_made()
    {
        var name = Names.Unique();
        var options = EchoOnly with { Servers = [new LabServerSpec(ServerMode.Echo, 7), new LabServerSpec(ServerMode.Discard, 7)] };
        Should.Throw<LabException>(() => LabTopology.Up(name, options)).Message.ShouldBe("lab up: two servers on port 7");
        Leftovers.ShouldBeNone(name);
    }

    [Theory]
    [InlineData("Lab")]
    [InlineData("a-b")]
    [InlineData("123456789")]
    public void Bad_names_are_refused_with_exact_text(string name)
    {
        Should.Throw<LabException>(() => LabTopology.Up(name)).Message.ShouldBe($"lab up: '{name}' is not a lab name (1 to 8 characters a-z 0-9)");
        Should.Throw<LabException>(() => LabTopology.Down(name)).Message.ShouldBe($"lab down: '{name}' is not a lab name (1 to 8 characters a-z 0-9)");
        Should.Throw<LabException>(() => LabTopology.Status(name)).Message.ShouldBe($"lab status: '{name}' is not a lab name (1 to 8 characters a-z 0-9)");
    }

    [Fact]
    public void Status_of_a_lab_never_made_is_down()
    {
        var status = LabTopology.Status(Names.Unique());
        status.State.ShouldBe(LabState.Down);
        status.Problems.ShouldBeEmpty();
        status.Servers.ShouldBeEmpty();
    }

    private static void WaitUntil(Func<bool> condition)
    {
        var sw = Stopwatch.StartNew();
        while (!condition())
        {
            if (sw.Elapsed > TimeSpan.FromSeconds(10))
            {
                throw new TimeoutException("condition not met within 10 s");
            }

            Thread.Sleep(20);
        }
    }
}
