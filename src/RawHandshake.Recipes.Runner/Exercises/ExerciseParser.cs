using System.Globalization;
using System.Text;
using RawHandshake.Recipes.Syntax;

namespace RawHandshake.Recipes.Runner.Exercises;

/// <summary>What <see cref="ExerciseParser.Parse"/> found: an exercise, or the errors (<c>file:line:col: message</c>).</summary>
public sealed record ExerciseParseResult(Exercise? Exercise, IReadOnlyList<RecipeDiagnostic> Errors);

/// <summary>
/// Reads an exercise file: <c>KEY text</c> lines (indented lines continue the text above), <c>observe</c>, <c>answer</c>
/// and <c>alias</c> lines, then <c>recipe</c> alone on a line and the recipe to the end of the file, whose steps may
/// carry a label <c>[NAME]</c> at the start of their line. The recipe keeps its line and column numbers, so its errors
/// point into the exercise file. Never throws.
/// </summary>
public static class ExerciseParser
{
    public const string Extension = ".rhx";

    /// <summary>Top-level packet fields an observation may name (the keys of <c>--json</c> packet events).</summary>
    public static readonly IReadOnlySet<string> Fields = new HashSet<string>(StringComparer.Ordinal)
    {
        "eth_src", "eth_dst", "ethertype", "proto", "src", "dst", "ttl", "id", "tos", "df", "mf", "frag_offset", "ip_len",
        "ihl", "ip_proto", "ip_checksum", "ip_checksum_status", "ip_options", "sport", "dport", "flags", "seq", "ack",
        "rel_seq", "rel_ack", "win", "win_calc", "len", "urg", "data_offset", "tcp_checksum", "tcp_checksum_status",
        "payload_hex", ExerciseCheck.SackRelative,
    };

    /// <summary>Fields with parts, named <c>options.mss</c>, <c>icmp.quoted.seq</c> …</summary>
    public static readonly IReadOnlySet<string> Groups = new HashSet<string>(StringComparer.Ordinal) { "options", "icmp" };

    private static readonly string[] TextKeys = ["title", "seed", "goal", "change", "question"];

    public static ExerciseParseResult Parse(string text, string file)
    {
        var errors = new List<RecipeDiagnostic>();
        try
        {
            return ParseCore(text ?? "", string.IsNullOrEmpty(file) ? "<exercise>" : file, errors);
        }
#pragma warning disable CA1031 // like the recipe compiler: a bug becomes one diagnostic, not a stack trace
        catch (Exception e)
#pragma warning restore CA1031
        {
            errors.Add(new RecipeDiagnostic(file, 1, 1, $"internal error in the exercise parser: {e.GetType().Name}: {e.Message}"));
            return new ExerciseParseResult(null, errors);
        }
    }

    private static ExerciseParseResult ParseCore(string text, string file, List<RecipeDiagnostic> errors)
    {
        var lines = text.TrimStart('\uFEFF').Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n');
        var texts = new Dictionary<string, (StringBuilder Text, int Line)>(StringComparer.Ordinal);
        var stacks = new List<ExerciseStack>();
        ushort? port = null;
        var observations = new List<(string[] Words, int[] Cols, int Line)>();
        (string Name, string? Stack, int Line, int Col)? answer = null;
        var aliases = new Dictionary<string, IReadOnlyList<string>>(StringComparer.OrdinalIgnoreCase);
        string? lastText = null;
        var recipeStart = -1;
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);

        void Error(int line, int col, string message) => errors.Add(new RecipeDiagnostic(file, line, col, message));

        for (var i = 0; i < lines.Length && recipeStart < 0; i++)
        {
            var raw = lines[i];
            var lineNo = i + 1;
            if (raw.Trim().Length == 0 || raw.TrimStart().StartsWith('#'))
            {
                continue;
            }

            if (char.IsWhiteSpace(raw[0]))
            {
                if (lastText is null)
                {
                    Error(lineNo, FirstCol(raw), "an indented line continues a text (title, goal, change, question), but none comes before it");
                }
                else
                {
                    texts[lastText].Text.Append(' ').Append(raw.Trim());
                }

                continue;
            }

            var (words, cols) = Words(raw);
            var key = words[0].ToLowerInvariant();
            lastText = null;
            if (key != "observe" && key != "alias")
            {
                if (seen.TryGetValue(key, out var first))
                {
                    Error(lineNo, 1, $"'{key}' is given twice (first at line {first})");
                    continue;
                }

                seen[key] = lineNo;
            }

            var rest = words.Length > 1 ? raw[(cols[1] - 1)..].Trim() : "";
            switch (key)
            {
                case "title" or "seed" or "goal" or "change" or "question":
                    if (rest.Length == 0)
                    {
                        Error(lineNo, raw.Length + 1, $"'{key}' needs a text");
                        break;
                    }

                    texts[key] = (new StringBuilder(rest), lineNo);
                    lastText = key;
                    break;
                case "stack":
                    if (words.Length != 2)
                    {
                        Error(lineNo, words.Length < 2 ? raw.Length + 1 : cols[2], "'stack' takes one word: linux, slirp or both");
                        break;
                    }

                    switch (words[1].ToLowerInvariant())
                    {
                        case "linux": stacks.Add(ExerciseStack.Linux); break;
                        case "slirp": stacks.Add(ExerciseStack.Slirp); break;
                        case "both": stacks.AddRange([ExerciseStack.Linux, ExerciseStack.Slirp]); break;
                        default: Error(lineNo, cols[1], $"unknown stack '{words[1]}' (known: linux, slirp, both)"); break;
                    }

                    break;
                case "port":
                    if (words.Length != 2 || !ushort.TryParse(words[1], NumberStyles.None, CultureInfo.InvariantCulture, out var p) || p == 0)
                    {
                        Error(lineNo, words.Length < 2 ? raw.Length + 1 : cols[1], "'port' takes one number, 1 to 65535 (the lab server's port)");
                        break;
                    }

                    port = p;
                    break;
                case "observe":
                    observations.Add((words, cols, lineNo));
                    break;
                case "answer":
                    if (words.Length == 2)
                    {
                        answer = (words[1], null, lineNo, cols[1]);
                    }
                    else if (words.Length == 4 && words[2].Equals("on", StringComparison.OrdinalIgnoreCase))
                    {
                        answer = (words[1], words[3].ToLowerInvariant(), lineNo, cols[3]);
                    }
                    else
                    {
                        Error(lineNo, words.Length < 2 ? raw.Length + 1 : cols[Math.Min(2, words.Length - 1)], "'answer' takes an observation's name, optionally 'on linux' or 'on slirp'");
                    }

                    break;
                case "alias":
                    var eq = Array.IndexOf(words, "=");
                    if (eq != 2 || words.Length < 4)
                    {
                        Error(lineNo, words.Length < 2 ? raw.Length + 1 : cols[1], "'alias' is written: alias VALUE = WORD, WORD …");
                        break;
                    }

                    aliases[words[1]] = raw[(cols[3] - 1)..].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    break;
                case "recipe":
                    if (words.Length > 1)
                    {
                        Error(lineNo, cols[1], "'recipe' stands alone on its line; the recipe follows on the next lines");
                    }

                    recipeStart = i + 1;
                    break;
                default:
                    Error(lineNo, 1, $"unknown key '{words[0]}' (known: title, seed, goal, change, question, stack, port, observe, answer, alias, recipe)");
                    break;
            }
        }

        var endLine = lines.Length;
        foreach (var k in new[] { "title", "goal", "change", "question" })
        {
            if (!texts.ContainsKey(k))
            {
                Error(endLine, 1, $"no '{k}' line: an exercise needs title, goal, change, question, port, observe, answer and recipe");
            }
        }

        if (port is null && !seen.ContainsKey("port"))
        {
            Error(endLine, 1, "no 'port' line: which lab server the recipe talks to (e.g. port 20000)");
        }

        if (stacks.Count == 0)
        {
            stacks.Add(ExerciseStack.Linux);
        }

        // The recipe: everything after 'recipe', with the lines above blanked and labels blanked, so lines and columns stay.
        var labels = new Dictionary<string, int>(StringComparer.OrdinalIgnoreCase);
        var recipeLines = new string[lines.Length];
        for (var i = 0; i < lines.Length; i++)
        {
            recipeLines[i] = recipeStart >= 0 && i >= recipeStart ? Unlabel(lines[i], i + 1, labels, Error) : "";
        }

        var recipeText = string.Join('\n', recipeLines);
        Recipe? recipe = null;
        if (recipeStart < 0)
        {
            Error(endLine, 1, "no 'recipe' line: the recipe that runs the exercise comes last, after a line 'recipe'");
        }
        else
        {
            var compiled = RecipeCompiler.Compile(recipeText, file);
            errors.AddRange(compiled.Errors);
            recipe = compiled.Recipe;
        }

        var observed = new List<ExerciseObservation>();
        foreach (var (words, cols, line) in observations)
        {
            if (ParseObservation(words, cols, line, labels, recipe, stacks, Error) is { } o)
            {
                if (observed.Any(x => x.Name.Equals(o.Name, StringComparison.OrdinalIgnoreCase)))
                {
                    Error(line, cols[1], $"observation '{o.Name}' is named twice");
                    continue;
                }

                observed.Add(o);
            }
        }

        if (observations.Count == 0)
        {
            Error(endLine, 1, "no 'observe' line: name at least one field the checker compares");
        }

        var answerStack = stacks[0];
        if (answer is { } a)
        {
            if (!observed.Any(o => o.Name.Equals(a.Name, StringComparison.OrdinalIgnoreCase)) && observations.All(o => !o.Words[1].Equals(a.Name, StringComparison.OrdinalIgnoreCase)))
            {
                Error(a.Line, a.Stack is null ? a.Col : 8, $"'answer' names no observation: '{a.Name}' (observed: {string.Join(", ", observed.Select(o => o.Name))})");
            }

            if (a.Stack is not null)
            {
                var s = a.Stack == "linux" ? ExerciseStack.Linux : a.Stack == "slirp" ? ExerciseStack.Slirp : (ExerciseStack?)null;
                if (s is null || !stacks.Contains(s.Value))
                {
                    Error(a.Line, a.Col, $"'answer … on {a.Stack}': the exercise runs on {string.Join(" and ", stacks.Select(Exercise.StackName))}");
                }
                else
                {
                    answerStack = s.Value;
                }
            }
        }
        else if (!seen.ContainsKey("answer"))
        {
            Error(endLine, 1, "no 'answer' line: which observation a student's --answer is checked against");
        }

        if (errors.Count > 0 || recipe is null || port is null || answer is null)
        {
            return new ExerciseParseResult(null, errors.OrderBy(e => e.Line).ThenBy(e => e.Column).ToList());
        }

        var name = Path.GetFileNameWithoutExtension(file);
        string T(string k) => texts.TryGetValue(k, out var t) ? t.Text.ToString() : "";
        var exercise = new Exercise(name, file, T("title"), texts.ContainsKey("seed") ? T("seed") : null, T("goal"), T("change"), T("question"),
            stacks.Distinct().ToList(), port.Value, recipeText, recipe, observed, observed.First(o => o.Name.Equals(answer.Value.Name, StringComparison.OrdinalIgnoreCase)).Name,
            answerStack, aliases, string.Join('\n', lines[recipeStart..]).TrimEnd());
        return new ExerciseParseResult(exercise, []);
    }

    private static ExerciseObservation? ParseObservation(
        string[] w, int[] c, int line, Dictionary<string, int> labels, Recipe? recipe, List<ExerciseStack> stacks, Action<int, int, string> error)
    {
        // observe NAME FIELD received|sent at LABEL [expect M | expect linux M slirp M]
        const string form = "observe NAME FIELD received|sent at LABEL [expect VALUE]";
        if (w.Length < 6)
        {
            error(line, w.Length < 2 ? c[0] + 7 : c[^1], $"an observation is written: {form}");
            return null;
        }

        var field = w[2];
        var parts = field.Split('.');
        if (!(parts.Length == 1 && ExerciseParser.Fields.Contains(field)) && !(parts.Length > 1 && Groups.Contains(parts[0]) && parts.All(x => x.Length > 0)))
        {
            error(line, c[2], $"unknown field '{field}' (known: {string.Join(' ', ExerciseParser.Fields.Order(StringComparer.Ordinal))}, options.NAME, icmp.NAME)");
            return null;
        }

        ObservedPacket packet;
        switch (w[3].ToLowerInvariant())
        {
            case "received": packet = ObservedPacket.Received; break;
            case "sent": packet = ObservedPacket.Sent; break;
            default:
                error(line, c[3], $"expected 'received' or 'sent', not '{w[3]}'");
                return null;
        }

        if (!w[4].Equals("at", StringComparison.OrdinalIgnoreCase))
        {
            error(line, c[4], $"expected 'at LABEL', not '{w[4]}'");
            return null;
        }

        if (!labels.TryGetValue(w[5], out var stepLine))
        {
            error(line, c[5], labels.Count == 0
                ? $"no step is labelled '{w[5]}': label one in the recipe with [{w[5]}] at the start of its line"
                : $"no step is labelled '{w[5]}' (labels: {string.Join(", ", labels.Keys)})");
            return null;
        }

        if (recipe is not null && recipe.Steps.All(s => s.Pos.Line != stepLine))
        {
            error(line, c[5], $"label '{w[5]}' (line {stepLine}) is on no step of the recipe");
            return null;
        }

        var expected = new Dictionary<ExerciseStack, FieldMatcher>();
        if (w.Length > 6)
        {
            if (!w[6].Equals("expect", StringComparison.OrdinalIgnoreCase) || w.Length < 8)
            {
                error(line, c[6], w[6].Equals("expect", StringComparison.OrdinalIgnoreCase) ? "'expect' needs a value" : $"unexpected '{w[6]}' (expected: expect VALUE)");
                return null;
            }

            if (w.Length == 8)
            {
                if (!Matcher(w[7], c[7], line, error))
                {
                    return null;
                }

                foreach (var s in stacks)
                {
                    expected[s] = new FieldMatcher(w[7]);
                }
            }
            else
            {
                for (var k = 7; k < w.Length; k += 2)
                {
                    var s = w[k].ToLowerInvariant() switch { "linux" => ExerciseStack.Linux, "slirp" => ExerciseStack.Slirp, _ => (ExerciseStack?)null };
                    if (s is null || k + 1 >= w.Length)
                    {
                        error(line, c[k], s is null ? $"expected 'linux VALUE' or 'slirp VALUE', not '{w[k]}'" : $"'{w[k]}' needs a value");
                        return null;
                    }

                    if (!stacks.Contains(s.Value))
                    {
                        error(line, c[k], $"the exercise does not run on {w[k]} (see its 'stack' line)");
                        return null;
                    }

                    if (!Matcher(w[k + 1], c[k + 1], line, error))
                    {
                        return null;
                    }

                    expected[s.Value] = new FieldMatcher(w[k + 1]);
                }
            }
        }

        return new ExerciseObservation(w[1], field, packet, w[5], stepLine, expected, line);
    }

    private static bool Matcher(string text, int col, int line, Action<int, int, string> error)
    {
        if (FieldMatcher.Problem(text) is { } p)
        {
            error(line, col, p);
            return false;
        }

        return true;
    }

    private static string Unlabel(string line, int lineNo, Dictionary<string, int> labels, Action<int, int, string> error)
    {
        var start = FirstCol(line) - 1;
        if (start >= line.Length || line[start] != '[')
        {
            return line;
        }

        var close = line.IndexOf(']', start);
        var name = close < 0 ? "" : line[(start + 1)..close];
        if (close < 0 || name.Length == 0 || !name.All(ch => char.IsAsciiLetterOrDigit(ch) || ch is '-' or '_'))
        {
            error(lineNo, start + 1, "a label is written [NAME] (letters, digits, - and _) at the start of a step's line");
            return "";
        }

        if (labels.TryGetValue(name, out var other))
        {
            error(lineNo, start + 2, $"label '{name}' is used twice (first at line {other})");
        }
        else
        {
            labels[name] = lineNo;
        }

        return new string(' ', close + 1) + line[(close + 1)..];
    }

    private static int FirstCol(string line)
    {
        var i = 0;
        while (i < line.Length && char.IsWhiteSpace(line[i]))
        {
            i++;
        }

        return i + 1;
    }

    /// <summary>The whitespace-separated words of a line (a <c>#</c> word starts a comment) and their 1-based columns.</summary>
    private static (string[] Words, int[] Cols) Words(string line)
    {
        var words = new List<string>();
        var cols = new List<int>();
        var i = 0;
        while (i < line.Length)
        {
            while (i < line.Length && char.IsWhiteSpace(line[i]))
            {
                i++;
            }

            if (i >= line.Length || line[i] == '#')
            {
                break;
            }

            var s = i;
            while (i < line.Length && !char.IsWhiteSpace(line[i]))
            {
                i++;
            }

            words.Add(line[s..i]);
            cols.Add(s + 1);
        }

        return ([.. words], [.. cols]);
    }
}
