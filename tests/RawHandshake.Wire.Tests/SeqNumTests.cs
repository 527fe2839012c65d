using RawHandshake.Wire.Primitives;

namespace RawHandshake.Wire.Tests;

public class SeqNumTests
{
    [Fact]
    public void Addition_wraps_at_2_pow_32_and_stays_greater()
    {
        var a = new SeqNum(0xFFFFFFF0);
        var b = a + 0x20;
        b.Value.ShouldBe(0x10u);
        (b > a).ShouldBeTrue();
        (a < b).ShouldBeTrue();
        (b >= a).ShouldBeTrue();
        (b <= a).ShouldBeFalse();
        (a > b).ShouldBeFalse();
        b.CompareTo(a).ShouldBe(1);
        a.CompareTo(b).ShouldBe(-1);
        a.CompareTo(a).ShouldBe(0);
        (a + 0x20u).ShouldBe(b);
        (b - 0x20).ShouldBe(a);
    }

    [Fact]
    public void Differences_are_signed_and_modular()
    {
        var a = new SeqNum(0xFFFFFFF0);
        var b = new SeqNum(0x10);
        (b - a).ShouldBe(0x20);
        (a - b).ShouldBe(-0x20);
        (new SeqNum(1000) - new SeqNum(1)).ShouldBe(999);
        (new SeqNum(0) - 1).Value.ShouldBe(uint.MaxValue);
        (new SeqNum(5) + (-10)).Value.ShouldBe(0xFFFFFFFBu);
    }

    [Fact]
    public void Comparison_holds_for_anything_under_2_pow_31_apart()
    {
        var rng = new Random(1234);
        for (var i = 0; i < 10_000; i++)
        {
            var a = new SeqNum((uint)rng.NextInt64(0, 1L << 32));
            var d = rng.Next(1, int.MaxValue);
            var b = a + d;
            (b > a).ShouldBeTrue($"{b} > {a} (+{d})");
            (a < b).ShouldBeTrue();
            (b - a).ShouldBe(d);
            SeqNum.Max(a, b).ShouldBe(b);
            SeqNum.Min(a, b).ShouldBe(a);
        }
    }

    [Fact]
    public void Max_and_min_across_the_wrap()
    {
        var before = new SeqNum(0xFFFFFF00);
        var after = new SeqNum(0x00000100);
        SeqNum.Max(before, after).ShouldBe(after);
        SeqNum.Min(before, after).ShouldBe(before);
        var list = new List<SeqNum> { after, before, new(0xFFFFFFFF), new(0) };
        list.Sort();
        list.Select(s => s.Value).ShouldBe([0xFFFFFF00u, 0xFFFFFFFFu, 0u, 0x100u]);
    }

    [Theory]
    [InlineData(0xFFFFFFF0u, 0x20u, 0xFFFFFFF0u, true)]   // start
    [InlineData(0xFFFFFFF0u, 0x20u, 0xFFFFFFFFu, true)]   // before the wrap
    [InlineData(0xFFFFFFF0u, 0x20u, 0x00000000u, true)]   // at the wrap
    [InlineData(0xFFFFFFF0u, 0x20u, 0x0000000Fu, true)]   // last inside
    [InlineData(0xFFFFFFF0u, 0x20u, 0x00000010u, false)]  // one past the end
    [InlineData(0xFFFFFFF0u, 0x20u, 0xFFFFFFEFu, false)]  // one before the start
    [InlineData(100u, 0u, 100u, false)]                   // empty window holds nothing
    [InlineData(100u, 1u, 100u, true)]
    [InlineData(100u, 1u, 101u, false)]
    public void InWindow_across_the_wrap(uint start, uint length, uint value, bool inside) =>
        new SeqNum(value).InWindow(new SeqNum(start), length).ShouldBe(inside);

    [Fact]
    public void RelativeTo_counts_from_the_origin_through_the_wrap()
    {
        var isn = new SeqNum(0xFFFFFFFE);
        (isn + 1).RelativeTo(isn).ShouldBe(1u);
        (isn + 3).RelativeTo(isn).ShouldBe(3u);
        new SeqNum(0x00000010).RelativeTo(isn).ShouldBe(0x12u);
        isn.RelativeTo(isn).ShouldBe(0u);
        new SeqNum(0xFFFFFFFD).RelativeTo(isn).ShouldBe(uint.MaxValue);
    }

    [Fact]
    public void Prints_as_the_unsigned_number() => new SeqNum(0xFFFFFFFF).ToString().ShouldBe("4294967295");
}
