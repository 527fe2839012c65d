namespace RawHandshake.Cli.Args;

/// <summary>The usage line and a few runnable examples for each verb's <c>--help</c> (the options follow from the verb's class).</summary>
public static class VerbHelp
{
    public sealed record Entry(string Usage, IReadOnlyList<string> Examples);

    private const string Run = "./run-as-root.sh";

    public static readonly IReadOnlyDictionary<string, Entry> Verbs = new Dictionary<string, Entry>
    {
        ["craft"] = new("rawhandshake craft [FIELD OPTIONS] [-w FILE] [--json | --hex-only] [--send [--count N] [--interval D | --rate PPS]]",
            [$"{Run} craft --flags S --seq 0x5c4e1a2b --mss 1460 --wscale 8 --sackok -w syn.pcapng",
             $"{Run} craft --flags S --ttl 1 --tcp-checksum 0xdead --ip-options 07070400000000",
             $"{Run} craft --send --netns rh-lab-cli --dst 198.18.2.10 --dport 20000 --flags S --count 5 --interval 10ms"]),
        ["dissect"] = new("rawhandshake dissect (HEX… | - | -r FILE) [--summary | --json] [-c N] [--frame N] [-f FILTER]",
            [$"{Run} dissect -r tests/fixtures/echo-session.pcapng --summary",
             $"{Run} dissect -r tests/fixtures/echo-session.pcapng --frame 1",
             $"tcpdump -xx -r tests/fixtures/echo-session.pcapng | {Run} dissect -"]),
        ["handshake"] = new("rawhandshake handshake -t IP:PORT [--data TEXT]… [--data-hex HEX]… [--data-file FILE]… [--close MODE] [-w FILE] [--json]",
            [$"{Run} handshake --netns rh-lab-cli -t 198.18.2.10:20000 --data A --data AB --expect-echo --ladder",
             $"{Run} handshake --netns rh-lab-cli -t 198.18.2.10:20000 --sackok --timestamps --wscale 7 --json",
             $"{Run} handshake --netns rh-lab-cli -t 198.18.2.10:20000 --data hello --report s.html"]),
        ["interfaces"] = new("rawhandshake interfaces [--json]", [$"{Run} interfaces", $"{Run} interfaces --json"]),
        ["serve"] = new("rawhandshake serve (echo | http | discard | chargen) --port N [--once] [--read-once] [--close-after D]",
            [$"{Run} serve echo --port 20000", $"{Run} serve echo --port 20003 --read-once --close-after 3s"]),
        ["lab"] = new("rawhandshake lab (up | down | status) [--name N] [--far-path] [--json]",
            [$"{Run} lab up", $"{Run} lab status --json", $"{Run} lab down"]),
        ["run"] = new("rawhandshake run RECIPE… [--target IP:PORT | --lab N | --netns NS] [--repeat N] [-q] [--junit FILE]",
            [$"{Run} run recipes/seed-python-echo.rh", $"{Run} run --check recipes/seed-web.rh", $"{Run} run --netns rh-lab-cli recipes/seed-python-echo.rh --repeat 20 -q"]),
        ["bench"] = new("rawhandshake bench (session | loss) -t IP:PORT [-c N] [--warmup N]",
            [$"{Run} bench session --netns rh-lab-cli -t 198.18.2.10:20000 -c 50"]),
        ["explain"] = new("rawhandshake explain checksum (HEX | - | -r FILE [--frame N]) [--all]",
            [$"{Run} craft --flags S --tcp-checksum 0xdead -w bad.pcap && {Run} explain checksum -r bad.pcap",
             $"{Run} explain checksum -r tests/fixtures/offload-server-side.pcap --frame 2"]),
        ["exercise"] = new("rawhandshake exercise (list | show NAME | run NAME [--answer TEXT] | run --all)",
            [$"{Run} exercise list", $"{Run} exercise show seq-ack", $"{Run} exercise run seq-ack --answer 4"]),
        ["doctor"] = new("rawhandshake doctor [--fix] [--netns NS] [--lab N]", [$"{Run} doctor", $"{Run} doctor --fix"]),
        ["probe"] = new("rawhandshake probe TARGET -p PORTS [-c N] [--scan KIND | --udp] [--json] [--report FILE]",
            [$"{Run} probe --netns rh-lab-cli 198.18.2.10 -p 80,20000-20003", $"{Run} probe --netns rh-lab-cli 198.18.2.10 -p 20000 -c 5 --json"]),
        ["traceroute"] = new("rawhandshake traceroute TARGET -p PORT [-q QUERIES] [-m MAX] [-f FIRST]",
            [$"{Run} lab up --far-path && {Run} traceroute --netns rh-lab-cli 198.18.4.10 -p 20000"]),
    };

    /// <summary>The verb's help: usage, then the option list, then the examples.</summary>
    public static string Wrap(string verb, string options) => Verbs.TryGetValue(verb, out var e)
        ? $"Usage: {e.Usage}\n{options.TrimEnd()}\n\nExamples:\n{string.Join("\n", e.Examples.Select(x => "  " + x))}\n"
        : options;
}
