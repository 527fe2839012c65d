using System.Text.Json;

namespace RawHandshake.Recipes.Runner.Exercises;

/// <summary>One step of the exercise's recipe as it ran.</summary>
public sealed record ExerciseStep(int Line, string Text, bool Ok, string? Error, IReadOnlyList<string> Diffs);

/// <summary>One observation: the value seen (null: the field was not in the packet, or no packet), the packet it came from.</summary>
public sealed record ObservedField(ExerciseObservation Observation, FieldMatcher? Expected, string? Value, bool Ok, IReadOnlyList<KeyValuePair<string, string>>? Packet)
{
    /// <summary>The packet's fields (nested ones dotted: <c>options.mss</c>, <c>icmp.quoted.dst</c>), with those in
    /// <paramref name="marked"/> between » « (or as <paramref name="highlight"/> draws them): the fields that matter.</summary>
    public string PacketLine(IReadOnlyCollection<string> marked, Func<string, string>? highlight = null)
    {
        ArgumentNullException.ThrowIfNull(marked);
        if (Packet is null)
        {
            return "(no packet)";
        }

        var mark = highlight ?? (s => "»" + s + "«");
        var keys = marked.Select(m => m == ExerciseCheck.SackRelative ? "options.sack" : m).ToHashSet(StringComparer.Ordinal);
        return string.Join(' ', Packet.Select(kv => keys.Contains(kv.Key) ? mark(kv.Key + "=" + kv.Value) : kv.Key + "=" + kv.Value));
    }

    /// <summary>The packet line with this observation's field marked.</summary>
    public string PacketLine() => PacketLine([Observation.Field]);
}

/// <summary>How one exercise went on one stack.</summary>
public sealed record ExerciseOutcome(ExerciseStack Stack, IReadOnlyList<ExerciseStep> Steps, IReadOnlyList<ObservedField> Fields, string? RunError)
{
    public bool StepsOk => RunError is null && Steps.All(s => s.Ok);

    public bool Ok => StepsOk && Fields.All(f => f.Ok);
}

/// <summary>The checker: reads the JSON lines of <c>run --json</c> and compares the observed fields with the expected ones.</summary>
public static class ExerciseCheck
{
    /// <summary>
    /// <paramref name="jsonLines"/>: the run's events in order. A labelled step's "received" packet is the last TCP or
    /// ICMP packet that came in before that step's result; its "sent" packet the last one that went out.
    /// </summary>
    public static ExerciseOutcome Evaluate(Exercise exercise, ExerciseStack stack, IEnumerable<string> jsonLines, int exitCode, string? stderr)
    {
        ArgumentNullException.ThrowIfNull(exercise);
        ArgumentNullException.ThrowIfNull(jsonLines);
        var steps = new List<ExerciseStep>();
        var atStep = new Dictionary<int, (JsonElement? In, JsonElement? Out)>();
        JsonElement? lastIn = null;
        JsonElement? lastOut = null;
        long? ourIsn = null;
        foreach (var line in jsonLines)
        {
            if (!line.StartsWith('{'))
            {
                continue;
            }

            JsonElement e;
            try
            {
                using var doc = JsonDocument.Parse(line);
                e = doc.RootElement.Clone();
            }
            catch (JsonException)
            {
                continue;
            }

            switch (Str(e, "event"))
            {
                case "packet" when e.TryGetProperty("flags", out _) || e.TryGetProperty("icmp", out _):
                    if (Str(e, "dir") == "in")
                    {
                        lastIn = e;
                    }
                    else if (Str(e, "dir") == "out")
                    {
                        lastOut = e;
                        if (ourIsn is null && Str(e, "flags") is { } f && f.Contains('S', StringComparison.Ordinal) && e.TryGetProperty("seq", out var seq))
                        {
                            ourIsn = seq.GetInt64();
                        }
                    }

                    break;
                case "step":
                    var lineNo = e.TryGetProperty("line", out var l) ? l.GetInt32() : 0;
                    var diffs = e.TryGetProperty("diffs", out var d) && d.ValueKind == JsonValueKind.Array
                        ? d.EnumerateArray().Select(x => x.GetString() ?? "").ToList()
                        : [];
                    steps.Add(new ExerciseStep(lineNo, Str(e, "step") ?? "", e.TryGetProperty("ok", out var ok) && ok.GetBoolean(), Str(e, "error"), diffs));
                    atStep.TryAdd(lineNo, (lastIn, lastOut));
                    break;
            }
        }

        var fields = new List<ObservedField>();
        foreach (var o in exercise.Observations)
        {
            var expected = o.Expected.TryGetValue(stack, out var m) ? m : null;
            JsonElement? packet = atStep.TryGetValue(o.StepLine, out var p) ? (o.Packet == ObservedPacket.Received ? p.In : p.Out) : null;
            var value = packet is { } pk ? (o.Field == SackRelative ? RelativeSack(pk, ourIsn) : Value(pk, o.Field)) : null;
            var seen = packet is { } q ? Flatten(q) : null;
            var passed = packet is null ? expected?.Text == "absent" : expected?.Matches(value) ?? true;
            fields.Add(new ObservedField(o, expected, value, passed, seen));
        }

        string? runError = null;
        var expectedSteps = exercise.Recipe.Steps.Count;
        if (steps.Count == 0)
        {
            runError = FirstLine(stderr) ?? $"the run ended with exit code {exitCode} before any step";
        }
        else if (exitCode != 0 && steps.All(s => s.Ok))
        {
            runError = FirstLine(stderr) ?? $"the run ended with exit code {exitCode}";
        }
        else if (steps.All(s => s.Ok) && steps.Count < expectedSteps)
        {
            runError = $"only {steps.Count} of {expectedSteps} steps ran";
        }

        return new ExerciseOutcome(stack, steps, fields, runError);
    }

    /// <summary>A computed field: the SACK blocks of a received segment relative to our ISN, <c>L:R</c> each.</summary>
    public const string SackRelative = "sack_rel";

    /// <summary>Whether a student's <paramref name="answer"/> agrees with the observed value (numbers by value, words
    /// case-insensitively, and the exercise's aliases: <c>alias R = rst, reset</c> accepts "rst" when R was observed).</summary>
    public static bool AnswerMatches(Exercise exercise, string? observed, string answer)
    {
        ArgumentNullException.ThrowIfNull(exercise);
        ArgumentNullException.ThrowIfNull(answer);
        var a = answer.Trim().Trim('"', '\'');
        observed ??= "absent";
        if (ExerciseValues.Same(observed, a))
        {
            return true;
        }

        return exercise.Aliases.TryGetValue(observed, out var words) && words.Any(w => ExerciseValues.Same(w, a));
    }

    /// <summary>The value of <paramref name="field"/> (dotted into <c>options</c>, <c>icmp</c>), as text; null when absent.</summary>
    public static string? Value(JsonElement packet, string field)
    {
        var e = packet;
        foreach (var part in field.Split('.'))
        {
            if (e.ValueKind != JsonValueKind.Object || !e.TryGetProperty(part, out e))
            {
                return null;
            }
        }

        return Text(e);
    }

    private static string? RelativeSack(JsonElement packet, long? isn)
    {
        if (isn is null || !packet.TryGetProperty("options", out var o) || !o.TryGetProperty("sack", out var blocks))
        {
            return null;
        }

        return string.Join(' ', blocks.EnumerateArray().Select(b =>
        {
            var lr = b.EnumerateArray().Select(x => (x.GetInt64() - isn.Value + (1L << 32)) % (1L << 32)).ToList();
            return $"{lr[0]}:{lr[1]}";
        }));
    }

    private static List<KeyValuePair<string, string>> Flatten(JsonElement packet)
    {
        string[] skip = ["event", "no", "time", "dir", "analysis", "payload_hex", "proto", "ip_proto", "frag_offset", "mf", "tos", "ip_len", "ihl", "name", "checksum_status"];
        var list = new List<KeyValuePair<string, string>>();
        void Walk(JsonElement e, string prefix)
        {
            foreach (var p in e.EnumerateObject().Where(p => !skip.Contains(p.Name)))
            {
                if (p.Value.ValueKind == JsonValueKind.Object)
                {
                    Walk(p.Value, prefix + p.Name + ".");
                }
                else
                {
                    list.Add(KeyValuePair.Create(prefix + p.Name, Text(p.Value)));
                }
            }
        }

        Walk(packet, "");
        return list;
    }

    private static string Text(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.String => e.GetString() ?? "",
        JsonValueKind.Number => e.GetRawText(),
        JsonValueKind.True => "true",
        JsonValueKind.False => "false",
        JsonValueKind.Null => "null",
        JsonValueKind.Object => "{" + string.Join(' ', e.EnumerateObject().Select(p => p.Name + "=" + Text(p.Value))) + "}",
        _ => e.GetRawText(),
    };

    private static string? Str(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string? FirstLine(string? text) =>
        text?.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault();
}
