using RawHandshake.Recipes.Runner.Exercises;

namespace RawHandshake.Recipes.Runner.Tests;

/// <summary>Issue 14: the checker over a run's JSON lines — which packet each labelled step observes, and --answer.</summary>
public class ExerciseCheckTests
{
    private const string Text = """
        title    t
        goal     g
        change   c
        question Which flags answer our ACK?
        port     20000
        observe  flags  flags    received at rst   expect R
        observe  seq    rel_seq  received at rst   expect 5
        observe  mine   rel_ack  sent     at bad   expect 5
        observe  quiet  flags    received at none  expect absent
        observe  sack   sack_rel received at rst
        answer   flags
        alias    R = rst, reset

        recipe
        [none] expect nothing within 100ms
        send   S 0:0(0)
        expect S. 0:0(0) ack 1 within 1s
        [bad] send   . 1:1(0) ack 5
        [rst] expect R 5:5(0) within 1s
        """;

    private static readonly Exercise Exercise = ExerciseParser.Parse(Text, "t.rhx").Exercise!;

    private static string Packet(string dir, string flags, long seq, long relSeq, long relAck, string extra = "") =>
        $$$"""{"event":"packet","no":1,"dir":"{{{dir}}}","src":"198.18.0.1","flags":"{{{flags}}}","seq":{{{seq}}},"rel_seq":{{{relSeq}}},"rel_ack":{{{relAck}}},"options":{{{{extra}}}}}""";

    private static string Step(int line, bool ok) => $$"""{"event":"step","file":"/tmp/x.rh","line":{{line}},"step":"s","ok":{{(ok ? "true" : "false")}}}""";

    private static List<string> Run(string rstFlags = "R") =>
    [
        Step(15, true),
        Packet("out", "S", 1000, 0, 0),
        Step(16, true),
        Packet("in", "SA", 7000, 0, 1),
        Step(17, true),
        Packet("out", "A", 1001, 1, 5),
        Step(18, true),
        Packet("in", rstFlags, 7005, 5, 0, "\"sack\":[[1002,1003]]"),
        Step(19, true),
        """{"event":"result","ok":true}""",
    ];

    [Fact]
    public void EachLabelObservesTheLastPacketBeforeItsStepEnded()
    {
        Exercise.ShouldNotBeNull();
        var o = ExerciseCheck.Evaluate(Exercise, ExerciseStack.Linux, Run(), 0, "");
        o.RunError.ShouldBeNull();
        o.Ok.ShouldBeTrue();
        o.Fields.Select(f => (f.Observation.Name, f.Value, f.Ok)).ShouldBe(
            [("flags", "R", true), ("seq", "5", true), ("mine", "5", true), ("quiet", null, true), ("sack", "2:3", true)]);
        o.Fields[0].PacketLine().ShouldContain("»flags=R«");
        o.Fields[4].PacketLine().ShouldEndWith("»options.sack=[[1002,1003]]«");
        o.Fields[0].PacketLine(["flags", "rel_seq"]).ShouldBe("src=198.18.0.1 »flags=R« seq=7005 »rel_seq=5« rel_ack=0 options.sack=[[1002,1003]]");
        o.Fields[3].PacketLine().ShouldBe("(no packet)");
    }

    [Fact]
    public void AnotherValueIsAMismatch()
    {
        var o = ExerciseCheck.Evaluate(Exercise, ExerciseStack.Linux, Run("RA"), 0, "");
        o.StepsOk.ShouldBeTrue();
        o.Ok.ShouldBeFalse();
        o.Fields.Single(f => !f.Ok).Observation.Name.ShouldBe("flags");
    }

    [Fact]
    public void AFailedStepOrAMissingRunFailsTheExercise()
    {
        var lines = Run();
        lines[8] = Step(19, false);
        ExerciseCheck.Evaluate(Exercise, ExerciseStack.Linux, lines, 1, "").StepsOk.ShouldBeFalse();

        var none = ExerciseCheck.Evaluate(Exercise, ExerciseStack.Linux, [], 2, "rawhandshake: --netns: no network namespace 'rh-x-cli'\n");
        none.Ok.ShouldBeFalse();
        none.RunError.ShouldBe("rawhandshake: --netns: no network namespace 'rh-x-cli'");

        var cut = ExerciseCheck.Evaluate(Exercise, ExerciseStack.Linux, Run().Take(4), 130, "");
        cut.RunError.ShouldBe("the run ended with exit code 130");
    }

    [Theory]
    [InlineData("R", "R", true)]
    [InlineData("R", " rst ", true)]
    [InlineData("R", "\"Reset\"", true)]
    [InlineData("R", "SA", false)]
    [InlineData("R", "ack", false)]
    [InlineData("4", "0x4", true)]
    [InlineData("4", "3", false)]
    public void AnAnswerIsRightWhenItSaysWhatWasObserved(string observed, string answer, bool right) =>
        ExerciseCheck.AnswerMatches(Exercise, observed, answer).ShouldBe(right);

    [Fact]
    public void NothingObservedIsAnsweredByAbsentOrItsAliases()
    {
        var text = Text.Replace("alias    R = rst, reset", "alias    absent = nothing, silence", StringComparison.Ordinal);
        var e = ExerciseParser.Parse(text, "t.rhx").Exercise.ShouldNotBeNull();
        ExerciseCheck.AnswerMatches(e, null, "nothing").ShouldBeTrue();
        ExerciseCheck.AnswerMatches(e, null, "absent").ShouldBeTrue();
        ExerciseCheck.AnswerMatches(e, null, "R").ShouldBeFalse();
    }
}
