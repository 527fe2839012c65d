using CommandLine;

namespace RawHandshake.Cli.Verbs;

/// <summary><c>bench session --target IP:PORT -n N</c>: the engine against the kernel's own TCP, in one process.</summary>
[Verb("bench", HelpText = "Measure: 'bench session' runs N full sessions (connect, 12-byte echo, active close) by hand and N with kernel sockets, alternating, in one process, and compares the medians. 'bench loss' does the same with 64 KiB echoed (meant for a lossy path: see the README). --timeout bounds each session.")]
public sealed partial class BenchOptions : LiveOptions
{
    /// <summary>The benchmarks there are.</summary>
    public static readonly string[] Known = ["session", "loss"];

    [Value(0, MetaName = "BENCHMARK", Required = true, HelpText = "session: SYN until the server's FIN is acknowledged, engine vs kernel sockets, 12 bytes echoed. loss: the same with 64 KiB echoed and a kernel-like SYN (SACK, timestamps, window scaling), default -n 5, no warm-up, --timeout 30s.")]
    public string? Benchmark { get; set; }

    [Option('t', "target", Required = true, HelpText = "An echo server as IP:PORT (the lab's: 198.18.2.10:20000).")]
    public string Target { get; set; } = "";

    [Option('c', "count", HelpText = "Measured sessions of each kind, 1 to 100000 (default 100; loss: 5). Each kernel session leaves a socket in TIME-WAIT for 60 s; past a third of the ephemeral ports they slow the kernel down (a warning says so).")]
    public string? Count { get; set; }

    [Option("warmup", HelpText = "Sessions of each kind run first and not counted (default 20; loss: 0).")]
    public string? Warmup { get; set; }

    [Option("timeout", HelpText = "Give up on each session after this long (default 10s; loss: 30s).")]
    public override string? Timeout { get; set; }
}
