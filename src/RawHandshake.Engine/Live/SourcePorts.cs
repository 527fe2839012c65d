using System.Globalization;

namespace RawHandshake.Engine.Live;

/// <summary>
/// Where every flow and probe of this process takes its source port (unless the user gave one), and the benches their
/// ranges: consecutive ports outside the kernel's ephemeral range (<see cref="Choose"/>), so our kernel never picks one
/// for a socket of its own and the kernel sessions of a bench never meet a 4-tuple ours used, handed out in turn from a
/// random start. A port comes back only after the whole range has gone round (RFC 6056 §3.3.2 numbers ports the same
/// way: in turn, from a random point), so flows of one process never meet a connection of an earlier one of its flows
/// that the server still holds. A block never wraps: port <c>first + i</c> belongs to the block's <c>i</c>-th flow or
/// probe.
/// </summary>
public sealed class SourcePorts
{
    private static readonly Lazy<SourcePorts> Process = new(ForThisNamespace);

    private readonly Lock turn = new();
    private int next;

    public SourcePorts(ushort first, ushort last, int start)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(first, last);
        First = first;
        Last = last;
        next = Math.Clamp(start, first, last);
    }

    /// <summary>The process's one allocator (its range read from the namespace the process runs in: <c>--netns</c> runs
    /// the whole process there).</summary>
    public static SourcePorts Shared => Process.Value;

    public ushort First { get; }

    public ushort Last { get; }

    public int Size => Last - First + 1;

    /// <summary>A BPF term matching the range (either direction).</summary>
    public string CaptureFilter => string.Create(CultureInfo.InvariantCulture, $"portrange {First}-{Last}");

    /// <summary>How the kernel's RSTs are kept off flows of the whole range under <paramref name="guard"/>: for nft, one
    /// set element for the range.</summary>
    public string GuardDescription(RstGuardMode guard) => guard == RstGuardMode.Nft
        ? $"nft (one set element for ports {First}-{Last})"
        : guard.ToString().ToLowerInvariant();

    /// <summary>A fresh allocator of the ports outside this namespace's ephemeral range, from a random start.</summary>
    public static SourcePorts ForThisNamespace()
    {
        var (lo, hi) = EphemeralRange();
        var (first, last) = Choose(lo, hi);
        return new SourcePorts(first, last, Random.Shared.Next(first, last + 1));
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

    /// <summary>The next port (after <see cref="Last"/> comes <see cref="First"/>).</summary>
    public ushort Next() => Take(1);

    /// <summary>The first port of a block of <paramref name="count"/>.</summary>
    public ushort Take(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (count > Size)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"{count} source ports at once are more than {First}-{Last} has ({Size})");
        }

        lock (turn)
        {
            if (next + count - 1 > Last)
            {
                next = First;
            }

            var p = (ushort)next;
            next += count;
            if (next > Last)
            {
                next = First;
            }

            return p;
        }
    }
}
