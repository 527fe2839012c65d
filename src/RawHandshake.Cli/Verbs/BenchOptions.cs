using CommandLine;

namespace RawHandshake.Cli.Verbs;

/// <summary><c>bench session --target IP:PORT -n N</c>: the engine against the kernel's own TCP, in one process.</summary>
[Verb("bench", HelpText = "Measure: 'bench session' runs N full sessions (connect, 12-byte echo, active close) by hand and N with kernel sockets, alternating, in one process, and compares the medians. 'bench loss' does the same with 64 KiB echoed (meant for a lossy path: see the README). 'bench parallel' runs rounds of N connections at once (handshake and close), by hand and with non-blocking kernel sockets, alternating. --timeout bounds each session (parallel: each round).")]
public sealed partial class BenchOptions : LiveOptions
{
    /// <summary>The benchmarks there are.</summary>
    public static readonly string[] Known = ["session", "loss", "parallel", "inject", "process"];

    [Value(0, MetaName = "BENCHMARK", Required = true, HelpText = "session: SYN until the server's FIN is acknowledged, engine vs kernel sockets, 12 bytes echoed. loss: the same with 64 KiB echoed and a kernel-like SYN (SACK, timestamps, window scaling), default -n 5, no warm-up, --timeout 30s. parallel: N connections at once (handshake, active close), engine vs kernel, default -n 1000, --rounds 5, --warmup 1 round. inject: -n prebuilt SYNs (default 200000) from one thread through our link (batched, and one send per frame) vs a C pcap_inject loop, on a veth of its own, --rounds 3, --warmup 1 round. process: -n whole 'handshake' processes (default 10) vs hping3 -c 1, wall time and peak RSS.")]
    public string? Benchmark { get; set; }

    [Option('t', "target", HelpText = "An echo server as IP:PORT (the lab's: 198.18.2.10:20000); every benchmark but inject needs one.")]
    public string Target { get; set; } = "";

    [Option('c', "count", HelpText = "Measured sessions of each kind, 1 to 100000 (default 100; loss: 5; parallel: connections at once, default 1000, at most 20000). Each kernel session leaves a socket in TIME-WAIT for 60 s; past a third of the ephemeral ports they slow the kernel down (a warning says so).")]
    public string? Count { get; set; }

    [Option("warmup", HelpText = "Sessions of each kind run first and not counted (default 20; loss: 0; parallel and inject: rounds, default 1).")]
    public string? Warmup { get; set; }

    [Option("rounds", HelpText = "parallel: measured rounds of each kind, 1 to 1000 (default 5).")]
    public string? Rounds { get; set; }

    [Option("timeout", HelpText = "Give up on each session after this long (default 10s; loss: 30s; parallel: each round, 30s).")]
    public override string? Timeout { get; set; }
}
