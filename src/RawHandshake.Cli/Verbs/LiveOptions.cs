using CommandLine;

namespace RawHandshake.Cli.Verbs;

/// <summary>Options every verb that puts frames on a wire shares.</summary>
public abstract class LiveOptions
{
    [Option("iface", HelpText = "Interface to send on (default: from the route to the target).")]
    public string? Iface { get; set; }

    [Option("source", HelpText = "Source IPv4 address (default: the interface's). An address the kernel does not own implies --rst-guard phantom.")]
    public string? Source { get; set; }

    [Option("rst-guard", HelpText = "Keep our own kernel from resetting the flow: nft (exactly our flows, in one table per run), phantom (with --source), none. Default: nft when possible.")]
    public string? RstGuard { get; set; }

    [Option("netns", HelpText = "Run inside this network namespace.")]
    public string? Netns { get; set; }

    [Option('w', "write", HelpText = "Write every frame sent and received to this file (.pcap, or .pcapng with a comment per packet).")]
    public string? Write { get; set; }

    [Option("json", HelpText = "JSON lines instead of the text trace (keys in the README).")]
    public bool Json { get; set; }

    /// <summary><c>--timeout</c>: each verb says what it bounds in its own help text.</summary>
    public abstract string? Timeout { get; set; }

    [Option("color", HelpText = "Colours: auto (default: only when the output is a terminal and NO_COLOR is unset), always, never.")]
    public string? Color { get; set; }
}
