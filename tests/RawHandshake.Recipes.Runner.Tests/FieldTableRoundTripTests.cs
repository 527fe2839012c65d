using System.Globalization;
using RawHandshake.Recipes.Runner.Tests.Infra;
using RawHandshake.Recipes.Syntax;
using RawHandshake.Wire.Primitives;

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

    public static TheoryData<string> Settable()
    {
        var data = new TheoryData<string>();
        foreach (var f in RecipeFields.All.Where(f => f.Settable))
        {
            data.Add(f.Name);
        }

        return data;
    }

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
        var expected = new Dictionary<string, long>
        {
            ["flags"] = 0x1A,
            ["seq"] = 1005,
            ["ack"] = 7, // before the server's SYN-ACK its numbers are raw
            ["win"] = 999,
            ["len"] = 3,
            ["mss"] = 1400,
            ["wscale"] = 3,
            ["tsval"] = 11,
            ["tsecr"] = 12,
        };
        foreach (var f in RecipeFields.All.Where(f => !f.Settable))
        {
            f.Read(frame.Parsed, frame.Frame).ShouldBe(expected[f.Name], f.Name);
        }

        // Option fields match by name on expect, and say so when they differ.
        static ExpectStep Expect(string line) => Bench.Compile($"target 10.9.0.2:20000\nsend S\n{line}\n").Steps[1].ShouldBeOfType<ExpectStep>();
        StepMatch.Diff(Expect("expect * mss 1400 wscale 3 tsval 11 tsecr 12"), frame, null, new SeqNum(0), (e, _) => e.Offset).ShouldBeEmpty();
        StepMatch.Diff(Expect("expect * tsval 12"), frame, null, new SeqNum(0), (e, _) => e.Offset)
            .ShouldBe(["tcp.options.tsval: expected 12 (0xc) vs actual 11 (0xb)"]);
    }
}
