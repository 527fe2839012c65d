using System.Diagnostics;
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
            KillHard(up);

            var status = LabTopology.Status(name);
            status.State.ShouldBe(LabState.Up);
            status.Servers.Count.ShouldBe(7);

            var down = LabTopology.Down(name);
            down.StoppedProcesses.ShouldBe(7);
            down.RemovedNamespaces.Count.ShouldBe(3);
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
            using var up = TestDll.Start("lab", "up", "--name", name);
            up.StandardInput.Close();
            _ = up.StandardOutput.ReadToEndAsync();
            _ = up.StandardError.ReadToEndAsync();

            // Half-way: the server namespace made (the last one), servers not all started. Watched through the
            // namespace file, which appears at once, rather than through the servers, which take a moment to show.
            var sw = Stopwatch.StartNew();
            var serverNs = $"/var/run/netns/rh-{name}-srv";
            while (!File.Exists(serverNs) && !up.HasExited)
            {
                sw.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(60));
                await Task.Delay(1);
            }

            up.HasExited.ShouldBeFalse("lab up finished before it could be killed half-way");
            KillHard(up);
            await up.WaitForExitAsync();

            var status = LabTopology.Status(name);
            status.State.ShouldBe(LabState.Broken);

            var down = LabTopology.Down(name);
            down.RemovedNamespaces.Count.ShouldBe(3);
            down.StoppedProcesses.ShouldBeGreaterThanOrEqualTo(0);
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
            downOut.ShouldBe($"lab {name}: down (removed 3 namespace(s), stopped 7 process(es))\n");
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
