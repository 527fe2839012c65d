using System.Diagnostics;
using RawHandshake.Link;

namespace RawHandshake.Link.Tests;

/// <summary><see cref="ThreadCpu"/> counts the calling thread's CPU time (work moves it on, sleeping does not), and the process's.</summary>
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

    [Fact]
    public void The_process_CPU_time_counts_work_on_another_thread()
    {
        var start = ThreadCpu.Process();
        var worker = new Thread(() =>
        {
            var wall = Stopwatch.StartNew();
            var mine = ThreadCpu.Now();
            while (ThreadCpu.Now() - mine < TimeSpan.FromMilliseconds(30) && wall.Elapsed < TimeSpan.FromSeconds(30))
            {
            }
        });
        worker.Start();
        worker.Join();
        (ThreadCpu.Process() - start).ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(30), "the worker's CPU time is the process's too");
    }
}
