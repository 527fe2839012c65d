using RawHandshake.Wire.Primitives;

namespace RawHandshake.Session.Tests;

/// <summary>SipHash-2-4 against the reference vectors of its paper (key 00..0f, message 00..n-1), and the ISN and
/// TSval offset of RFC 9293 §3.4.1 / RFC 7323 §5.4 built on it.</summary>
public class InitialNumbersTests
{
    private const ulong K0 = 0x0706050403020100UL;
    private const ulong K1 = 0x0f0e0d0c0b0a0908UL;

    private static readonly FlowKey Flow = new(IPv4Address.Parse("198.18.0.1"), 61000, IPv4Address.Parse("198.18.2.10"), 20003);

    [Theory]
    [InlineData(0, 0x726fdb47dd0e0e31UL)]
    [InlineData(1, 0x74f839c593dc67fdUL)]
    [InlineData(2, 0x0d6c8009d9a94f5aUL)]
    [InlineData(3, 0x85676696d7fb7e2dUL)]
    [InlineData(4, 0xcf2794e0277187b7UL)]
    [InlineData(7, 0xab0200f58b01d137UL)]
    [InlineData(8, 0x93f5f5799a932462UL)]
    [InlineData(9, 0x9e0082df0ba9e4b0UL)]
    [InlineData(15, 0xa129ca6149be45e5UL)]
    [InlineData(16, 0x3f2acc7f57c29bdbUL)]
    public void SipHash24MatchesTheReferenceVectors(int length, ulong expected)
    {
        var message = Enumerable.Range(0, length).Select(i => (byte)i).ToArray();
        SipHash.Hash24(K0, K1, message).ShouldBe(expected);
    }

    [Fact]
    public void TheIsnOfOneTupleRisesByOneEveryFourMicroseconds()
    {
        var n = new InitialNumbers(K0, K1);
        var at = TimeSpan.FromHours(5);
        var first = n.Isn(Flow, at);
        (n.Isn(Flow, at + TimeSpan.FromMilliseconds(1)) - first).ShouldBe(250);
        (n.Isn(Flow, at + TimeSpan.FromSeconds(2)) - first).ShouldBe(500_000);
        // A connection of the tuple a second later starts above everything the last one can have sent at under 250 kB/s,
        // however its ISN fell (the difference is taken modulo 2^32, as the peer compares).
        (n.Isn(Flow, at + TimeSpan.FromSeconds(1)) > first + 100_000).ShouldBeTrue();
    }

    [Fact]
    public void EachTupleHasItsOwnOffsetAndTheKeyDecidesIt()
    {
        var n = new InitialNumbers(K0, K1);
        var at = TimeSpan.FromMinutes(1);
        var nextPort = Flow with { LocalPort = 61001 };
        var otherServer = Flow with { RemoteAddress = IPv4Address.Parse("198.18.2.11") };
        n.Isn(nextPort, at).ShouldNotBe(n.Isn(Flow, at));
        n.Isn(otherServer, at).ShouldNotBe(n.Isn(Flow, at));
        // Ports one apart are not numbers one apart: an attacker who sees one connection cannot guess the next.
        Math.Abs((long)(n.Isn(nextPort, at) - n.Isn(Flow, at))).ShouldBeGreaterThan(1000L);
        new InitialNumbers(K0, K1 ^ 1).Isn(Flow, at).ShouldNotBe(n.Isn(Flow, at));
        new InitialNumbers(K0, K1).Isn(Flow, at).ShouldBe(n.Isn(Flow, at));
    }

    [Fact]
    public void TheTimestampOffsetBelongsToTheAddressPairAndCountsFromTheHostsClock()
    {
        var n = new InitialNumbers(K0, K1);
        var start = TimeSpan.FromSeconds(1000);
        var offset = n.TsOffset(Flow, start);
        // Any port of the pair: Linux too keys the offset by the addresses only.
        n.TsOffset(Flow with { LocalPort = 62000, RemotePort = 80 }, start).ShouldBe(offset);
        n.TsOffset(Flow with { RemoteAddress = IPv4Address.Parse("198.18.2.11") }, start).ShouldNotBe(offset);
        // A session whose clock starts 5 s later adds 5,000 more: its TSval reads the same host clock.
        unchecked(n.TsOffset(Flow, start + TimeSpan.FromSeconds(5)) - offset).ShouldBe(5000u);
    }

    [Fact]
    public void OneBootIdGivesOneKeyInEveryProcessAndNoneGivesARandomOne()
    {
        var id = Guid.Parse("5a6c2f1e-0b3d-4c8e-9f71-2d4e6a8b0c13");
        var at = TimeSpan.FromMinutes(3);
        InitialNumbers.ForBoot(id).Isn(Flow, at).ShouldBe(InitialNumbers.ForBoot(id).Isn(Flow, at));
        InitialNumbers.ForBoot(Guid.Parse("5a6c2f1e-0b3d-4c8e-9f71-2d4e6a8b0c14")).Isn(Flow, at).ShouldNotBe(InitialNumbers.ForBoot(id).Isn(Flow, at));
        InitialNumbers.ForBoot(null).Isn(Flow, at).ShouldNotBe(InitialNumbers.ForBoot(null).Isn(Flow, at));
    }
}
