namespace RawHandshake.Cli.Tests;

/// <summary>Every error a user can hit in <c>probe</c>'s options before anything is sent: one line, exit 2.</summary>
public class ProbeErrorTests
{
    [Theory]
    [InlineData(new[] { "probe", "198.18.2.10", "-p", "0" }, "rawhandshake: -p: '0' in '0' is not a port (1 to 65535)")]
    [InlineData(new[] { "probe", "198.18.2.10", "-p", "80,,81" }, "rawhandshake: -p: '80,,81' has an empty item (write e.g. 22,80,8000-8100)")]
    [InlineData(new[] { "probe", "198.18.2.10", "-p", "90-80" }, "rawhandshake: -p: range 90-80 runs backwards (write 80-90)")]
    [InlineData(new[] { "probe", "198.18.2.10", "-p", "http" }, "rawhandshake: -p: 'http' in 'http' is not a port (1 to 65535)")]
    [InlineData(new[] { "probe", "198.18.2.0/33", "-p", "80" }, "rawhandshake: TARGET: '198.18.2.0/33' is not an IPv4 CIDR range (e.g. 198.18.2.0/28)")]
    [InlineData(new[] { "probe", "198.18.0.0/16", "-p", "80" }, "rawhandshake: TARGET: 198.18.0.0/16 holds 65536 addresses; at most 4096 (/20) at a time")]
    [InlineData(new[] { "probe", "198.18.2.10", "-p", "80", "-c", "0" }, "rawhandshake: --count: 0 is out of range (1 to 1000)")]
    [InlineData(new[] { "probe", "198.18.2.10", "-p", "80", "-c", "1001" }, "rawhandshake: --count: 1001 is out of range (0 to 1000, 0x3e8)")]
    [InlineData(new[] { "probe", "198.18.2.10", "-p", "80", "--retries", "11" }, "rawhandshake: --retries: 11 is out of range (0 to 10, 0xa)")]
    [InlineData(new[] { "probe", "198.18.2.10", "-p", "80", "--ttl", "0" }, "rawhandshake: --ttl: 0 dies at once (1 to 255)")]
    [InlineData(new[] { "probe", "198.18.2.10", "-p", "80", "--rate", "fast" }, "rawhandshake: --rate: 'fast' is not a number of frames per second (more than 0, at most 100000)")]
    [InlineData(new[] { "probe", "198.18.2.10", "-p", "80", "--timeout", "soon" }, "rawhandshake: --timeout: 'soon' is not a duration (e.g. 200ms, 1.5s, 2m)")]
    [InlineData(new[] { "probe", "198.18.2.10", "-p", "80", "--rst-guard", "maybe" }, "rawhandshake: --rst-guard: 'maybe' is not one of nft, phantom, none")]
    [InlineData(new[] { "probe", "198.18.2.10", "-p", "80", "--netns", "no-such-ns-xyz" }, "rawhandshake: --netns: no network namespace 'no-such-ns-xyz' (see: ip netns list)")]
    [InlineData(new[] { "probe", "198.18.2.10", "-p", "80", "--scan", "maimon" }, "rawhandshake: --scan: 'maimon' is not one of syn, ack, fin, null, xmas, window")]
    [InlineData(new[] { "probe", "198.18.2.10", "-p", "53", "--udp", "--scan", "ack" }, "rawhandshake: --udp and --scan ack: UDP probes carry no TCP flags; give one or the other")]
    [InlineData(new[] { "craft", "--udp", "--icmp-type", "8" }, "rawhandshake: --udp and --icmp-type: a frame is UDP or ICMP, not both")]
    [InlineData(new[] { "craft", "--udp", "--arp", "request" }, "rawhandshake: --arp and --udp: a frame is ARP or UDP, not both")]
    [InlineData(new[] { "craft", "--udp", "--udp-len", "70000" }, "rawhandshake: --udp-len: 70000 is out of range (0 to 65535, 0xffff)")]
    [InlineData(new[] { "probe", "198.18.2.10", "-p", "80", "--deep-timeout", "5s" }, "rawhandshake: --deep-timeout: only with --deep")]
    [InlineData(new[] { "probe", "198.18.2.10", "-p", "80", "--deep", "--scan", "fin" }, "rawhandshake: --deep: needs SYN probes (not --scan fin)")]
    [InlineData(new[] { "probe", "198.18.2.10", "-p", "80", "--request", "GET /" }, "rawhandshake: --request: only with --deep")]
    [InlineData(new[] { "probe", "198.18.2.10", "-p", "80", "--deep", "--request", "" }, "rawhandshake: --request: 0 bytes (1 to 1400: the request goes in one segment)")]
    [InlineData(new[] { "probe", "198.18.2.10", "-p", "80", "--deep", "--request", "\\q" }, "rawhandshake: --request: unknown escape '\\q' (known: \\r \\n \\t \\0 \\\\ \\\" \\xHH \\NNN)")]
    [InlineData(new[] { "traceroute", "198.18.2.0/30", "-p", "80" }, "rawhandshake: TARGET: 198.18.2.0/30 is a range; traceroute takes one host")]
    [InlineData(new[] { "traceroute", "198.18.2.10", "-p", "0" }, "rawhandshake: --port: port 0 cannot be connected to")]
    [InlineData(new[] { "traceroute", "198.18.2.10", "-q", "0" }, "rawhandshake: --queries: at least 1 probe per hop")]
    [InlineData(new[] { "traceroute", "198.18.2.10", "-q", "11" }, "rawhandshake: --queries: 11 is out of range (0 to 10, 0xa)")]
    [InlineData(new[] { "traceroute", "198.18.2.10", "-f", "5", "-m", "3" }, "rawhandshake: --first-hop 5 and --max-hops 3: need 1 ≤ first hop ≤ max hops")]
    [InlineData(new[] { "traceroute", "198.18.2.10", "-m", "256" }, "rawhandshake: --max-hops: 256 is out of range (0 to 255, 0xff)")]
    [InlineData(new[] { "traceroute", "198.18.2.10", "--netns", "no-such-ns-xyz" }, "rawhandshake: --netns: no network namespace 'no-such-ns-xyz' (see: ip netns list)")]
    [InlineData(new[] { "probe", "198.18.2.10" }, "rawhandshake: -p: which ports? Give -p PORTS (e.g. -p 22,80,8000-8100), or TARGET as HOST:PORT ([2001:db8::10]:20000 for IPv6)")]
    [InlineData(new[] { "probe", "[2001:db8::10]:80", "-p", "80" }, "rawhandshake: TARGET '[2001:db8::10]:80' names its port and -p names ports too: give them once (TARGET without the port, or no -p)")]
    [InlineData(new[] { "probe", "[2001:db8::10]:0" }, "rawhandshake: TARGET: '[2001:db8::10]:0': port 0 cannot be probed (1 to 65535)")]
    [InlineData(new[] { "probe", "[2001:db8::10]:70000" }, "rawhandshake: TARGET port: 70000 is out of range (0 to 65535, 0xffff)")]
    [InlineData(new[] { "probe", "2001:db8::/112", "-p", "80" }, "rawhandshake: TARGET: 2001:db8::/112 holds 2^16 addresses; at most 4096 (/116) at a time")]
    [InlineData(new[] { "probe", "2001:db8::/129", "-p", "80" }, "rawhandshake: TARGET: '2001:db8::/129' is not an IPv6 range (e.g. 2001:db8:2::/120)")]
    [InlineData(new[] { "probe", "2001:db8::zz/120", "-p", "80" }, "rawhandshake: TARGET: '2001:db8::zz/120' is not an IPv6 range (e.g. 2001:db8:2::/120)")]
    [InlineData(new[] { "probe", "[2001:db8::zz]:80" }, "rawhandshake: TARGET: cannot resolve host '2001:db8::zz'")]
    [InlineData(new[] { "probe", "2001:db8::10", "-p", "80", "--source", "198.18.0.1" }, "rawhandshake: --source 198.18.0.1 and TARGET 2001:db8::10: one is IPv4, the other IPv6; give a source of the target's family")]
    [InlineData(new[] { "probe", "198.18.2.10", "-p", "80", "--source", "2001:db8::zz" }, "rawhandshake: --source: '2001:db8::zz' is not an IPv4 or IPv6 address")]
    public void OneLineAndExit2(string[] args, string expected)
    {
        var r = CliRunner.Run(args);
        r.Err.TrimEnd('\n').ShouldBe(expected);
        r.Code.ShouldBe(2);
        r.Out.ShouldBeEmpty();
    }
}
