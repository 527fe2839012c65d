namespace RawHandshake.EndToEnd.Tests;

/// <summary>
/// Linux puts our IPv6 fragments back together: <c>craft --fragment</c> writes a fragmented echo request and a fragmented
/// UDP datagram behind a hop-by-hop header; injected on one end of a veth pair (two namespaces of our own), the other
/// end's kernel answers the whole packets — an echo reply of the full length, a port unreachable.
/// </summary>
[Trait("Category", "Live")]
public sealed class Fragment6LiveTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    // Sends the frames of each pcap (argv 1, 2) on the interface argv[3], each time waiting up to 3 s for the ICMPv6
    // answer to it; prints "type length" per answer.
    private const string Inject = """
        import socket, struct, sys
        out = socket.socket(socket.AF_PACKET, socket.SOCK_RAW); out.bind((sys.argv[3], 0))
        icmp = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6); icmp.settimeout(3)
        for path, want in ((sys.argv[1], 129), (sys.argv[2], 1)):
            b = open(path, 'rb').read(); at = 24
            while at < len(b):
                n = struct.unpack('<I', b[at + 8:at + 12])[0]; out.send(b[at + 16:at + 16 + n]); at += 16 + n
            while True:
                d = icmp.recv(65535)
                if d[0] == want:
                    print(d[0], len(d)); break
        """;

    [Fact]
    public void LinuxAnswersTheWholePacketsOurFragmentsMakeUp()
    {
        var id = Guid.NewGuid().ToString("N")[..5];
        string a = $"rhfa-{id}", b = $"rhfb-{id}", va = $"fa{id}", vb = $"fb{id}";
        var dir = Directory.CreateTempSubdirectory("rh-frag6-live-");
        try
        {
            Sh.Run("ip", "netns", "add", a);
            Sh.Run("ip", "netns", "add", b);
            Sh.Run("ip", "link", "add", va, "netns", a, "type", "veth", "peer", "name", vb, "netns", b);
            foreach (var (ns, dev, mac, addr) in new[] { (a, va, "02:00:00:00:00:01", "2001:db8:f6::1/64"), (b, vb, "02:00:00:00:00:02", "2001:db8:f6::2/64") })
            {
                Sh.InNs(ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=0", "net.ipv6.conf.default.disable_ipv6=0");
                Sh.Run("ip", "-n", ns, "link", "set", dev, "address", mac, "up");
                Sh.Run("ip", "-n", ns, "addr", "add", addr, "dev", dev, "nodad");
            }

            Sh.Run("ip", "-n", b, "neigh", "replace", "2001:db8:f6::1", "lladdr", "02:00:00:00:00:01", "dev", vb, "nud", "permanent");
            string[] common = ["craft", "--src", "2001:db8:f6::1", "--dst", "2001:db8:f6::2", "--src-mac", "02:00:00:00:00:01", "--dst-mac", "02:00:00:00:00:02"];
            var echo = Path.Combine(dir.FullName, "echo.pcap");
            var udp = Path.Combine(dir.FullName, "udp.pcap");
            Cli.Run(Bound, [.. common, "--icmp-type", "128", "--data", new string('p', 300), "--fragment", "64", "-w", echo]).Out.ShouldContain("wrote 5 frames");
            Cli.Run(Bound, [.. common, "--udp", "--dport", "9999", "--ext", "hbh", "--data", new string('u', 500), "--fragment", "128", "-w", udp]).Out.ShouldContain("wrote 4 frames");

            // The echo reply carries the 300 bytes back (8 + 300); the port unreachable quotes the reassembled datagram.
            var answers = Sh.InNs(a, "timeout", "10", "/usr/bin/python3", "-c", Inject, echo, udp, va).Split('\n', StringSplitOptions.RemoveEmptyEntries);
            answers.Length.ShouldBe(2, string.Join('\n', answers));
            answers[0].ShouldBe("129 308");
            answers[1].ShouldStartWith("1 ");
        }
        finally
        {
            Sh.RunAllowingFailure("ip", "netns", "del", a);
            Sh.RunAllowingFailure("ip", "netns", "del", b);
            dir.Delete(recursive: true);
        }
    }
}
