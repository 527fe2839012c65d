namespace RawHandshake.Cli.Tests;

/// <summary>Issue 14: <c>exercise list|show|run</c> — every error a user can hit before anything runs (one line, exit 2),
/// and list/show against the shipped exercises.</summary>
public sealed class ExerciseVerbTests : IDisposable
{
    private const string Valid = """
        title    A title
        goal     A goal.
        change   A change.
        question A question?
        port     20000
        observe  ack  rel_ack received at a  expect 2
        answer   ack

        recipe
        connect
        [a] push "A" then ack 2
        close
        """;

    private readonly string dir = Path.Combine(Path.GetTempPath(), $"rh-exercises-{Guid.NewGuid():N}");

    public ExerciseVerbTests()
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "one.rhx"), Valid);
    }

    public void Dispose() => Directory.Delete(dir, recursive: true);

    private static string Shipped
    {
        get
        {
            for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
            {
                if (File.Exists(Path.Combine(d.FullName, "RawHandshake.sln")))
                {
                    return Path.Combine(d.FullName, "recipes", "exercises");
                }
            }

            throw new DirectoryNotFoundException("RawHandshake.sln not found");
        }
    }

    [Theory]
    [InlineData(new[] { "exercise", "run" }, "rawhandshake: exercise: run needs an exercise's NAME, or --all")]
    [InlineData(new[] { "exercise", "run", "one", "--all" }, "rawhandshake: exercise: give either NAME or --all, not both")]
    [InlineData(new[] { "exercise", "run", "--all", "--answer", "4" }, "rawhandshake: exercise: --answer checks one exercise: give its NAME instead of --all")]
    [InlineData(new[] { "exercise", "run", "one", "--answer", " " }, "rawhandshake: exercise: --answer is empty")]
    [InlineData(new[] { "exercise", "show" }, "rawhandshake: exercise: show needs the exercise's NAME (see: exercise list)")]
    [InlineData(new[] { "exercise", "show", "one", "--all" }, "rawhandshake: exercise: --all and --answer belong to run")]
    [InlineData(new[] { "exercise", "list", "one" }, "rawhandshake: exercise: list takes no NAME")]
    [InlineData(new[] { "exercise", "run", "one", "--lab", "Bad_Name" }, "rawhandshake: exercise: --lab: 'Bad_Name' is not a lab name (1 to 8 characters a-z 0-9)")]
    [InlineData(new[] { "exercise", "run", "one", "--lab", "nolabzz" }, "rawhandshake: exercise: the lab 'nolabzz' is not up (no namespace rh-nolabzz-cli): start it with ./run-as-root.sh lab up --name nolabzz")]
    [InlineData(new[] { "exercise", "run", "one", "--jobs", "0" }, "rawhandshake: exercise: --jobs must be at least 1")]
    [InlineData(new[] { "exercise", "play" }, "rawhandshake: exercise: a value is not one of those allowed (see the verb's help) (see rawhandshake exercise --help)")]
    public void OneLineAndExit2(string[] args, string expected)
    {
        var r = CliRunner.Run([.. args, "--dir", dir]);
        r.Err.TrimEnd('\n').ShouldBe(expected.Replace("DIR", dir, StringComparison.Ordinal));
        r.Code.ShouldBe(2);
        r.Out.ShouldBeEmpty();
    }

    [Fact]
    public void AMissingExerciseOrFolderIsNamed()
    {
        var r = CliRunner.Run("exercise", "show", "nosuch", "--dir", dir);
        r.Err.Trim().ShouldBe($"rawhandshake: exercise: no exercise 'nosuch' in {dir} (see: exercise list)");
        r.Code.ShouldBe(2);

        r = CliRunner.Run("exercise", "list", "--dir", "/nonexistent/exercises");
        r.Err.Trim().ShouldBe("rawhandshake: exercise: --dir /nonexistent/exercises: no such folder");

        var empty = Path.Combine(dir, "empty");
        Directory.CreateDirectory(empty);
        r = CliRunner.Run("exercise", "list", "--dir", empty);
        r.Err.Trim().ShouldBe($"rawhandshake: exercise: no exercises (*.rhx) in {empty}");
    }

    [Fact]
    public void AMalformedExerciseIsReportedAtFileLineColumn()
    {
        var bad = Path.Combine(dir, "bad.rhx");
        File.WriteAllText(bad, Valid.Replace("expect 2", "expect >=two", StringComparison.Ordinal));
        var r = CliRunner.Run("exercise", "list", "--dir", dir);
        r.Code.ShouldBe(2);
        r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries).ShouldBe(
            [$"{bad}:6:45: '>=two' compares with something that is not a number", $"rawhandshake: exercise: 1 exercise file(s) in {dir} are invalid (errors above)"]);

        r = CliRunner.Run("exercise", "show", "bad", "--dir", dir);
        r.Code.ShouldBe(2);
        r.Err.Split('\n', StringSplitOptions.RemoveEmptyEntries).ShouldBe(
            [$"{bad}:6:45: '>=two' compares with something that is not a number", $"rawhandshake: exercise: {bad} is invalid (errors above)"]);
    }

    [Fact]
    public void ListAndShowTheShippedExercises()
    {
        var r = CliRunner.Run("exercise", "list", "--dir", Shipped);
        r.Code.ShouldBe(0, r.Err);
        var lines = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        lines.Length.ShouldBeGreaterThanOrEqualTo(21);
        lines[^1].ShouldBe($"{lines.Length - 1} exercises; show one with: exercise show NAME");
        lines.ShouldContain(l => l.StartsWith("two-stacks ", StringComparison.Ordinal) && l.Contains("linux+slirp", StringComparison.Ordinal));

        r = CliRunner.Run("exercise", "show", "seq-ack", "--dir", Shipped);
        r.Code.ShouldBe(0, r.Err);
        r.Out.ShouldContain("question: After the SYN, \"A\" and then \"AB\", which acknowledgment number (relative) does the server send?");
        r.Out.ShouldContain("runs on:  linux 198.18.2.10:20000");
        r.Out.ShouldContain("  [ab] push \"AB\" then ack 4");
        r.Out.ShouldContain("exercise run seq-ack --answer TEXT");
    }
}
