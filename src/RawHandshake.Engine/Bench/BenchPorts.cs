using System.Globalization;

namespace RawHandshake.Engine.Bench;

/// <summary>
/// Source ports for the bench's hand-made sessions: consecutive ports of a range the kernel does not pick from for its
/// own connections (outside <c>net.ipv4.ip_local_port_range</c>, in the IANA dynamic range when possible), so the kernel
/// sessions of the same run never meet a 4-tuple ours used. Each session gets the next port from a random start, so no
/// port is used twice in a run unless the run has more sessions than the range has ports (then they wrap around).
/// </summary>
public sealed class BenchPorts
{
    private int next;

    public BenchPorts(ushort first, ushort last, int start)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(first, last);
        First = first;
        Last = last;
        next = Math.Clamp(start, first, last);
    }

    public ushort First { get; }

    public ushort Last { get; }

    public int Size => Last - First + 1;

    /// <summary>How the kernel's RSTs are kept off the bench's flows under <paramref name="guard"/>: for nft, one set
    /// element for the whole range.</summary>
    public string GuardDescription(Live.RstGuardMode guard) => guard == Live.RstGuardMode.Nft
        ? $"nft (one set element for ports {First}-{Last})"
        : guard.ToString().ToLowerInvariant();

    /// <summary>The next port (wrapping to <see cref="First"/> after <see cref="Last"/>).</summary>
    public ushort Next()
    {
        var p = (ushort)next;
        next = next == Last ? First : next + 1;
        return p;
    }

    /// <summary>The next <paramref name="count"/> ports, without taking them (at most the range's size).</summary>
    public IReadOnlyList<ushort> Peek(int count)
    {
        var list = new List<ushort>(Math.Min(count, Size));
        var p = next;
        for (var i = 0; i < Math.Min(count, Size); i++)
        {
            list.Add((ushort)p);
            p = p == Last ? First : p + 1;
        }

        return list;
    }

    /// <summary>A BPF term matching the range (either direction).</summary>
    public string CaptureFilter => string.Create(CultureInfo.InvariantCulture, $"portrange {First}-{Last}");

    /// <summary>Ports outside this network namespace's ephemeral range, from a random start.</summary>
    public static BenchPorts ForThisNamespace()
    {
        var (lo, hi) = EphemeralRange();
        var (first, last) = Choose(lo, hi);
        return new BenchPorts(first, last, Random.Shared.Next(first, last + 1));
    }

    /// <summary>Above the kernel's range when at least 1000 ports are left there, else below it (from 10000), else the kernel's own range.</summary>
    public static (ushort First, ushort Last) Choose(int ephemeralLow, int ephemeralHigh)
    {
        if (65535 - ephemeralHigh >= 1000)
        {
            return ((ushort)(ephemeralHigh + 1), 65535);
        }

        if (ephemeralLow - 10000 >= 1000)
        {
            return (10000, (ushort)(ephemeralLow - 1));
        }

        return ((ushort)ephemeralLow, (ushort)ephemeralHigh);
    }

    /// <summary><c>net.ipv4.ip_local_port_range</c> of the calling thread's namespace (see <see cref="Link.HostTcp"/>).</summary>
    public static (int Low, int High) EphemeralRange() => Link.HostTcp.EphemeralPortRange();
}
