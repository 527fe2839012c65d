using System.Globalization;
using System.Text.RegularExpressions;
using RawHandshake.Recipes.Runner.Tests.Infra;
using RawHandshake.Recipes.Syntax;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Recipes.Runner.Tests;

/// <summary>
/// Issue 8 §1: every field of the one table round-trips through the parser (send and expect), the validator, the
/// printer, the driver (the frame it puts on the wire) and the matcher (which finds it equal, and names it when not).
/// </summary>
public sealed class FieldTableRoundTripTests
{
    /// <summary>A value for each settable field that differs from the default and leaves the frame readable.</summary>
    private static long Sample(RecipeField f) => f.Name switch
    {
        "ttl" => 33,
        "tos" => 0x29,
        "ip.id" => 4242,
        "df" => 0,
        "mf" or "evil" => 1,
        "frag-offset" => 100,
        "ip.len" => 41,
        "ihl" => 6,
        "ip.checksum" => 0x1234,
        "tcp.checksum" => 0x4321,
        "urg" => 7,
        "data-offset" => 6,
        "reserved" => 5,
        "dscp" => 10,
        "ecn" => 2,
        _ => throw new ArgumentException($"no sample for {f.Name}: add one when a field joins the table", nameof(f)),
    };

    /// <summary>The send that writes every field of the segment grammar and the option list (<see cref="GrammarValue"/> says what).</summary>
    private const string GrammarSend = "send SP. 5:8(3) ack 7 win 999 <mss 1400, wscale 3, TS val 11 ecr 12> \"abc\"";

    /// <summary>What <see cref="GrammarSend"/> (our ISN 1000) puts on the wire in each field that a send does not set by name.</summary>
    private static long GrammarValue(RecipeField f) => f.Name switch
    {
        "flags" => 0x1A,
        "seq" => 1005,
        "ack" => 7, // before the server's SYN-ACK its numbers are raw
        "win" => 999,
        "len" => 3,
        "mss" => 1400,
        "wscale" => 3,
        "tsval" => 11,
        "tsecr" => 12,
        _ => throw new ArgumentException($"{f.Name} is neither set by name on a send nor written by the segment grammar: give it a setter or a place in the grammar (and here)", nameof(f)),
    };

    public static TheoryData<string> Every() => new(RecipeFields.All.Select(f => f.Name));

    /// <summary>The tree dump without positions: two parses of the same steps written differently compare equal.</summary>
    private static string Shape(Recipe r) => Regex.Replace(RecipePrinter.Print(r), @"(?m)^(\s*)\d+:\d+ ", "$1");

    /// <summary>The step printed back as a recipe line and parsed again is the same step, and prints the same line.</summary>
    private static void RoundTrips(string header, string line)
    {
        var first = Bench.Compile(header + line + "\n");
        var step = first.Steps[^1];
        var printed = step switch
        {
            SendStep send => RecipePrinter.Source(send),
            ExpectStep expect => RecipePrinter.Source(expect),
            _ => throw new ArgumentException($"not a send or expect: {line}", nameof(line)),
        };
        var again = Bench.Compile(header + printed + "\n");
        Shape(again).ShouldBe(Shape(first), $"{line}\nprinted as\n{printed}");
        (again.Steps[^1] is SendStep s2 ? RecipePrinter.Source(s2) : RecipePrinter.Source((ExpectStep)again.Steps[^1])).ShouldBe(printed);
    }

    [Theory]
    [MemberData(nameof(Every))]
    public void Every_field_has_a_writer_and_a_reader_and_round_trips_through_parser_validator_printer_parser(string name)
    {
        var field = RecipeFields.Get(name);
        foreach (var alias in field.Aliases)
        {
            RecipeFields.Find(alias).ShouldBeSameAs(field);
        }

        // A writer: a header field is set by name (a sample value for it), every other field by the segment grammar.
        const string header = "target 10.9.0.2:20000\nsend S\n";
        var value = field.Place == FieldPlace.Header ? Sample(field) : GrammarValue(field);
        field.Settable.ShouldBe(field.Place == FieldPlace.Header, "a header field is set by name; the others by the segment and its options");
        var send = field.Place == FieldPlace.Header ? $"send S 0:0(0) {field.Write(value)}" : GrammarSend;
        RoundTrips(header, send);
        if (field.Place == FieldPlace.Header)
        {
            RecipePrinter.Source(Bench.Compile(header + send + "\n").Steps[^1].ShouldBeOfType<SendStep>()).ShouldContain(field.Write(value));
        }

        // A reader: matched on expect (by name outside the segment grammar), with a verdict where it has one, and captured.
        var v = value.ToString(CultureInfo.InvariantCulture);
        var expects = field.Place == FieldPlace.Segment
            ? new List<string> { $"expect SP. 5:8(3) ack 7 win 999 $v = {name}", $"expect * *(*) ack >=7 win 990..999 $v = {name} within 1s" }
            : [$"expect * {name} {v} $v = {name}", $"expect . {name} !={v} within 2s", $"expect * {name} {field.Min}..{field.Max}"];
        if (field.HasVerdict)
        {
            expects.AddRange(RecipeFields.Verdicts.Select(verdict => $"expect * {name} {verdict}"));
        }

        if (field.IsFlag)
        {
            expects.Add($"expect * {name}");
        }

        foreach (var e in expects)
        {
            RoundTrips(header, e);
        }
    }

    /// <summary>How to read each built-in variable's value independently of the table: from the server's SYN-ACK, or our ISN (1000).</summary>
    private static long Expected(string variable, in ParsedFrame synAck, ReadOnlySpan<byte> frame)
    {
        var tcp = synAck.Tcp!.Value;
        var o = synAck.TcpOptionsSummary(frame);
        return variable switch
        {
            "$srv.isn" => tcp.Seq.Value,
            "$srv.win" => tcp.Window,
            "$srv.mss" => o.Mss!.Value,
            "$srv.wscale" => o.WindowScale!.Value,
            "$srv.tsval" => o.TsVal!.Value,
            "$srv.tsecr" => o.TsEcr!.Value,
            "$our.isn" => 1000,
            "$snd.nxt" => 1001,
            "$rcv.nxt" => tcp.Seq.Value + 1,
            _ => throw new ArgumentException($"no expected value for {variable}: add one when a variable joins the table", nameof(variable)),
        };
    }

    public static TheoryData<string> Variables() => new(RecipeVariables.Names);

    [Theory]
    [MemberData(nameof(Variables))]
    public void Every_variable_round_trips_and_reads_what_the_table_says(string name)
    {
        var variable = RecipeVariables.Find(name).ShouldNotBeNull();
        variable.Description.ShouldNotBeNullOrWhiteSpace();
        RecipeVariables.Describe(name).ShouldBe(variable.Description);

        // Parser, validator, printer, parser: in a sequence slot, a plain slot, an option and a matcher.
        const string header = "target 10.9.0.2:20000\nsend S\n";
        RoundTrips(header, $"send . {name}(0) ack {name}+1 win {name} <TS val {name}-1 ecr {name}>");
        RoundTrips(header, $"expect * {name}..{name}+5 ack !={name} ttl >={name} <mss {name}>");

        // The runner reads it as the table says: a send after the handshake puts its value on the wire.
        var bench = new Bench();
        bench.Peer.Listen(20000);
        var run = bench.Run($"""
            target 10.9.0.2:20000
            send   S 0:0(0) <mss 1460, sackOK, TS val 100 ecr 0, nop, wscale 7>
            expect S. 0:0(0) ack 1 within 1s
            send   . 1:1(0) ack {name}
            """);
        run.ShouldPass();
        var synAck = run.Peer.Sent[0];
        var parsed = FrameParser.Parse(synAck);
        parsed.Tcp!.Value.Flags.ShouldBe(TcpFlags.Syn | TcpFlags.Ack);
        run.Sent[^1].Tcp.Ack.Value.ShouldBe((uint)Expected(name, parsed, synAck), name);

        // Before anything came from the server it is unknown where the table says so, and the step fails by name.
        var early = new Bench();
        early.Peer.Listen(20000);
        var before = early.Run($"target 10.9.0.2:20000\nsend . 0:0(0) ack {name}\n");
        if (variable.WhenUnknown is { } why)
        {
            before.Failed.Message.ShouldBe($"{name} is unknown: {why}");
        }
        else
        {
            before.ShouldPass();
        }
    }

    public static TheoryData<string> Settable() => new(RecipeFields.All.Where(f => f.Settable).Select(f => f.Name));

    private static Inbound SentFrame(Run run)
    {
        var seen = run.Peer.Seen.First(s => s.IsTcp || s.Parsed.IPv4 is not null);
        return new Inbound(TimeSpan.Zero, seen.Parsed, seen.Frame);
    }

    [Theory]
    [MemberData(nameof(Settable))]
    public void A_header_field_round_trips(string name)
    {
        var field = RecipeFields.Get(name);
        var value = Sample(field);
        var text = $"target 10.9.0.2:20000\nsend S 0:0(0) <mss 1460> {name} {value.ToString(CultureInfo.InvariantCulture)}\n";

        // Parser and validator: the send holds the field as written; the printer shows it.
        var recipe = Bench.Compile(text);
        var send = recipe.Steps[0].ShouldBeOfType<SendStep>();
        send.Fields.ShouldHaveSingleItem().Name.ShouldBe(field.Name);
        RecipePrinter.Print(recipe).ShouldContain($"field {field.Name} {value.ToString(CultureInfo.InvariantCulture)}");

        // The driver puts it on the wire; the table's reader gets it back.
        var bench = new Bench();
        bench.Peer.Listen(20000);
        var run = bench.Run(recipe);
        var frame = SentFrame(run);
        field.Read(frame.Parsed, frame.Frame).ShouldBe(value);

        // The matcher: equal passes, another value names the field. (A frame with a fragment offset carries no TCP
        // header to match: expectations only see segments.)
        if (!frame.IsTcp)
        {
            field.Name.ShouldBe("frag-offset");
            return;
        }

        static ExpectStep Expect(string line) => Bench.Compile($"target 10.9.0.2:20000\nsend S\n{line}\n").Steps[1].ShouldBeOfType<ExpectStep>();
        StepMatch.Diff(Expect($"expect * {name} {value}"), frame, null, default, (e, _) => e.Offset).ShouldBeEmpty();
        var other = value == field.Max ? value - 1 : value + 1;
        StepMatch.Diff(Expect($"expect * {name} {other}"), frame, null, default, (e, _) => e.Offset)
            .ShouldHaveSingleItem().ShouldStartWith($"{field.Shown}: expected {other} ");
    }

    [Fact]
    public void Segment_and_option_fields_round_trip_through_the_segment_grammar()
    {
        var recipe = Bench.Compile("target 10.9.0.2:20000\nsend SP. 5:8(3) ack 7 win 999 <mss 1400, wscale 3, TS val 11 ecr 12> \"abc\"\n");
        var bench = new Bench();
        bench.Peer.Listen(20000);
        var run = bench.Run(recipe, isn: 1000);
        var frame = SentFrame(run);
        foreach (var f in RecipeFields.All.Where(f => !f.Settable))
        {
            f.Read(frame.Parsed, frame.Frame).ShouldBe(GrammarValue(f), f.Name);
        }

        // Option fields match by name on expect, and say so when they differ.
        static ExpectStep Expect(string line) => Bench.Compile($"target 10.9.0.2:20000\nsend S\n{line}\n").Steps[1].ShouldBeOfType<ExpectStep>();
        StepMatch.Diff(Expect("expect * mss 1400 wscale 3 tsval 11 tsecr 12"), frame, null, new SeqNum(0), (e, _) => e.Offset).ShouldBeEmpty();
        StepMatch.Diff(Expect("expect * tsval 12"), frame, null, new SeqNum(0), (e, _) => e.Offset)
            .ShouldBe(["tcp.options.tsval: expected 12 (0xc) vs actual 11 (0xb)"]);
    }
}
