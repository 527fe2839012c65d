namespace RawHandshake.Engine.Live;

/// <summary>
/// Where every flow and probe of this process takes its source port (unless the user gave one): blocks of consecutive
/// ports outside the kernel's ephemeral range (<see cref="Bench.BenchPorts.Choose"/>), so our kernel never picks one
/// for a socket of its own, handed out in turn from a random start. A port comes back only after the whole range has
/// gone round (RFC 6056 §3.3.2 numbers ports the same way: in turn, from a random point), so flows of one process never
/// meet a connection of an earlier one of its flows that the server still holds. A block never wraps: port
/// <c>first + i</c> belongs to the block's <c>i</c>-th flow or probe.
/// </summary>
public sealed class SourcePorts
{
    private static readonly Lazy<SourcePorts> Process = new(ForThisNamespace);

    private readonly ushort first;
    private readonly ushort last;
    private readonly Lock turn = new();
    private int next;

    public SourcePorts(ushort first, ushort last, int start)
    {
        ArgumentOutOfRangeException.ThrowIfGreaterThan(first, last);
        this.first = first;
        this.last = last;
        next = Math.Clamp(start, first, last);
    }

    /// <summary>The process's one allocator (its range read from the namespace the process runs in: <c>--netns</c> runs
    /// the whole process there).</summary>
    public static SourcePorts Shared => Process.Value;

    public int Size => last - first + 1;

    /// <summary>The range, for messages: <c>61000-65535</c>.</summary>
    public string Range => $"{first}-{last}";

    /// <summary>Ports outside this namespace's ephemeral range, from a random start.</summary>
    public static SourcePorts ForThisNamespace()
    {
        var (lo, hi) = Bench.BenchPorts.EphemeralRange();
        var (first, last) = Bench.BenchPorts.Choose(lo, hi);
        return new SourcePorts(first, last, Random.Shared.Next(first, last + 1));
    }

    /// <summary>The first port of a block of <paramref name="count"/>.</summary>
    public ushort Take(int count)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(count, 1);
        if (count > Size)
        {
            throw new ArgumentOutOfRangeException(nameof(count), $"{count} source ports at once are more than {first}-{last} has ({Size})");
        }

        lock (turn)
        {
            if (next + count - 1 > last)
            {
                next = first;
            }

            var p = (ushort)next;
            next += count;
            if (next > last)
            {
                next = first;
            }

            return p;
        }
    }
}
