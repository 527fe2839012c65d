using CommandLine;

namespace RawHandshake.Cli.Verbs;

[Verb("traceroute", HelpText = "TCP traceroute (like traceroute -T): SYNs to PORT with rising TTL (hop limit over IPv6); each hop from the ICMP or ICMPv6 time-exceeded quoting our SYN, the end from the target's SYN-ACK or RST.")]
public sealed partial class TracerouteOptions : LiveOptions
{
    [Value(0, MetaName = "TARGET", Required = true, HelpText = "Host, IPv4 or IPv6 address of your own lab.")]
    public string Target { get; set; } = "";

    [Option('p', "port", HelpText = "Destination port (default 80).")]
    public string? Port { get; set; }

    [Option('q', "queries", HelpText = "Probes per hop (default 3, at most 10).")]
    public string? Queries { get; set; }

    [Option('m', "max-hops", HelpText = "Largest TTL or hop limit (default 30, at most 255).")]
    public string? MaxHops { get; set; }

    [Option('f', "first-hop", HelpText = "TTL or hop limit to start from (default 1).")]
    public string? FirstHop { get; set; }

    [Option("timeout", HelpText = "How long to wait for the answers of each hop (default 1s).")]
    public override string? Timeout { get; set; }
}
