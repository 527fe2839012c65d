using RawHandshake.Link;

namespace RawHandshake.Link.Tests;

[Trait("Category", "Live")]
public class NetNsTests
{
    [Fact]
    public void A_dedicated_thread_enters_the_namespace_and_its_child_processes_follow_it()
    {
        using var net = TestNetwork.Create();
        var host = NetNs.CurrentId;
        var (inside, links) = net.InA(() => (NetNs.CurrentId, TestNetwork.Run("ip", "-br", "link")));
        inside.ShouldNotBe(host);
        inside.ShouldStartWith("net:[");
        links.ShouldContain(net.IfA); // Process.Start forks from the calling thread: nft and ip run inside too
        TestNetwork.Run("ip", "-br", "link").ShouldNotContain(net.IfA);
        NetNs.CurrentId.ShouldBe(host);
        NetNs.Exists(net.NsA).ShouldBeTrue();
    }

    [Fact]
    public void An_unknown_namespace_is_a_one_line_error()
    {
        Should.Throw<LinkException>(() => NetNs.Run("rhlt-no-such-ns", () => 0, TimeSpan.FromSeconds(5)))
            .Message.ShouldBe("no network namespace 'rhlt-no-such-ns'");
        Should.Throw<LinkException>(() => NetNs.Run("../etc", () => 0, TimeSpan.FromSeconds(5)))
            .Message.ShouldBe("no network namespace '../etc'");
    }

    [Fact]
    public async Task Thread_pool_threads_are_refused_and_stay_where_they_are()
    {
        using var net = TestNetwork.Create();
        var host = NetNs.CurrentId;
        var (error, after) = await Task.Run(() =>
        {
            var e = Record.Exception(() => NetNs.EnterForThisThread(net.NsA));
            return (e, NetNs.CurrentId);
        });
        error.ShouldBeOfType<InvalidOperationException>().Message.ShouldContain("dedicated thread");
        after.ShouldBe(host);
    }

    [Fact]
    public void Run_rethrows_what_the_body_throws_and_times_out()
    {
        using var net = TestNetwork.Create();
        Should.Throw<FormatException>(() => net.InA(() => throw new FormatException("inside")))
            .Message.ShouldBe("inside");
        Should.Throw<TimeoutException>(() => NetNs.Run(net.NsA, () => Thread.Sleep(2000), TimeSpan.FromMilliseconds(100)));
    }

    [Fact]
    public async Task Thread_pool_threads_are_in_the_host_namespace()
    {
        // Guards against a test queuing pool work from inside a namespace (pool threads inherit it; see NetNs remarks).
        var host = NetNs.CurrentId;
        var ids = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => Task.Run(() =>
        {
            Thread.Sleep(10);
            return NetNs.CurrentId;
        })));
        ids.ShouldAllBe(id => id == host);
    }
}
