using RawHandshake.Recipes.Runner.Exercises;

namespace RawHandshake.Cli.Verbs;

/// <summary>How an exercise's run is shown: the question, each stack's steps that failed, each observed field with its
/// packet (the field that matters between » «), and whether the observation matches the expected one.</summary>
internal static class ExerciseText
{
    public static void Write(TextWriter o, Exercise e, IReadOnlyList<ExerciseOutcome> outcomes, bool verbose)
    {
        o.WriteLine($"== {e.Name} — {e.Title}");
        if (verbose)
        {
            o.WriteLine($"question: {e.Question}");
        }

        foreach (var r in outcomes)
        {
            var passed = r.Steps.Count(s => s.Ok);
            o.WriteLine($"{Exercise.StackName(r.Stack)} ({ExerciseOptions.Target(e, r.Stack)}): {passed}/{e.Recipe.Steps.Count} steps passed");
            if (r.RunError is not null)
            {
                o.WriteLine($"  run: {r.RunError}");
            }

            foreach (var s in r.Steps.Where(s => !s.Ok))
            {
                o.WriteLine($"  FAIL line {s.Line}: {s.Text} — {s.Error}");
                foreach (var d in s.Diffs)
                {
                    o.WriteLine($"       {d}");
                }
            }

            var width = e.Observations.Max(x => x.Name.Length);
            foreach (var f in r.Fields)
            {
                var verdict = f.Expected is null ? "(shown)" : f.Ok ? "ok" : "MISMATCH";
                var expected = f.Expected is null ? "" : $"   expected {f.Expected}";
                o.WriteLine($"  {f.Observation.Name.PadRight(width)}  {f.Observation.Field} = {f.Value ?? "(absent)"}{expected}   {verdict}");
            }

            if (verbose)
            {
                // Each packet once, with every field observed in it highlighted.
                foreach (var g in r.Fields.Where(f => f.Packet is not null).GroupBy(f => (f.Observation.Label, f.Observation.Packet)))
                {
                    var first = g.First();
                    var dir = g.Key.Packet == ObservedPacket.Received ? "received" : "sent";
                    o.WriteLine($"  [{g.Key.Label}] {dir}: {first.PacketLine(g.Select(f => f.Observation.Field).ToList())}");
                }
            }

            o.WriteLine(r.Ok
                ? "  result: the observation matches the expected one"
                : r.StepsOk ? "  result: the observation does NOT match the expected one" : "  result: the exercise did not run as written (a step failed)");
        }

        if (outcomes.Count > 1)
        {
            SideBySide(o, e, outcomes);
        }
    }

    /// <summary>The observed fields of every stack in columns, one row per observation.</summary>
    private static void SideBySide(TextWriter o, Exercise e, IReadOnlyList<ExerciseOutcome> outcomes)
    {
        var rows = e.Observations.Select(x => (Head: $"{x.Name} ({x.Field})", Cells: outcomes.Select(r =>
        {
            var f = r.Fields.FirstOrDefault(f => f.Observation == x);
            return f is null ? "(not run)" : (f.Value ?? "(absent)") + (f.Expected is null ? "" : f.Ok ? "" : " MISMATCH");
        }).ToList())).ToList();
        var head = Math.Max("side by side".Length, rows.Max(r => r.Head.Length));
        var widths = outcomes.Select((r, i) => Math.Max(Exercise.StackName(r.Stack).Length, rows.Max(x => x.Cells[i].Length))).ToList();
        o.WriteLine("  " + "side by side".PadRight(head) + "  " + string.Join("  ", outcomes.Select((r, i) => Exercise.StackName(r.Stack).PadRight(widths[i]))).TrimEnd());
        foreach (var (h, cells) in rows)
        {
            o.WriteLine("  " + h.PadRight(head) + "  " + string.Join("  ", cells.Select((c, i) => c.PadRight(widths[i]))).TrimEnd());
        }
    }
}
