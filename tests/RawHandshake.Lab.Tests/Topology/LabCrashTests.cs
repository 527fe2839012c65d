using System.Diagnostics;
using RawHandshake.Lab.Tests;
using RawHandshake.Lab.Tests.Support;
using RawHandshake.Lab.Topology;

namespace RawHandshake.Lab.Tests.Topology;

/// <summary><c>lab up</c> run as a real process (this assembly's <see cref="TestHost"/>), killed with SIGKILL; <c>down</c> must still clean everything.</summary>
public sealed class LabCrashTests
{
    [Fact]
    public async Task Down_after_the_up_process_was_killed_when_done()
    {
        var name = Names.Unique();
        try
        {
            using var up = TestDll.Start("lab", "up", "--name", name);
            up.StandardInput.Close();
            var stdout = up.StandardOutput.ReadToEndAsync();
            var stderr = up.StandardError.ReadToEndAsync();
            using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
            {
                // The servers must not hold the up process's stdout: reading to its end must finish.
                await Task.WhenAll(stdout, stderr).WaitAsync(cts.Token);
                await up.WaitForExitAsync(cts.Token);
            }

            up.ExitCode.ShouldBe(0, await stderr);
            (await stdout).ShouldStartWith($"lab {name}: up\n");

            var status = LabTopology.Status(name);
            status.State.ShouldBe(LabState.Up);
            status.Servers.Count.ShouldBe(7);

            var down = LabTopology.Down(name);
            down.StoppedProcesses.ShouldBe(8, "seven servers and slirp4netns");
            down.RemovedNamespaces.Count.ShouldBe(4);
            Leftovers.ShouldBeNone(name);
        }
        finally
        {
            LabTopology.Down(name);
        }
    }

    [Fact]
    public async Task Down_after_the_up_process_was_killed_half_way()
    {
        var name = Names.Unique();
        try
        {
            // Half-way at a known point: the test host's lab up stops for good as it is about to start its second
            // server (all namespaces made, one server running) and says "stalled"; only then is it killed.
            using var up = TestDll.Start(TestHost.StallCommand, name);
            up.StandardInput.Close();
            var stderr = up.StandardError.ReadToEndAsync();
            using (var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60)))
            {
                var line = await up.StandardOutput.ReadLineAsync(cts.Token);
                line.ShouldBe("stalled", $"lab up did not stall: {(up.HasExited ? await stderr : "(still running)")}");
            }

            File.Exists(Path.Combine(LabNetns.Directory, $"rh-{name}-srv")).ShouldBeTrue();
            up.HasExited.ShouldBeFalse();
            KillHard(up);
            await up.WaitForExitAsync();

            var status = LabTopology.Status(name);
            status.State.ShouldBe(LabState.Broken);

            var down = LabTopology.Down(name);
            down.RemovedNamespaces.Count.ShouldBe(4);
            down.StoppedProcesses.ShouldBe(1, "the one server started before the stall (slirp4netns starts after the servers)");
            Leftovers.ShouldBeNone(name);
            LabTopology.Status(name).State.ShouldBe(LabState.Down);
        }
        finally
        {
            LabTopology.Down(name);
        }
    }

    [Fact]
    public async Task Down_without_a_state_file_goes_by_namespace_names_and_markers()
    {
        var name = Names.Unique();
        try
        {
            var (code, _, err) = await TestDll.RunAsync(TimeSpan.FromSeconds(60), "lab", "up", "--name", name);
            code.ShouldBe(0, err);
            File.Delete(LabTopology.StatePath(name));

            LabTopology.Status(name).State.ShouldBe(LabState.Broken);
            var (downCode, downOut, _) = await TestDll.RunAsync(TimeSpan.FromSeconds(60), "lab", "down", "--name", name);
            downCode.ShouldBe(0);
            downOut.ShouldBe($"lab {name}: down (removed 4 namespace(s), stopped 8 process(es))\n");
            Leftovers.ShouldBeNone(name);
        }
        finally
        {
            LabTopology.Down(name);
        }
    }

    private static void KillHard(Process p)
    {
        using var kill = Process.Start("kill", ["-KILL", p.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
        kill.WaitForExit();
    }
}
