using RawHandshake.Recipes.Syntax;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Recipes.Front;

/// <summary>
/// The checks that span lines: the header comes first and says each thing once; steps that need a connection have
/// one. Builds the <see cref="Recipe"/> when nothing is wrong.
/// </summary>
internal static class Validator
{
    private enum Conn
    {
        /// <summary>Nothing opened yet.</summary>
        None,

        /// <summary>Opened by <c>connect</c> or a <c>send</c> with SYN.</summary>
        Open,

        /// <summary>Closed by <c>close</c> or <c>wait-close</c>.</summary>
        Closed,

        /// <summary>Our sending side is shut (<c>close half</c>): the server may still send; nothing more from us.</summary>
        HalfClosed,

        /// <summary>Reset: <c>abort</c>, a <c>send</c> with RST, or an expected RST.</summary>
        Reset,

        /// <summary>A broken line might have changed it: no connection checks until the next connect/SYN.</summary>
        Unknown,
    }

    private static readonly HashSet<string> StepKeywords = [.. Parser.StepKeywords.Split(' ')];

    private static readonly HashSet<string> ConnectionKeywords = ["send", "connect", "close", "wait-close", "abort", "expect"];

    public static Recipe? Validate(List<Item> items, string file, List<RecipeDiagnostic> diagnostics)
    {
        void Error(SourcePos pos, string message) => diagnostics.Add(new RecipeDiagnostic(file, pos.Line, pos.Column, message));

        TargetSpec? target = null;
        DescriptionItem? description = null;
        DialectItem? dialect = null;
        var settings = new Dictionary<string, Setting>();
        SourcePos? firstStep = null;
        var steps = new List<Step>();
        var conn = Conn.None;
        var connLine = 0;
        var anyStepLine = false;

        foreach (var item in items)
        {
            switch (item)
            {
                case TargetItem or OptionsItem or DescriptionItem or DialectItem when firstStep is { } fs:
                    Error(item.Pos, $"'{item.Keyword}' belongs in the header, before the first step (line {fs.Line})");
                    break;

                case TargetItem t:
                    if (target is not null)
                    {
                        Error(t.Pos, $"duplicate 'target' (first at line {target.Pos.Line})");
                    }
                    else
                    {
                        target = t.Target;
                    }

                    break;

                case DialectItem dl:
                    if (dialect is not null)
                    {
                        Error(dl.Pos, $"duplicate 'dialect' (first at line {dialect.Pos.Line})");
                    }
                    else
                    {
                        dialect = dl;
                    }

                    break;

                case DescriptionItem d:
                    if (description is not null)
                    {
                        Error(d.Pos, $"duplicate 'description' (first at line {description.Pos.Line})");
                    }
                    else
                    {
                        description = d;
                    }

                    break;

                case OptionsItem o:
                    foreach (var s in o.Settings)
                    {
                        if (settings.TryGetValue(s.Name, out var first))
                        {
                            Error(s.Pos, $"option '{s.Name}' given twice (first at line {first.Pos.Line})");
                        }
                        else
                        {
                            settings[s.Name] = s;
                        }
                    }

                    break;

                case BrokenItem b:
                    if (StepKeywords.Contains(b.Keyword))
                    {
                        firstStep ??= b.Pos;
                        anyStepLine = true;
                        if (ConnectionKeywords.Contains(b.Keyword))
                        {
                            conn = Conn.Unknown;
                        }
                    }

                    break;

                case StepItem s:
                    firstStep ??= s.Pos;
                    anyStepLine = true;
                    steps.Add(s.Step);
                    CheckFields(s.Step);
                    CheckConnection(s.Step);
                    break;
            }
        }

        if (!anyStepLine && diagnostics.Count == 0)
        {
            Error(new SourcePos(1, 1), "the recipe has no steps (start with connect, or send S)");
        }

        if (diagnostics.Count > 0)
        {
            return null;
        }

        var defaults = new SessionDefaults { Positions = settings.ToDictionary(kv => kv.Key, kv => kv.Value.Pos) };
        foreach (var s in settings.Values)
        {
            defaults = (HeaderOptions.Find(s.Name) ?? throw new InvalidOperationException($"no header option '{s.Name}'")).Apply(defaults, s.Value);
        }

        var header = new RecipeHeader(target, defaults, description?.Text)
        {
            DescriptionPos = description?.Pos,
            Dialect = dialect?.Dialect ?? (file.EndsWith(".pkt", StringComparison.OrdinalIgnoreCase) ? RecipeDialect.Packetdrill : RecipeDialect.RawHandshake),
            DialectPos = dialect?.Pos,
        };
        return new Recipe(file, header, steps);

        // The step's fields agree with the one table: a send sets only settable fields, in the range a send may write; an
        // expect names only fields outside the segment grammar, a verdict only where the field has one; a capture keeps
        // a field of the table.
        void CheckFields(Step step)
        {
            switch (step)
            {
                case SendStep send:
                    foreach (var f in send.Fields.Where(f => f.Name != RecipeFields.IpOptions))
                    {
                        if (RecipeFields.Find(f.Name) is not { Settable: true } field)
                        {
                            Error(f.Pos, $"'{f.Name}' cannot be set on send (one of {RecipeFields.SettableNames})");
                        }
                        else if (f.Value < field.SendMin || f.Value > field.SendMax)
                        {
                            Error(f.Pos, $"{field.Name} {f.Value} is out of range ({field.SendMin} to {field.SendMax})");
                        }
                    }

                    break;

                case ExpectStep expect:
                    foreach (var f in expect.Fields)
                    {
                        if (RecipeFields.Find(f.Name) is not { Place: not FieldPlace.Segment } field)
                        {
                            Error(f.Pos, $"'{f.Name}' cannot be matched by name on expect (one of {RecipeFields.MatchableNames})");
                        }
                        else if (f.Verdict is { } v && (!field.HasVerdict || !RecipeFields.Verdicts.Contains(v)))
                        {
                            Error(f.Pos, field.HasVerdict
                                ? $"{field.Name}: unknown verdict '{v}' (expected {string.Join(", ", RecipeFields.Verdicts)})"
                                : $"{field.Name} has no checksum verdict: match a number");
                        }
                        else if ((f.Verdict is null) == (f.Value is null))
                        {
                            Error(f.Pos, $"{field.Name}: give a number or a verdict");
                        }
                    }

                    foreach (var c in expect.Captures.Where(c => !ReferenceEquals(RecipeFields.Find(c.Field.Name), c.Field)))
                    {
                        Error(c.Pos, $"cannot capture {c.Variable} = {c.Field.Name}: not a field of the table (one of {RecipeFields.CapturableNames})");
                    }

                    break;
            }
        }

        void Need(Step step)
        {
            switch (conn)
            {
                case Conn.None:
                    Error(step.Pos, "no connection yet: start with connect or send S");
                    break;
                case Conn.Closed:
                    Error(step.Pos, $"no open connection: it was closed at line {connLine}; start a new one with connect or send S");
                    break;
                case Conn.Reset:
                    Error(step.Pos, $"no open connection: it was reset at line {connLine}; start a new one with connect or send S");
                    break;
            }
        }

        void Set(Conn state, Step step)
        {
            conn = state;
            connLine = step.Pos.Line;
        }

        void CheckConnection(Step step)
        {
            switch (step)
            {
                case ConnectStep:
                    if (conn == Conn.Open)
                    {
                        Error(step.Pos, $"a connection is already open (since line {connLine}): close or abort it first");
                    }

                    Set(Conn.Open, step);
                    break;

                case SendStep send:
                    if (send.Payload.Length > 0 && conn == Conn.None && !send.Flags.HasFlag(TcpFlags.Syn))
                    {
                        Error(step.Pos, "no connection yet: start with connect or send S");
                    }

                    if (send.Flags.HasFlag(TcpFlags.Rst))
                    {
                        Set(Conn.Reset, step);
                    }
                    else if (send.Flags.HasFlag(TcpFlags.Syn))
                    {
                        Set(Conn.Open, step);
                    }

                    break;

                case ExpectStep { Flags.Exact: { } f } when f.HasFlag(TcpFlags.Rst):
                case ExpectRstStep:
                    Set(Conn.Reset, step);
                    break;

                case PushStep when conn == Conn.HalfClosed:
                    Error(step.Pos, $"our side is closed (close half at line {connLine}): push has nothing to send on");
                    break;

                case PushStep or RecvStep:
                    Need(step);
                    break;

                case CloseStep { Half: true }:
                    Need(step);
                    if (conn == Conn.HalfClosed)
                    {
                        Error(step.Pos, $"our side is already closed (close half at line {connLine})");
                    }

                    Set(Conn.HalfClosed, step);
                    break;

                case CloseStep or WaitCloseStep:
                    Need(step);
                    Set(Conn.Closed, step);
                    break;

                case AbortStep:
                    Need(step);
                    Set(Conn.Reset, step);
                    break;
            }
        }
    }
}
