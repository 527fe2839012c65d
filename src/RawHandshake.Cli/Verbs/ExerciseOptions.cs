using CommandLine;

namespace RawHandshake.Cli.Verbs;

/// <summary>What <c>exercise</c> does.</summary>
public enum ExerciseAction
{
    List,
    Show,
    Run,
}

/// <summary><c>exercise list | show NAME | run NAME [--answer TEXT] | run --all</c>: lab exercises on header fields.</summary>
[Verb("exercise", HelpText = "Lab exercises on header fields (recipes/exercises/*.rhx): list them, show one, or run one (or --all) against the lab and check what was observed; --answer checks your prediction.")]
public sealed partial class ExerciseOptions : ICommand
{
    [Value(0, MetaName = "ACTION", Required = true, HelpText = "list, show or run.")]
    public ExerciseAction Action { get; set; }

    [Value(1, MetaName = "NAME", HelpText = "The exercise (its file name without .rhx, or a path).")]
    public string? Name { get; set; }

    [Option("all", HelpText = "run: every exercise, several at once; exit 0 when all pass.")]
    public bool All { get; set; }

    [Option("answer", HelpText = "run: your prediction for the exercise's question, checked against what was observed.")]
    public string? Answer { get; set; }

    [Option("lab", HelpText = "The lab to run in (its name, default lab; see: lab up --name).")]
    public string? Lab { get; set; }

    [Option("dir", HelpText = "Where the exercises are (default recipes/exercises).")]
    public string? Dir { get; set; }

    [Option("jobs", HelpText = "run --all: how many exercises run at once (default 4).")]
    public string? Jobs { get; set; }
}
