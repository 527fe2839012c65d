using RawHandshake.Link;

namespace RawHandshake.Link.Tests;

public sealed class PendingTests
{
    private sealed class Resource : IDisposable
    {
        public bool Disposed { get; private set; }

        public void Dispose() => Disposed = true;
    }

    [Fact]
    public void Wait_returns_only_once_the_work_has_finished_and_gives_its_result()
    {
        using var release = new ManualResetEventSlim();
        var finished = false;
        var made = new Resource();
        using var pending = Pending<Resource>.Start("test", () =>
        {
            release.Wait();
            finished = true;
            return made;
        });

        Resource? got = null;
        var waiter = new Thread(() => got = pending.Wait()) { IsBackground = true };
        waiter.Start();

        // However long we look, the waiter cannot be past Wait while the work is held: it is still blocked in it.
        waiter.Join(TimeSpan.FromMilliseconds(100)).ShouldBeFalse();
        got.ShouldBeNull();
        pending.IsCompleted.ShouldBeFalse();

        release.Set();
        waiter.Join(TimeSpan.FromSeconds(10)).ShouldBeTrue();
        finished.ShouldBeTrue();
        got.ShouldBeSameAs(made);
        pending.IsCompleted.ShouldBeTrue();
        pending.Wait().ShouldBeSameAs(made);
    }

    [Fact]
    public void What_the_work_threw_is_thrown_by_every_Wait_and_Dispose_has_nothing_to_undo()
    {
        var pending = Pending<Resource>.Start("test", () => throw new LinkException("nft: no"));
        Should.Throw<LinkException>(pending.Wait).Message.ShouldBe("nft: no");
        Should.Throw<LinkException>(pending.Wait).Message.ShouldBe("nft: no");
        pending.Dispose();
        Should.Throw<ObjectDisposedException>(pending.Wait);
    }

    [Fact]
    public void Dispose_while_the_work_runs_waits_for_it_and_disposes_what_it_made()
    {
        using var started = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var made = new Resource();
        var pending = Pending<Resource>.Start("test", () =>
        {
            started.Set();
            release.Wait();
            return made;
        });
        started.Wait(TimeSpan.FromSeconds(10)).ShouldBeTrue();

        var disposer = new Thread(pending.Dispose) { IsBackground = true };
        disposer.Start();
        disposer.Join(TimeSpan.FromMilliseconds(100)).ShouldBeFalse();
        made.Disposed.ShouldBeFalse();

        release.Set();
        disposer.Join(TimeSpan.FromSeconds(10)).ShouldBeTrue();
        made.Disposed.ShouldBeTrue();
        pending.Dispose(); // idempotent
    }

    [Fact]
    [Trait("Category", "Live")]
    public void The_work_runs_in_the_network_namespace_of_the_thread_that_started_it()
    {
        using var net = TestNetwork.Create();
        var (inside, started) = net.InA(() =>
        {
            string? seen = null;
            using var q = Pending<Resource>.Start("test", () =>
            {
                seen = NetNs.CurrentId;
                return new Resource();
            });
            q.Wait();
            return (seen, NetNs.CurrentId);
        });
        inside.ShouldBe(started);
        inside.ShouldNotBe(NetNs.CurrentId);
    }
}
