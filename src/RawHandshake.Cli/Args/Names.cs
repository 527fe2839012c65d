using System.Text;

namespace RawHandshake.Cli.Args;

/// <summary>
/// One concept of the command line and the JSON: its one option name (and short letter), the spellings that still
/// work, its JSON key, and the verbs that take it.
/// </summary>
/// <param name="Concept">What it is, in the words of the README.</param>
/// <param name="Option">The one long option name, with its dashes (<c>--source</c>); null when only JSON has it.</param>
/// <param name="Short">The one-letter form (<c>-c</c>), or null.</param>
/// <param name="Also">Other spellings that keep working: rewritten to <paramref name="Option"/>/<paramref name="Short"/> before parsing.</param>
/// <param name="Json">The JSON key that holds it (dissect, handshake, run, probe, craft --json), or null.</param>
/// <param name="Verbs">The verbs that take the option.</param>
/// <param name="Note">Why it is spelled so, or how it differs from a near neighbour.</param>
public sealed record NamedConcept(string Concept, string? Option, string? Short, IReadOnlyList<string> Also, string? Json, IReadOnlyList<string> Verbs, string Note = "");

/// <summary>
/// The naming table (issue 8 §5): one name per concept on the command line and in JSON. The README's naming table is
/// generated from it (<see cref="Markdown"/>; a test compares the two), the verbs' option classes use its names (a test
/// checks them by reflection), and the other spellings are rewritten by <see cref="Rewrite"/>.
/// <para>
/// Why an argv rewrite and not hidden duplicate properties: CommandLineParser 2.9.1 has no aliases. A hidden duplicate
/// property per old spelling would need, in every verb class, a second property and a merge of the two (which wins when
/// both are given?), and would still show up in "unknown option" suggestions. Rewriting the old spelling to the one name
/// before parsing keeps one property per concept, one line in <c>--help</c>, one name in every error message, and the
/// mapping here in one table, per verb (<c>-q</c> is quiet everywhere but in traceroute, where it is the classic queries
/// per hop; <c>-n</c> becomes <c>-c</c> only for bench).
/// </para>
/// </summary>
public static class NamingTable
{
    private static readonly string[] Live = ["handshake", "run", "bench", "probe", "traceroute"];

    public static readonly IReadOnlyList<NamedConcept> Table =
    [
        new("source IPv4 address", "--source", null, ["--src"], "src", ["craft", .. Live], "craft's old --src still works; the JSON key is the header field's"),
        new("destination IPv4 address of one frame", "--dst", null, [], "dst", ["craft"], "live verbs take the server as --target IP:PORT"),
        new("server of a session", "--target", "-t", [], "flow", ["handshake", "run", "bench"]),
        new("receive window we advertise", "--window", null, ["--win"], "win", ["craft", "handshake"], "craft's old --win still works; win_calc is the scaled value"),
        new("sequence number of one frame", "--seq", null, [], "seq", ["craft"], "a field of one frame: not the ISN of a session"),
        new("initial sequence number of a session", "--isn", null, [], "isn", ["handshake"], "JSON isn: probe's SYN-ACK"),
        new("TCP source port", "--sport", null, [], "sport", ["craft", "handshake"]),
        new("TCP destination port", "--dport", null, [], "dport", ["craft"]),
        new("IP time to live", "--ttl", null, [], "ttl", ["craft", "handshake", "probe"]),
        new("MSS option", "--mss", null, [], "mss", ["craft", "handshake"], "in JSON under options (options.mss) and server_mss in a result"),
        new("window scale option", "--wscale", null, [], "wscale", ["craft", "handshake"], "options.wscale; server_wscale in a result"),
        new("SACK-permitted option (offered, or agreed in a result)", "--sackok", null, [], "sack_perm", ["craft", "handshake"], "the JSON key is sack_perm everywhere (options, result, probe); sackok is the option's and the recipe language's name"),
        new("SACK blocks on one frame", "--sack", null, [], "sack", ["craft"], "options.sack: [[left,right]]"),
        new("timestamps values on one frame", "--ts", null, [], "tsval", ["craft"], "--ts VAL:ECR sets both; JSON tsval and tsecr"),
        new("timestamps offered (agreed, in a result)", "--timestamps", null, [], "timestamps", ["handshake"], "JSON timestamps is always a boolean; the values are tsval/tsecr"),
        new("payload text (C escapes), repeatable", "--data", null, [], "payload_hex", ["craft", "handshake"]),
        new("payload as hex, repeatable", "--data-hex", null, [], "payload_hex", ["craft", "handshake"]),
        new("payload from a file, repeatable", "--data-file", null, [], "payload_hex", ["handshake"]),
        new("how many (frames, sessions, probes)", "--count", "-c", ["-n"], null, ["craft", "dissect", "probe", "bench"], "bench's old -n still works (in every verb with -c)"),
        new("quiet: no line per packet or step", "--quiet", "-q", [], null, ["run", "serve"], "traceroute's -q keeps the classic meaning: queries per hop"),
        new("probes per hop (traceroute)", "--queries", "-q", [], null, ["traceroute"]),
        new("capture file to write", "--write", "-w", [], null, ["craft", .. Live]),
        new("JSON lines instead of text", "--json", null, [], null, ["craft", "dissect", .. Live]),
        new("colours: auto (a terminal only), always, never; NO_COLOR is honoured", "--color", null, ["--colour"], null, ["craft", "dissect", .. Live]),
    ];

    /// <summary>Every other spelling rewritten to the one name, for the verb <c>args[0]</c> (up to a <c>--</c>).</summary>
    public static string[] Rewrite(string[] args)
    {
        if (args.Length < 2)
        {
            return args;
        }

        var verb = args[0];
        var result = (string[])args.Clone();
        for (var i = 1; i < result.Length; i++)
        {
            var token = result[i];
            if (token == "--")
            {
                break;
            }

            if (!token.StartsWith('-'))
            {
                continue;
            }

            foreach (var name in Table)
            {
                if (!name.Verbs.Contains(verb))
                {
                    continue;
                }

                foreach (var other in name.Also)
                {
                    var canonical = other.StartsWith("--", StringComparison.Ordinal) ? name.Option : name.Short;
                    if (canonical is null)
                    {
                        continue;
                    }

                    if (token == other)
                    {
                        result[i] = canonical;
                    }
                    else if (other.StartsWith("--", StringComparison.Ordinal) && token.StartsWith(other + "=", StringComparison.Ordinal))
                    {
                        result[i] = canonical + token[other.Length..];
                    }
                    else if (!other.StartsWith("--", StringComparison.Ordinal) && token.Length > 2 && token.StartsWith(other, StringComparison.Ordinal) && char.IsAsciiDigit(token[2]))
                    {
                        result[i] = canonical + token[2..]; // -n10
                    }
                }
            }
        }

        return result;
    }

    /// <summary>The naming table as the README shows it (between its <c>names:begin</c> and <c>names:end</c> markers).</summary>
    public static string Markdown()
    {
        var sb = new StringBuilder();
        sb.Append("| concept | option | also accepted | JSON key | verbs | note |\n");
        sb.Append("|---|---|---|---|---|---|\n");
        foreach (var n in Table)
        {
            var option = n.Option is null ? "" : n.Short is null ? $"`{n.Option}`" : $"`{n.Short}`, `{n.Option}`";
            sb.Append(CultureInvariant($"| {n.Concept} | {option} | {string.Join(", ", n.Also.Select(a => $"`{a}`"))} | {(n.Json is null ? "" : $"`{n.Json}`")} | {string.Join(", ", n.Verbs)} | {n.Note} |\n"));
        }

        return sb.ToString();
    }

    private static string CultureInvariant(FormattableString s) => FormattableString.Invariant(s);
}
