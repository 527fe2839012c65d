using CommandLine;

namespace RawHandshake.Cli.Verbs;

/// <summary><c>doctor [--fix] [--netns NAME]</c>: what this host has and lacks for RawHandshake, one line per fact.</summary>
[Verb("doctor", HelpText = "Check the host: libpcap and its version, privileges, interfaces, routes, offloads (ethtool -k), nft, RST-guard tables and labs left by dead processes; each line ok/warn/fail with its fix. --fix removes the leftovers.")]
public sealed partial class DoctorOptions : ICommand
{
    [Option("fix", HelpText = "Remove what dead processes left: their nft RST-guard tables (here) and their labs (namespaces, servers, state).")]
    public bool Fix { get; set; }

    [Option("lab", HelpText = "Check (and with --fix remove) only this lab, not every lab on the host.")]
    public string? Lab { get; set; }

    [Option("netns", HelpText = "Check inside this network namespace (interfaces, routes, offloads, nft tables are per namespace).")]
    public string? Netns { get; set; }
}
