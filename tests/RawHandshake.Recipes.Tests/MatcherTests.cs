using RawHandshake.Recipes.Syntax;
using RawHandshake.Recipes.Tests.Support;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Recipes.Tests;

/// <summary>Matchers as parsed, and <see cref="Matcher.Matches(long, Func{NumberExpr, long})"/>.</summary>
public class MatcherTests
{
    private static Matcher Ack(string text) => Compiled.Step<ExpectStep>($"send S\nexpect . ack {text}").Ack.ShouldNotBeNull();

    [Theory]
    [InlineData("*", MatchKind.Any, "*")]
    [InlineData("5", MatchKind.Equal, "5")]
    [InlineData("!=5", MatchKind.NotEqual, "!=5")]
    [InlineData("!= 5", MatchKind.NotEqual, "!=5")]
    [InlineData("1..5", MatchKind.Range, "1..5")]
    [InlineData("1 .. 5", MatchKind.Range, "1..5")]
    [InlineData(">=5", MatchKind.AtLeast, ">=5")]
    [InlineData("<=5", MatchKind.AtMost, "<=5")]
    [InlineData(">5", MatchKind.Greater, ">5")]
    [InlineData("<5", MatchKind.Less, "<5")]
    [InlineData("raw:7", MatchKind.Equal, "raw:7")]
    [InlineData("$snd.nxt-1..$snd.nxt", MatchKind.Range, "$snd.nxt-1..$snd.nxt")]
    [InlineData(">=raw:0x10", MatchKind.AtLeast, ">=raw:16")]
    public void Forms(string text, MatchKind kind, string canonical)
    {
        var m = Ack(text);
        m.Kind.ShouldBe(kind);
        m.ToString().ShouldBe(canonical);
    }

    [Theory]
    [InlineData("*", 0, true)]
    [InlineData("*", long.MaxValue, true)]
    [InlineData("5", 5, true)]
    [InlineData("5", 6, false)]
    [InlineData("!=5", 5, false)]
    [InlineData("!=5", 4, true)]
    [InlineData("1..5", 1, true)]
    [InlineData("1..5", 5, true)]
    [InlineData("1..5", 0, false)]
    [InlineData("1..5", 6, false)]
    [InlineData(">=5", 5, true)]
    [InlineData(">=5", 4, false)]
    [InlineData("<=5", 5, true)]
    [InlineData("<=5", 6, false)]
    [InlineData(">5", 5, false)]
    [InlineData(">5", 6, true)]
    [InlineData("<5", 5, false)]
    [InlineData("<5", 4, true)]
    public void Matches_constants(string text, long value, bool expected)
    {
        Ack(text).Matches(value, e => e.Offset).ShouldBe(expected);
        Ack(text).Matches(value).ShouldBe(expected);
    }

    [Fact]
    public void Matches_with_the_runners_evaluator()
    {
        // The runner evaluates variables (and translates raw values) itself; here $snd.nxt = 100 and raw:N = N - 1000.
        long Eval(NumberExpr e) => e.Base switch
        {
            NumberBase.Variable when e.Variable == "$snd.nxt" => 100 + e.Offset,
            NumberBase.Raw => e.Offset - 1000,
            _ => e.Offset,
        };
        Ack("$snd.nxt").Matches(100, Eval).ShouldBeTrue();
        Ack("$snd.nxt+1").Matches(100, Eval).ShouldBeFalse();
        Ack("$snd.nxt-5..$snd.nxt").Matches(96, Eval).ShouldBeTrue();
        Ack(">=raw:1010").Matches(10, Eval).ShouldBeTrue();
        Ack(">=raw:1010").Matches(9, Eval).ShouldBeFalse();
    }

    [Fact]
    public void Equality_ignores_positions()
    {
        Ack("5").ShouldBe(Matcher.EqualTo(5));
        Ack("5").GetHashCode().ShouldBe(Matcher.EqualTo(5).GetHashCode());
        Ack("*").ShouldBe(Matcher.Any);
        new NumberExpr(NumberBase.Relative, null, 1, new SourcePos(3, 4)).ShouldBe(NumberExpr.Literal(1));
        new FlagsMatch(TcpFlags.Syn, new SourcePos(1, 2)).ShouldBe(new FlagsMatch(TcpFlags.Syn));
    }

    [Fact]
    public void Flags_match_exactly_or_anything()
    {
        var exact = Compiled.Step<ExpectStep>("send S\nexpect S.").Flags;
        exact.Matches(TcpFlags.Syn | TcpFlags.Ack).ShouldBeTrue();
        exact.Matches(TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Ece).ShouldBeFalse();
        exact.IsAny.ShouldBeFalse();
        var any = Compiled.Step<ExpectStep>("send S\nexpect *").Flags;
        any.IsAny.ShouldBeTrue();
        any.Matches(TcpFlags.Rst).ShouldBeTrue();
        any.ToString().ShouldBe("*");
    }

    [Fact]
    public void Less_than_before_a_number_is_a_matcher_before_a_name_it_opens_options()
    {
        var m = Compiled.Step<ExpectStep>("send S\nexpect . <5 <mss 1460>");
        m.Seq.ShouldBe(new Matcher(MatchKind.Less, NumberExpr.Literal(5), null));
        m.Options.ShouldNotBeNull().Single().Kind.ShouldBe(OptionKindName.Mss);
    }

    [Fact]
    public void Option_matchers_inside_angle_brackets()
    {
        var o = Compiled.Step<ExpectStep>("send S\nexpect S. <mss >1000, wscale *, mss>").Options!;
        o[0].Value.ShouldBe(new Matcher(MatchKind.Greater, NumberExpr.Literal(1000), null));
        o[1].Value.ShouldBe(Matcher.Any);
        o[2].Value.ShouldBeNull();
    }
}
