namespace RawHandshake.Engine.Bench;

/// <summary>Order statistics of a set of durations, in microseconds (percentiles interpolated between ranks).</summary>
public sealed record LatencyStats(int Count, double Min, double P10, double Median, double P90, double Max, double Mean)
{
    public static LatencyStats From(IReadOnlyCollection<double> microseconds)
    {
        ArgumentNullException.ThrowIfNull(microseconds);
        if (microseconds.Count == 0)
        {
            throw new ArgumentException("no samples", nameof(microseconds));
        }

        var sorted = microseconds.ToArray();
        Array.Sort(sorted);
        return new LatencyStats(sorted.Length, sorted[0], Percentile(sorted, 0.10), Percentile(sorted, 0.50), Percentile(sorted, 0.90), sorted[^1], sorted.Average());
    }

    /// <summary>The <paramref name="q"/>-quantile of sorted values, linearly interpolated (numpy's default).</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double q)
    {
        ArgumentNullException.ThrowIfNull(sorted);
        ArgumentOutOfRangeException.ThrowIfLessThan(q, 0.0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(q, 1.0);
        if (sorted.Count == 0)
        {
            throw new ArgumentException("no samples", nameof(sorted));
        }

        var rank = q * (sorted.Count - 1);
        var lo = (int)Math.Floor(rank);
        var hi = Math.Min(lo + 1, sorted.Count - 1);
        return sorted[lo] + ((sorted[hi] - sorted[lo]) * (rank - lo));
    }
}
