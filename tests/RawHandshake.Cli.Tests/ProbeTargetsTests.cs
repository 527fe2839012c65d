using RawHandshake.Cli.Verbs;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Cli.Tests;

/// <summary>TARGET and <c>-p</c> as probe and traceroute read them.</summary>
public class ProbeTargetsTests
{
    [Fact]
    public void PortsAreSortedOnceEachFromListsAndRanges() =>
        ProbeTargets.Ports("8080, 22,80-82,81,65535").ShouldBe([22, 80, 81, 82, 8080, 65535]);

    [Theory]
    [InlineData("198.18.2.10", new[] { "198.18.2.10" })]
    [InlineData("198.18.2.8/30", new[] { "198.18.2.9", "198.18.2.10" })]   // network and broadcast left out
    [InlineData("198.18.2.11/30", new[] { "198.18.2.9", "198.18.2.10" })]  // host bits ignored
    [InlineData("198.18.2.10/31", new[] { "198.18.2.10", "198.18.2.11" })] // RFC 3021: both usable
    [InlineData("198.18.2.10/32", new[] { "198.18.2.10" })]
    [InlineData("2001:db8:2::/126", new[] { "2001:db8:2::1", "2001:db8:2::2", "2001:db8:2::3" })] // no subnet-router anycast, no broadcast
    [InlineData("[2001:db8:2::7]/126", new[] { "2001:db8:2::5", "2001:db8:2::6", "2001:db8:2::7" })] // host bits ignored
    [InlineData("2001:db8:2::10/127", new[] { "2001:db8:2::10", "2001:db8:2::11" })] // RFC 6164: both usable
    [InlineData("2001:db8:2::10/128", new[] { "2001:db8:2::10" })]
    public void HostsFromAnAddressOrACidrRange(string text, string[] expected) =>
        ProbeTargets.Hosts(text).ShouldBe(expected.Select(IpAddress.Parse).ToList());

    [Fact]
    public void ASlash20IsTheLargestRange() => ProbeTargets.Hosts("198.18.0.0/20").Count.ShouldBe(4094);

    [Fact]
    public void ASlash116IsTheLargestIPv6Range() => ProbeTargets.Hosts("2001:db8:2::/116").Count.ShouldBe(4095);
}
