using CommandLine;

namespace RawHandshake.Cli.Verbs;

[Verb("run", HelpText = "Run recipe scripts (recipes/README.md) against a real server: each step passes or fails; exit 0 when all pass.")]
public sealed partial class RunOptions : LiveOptions, IPictureOptions
{
    [Value(0, MetaName = "RECIPE", Required = true, HelpText = "Recipe files (.rh); a name without extension is looked up as NAME.rh.")]
    public IEnumerable<string> Files { get; set; } = [];

    [Option('t', "target", HelpText = "Server as IP:PORT, overriding the recipes' target lines.")]
    public string? Target { get; set; }

    [Option("junit", HelpText = "Write a JUnit XML report (one testsuite per recipe, one testcase per step).")]
    public string? JUnit { get; set; }

    [Option("ladder", HelpText = "Also draw each recipe's exchange as a ladder diagram.")]
    public bool Ladder { get; set; }

    [Option("repeat", HelpText = "Run each recipe N times at once, as N flows through one sniffer (distinct source ports); it passes when all N pass.")]
    public string? Repeat { get; set; }

    [Option("lab", HelpText = "Run recipes whose target is the lab's server (198.18.2.10, 198.18.1.10), or any --target, in lab NAME's client namespace, bringing the lab up if needed; other targets run here.")]
    public string? Lab { get; set; }

    [Option('q', "quiet", HelpText = "No line per packet or passing step: failed steps, warnings and the summary table only (for --repeat with many flows).")]
    public bool Quiet { get; set; }

    [Option("check", HelpText = "Only compile the recipes and report errors; send nothing.")]
    public bool Check { get; set; }

    [Option("ladder-svg", HelpText = "Draw the exchange as an SVG ladder diagram into this file (one arrow per frame, both sides' states at the margins).")]
    public string? LadderSvg { get; set; }

    [Option("report", HelpText = "Write one self-contained HTML page of the run into this file: ladder, time-sequence graphs, trace table, header diagrams, the pcap.")]
    public string? Report { get; set; }

    [Option("timeout", HelpText = "Give up on each recipe after this long (default: the recipe's own, else 30s), e.g. 5s.")]
    public override string? Timeout { get; set; }
}
