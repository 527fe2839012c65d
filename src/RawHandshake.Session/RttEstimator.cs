namespace RawHandshake.Session;

/// <summary>
/// The retransmission timeout of RFC 6298: a smoothed RTT and its variation from samples, RTO = SRTT + 4·RTTVAR,
/// bounded below by a minimum (Linux's 200 ms, not the RFC's 1 s) and above by a maximum; doubled on every timeout
/// (backoff) until progress resets it. Karn's rule is the caller's: never sample a segment that was retransmitted.
/// </summary>
public sealed class RttEstimator
{
    private static readonly TimeSpan Granularity = TimeSpan.FromMilliseconds(1);
    private readonly TimeSpan initial;
    private readonly TimeSpan min;
    private readonly TimeSpan max;

    public RttEstimator(TimeSpan initialRto, TimeSpan minRto, TimeSpan maxRto)
    {
        initial = initialRto;
        min = minRto;
        max = maxRto;
        Rto = Clamp(initialRto);
    }

    /// <summary>Smoothed RTT; null before the first sample.</summary>
    public TimeSpan? Srtt { get; private set; }

    public TimeSpan RttVar { get; private set; }

    /// <summary>The timeout to arm now (with backoff applied).</summary>
    public TimeSpan Rto { get; private set; }

    /// <summary>Timeouts in a row since the last progress.</summary>
    public int Backoffs { get; private set; }

    /// <summary>Takes one RTT measurement (RFC 6298 §2.2, §2.3) and drops the backoff.</summary>
    public void Sample(TimeSpan rtt)
    {
        if (rtt < TimeSpan.Zero)
        {
            return;
        }

        if (Srtt is not { } srtt)
        {
            Srtt = rtt;
            RttVar = rtt / 2;
        }
        else
        {
            var delta = srtt > rtt ? srtt - rtt : rtt - srtt;
            RttVar = (RttVar * 3 / 4) + (delta / 4);
            Srtt = (srtt * 7 / 8) + (rtt / 8);
        }

        Backoffs = 0;
        Rto = Base();
    }

    /// <summary>The timer expired: RTO doubles, up to the maximum (RFC 6298 §5.5).</summary>
    public void Backoff()
    {
        Backoffs++;
        Rto = Rto * 2 > max ? max : Rto * 2;
    }

    /// <summary>New data was acknowledged: the backoff ends; the timeout is the estimate again.</summary>
    public void ResetBackoff()
    {
        Backoffs = 0;
        Rto = Base();
    }

    private TimeSpan Base() => Srtt is { } srtt ? Clamp(srtt + (RttVar * 4 > Granularity ? RttVar * 4 : Granularity)) : Clamp(initial);

    private TimeSpan Clamp(TimeSpan t) => t < min ? min : t > max ? max : t;
}
