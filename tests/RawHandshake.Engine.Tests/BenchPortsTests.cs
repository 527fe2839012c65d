using RawHandshake.Engine.Bench;
using RawHandshake.Engine.Live;

namespace RawHandshake.Engine.Tests;

/// <summary>The benches' port range names its guard once, for bench session, loss and parallel alike.</summary>
public class BenchPortsTests
{
    [Theory]
    [InlineData(RstGuardMode.Nft, "nft (one set element for ports 61000-61999)")]
    [InlineData(RstGuardMode.Phantom, "phantom")]
    public void TheGuardIsDescribedByTheRangeItCovers(RstGuardMode guard, string expected) =>
        new BenchPorts(61000, 61999, 61500).GuardDescription(guard).ShouldBe(expected);
}
