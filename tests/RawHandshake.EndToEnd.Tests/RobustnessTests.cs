using System.Globalization;
using System.Text.Json;

namespace RawHandshake.EndToEnd.Tests;

/// <summary>Issue 10: interrupts at any moment, failed runs that leave nothing on the server, inferred states that never
/// show what cannot be, and traces in capture order, against real Linux servers in a private lab.</summary>
[Trait("Category", "Live")]
public sealed class RobustnessTests(LabFixture lab) : IClassFixture<LabFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    /// <summary>A signal to the whole tree (ip netns exec → dotnet), as a terminal or a service manager sends it.</summary>
    private static void Signal(int pid, string signal)
    {
        foreach (var p in Tree(pid))
        {
            Sh.RunAllowingFailure("kill", signal, p.ToString(CultureInfo.InvariantCulture));
        }
    }

    private static IEnumerable<int> Tree(int pid)
    {
        yield return pid;
        var children = $"/proc/{pid}/task/{pid}/children";
        if (File.Exists(children))
        {
            foreach (var c in File.ReadAllText(children).Split(' ', StringSplitOptions.RemoveEmptyEntries))
            {
                foreach (var d in Tree(int.Parse(c, CultureInfo.InvariantCulture)))
                {
                    yield return d;
                }
            }
        }
    }

    private static void WaitFor(Cli.Running running, string text)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (!running.OutputSoFar.Contains(text, StringComparison.Ordinal) && DateTime.UtcNow < until)
        {
            Thread.Sleep(20);
        }

        running.OutputSoFar.ShouldContain(text);
    }

    [Fact]
    public void An_interrupt_during_arp_resolution_exits_143_not_no_answer_to_arp()
    {
        // 198.18.1.77 is on the client's on-link subnet and nobody holds it: ARP asks three times, 0.7 s apart.
        var running = Cli.Start("handshake", "--netns", lab.Client, "--target", "198.18.1.77:80", "--timeout", "30s");
        WaitFor(running, "Who has 198.18.1.77?");
        Signal(running.Process.Id, "-TERM");
        var r = running.Finish(Bound);
        r.Code.ShouldBe(143, r.ToString());
        r.Err.ShouldContain("rawhandshake: interrupted");
        r.Err.ShouldNotContain("no answer to ARP");
        Sh.InNs(lab.Client, "nft", "list", "tables").ShouldNotContain("rawhandshake_");
    }

    [Fact]
    public void Sigterm_mid_transfer_takes_the_one_shutdown_path_every_time()
    {
        // The guard is removed only after the session stopped and the server was reset: the kernel's RST never gets out
        // first, so the run never reports kernel interference, and the JSON always ends with its result.
        for (var round = 0; round < 3; round++)
        {
            var sport = (41100 + round).ToString(CultureInfo.InvariantCulture);
            var running = Cli.Start("handshake", "--netns", lab.Client, "--target", "198.18.2.10:20000", "--sport", sport, "--close", "passive", "--timeout", "60s", "--json");
            WaitFor(running, "\"to\":\"ESTABLISHED\"");
            Signal(running.Process.Id, "-TERM");
            var r = running.Finish(Bound);
            r.Code.ShouldBe(143, r.ToString());
            var events = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
            events[^1].GetProperty("event").GetString().ShouldBe("result", r.ToString());
            events[^1].GetProperty("error").GetString()!.ShouldStartWith("interrupted");
            r.Out.ShouldNotContain("kernel");
            Sh.InNs(lab.Server, "ss", "-tanH", "state", "all", $"( sport = :20000 and dport = :{sport} )").Trim().ShouldBeEmpty();
        }

        Sh.InNs(lab.Client, "nft", "list", "tables").ShouldNotContain("rawhandshake_");
    }

    private static string TempRecipe(string text)
    {
        var file = Path.Combine(Path.GetTempPath(), $"rh-robust-{Guid.NewGuid():N}.rh");
        File.WriteAllText(file, text);
        return file;
    }

    private static IEnumerable<string> SynLines(string output) =>
        output.Split('\n').Where(l => l.Contains("[SYN]", StringComparison.Ordinal) && l.Contains(" | ", StringComparison.Ordinal));

    [Fact]
    public void A_closed_port_and_an_absent_host_are_never_listen()
    {
        var closed = Cli.Run(Bound, "handshake", "--netns", lab.Client, "--target", "198.18.2.10:20099");
        closed.Code.ShouldBe(1, closed.ToString());
        SynLines(closed.Out).First().ShouldEndWith("| SYN-SENT · ?");
        closed.Out.ShouldContain("server ? → CLOSED");
        closed.Out.ShouldContain("server CLOSED (inferred)");
        closed.Out.ShouldNotContain("LISTEN");

        // Nobody holds 198.18.2.77 behind the router: our SYNs go unanswered.
        var absent = Cli.Run(Bound, "handshake", "--netns", lab.Client, "--target", "198.18.2.77:80", "--timeout", "1500ms");
        absent.Code.ShouldBe(1, absent.ToString());
        absent.Out.ShouldContain("server ? (inferred)");
        absent.Out.ShouldNotContain("LISTEN");
    }

    [Fact]
    public void Nothing_carries_over_between_the_recipes_of_one_run()
    {
        // Two recipes in one run: the first ends with the server in TIME-WAIT (it closed first), the second must start
        // from its own flow's states, not from the first one's.
        var first = TempRecipe("target 198.18.2.10:20001\nconnect\nwait-close within 3s\nexpect server-state TIME-WAIT\n");
        var second = TempRecipe("target 198.18.2.10:20000\nconnect\nclose\n");
        try
        {
            var r = Cli.Run(Bound, "run", "--netns", lab.Client, first, second);
            r.Code.ShouldBe(0, r.ToString());
            var syns = SynLines(r.Out).ToList();
            syns.Count.ShouldBe(2, r.Out);
            syns.ShouldAllBe(l => l.EndsWith("| SYN-SENT · ?", StringComparison.Ordinal), r.Out);
        }
        finally
        {
            File.Delete(first);
            File.Delete(second);
        }

        Sh.InNs(lab.Server, "ss", "-tanH", "state", "established", "( sport = :20000 or sport = :20001 )").Trim().ShouldBeEmpty();
    }

    private static string Repo()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "run-as-root.sh")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new DirectoryNotFoundException("run-as-root.sh not found above the test assembly");
    }

    /// <summary>The README's front door, <c>./run-as-root.sh ARGS</c>, run inside <paramref name="ns"/> with this build.</summary>
    private static (int Code, string Out, string Err) Wrapper(string ns, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("ip") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in (string[])["netns", "exec", ns, "bash", Path.Combine(Repo(), "run-as-root.sh"), .. args])
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["RAWHANDSHAKE_CLI_DLL"] = Cli.Dll; // this build: no second build inside the test
        using var p = System.Diagnostics.Process.Start(psi)!;
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(90_000))
        {
            p.Kill(true);
            throw new TimeoutException($"run-as-root.sh {string.Join(' ', args)} hung");
        }

        p.WaitForExit();
        return (p.ExitCode, o.Result, e.Result);
    }

    [Fact]
    public void The_front_door_runs_a_recipe_here_against_the_target_given()
    {
        // Inside the (test) lab's client namespace, as on a host with a real server: --target runs here, no lab made.
        var recipe = TempRecipe("target 198.18.2.10:20000\nconnect\npush \"hi\"\nrecv \"hi\" within 2s\nclose\n");
        try
        {
            var r = Wrapper(lab.Client, "run", recipe, "--target", "198.18.2.10:20000");
            r.Code.ShouldBe(0, r.Out + r.Err);
            r.Out.ShouldContain("pass");
            r.Err.ShouldNotContain("in lab");
        }
        finally
        {
            File.Delete(recipe);
        }
    }

    [Fact]
    public void The_front_door_runs_a_recipe_aimed_at_another_server_here()
    {
        // 198.18.2.11 is not the lab's server address: the recipe runs in the current namespace, no lab is brought up.
        Sh.InNs(lab.Server, "ip", "addr", "add", "198.18.2.11/24", "dev", "eth0");
        var recipe = TempRecipe("target 198.18.2.11:20000\nconnect\nclose\n");
        try
        {
            var r = Wrapper(lab.Client, "run", recipe);
            r.Code.ShouldBe(0, r.Out + r.Err);
            r.Err.ShouldNotContain("in lab");
        }
        finally
        {
            File.Delete(recipe);
            Sh.InNs(lab.Server, "ip", "addr", "del", "198.18.2.11/24", "dev", "eth0");
        }
    }

    [Fact]
    public void A_lab_is_never_made_from_another_namespace()
    {
        // From inside 'ip netns exec' the lab's namespaces would be unreachable from outside (setns: EINVAL): refused in
        // one line before anything is made, both by 'lab up' and by the front door for a recipe aimed at the lab.
        var name = "x" + Guid.NewGuid().ToString("N")[..5];
        var inside = Sh.RunAllowingFailure("ip", ["netns", "exec", lab.Client, .. Cli.Command, "lab", "up", "--name", name]);
        inside.Code.ShouldBe(2, inside.Output);
        var line = inside.Output.Trim();
        line.Split('\n').Length.ShouldBe(1, line);
        line.ShouldStartWith("rawhandshake: lab up: this process runs in another network namespace");

        var recipe = TempRecipe("target 198.18.2.10:20000\nconnect\n");
        try
        {
            var front = Wrapper(lab.Client, "run", recipe);
            front.Code.ShouldBe(2, front.Out + front.Err);
            front.Err.Trim().ShouldStartWith("rawhandshake: run --lab lab: this process runs in another network namespace");
        }
        finally
        {
            File.Delete(recipe);
        }

        Sh.Run("ip", "netns", "list").ShouldNotContain($"rh-{name}-");
        File.Exists($"/run/rawhandshake/lab-{name}.json").ShouldBeFalse();
        Cli.Run(Bound, "lab", "status", "--name", name).Out.ShouldContain("down");
    }

    /// <summary>What the server namespace holds for <paramref name="port"/> (every state but LISTEN), waiting up to
    /// <paramref name="patience"/> for closing states to end.</summary>
    private string ServerHolds(int port, TimeSpan patience)
    {
        var until = DateTime.UtcNow + patience;
        while (true)
        {
            var left = Sh.InNs(lab.Server, "ss", "-tanH", "state", "all", "exclude", "listening", $"( sport = :{port} )").Trim();
            if (left.Length == 0 || DateTime.UtcNow > until)
            {
                return left;
            }

            Thread.Sleep(200);
        }
    }

    [Fact]
    public void A_link_with_a_small_MTU_gets_segments_that_fit_it_and_the_run_ends_clean()
    {
        // The client's link takes at most 1000-byte frames, the server offers MSS 1460. Before segments were sized to
        // the link, our first full segment was refused by it (EMSGSIZE, a send error); now each one fits (960 bytes of
        // data at most), and with our MSS at 960 the server's echo fits too.
        var data = Path.Combine(Path.GetTempPath(), $"rh-senderr-{Guid.NewGuid():N}.bin");
        File.WriteAllText(data, new string('x', 3000));
        Sh.InNs(lab.Client, "ip", "link", "set", "eth0", "mtu", "1000");
        try
        {
            var r = Cli.Run(Bound, "handshake", "--netns", lab.Client, "--target", "198.18.2.10:20000", "--sport", "41120", "--mss", "960",
                "--data-file", data, "--expect-echo", "--json");
            r.Code.ShouldBe(0, r.ToString());
            var events = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
            var result = events[^1];
            result.GetProperty("event").GetString().ShouldBe("result", r.ToString());
            result.GetProperty("ok").GetBoolean().ShouldBeTrue(r.ToString());
            result.GetProperty("bytes_sent").GetInt32().ShouldBe(3000);
            var ours = events.Where(e => e.GetProperty("event").GetString() == "packet" && e.GetProperty("dir").GetString() == "out" && e.TryGetProperty("len", out _)).ToList();
            ours.Max(e => e.GetProperty("len").GetInt32()).ShouldBeLessThanOrEqualTo(960, "every segment fits the 1000-byte link");
            r.Err.ShouldBeEmpty();
            ServerHolds(20000, TimeSpan.Zero).ShouldNotContain(":41120");
        }
        finally
        {
            Sh.InNs(lab.Client, "ip", "link", "set", "eth0", "mtu", "1500");
            File.Delete(data);
        }
    }

    [Fact]
    public void Many_flows_against_a_small_backlog_leave_nothing_on_the_server()
    {
        // serve --backlog 2: most of 60 flows at once find the accept queue full (their SYN or ACK is dropped), some
        // give up. Whatever each flow's fate, the server holds nothing of ours afterwards.
        using var serve = new BacklogServer(lab.Server, 20010, 2);
        var recipe = TempRecipe("target 198.18.2.10:20010\nconnect\npush \"x\"\nrecv \"x\" within 2s\nclose\n");
        try
        {
            var r = Cli.Run(Bound, "run", "--netns", lab.Client, recipe, "--repeat", "60", "--timeout", "8s");
            r.Code.ShouldBeOneOf([0, 1], r.ToString());
            r.Out.ShouldContain("runs");
            ServerHolds(20010, TimeSpan.FromSeconds(15)).ShouldBeEmpty();
        }
        finally
        {
            File.Delete(recipe);
        }

        serve.Stop().ShouldBe(143, "serve exits like every verb on SIGTERM");
    }

    [Fact]
    public void Traces_are_in_capture_order_in_text_json_and_pcap()
    {
        // A busy session (data both ways, many frames close together): frame numbers follow the stamps, and time never
        // goes backwards, in every output.
        var pcap = Path.Combine(Path.GetTempPath(), $"rh-order-{Guid.NewGuid():N}.pcap");
        var data = Path.Combine(Path.GetTempPath(), $"rh-order-{Guid.NewGuid():N}.bin");
        File.WriteAllText(data, new string('z', 20000));
        try
        {
            var json = Cli.Run(Bound, "handshake", "--netns", lab.Client, "--target", "198.18.2.10:20000", "--data-file", data, "--expect-echo", "--json", "-w", pcap);
            json.Code.ShouldBe(0, json.ToString());
            var events = json.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
            var timed = events.Where(e => e.TryGetProperty("time", out _)).Select(e => e.GetProperty("time").GetDouble()).ToList();
            timed.ShouldBeInOrder(SortDirection.Ascending, "JSON times (packets and state events)");
            var numbers = events.Where(e => e.GetProperty("event").GetString() == "packet").Select(e => e.GetProperty("no").GetInt32()).ToList();
            numbers.ShouldBe(Enumerable.Range(1, numbers.Count).ToList());

            var stamps = Sh.Run("tshark", "-r", pcap, "-T", "fields", "-e", "frame.time_epoch").Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Where(l => !l.StartsWith("Running as", StringComparison.Ordinal))
                .Select(l => decimal.Parse(l, CultureInfo.InvariantCulture)).ToList();
            stamps.Count.ShouldBe(numbers.Count, "the pcap holds every traced frame");
            stamps.ShouldBeInOrder(SortDirection.Ascending, "pcap timestamps");

            var text = Cli.Run(Bound, "handshake", "--netns", lab.Client, "--target", "198.18.2.10:20000", "--data-file", data, "--expect-echo");
            text.Code.ShouldBe(0, text.ToString());
            var rows = text.Out.Split('\n').Select(l => System.Text.RegularExpressions.Regex.Match(l, @"^\s*(\d+)\s+(\d+\.\d{6})\s")).Where(m => m.Success).ToList();
            rows.Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).ShouldBe(Enumerable.Range(1, rows.Count).ToList());
            rows.Select(m => double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture)).ShouldBeInOrder(SortDirection.Ascending, "text times");
        }
        finally
        {
            File.Delete(pcap);
            File.Delete(data);
        }
    }
}
