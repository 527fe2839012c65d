using CommandLine;

namespace RawHandshake.Cli.Verbs;

[Verb("dissect", HelpText = "Decode frames given as hex (plain, separated, tcpdump -xx text), from stdin (-) or from a pcap/pcapng file (-r).")]
public sealed partial class DissectOptions
{
    [Value(0, MetaName = "HEX", HelpText = "Frame bytes as hex; '-' reads hex text from stdin.")]
    public IEnumerable<string> Hex { get; set; } = [];

    [Option('r', "read", HelpText = "Read frames from a pcap or pcapng file.")]
    public string? Read { get; set; }

    [Option("json", HelpText = "One JSON object per frame (keys in the README).")]
    public bool Json { get; set; }

    [Option("color", HelpText = "Colours: auto (default: only when the output is a terminal and NO_COLOR is unset), always, never.")]
    public string? Color { get; set; }

    [Option('c', "count", HelpText = "Stop after N frames.")]
    public string? Count { get; set; }

    [Option("frame", HelpText = "Show only frame number N (1-based); relative sequence numbers still count the frames before it.")]
    public string? Frame { get; set; }

    [Option("link-type", HelpText = "Link type of hex input: ethernet (default), raw (starts at the IP header), sll, sll2.")]
    public string? LinkType { get; set; }

    [Option('f', "filter", HelpText = "Show only frames that pass this tcpdump filter (BPF, compiled by libpcap), e.g. 'tcp port 80'; analysis still sees every frame.")]
    public string? Filter { get; set; }

    [Option("follow", HelpText = "Follow TCP stream N (0-based, as Wireshark's tcp.stream) or ADDR:PORT,ADDR:PORT: its payload both ways, in order.")]
    public string? Follow { get; set; }

    [Option("hex", HelpText = "With --follow: a hex dump instead of text.")]
    public bool FollowHex { get; set; }

    [Option("conversations", HelpText = "One line per TCP conversation: frames, bytes, duration and analysis counts.")]
    public bool Conversations { get; set; }

    [Option('s', "summary", HelpText = "Only the one-line summary per frame, like tshark without -V.")]
    public bool Summary { get; set; }
}
