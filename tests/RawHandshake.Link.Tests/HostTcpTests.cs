using System.Net;
using System.Net.Sockets;
using RawHandshake.Link;

namespace RawHandshake.Link.Tests;

public class HostTcpTests
{
    [Fact]
    public void Sockets_are_counted_by_the_state_field_of_the_listing()
    {
        string[] listing =
        [
            "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
            "   0: 0100007F:4E20 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1 1 0000000000000000 100 0 0 10 0",
            "   1: 0A0112C6:9C40 0A0212C6:4E20 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000",
            "   2: 0A0112C6:9C41 0A0212C6:4E20 06 00000000:00000000 03:00001770 00000000     0        0 0 3 0000000000000000",
            "   3: garbage",
        ];
        HostTcp.CountInState(listing, HostTcp.TimeWaitState).ShouldBe(2);
        HostTcp.CountInState(listing, 0x0A).ShouldBe(1);
        HostTcp.CountInState(listing.Take(1), HostTcp.TimeWaitState).ShouldBe(0);
    }

    [Theory]
    [InlineData("32768\t60999\n", 32768, 60999)]
    [InlineData("1024 1024", 1024, 1024)]
    public void The_ephemeral_range_is_two_ports_in_order(string text, int low, int high) =>
        HostTcp.ParsePortRange(text).ShouldBe((low, high));

    [Theory]
    [InlineData("")]
    [InlineData("60999 32768")]
    [InlineData("0 100")]
    [InlineData("1 70000")]
    [InlineData("a b")]
    [InlineData("1 2 3")]
    public void Anything_else_is_no_range(string text) => HostTcp.ParsePortRange(text).ShouldBeNull();

    [Fact]
    [Trait("Category", "Live")]
    public void The_socket_table_is_the_calling_threads_namespace_not_the_process_leaders()
    {
        using var net = TestNetwork.Create();
        TestNetwork.Exec(net.NsA, "sysctl", "-qw", "net.ipv4.ip_local_port_range=20000 20999");
        using var listener = net.InA(() =>
        {
            var l = new TcpListener(IPAddress.Any, 0);
            l.Start();
            return l;
        });

        // A fresh namespace holds nothing but our listener (0A = LISTEN); /proc/net/tcp would show the host's.
        net.InA(() => HostTcp.CountInState(0x0A)).ShouldBe(1);
        net.InA(HostTcp.EphemeralPortRange).ShouldBe((20000, 20999));
        net.InB(() => HostTcp.CountInState(0x0A)).ShouldBe(0);
        net.InB(HostTcp.TimeWaitCount).ShouldBe(0);
    }
}
