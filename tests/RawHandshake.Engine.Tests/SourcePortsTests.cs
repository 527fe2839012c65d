using RawHandshake.Engine.Live;

namespace RawHandshake.Engine.Tests;

/// <summary>The one allocator of source ports: in turn from its start, never a port again before the range went round,
/// a block never split by the wrap, and no port handed out twice when threads take at once.</summary>
public class SourcePortsTests
{
    [Fact]
    public void PortsComeInTurnAndOnlyComeBackAfterTheWholeRange()
    {
        var ports = new SourcePorts(61000, 61999, 61990);
        var taken = Enumerable.Range(0, 1000).Select(_ => ports.Take(1)).ToList();
        taken[0].ShouldBe((ushort)61990);
        taken[9].ShouldBe((ushort)61999);
        taken[10].ShouldBe((ushort)61000);
        taken.Distinct().Count().ShouldBe(1000);
        ports.Take(1).ShouldBe((ushort)61990);
    }

    [Fact]
    public void ABlockNeverWrapsAndIsFollowedByTheNextOne()
    {
        var ports = new SourcePorts(61000, 61999, 61995);
        ports.Take(10).ShouldBe((ushort)61000); // 61995-62004 would pass the end: the block starts over at the beginning
        ports.Take(3).ShouldBe((ushort)61010);
        ports.Take(1000).ShouldBe((ushort)61000);
        Should.Throw<ArgumentOutOfRangeException>(() => ports.Take(1001)).Message.ShouldStartWith("1001 source ports at once are more than 61000-61999 has (1000)");
        Should.Throw<ArgumentOutOfRangeException>(() => ports.Take(0));
    }

    [Fact]
    public void ThreadsTakingAtOnceNeverGetTheSamePort()
    {
        var ports = new SourcePorts(10000, 29999, 10000);
        var taken = new System.Collections.Concurrent.ConcurrentBag<ushort>();
        Parallel.For(0, 8, new ParallelOptions { MaxDegreeOfParallelism = 8 }, _ =>
        {
            for (var i = 0; i < 2000; i++)
            {
                taken.Add(ports.Take(1));
            }
        });
        taken.Distinct().Count().ShouldBe(16000);
    }

    [Fact]
    public void TheRangeLiesOutsideThisNamespacesEphemeralPorts()
    {
        var (lo, hi) = SourcePorts.EphemeralRange();
        var p = SourcePorts.ForThisNamespace().Take(1);
        (p < lo || p > hi).ShouldBeTrue($"{p} is in the kernel's range {lo}-{hi}");
    }

    [Theory]
    [InlineData(RstGuardMode.Nft, "nft (one set element for ports 61000-61999)")]
    [InlineData(RstGuardMode.Phantom, "phantom")]
    public void ABenchsGuardIsDescribedByTheRangeItCovers(RstGuardMode guard, string expected) =>
        new SourcePorts(61000, 61999, 61500).GuardDescription(guard).ShouldBe(expected);

    [Theory]
    [InlineData(32768, 60999, 61000, 65535)]
    [InlineData(20000, 65000, 10000, 19999)]
    [InlineData(10500, 65000, 10500, 65000)]
    public void TheRangeIsAboveTheKernelsThenBelowThenTheKernelsOwn(int lo, int hi, int first, int last) =>
        SourcePorts.Choose(lo, hi).ShouldBe(((ushort)first, (ushort)last));
}
