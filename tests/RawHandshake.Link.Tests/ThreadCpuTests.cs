using System.Diagnostics;
using RawHandshake.Link;

namespace RawHandshake.Link.Tests;

/// <summary><see cref="ThreadCpu"/> counts the calling thread's CPU time: work moves it on, sleeping does not.</summary>
public class ThreadCpuTests
{
    [Fact]
    public void Work_moves_the_threads_CPU_time_on_and_sleeping_does_not()
    {
        var start = ThreadCpu.Now();
        var wall = Stopwatch.StartNew();
        var spins = 0L;
        while (ThreadCpu.Now() - start < TimeSpan.FromMilliseconds(20) && wall.Elapsed < TimeSpan.FromSeconds(30))
        {
            spins++;
        }

        (ThreadCpu.Now() - start).ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(20), $"after {spins} spins in {wall.Elapsed}");

        var beforeSleep = ThreadCpu.Now();
        Thread.Sleep(200);
        (ThreadCpu.Now() - beforeSleep).ShouldBeLessThan(TimeSpan.FromMilliseconds(100), "a sleeping thread uses no CPU");
    }
}
