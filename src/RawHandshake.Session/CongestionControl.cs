namespace RawHandshake.Session;

/// <summary>
/// The congestion window of RFC 5681: slow start below the threshold (one SMSS per ACK, at most what it acknowledged),
/// congestion avoidance above it (about one SMSS per round trip), half the flight on a loss found by duplicate ACKs or
/// SACK (fast recovery), one segment after a timeout. The initial window is ten segments (RFC 6928), as on Linux.
/// </summary>
public sealed class CongestionControl
{
    public CongestionControl(int smss)
    {
        Cwnd = InitialWindow(smss);
    }

    /// <summary>Bytes the sender may have in flight.</summary>
    public long Cwnd { get; private set; }

    /// <summary>Slow start threshold: unbounded until the first loss.</summary>
    public long Ssthresh { get; private set; } = long.MaxValue;

    public bool InSlowStart => Cwnd < Ssthresh;

    /// <summary>RFC 6928: min(10·SMSS, max(2·SMSS, 14600)).</summary>
    public static long InitialWindow(int smss) => Math.Min(10L * smss, Math.Max(2L * smss, 14600));

    /// <summary>New data was acknowledged outside recovery (RFC 5681 §3.1, with RFC 3465's limit of one SMSS per ACK).</summary>
    public void OnAck(long acked, int smss)
    {
        if (acked <= 0)
        {
            return;
        }

        if (InSlowStart)
        {
            Cwnd += Math.Min(acked, smss);
        }
        else
        {
            Cwnd += Math.Max(1, (long)smss * smss / Cwnd);
        }
    }

    /// <summary>A loss detected by duplicate ACKs or SACK: ssthresh = max(FlightSize/2, 2·SMSS), cwnd = ssthresh (§3.2).</summary>
    public void OnLoss(long flight, int smss)
    {
        Ssthresh = Math.Max(flight / 2, 2L * smss);
        Cwnd = Ssthresh;
    }

    /// <summary>The retransmission timer expired: ssthresh as for a loss, cwnd one segment (§3.1, equation 4).</summary>
    public void OnTimeout(long flight, int smss)
    {
        Ssthresh = Math.Max(flight / 2, 2L * smss);
        Cwnd = smss;
    }

    /// <summary>Recovery ended with everything up to the recovery point acknowledged: cwnd deflates to ssthresh.</summary>
    public void OnRecoveryEnd(int smss) => Cwnd = Math.Max(Math.Min(Cwnd, Ssthresh), smss);
}
