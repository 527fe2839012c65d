using CommandLine;

namespace RawHandshake.Cli.Verbs;

[Verb("probe", HelpText = "Probe TCP ports of a lab host with SYNs, like nmap -sS and hping3: state, reason, RTT and the SYN-ACK's fingerprint per port.")]
public sealed partial class ProbeOptions : LiveOptions
{
    [Value(0, MetaName = "TARGET", Required = true, HelpText = "Host, IPv4 or IPv6 address, or IPv4 CIDR range (at most /20, 4096 addresses) of your own lab; HOST:PORT or [IPV6]:PORT names one port instead of -p.")]
    public string Target { get; set; } = "";

    [Option('p', "ports", HelpText = "Ports: a list with ranges, e.g. 22,80,8000-8100.")]
    public string? Ports { get; set; }

    [Option('c', "count", HelpText = "SYNs per port (default 1, at most 1000), with RTT min/avg/max/mdev like ping.")]
    public string? Count { get; set; }

    [Option("rate", HelpText = "SYNs per second (default 200; at most 100000).")]
    public string? Rate { get; set; }

    [Option("retries", HelpText = "Rounds sent again to ports from which nothing came back (default 1, at most 10).")]
    public string? Retries { get; set; }

    [Option("scan", HelpText = "nmap's TCP scan type: syn (default), ack, fin, null, xmas, window.")]
    public string? Scan { get; set; }

    [Option("udp", HelpText = "UDP probes (nmap -sU): an answer is open, ICMP port unreachable closed, another unreachable filtered, silence open|filtered.")]
    public bool Udp { get; set; }

    [Option("deep", HelpText = "Then, for each open port, one at a time: let the server retransmit its SYN-ACK (our ACK held back) and time the schedule, the TS clock rate from those SYN-ACKs, and how ISNs and IP IDs move over the -c probes; on two connections of its own, RFC 5961's challenge ACK to an in-window RST and to a SYN in ESTABLISHED.")]
    public bool Deep { get; set; }

    [Option("request", HelpText = "With --deep: send TEXT (C escapes such as \\r\\n work; e.g. an HTTP GET) on a connection of its own and count the bytes the server sends before our first ACK (its initial window), and the segment size it applies (an MSS clamp on the path).")]
    public string? Request { get; set; }

    [Option("deep-timeout", HelpText = "With --deep: how long to let one port retransmit (default 10s; Linux's default tcp_synack_retries=5 takes 63 s).")]
    public string? DeepTimeout { get; set; }

    [Option("ttl", HelpText = "IP TTL (IPv6: hop limit) of our SYNs (default 64).")]
    public string? Ttl { get; set; }

    [Option("report", HelpText = "Write one self-contained HTML page of the probes into this file: ladder, trace table, header diagrams, the pcap.")]
    public string? Report { get; set; }

    [Option("timeout", HelpText = "How long to wait for the answer to each probe (default 1s), e.g. 200ms.")]
    public override string? Timeout { get; set; }
}
