using System.Diagnostics;
using RawHandshake.Lab.Tests.Support;
using RawHandshake.Lab.Topology;

namespace RawHandshake.Lab.Tests.Topology;

/// <summary>Issue 14, <c>doctor</c>: which labs are leftovers of dead processes (removed by <c>--fix</c>) and which are not.</summary>
public sealed class LabDoctorTests
{
    private static void Ip(params string[] args)
    {
        var psi = new ProcessStartInfo("ip") { RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        p.WaitForExit(10_000).ShouldBeTrue();
        p.ExitCode.ShouldBe(0, p.StandardError.ReadToEnd());
    }

    [Fact]
    public void ANamespaceWithoutStateIsALeftoverAndRemoving_it_leaves_nothing()
    {
        var name = Names.Unique();
        try
        {
            Ip("netns", "add", $"rh-{name}-cli");
            LabDoctor.Names().ShouldContain(name);
            var finding = LabDoctor.Check(name).ShouldHaveSingleItem();
            finding.State.ShouldBe(LabState.Broken);
            finding.Leftover.ShouldBeTrue();
            finding.Detail.ShouldStartWith($"left by a dead process (rh-{name}-cli): no state file {LabTopology.StatePath(name)}");

            var removed = LabDoctor.Remove(name);
            removed.RemovedNamespaces.ShouldBe([$"rh-{name}-cli"]);
            Leftovers.ShouldBeNone(name);
            LabDoctor.Check(name).ShouldBeEmpty();
        }
        finally
        {
            LabTopology.Down(name);
        }
    }

    [Fact]
    public void ABrokenLabWhoseCreatorRunsIsNotALeftover()
    {
        var name = Names.Unique();
        try
        {
            Directory.CreateDirectory(LabTopology.StateDirectory);
            new LabStateFile { Name = name, Created = DateTimeOffset.UtcNow, CreatedBy = Environment.ProcessId, Complete = false }.Write(LabTopology.StatePath(name));
            var finding = LabDoctor.Check(name).ShouldHaveSingleItem();
            finding.Leftover.ShouldBeFalse();
            finding.Detail.ShouldStartWith($"broken, but its creator (pid {Environment.ProcessId}) still runs: ");

            // The same state, written by a process that is gone: a leftover.
            using (var gone = Process.Start(new ProcessStartInfo("true") { UseShellExecute = false })!)
            {
                gone.WaitForExit();
                new LabStateFile { Name = name, Created = DateTimeOffset.UtcNow, CreatedBy = gone.Id, Complete = false }.Write(LabTopology.StatePath(name));
            }

            LabDoctor.Check(name).ShouldHaveSingleItem().Leftover.ShouldBeTrue();
        }
        finally
        {
            LabTopology.Down(name);
            Leftovers.ShouldBeNone(name);
        }
    }
}
