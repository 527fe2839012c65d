using CommandLine;

namespace RawHandshake.Cli.Verbs;

[Verb("explain", HelpText = "Work a frame's IPv4 and TCP/UDP/ICMP checksums through step by step: explain checksum HEX | - | -r FILE [--frame N].")]
public sealed partial class ExplainOptions
{
    [Value(0, MetaName = "TOPIC", Required = true, HelpText = "What to explain: checksum.")]
    public string Topic { get; set; } = "";

    [Value(1, MetaName = "HEX", HelpText = "Frame bytes as hex (as dissect reads them); '-' reads hex text from stdin.")]
    public IEnumerable<string> Hex { get; set; } = [];

    [Option('r', "read", HelpText = "Read the frame from a pcap or pcapng file.")]
    public string? Read { get; set; }

    [Option("frame", HelpText = "Which frame of the file or hex text (1-based, default 1).")]
    public string? Frame { get; set; }

    [Option("link-type", HelpText = "Link type of hex input: ethernet (default), raw (starts at the IP header), sll, sll2.")]
    public string? LinkType { get; set; }

    [Option("all", HelpText = "Show every data word (by default the first 8 and then their sum).")]
    public bool All { get; set; }
}
