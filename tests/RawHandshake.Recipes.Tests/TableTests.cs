using RawHandshake.Recipes.Front;
using RawHandshake.Recipes.Syntax;
using RawHandshake.Recipes.Tests.Support;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Recipes.Tests;

/// <summary>
/// Issue 8 §1: the header options, the fields and the built-in variables are each one table; the parser, the validator
/// and the printer read them, so a name added to a table is known everywhere at once.
/// </summary>
public class TableTests
{
    /// <summary>A value each header option takes, as the printer writes it back.</summary>
    private static string Sample(string option) => option switch
    {
        "mss" => "1200",
        "wscale" => "9",
        "sackok" or "timestamps" => "off",
        "window" => "1000",
        "rto" or "timeout" => "3s",
        "retries" => "4",
        "time-wait" => "500ms",
        "ttl" => "9",
        "sport" => "40001",
        "isn" => "77",
        "tolerance" => "20ms",
        _ => throw new ArgumentException($"no sample for option {option}: add one when an option joins the table", nameof(option)),
    };

    public static TheoryData<string> Options() => new(HeaderOptions.All.Select(o => o.Name));

    [Theory]
    [MemberData(nameof(Options))]
    public void Every_header_option_is_parsed_validated_and_printed_back(string name)
    {
        var value = Sample(name);
        var printed = Compiled.Print($"option {name} {value}\nconnect\n");
        printed.ShouldContain($"1:8 option {name} {value}\n");

        // Printed back as written, it parses to the same header.
        var again = Compiled.Print($"option {name.ToUpperInvariant()} {value}\nconnect\n");
        again.ShouldBe(printed);
        Compiled.Errors($"option {name} {value}, {name} {value}\nconnect\n").ShouldBe([$"t.rh:1:{name.Length + value.Length + 11}: option '{name}' given twice (first at line 1)"]);
    }

    [Fact]
    public void Unknown_header_options_list_the_table()
    {
        Compiled.Errors("option bogus 1\nconnect\n").ShouldBe([$"t.rh:1:8: unknown option 'bogus' (expected {HeaderOptions.Known})"]);
        HeaderOptions.Known.ShouldBe("mss, wscale, sackok, timestamps, window, rto, retries, time-wait, timeout, ttl, sport, isn, tolerance");
    }

    private static List<RecipeDiagnostic> Validate(Step step)
    {
        var diagnostics = new List<RecipeDiagnostic>();
        Validator.Validate([new StepItem(step, "x")], "t.rh", diagnostics).ShouldBeNull();
        return diagnostics;
    }

    private static readonly SourcePos At = new(3, 7);

    private static SendStep Send(params FieldOverride[] fields) => new(new SourcePos(3, 1), "send S", TcpFlags.Syn, null, null, null, null, null, [], fields);

    private static ExpectStep Expect(IReadOnlyList<FieldMatch> fields, IReadOnlyList<Capture>? captures = null) =>
        new(new SourcePos(3, 1), "expect *", new FlagsMatch(null), null, null, null, null, null, null, fields, null) { Captures = captures ?? [] };

    [Fact]
    public void The_validator_checks_a_sends_fields_against_the_table()
    {
        Validate(Send(new FieldOverride("seq", 5, At))).ShouldHaveSingleItem().ToString()
            .ShouldBe($"t.rh:3:7: 'seq' cannot be set on send (one of {RecipeFields.SettableNames})");
        Validate(Send(new FieldOverride("ttl", 256, At))).ShouldHaveSingleItem().ToString().ShouldBe("t.rh:3:7: ttl 256 is out of range (0 to 255)");
        Validate(Send(new FieldOverride("bogus", 1, At))).ShouldHaveSingleItem().Message.ShouldStartWith("'bogus' cannot be set on send");
    }

    [Fact]
    public void The_validator_checks_an_expects_fields_and_captures_against_the_table()
    {
        Validate(Expect([new FieldMatch("ack", Matcher.EqualTo(1), null, At)])).ShouldHaveSingleItem().ToString()
            .ShouldBe($"t.rh:3:7: 'ack' cannot be matched by name on expect (one of {RecipeFields.MatchableNames})");
        Validate(Expect([new FieldMatch("ttl", null, "good", At)])).ShouldHaveSingleItem().ToString().ShouldBe("t.rh:3:7: ttl has no checksum verdict: match a number");
        Validate(Expect([new FieldMatch("tcp.checksum", null, "fine", At)])).ShouldHaveSingleItem().ToString()
            .ShouldBe("t.rh:3:7: tcp.checksum: unknown verdict 'fine' (expected good, bad, offload)");
        Validate(Expect([new FieldMatch("ttl", null, null, At)])).ShouldHaveSingleItem().ToString().ShouldBe("t.rh:3:7: ttl: give a number or a verdict");
        var stray = RecipeFields.Get("ttl") with { Name = "hops" };
        Validate(Expect([], [new Capture("$h", stray, At)])).ShouldHaveSingleItem().Message.ShouldStartWith("cannot capture $h = hops: not a field of the table");
    }

    [Fact]
    public void What_the_parser_builds_passes_the_validators_table_checks()
    {
        // Every field the parser takes by name, with a verdict where there is one: the validator agrees with it.
        var names = string.Join(' ', RecipeFields.All.Where(f => f.Place != FieldPlace.Segment).Select(f => $"{f.Name} {f.Min}"));
        Compiled.Ok($"send S\nexpect * {names} $a = tsval $b = len\nexpect * tcp.checksum good ip.checksum bad\n");
        var settable = string.Join(' ', RecipeFields.All.Where(f => f.Settable).Select(f => $"{f.Name} {f.SendMax}"));
        Compiled.Ok($"send S {settable}\n");
    }

    [Fact]
    public void Variables_are_one_table()
    {
        RecipeVariables.Names.ShouldBe(RecipeVariables.All.Select(v => v.Name));
        RecipeVariables.All.ShouldAllBe(v => v.Name.StartsWith('$') && v.Description.Length > 0);
        RecipeVariables.Find("$SND.NXT").ShouldBeSameAs(RecipeVariables.All.Single(v => v.Name == "$snd.nxt"));
        foreach (var v in RecipeVariables.All)
        {
            // The lexer knows each one, and a capture may not take its name.
            Compiled.Ok($"send S\nsend . 1:1(0) ack {v.Name}+1\n");
            Compiled.Errors($"send S\nexpect * {v.Name} = ttl\n").ShouldHaveSingleItem().ShouldContain("is a built-in value");
        }
    }
}
