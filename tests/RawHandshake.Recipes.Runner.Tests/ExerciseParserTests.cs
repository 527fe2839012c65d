using RawHandshake.Recipes.Runner.Exercises;
using RawHandshake.Recipes.Runner.Tests.Infra;

namespace RawHandshake.Recipes.Runner.Tests;

/// <summary>Issue 14: the exercise file format — what a well-formed file gives, and one file:line:col error per mistake.</summary>
public class ExerciseParserTests
{
    private const string Good = """
        # a comment
        title    Sequence numbers
        seed     000
        goal     See the Ack count bytes,
                 and the SYN take one.
        change   Send "A" then "AB".
        question Which Ack follows "AB"?
        port     20000
        observe  after-a   rel_ack received at a   expect 2
        observe  after-ab  rel_ack received at ab  expect 4
        observe  syn-ttl   ttl     sent     at a
        answer   after-ab
        alias    4 = four

        recipe
        connect
        [a]  push "A" then ack 2
        [ab] push "AB" then ack 4
        close
        """;

    private static ExerciseParseResult Parse(string text) => ExerciseParser.Parse(text, "ex.rhx");

    private static string Errors(string text) => string.Join('\n', Parse(text).Errors);

    [Fact]
    public void AWellFormedFileGivesEveryPart()
    {
        var r = Parse(Good);
        r.Errors.ShouldBeEmpty();
        var e = r.Exercise.ShouldNotBeNull();
        e.Name.ShouldBe("ex");
        e.Title.ShouldBe("Sequence numbers");
        e.Seed.ShouldBe("000");
        e.Goal.ShouldBe("See the Ack count bytes, and the SYN take one.");
        e.Question.ShouldBe("Which Ack follows \"AB\"?");
        e.Port.ShouldBe((ushort)20000);
        e.Stacks.ShouldBe([ExerciseStack.Linux]);
        e.Answer.ShouldBe("after-ab");
        e.Aliases["4"].ShouldBe(["four"]);
        e.Recipe.Steps.Count.ShouldBe(4);

        // Labels point at the steps' lines; the recipe keeps the file's line numbers (labels blanked, columns kept).
        e.Observations.Select(o => (o.Name, o.Field, o.Packet, o.StepLine)).ShouldBe(
            [("after-a", "rel_ack", ObservedPacket.Received, 17), ("after-ab", "rel_ack", ObservedPacket.Received, 18), ("syn-ttl", "ttl", ObservedPacket.Sent, 17)]);
        e.Observations[0].Expected[ExerciseStack.Linux].Text.ShouldBe("2");
        e.Observations[2].Expected.ShouldBeEmpty();
        e.Recipe.Steps[1].Pos.Line.ShouldBe(17);
        e.Recipe.Steps[1].Pos.Column.ShouldBe(6);
        e.RecipeSource.ShouldStartWith("connect\n[a]  push");
    }

    [Fact]
    public void BothStacksTakeAnExpectationEach()
    {
        var text = Good.Replace("port     20000", "port     20000\nstack    both", StringComparison.Ordinal)
            .Replace("rel_ack received at a   expect 2", "rel_ack received at a   expect linux 2 slirp absent", StringComparison.Ordinal)
            .Replace("answer   after-ab", "answer   after-ab on slirp", StringComparison.Ordinal);
        var e = Parse(text).Exercise.ShouldNotBeNull(Errors(text));
        e.Stacks.ShouldBe([ExerciseStack.Linux, ExerciseStack.Slirp]);
        e.AnswerStack.ShouldBe(ExerciseStack.Slirp);
        e.Observations[0].Expected[ExerciseStack.Slirp].Text.ShouldBe("absent");
        e.Observations[1].Expected.Keys.ShouldBe([ExerciseStack.Linux, ExerciseStack.Slirp], ignoreOrder: true);
    }

    [Theory]
    [InlineData("title    Sequence numbers", "titel    Sequence numbers", "ex.rhx:2:1: unknown key 'titel' (known: title, seed, goal, change, question, stack, port, observe, answer, alias, recipe)")]
    [InlineData("port     20000", "port     70000", "ex.rhx:8:10: 'port' takes one number, 1 to 65535 (the lab server's port)")]
    [InlineData("port     20000", "port     20000\nstack    bsd", "ex.rhx:9:10: unknown stack 'bsd' (known: linux, slirp, both)")]
    [InlineData("seed     000", "seed     000\nseed     001", "ex.rhx:4:1: 'seed' is given twice (first at line 3)")]
    [InlineData("# a comment", "   stray", "ex.rhx:1:4: an indented line continues a text (title, goal, change, question), but none comes before it")]
    [InlineData("rel_ack received at a   expect 2", "rel_ak received at a   expect 2", "ex.rhx:9:20: unknown field 'rel_ak' (known: ack data_offset df dport dst eth_dst eth_src ethertype flags frag_offset id ihl ip_checksum ip_checksum_status ip_len ip_options ip_proto len mf payload_hex proto rel_ack rel_seq sack_rel seq sport src tcp_checksum tcp_checksum_status tos ttl urg win win_calc, options.NAME, icmp.NAME)")]
    [InlineData("rel_ack received at a   expect 2", "rel_ack got at a   expect 2", "ex.rhx:9:28: expected 'received' or 'sent', not 'got'")]
    [InlineData("rel_ack received at a   expect 2", "rel_ack received on a   expect 2", "ex.rhx:9:37: expected 'at LABEL', not 'on'")]
    [InlineData("rel_ack received at a   expect 2", "rel_ack received at c   expect 2", "ex.rhx:9:40: no step is labelled 'c' (labels: a, ab)")]
    [InlineData("rel_ack received at a   expect 2", "rel_ack received at a   expect >=x", "ex.rhx:9:51: '>=x' compares with something that is not a number")]
    [InlineData("rel_ack received at a   expect 2", "rel_ack received at a   expect 1..x", "ex.rhx:9:51: '1..x' is not a range of numbers (N..M)")]
    [InlineData("rel_ack received at a   expect 2", "rel_ack received at a   expect", "ex.rhx:9:44: 'expect' needs a value")]
    [InlineData("rel_ack received at a   expect 2", "rel_ack received at a   expect slirp 2 linux 2", "ex.rhx:9:51: the exercise does not run on slirp (see its 'stack' line)")]
    [InlineData("observe  syn-ttl   ttl     sent     at a", "observe  after-a   ttl     sent     at a", "ex.rhx:11:10: observation 'after-a' is named twice")]
    [InlineData("observe  syn-ttl   ttl     sent     at a", "observe  syn-ttl", "ex.rhx:11:10: an observation is written: observe NAME FIELD received|sent at LABEL [expect VALUE]")]
    [InlineData("answer   after-ab", "answer   after-x", "ex.rhx:12:10: 'answer' names no observation: 'after-x' (observed: after-a, after-ab, syn-ttl)")]
    [InlineData("answer   after-ab", "answer   after-ab on slirp", "ex.rhx:12:22: 'answer … on slirp': the exercise runs on linux")]
    [InlineData("alias    4 = four", "alias    4 four", "ex.rhx:13:10: 'alias' is written: alias VALUE = WORD, WORD …")]
    [InlineData("[ab] push", "[a] push", "ex.rhx:18:2: label 'a' is used twice (first at line 17)")]
    [InlineData("[ab] push", "[a b] push", "ex.rhx:18:1: a label is written [NAME] (letters, digits, - and _) at the start of a step's line")]
    [InlineData("[ab] push \"AB\" then ack 4", "[ab] push \"AB\" then ak 4", "ex.rhx:18:21: expected 'ack' after 'then' (push \"AB\" then ack 3)")]
    [InlineData("\nrecipe\n", "\nrecipe now\n", "ex.rhx:15:8: 'recipe' stands alone on its line; the recipe follows on the next lines")]
    public void EachMistakeIsOneErrorAtItsPlace(string what, string replacement, string error)
    {
        Good.ShouldContain(what);
        var text = Good.Replace(what, replacement, StringComparison.Ordinal);
        var r = Parse(text);
        r.Exercise.ShouldBeNull();
        r.Errors.Select(e => e.ToString()).ShouldContain(error, Errors(text));
    }

    [Theory]
    [InlineData("title    Sequence numbers\n", "ex.rhx:18:1: no 'title' line: an exercise needs title, goal, change, question, port, observe, answer and recipe")]
    [InlineData("port     20000\n", "ex.rhx:18:1: no 'port' line: which lab server the recipe talks to (e.g. port 20000)")]
    [InlineData("answer   after-ab\n", "ex.rhx:18:1: no 'answer' line: which observation a student's --answer is checked against")]
    public void AMissingLineIsNamed(string line, string error)
    {
        var text = Good.Replace(line, "", StringComparison.Ordinal);
        Errors(text).ShouldContain(error);
    }

    [Fact]
    public void NoRecipeAndNoObservationAreNamed()
    {
        var text = "title t\ngoal g\nchange c\nquestion q\nport 1\nanswer x\n";
        var errors = Parse(text).Errors.Select(e => e.ToString()).ToList();
        errors.ShouldContain("ex.rhx:7:1: no 'recipe' line: the recipe that runs the exercise comes last, after a line 'recipe'");
        errors.ShouldContain("ex.rhx:7:1: no 'observe' line: name at least one field the checker compares");
    }

    [Fact]
    public void EveryShippedExerciseParses()
    {
        var dir = Path.Combine(Lab.RecipesDirectory(), "exercises");
        var files = Directory.GetFiles(dir, "*" + ExerciseParser.Extension);
        files.Length.ShouldBeGreaterThanOrEqualTo(20);
        foreach (var f in files)
        {
            var r = ExerciseParser.Parse(File.ReadAllText(f), f);
            r.Errors.ShouldBeEmpty(string.Join('\n', r.Errors));
        }
    }

    [Theory]
    [InlineData("*", "5", true)]
    [InlineData("*", null, false)]
    [InlineData("absent", null, true)]
    [InlineData("absent", "7", false)]
    [InlineData("4", "4", true)]
    [InlineData("0x10", "16", true)]
    [InlineData("SA", "sa", true)]
    [InlineData("1..14", "10", true)]
    [InlineData("1..14", "15", false)]
    [InlineData("!=0", "0", false)]
    [InlineData(">=6", "6", true)]
    [InlineData(">0", "0", false)]
    [InlineData("<3", "2", true)]
    public void MatchersCompareNumbersByValueAndWordsWithoutCase(string matcher, string? observed, bool expected) =>
        new FieldMatcher(matcher).Matches(observed).ShouldBe(expected);
}
