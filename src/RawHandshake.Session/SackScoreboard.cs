using RawHandshake.Wire.Primitives;

namespace RawHandshake.Session;

/// <summary>
/// What the peer's SACK blocks say it holds above SND.UNA (RFC 2018, RFC 6675 §3): sorted, merged, trimmed as SND.UNA
/// advances. Blocks outside SND.UNA..SND.NXT (old, D-SACK, or forged) are ignored.
/// </summary>
public sealed class SackScoreboard
{
    private readonly List<(SeqNum Start, SeqNum End)> blocks = [];

    public IReadOnlyList<(SeqNum Start, SeqNum End)> Blocks => blocks;

    /// <summary>Bytes the peer holds above SND.UNA.</summary>
    public long SackedBytes { get; private set; }

    /// <summary>The end of the highest block; null when nothing is SACKed.</summary>
    public SeqNum? HighestSacked => blocks.Count == 0 ? null : blocks[^1].End;

    /// <summary>Adds one block if it lies within <paramref name="una"/>..<paramref name="nxt"/>. True when it told something new.</summary>
    public bool Add(SeqNum left, SeqNum right, SeqNum una, SeqNum nxt)
    {
        if (right <= left || left < una || right > nxt)
        {
            return false;
        }

        var before = SackedBytes;
        var i = 0;
        while (i < blocks.Count && blocks[i].End < left)
        {
            i++;
        }

        var start = left;
        var end = right;
        while (i < blocks.Count && blocks[i].Start <= end)
        {
            start = SeqNum.Min(start, blocks[i].Start);
            end = SeqNum.Max(end, blocks[i].End);
            blocks.RemoveAt(i);
        }

        blocks.Insert(i, (start, end));
        Recount();
        return SackedBytes != before;
    }

    /// <summary>SND.UNA moved to <paramref name="una"/>: what lies below it is gone from the board.</summary>
    public void Advance(SeqNum una)
    {
        while (blocks.Count > 0 && blocks[0].End <= una)
        {
            blocks.RemoveAt(0);
        }

        if (blocks.Count > 0 && blocks[0].Start < una)
        {
            blocks[0] = (una, blocks[0].End);
        }

        Recount();
    }

    public void Clear()
    {
        blocks.Clear();
        SackedBytes = 0;
    }

    public bool IsSacked(SeqNum seq) => blocks.Exists(b => seq >= b.Start && seq < b.End);

    /// <summary>SACKed bytes within <paramref name="from"/>..<paramref name="to"/>.</summary>
    public long SackedBetween(SeqNum from, SeqNum to)
    {
        long n = 0;
        foreach (var (s, e) in blocks)
        {
            var a = SeqNum.Max(s, from);
            var b = SeqNum.Min(e, to);
            if (b > a)
            {
                n += b - a;
            }
        }

        return n;
    }

    /// <summary>
    /// The first range at or after <paramref name="from"/> and below <paramref name="limit"/> that the peer does not
    /// hold, at most <paramref name="max"/> bytes and never running into a SACKed block; null when there is none.
    /// </summary>
    public (SeqNum Start, int Length)? NextHole(SeqNum from, SeqNum limit, int max)
    {
        var at = from;
        foreach (var (s, e) in blocks)
        {
            if (e <= at)
            {
                continue;
            }

            if (s <= at)
            {
                at = e; // inside a block: skip it
                continue;
            }

            break;
        }

        if (at >= limit)
        {
            return null;
        }

        var end = limit;
        foreach (var (s, _) in blocks)
        {
            if (s > at)
            {
                end = SeqNum.Min(end, s);
                break;
            }
        }

        return (at, Math.Min(max, end - at));
    }

    private void Recount()
    {
        long n = 0;
        foreach (var (s, e) in blocks)
        {
            n += e - s;
        }

        SackedBytes = n;
    }
}
