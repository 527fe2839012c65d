using RawHandshake.Wire.Primitives;

namespace RawHandshake.Session.Tests;

/// <summary>The sender's small pure types on their own: RFC 6298's estimator, RFC 5681's window, RFC 6675's scoreboard.</summary>
public class SenderAlgorithmTests
{
    private static TimeSpan Ms(double ms) => TimeSpan.FromMilliseconds(ms);

    [Fact]
    public void Rto_follows_rfc_6298_from_the_first_sample_on()
    {
        var e = new RttEstimator(TimeSpan.FromSeconds(1), Ms(200), TimeSpan.FromSeconds(60));
        e.Rto.ShouldBe(TimeSpan.FromSeconds(1), "no sample yet: the initial RTO");
        e.Srtt.ShouldBeNull();

        e.Sample(Ms(100)); // SRTT = R, RTTVAR = R/2, RTO = SRTT + 4·RTTVAR
        e.Srtt.ShouldBe(Ms(100));
        e.RttVar.ShouldBe(Ms(50));
        e.Rto.ShouldBe(Ms(300));

        e.Sample(Ms(200)); // RTTVAR = 3/4·50 + 1/4·|100 − 200| = 62.5; SRTT = 7/8·100 + 1/8·200 = 112.5
        e.RttVar.ShouldBe(Ms(62.5));
        e.Srtt.ShouldBe(Ms(112.5));
        e.Rto.ShouldBe(Ms(362.5));
    }

    [Fact]
    public void Rto_never_falls_below_the_minimum_and_backs_off_to_the_maximum()
    {
        var e = new RttEstimator(TimeSpan.FromSeconds(1), Ms(200), TimeSpan.FromSeconds(3));
        e.Sample(Ms(1));
        e.Rto.ShouldBe(Ms(200), "Linux's 200 ms floor");
        e.Backoff();
        e.Rto.ShouldBe(Ms(400));
        e.Backoff();
        e.Backoff();
        e.Rto.ShouldBe(Ms(1600));
        e.Backoff();
        e.Rto.ShouldBe(TimeSpan.FromSeconds(3), "capped");
        e.Backoffs.ShouldBe(4);
        e.ResetBackoff();
        e.Rto.ShouldBe(Ms(200));
        e.Backoffs.ShouldBe(0);
    }

    [Fact]
    public void Cwnd_starts_at_ten_segments_grows_in_slow_start_and_halves_on_loss()
    {
        var cc = new CongestionControl(1448);
        cc.Cwnd.ShouldBe(14480);
        CongestionControl.InitialWindow(536).ShouldBe(5360);
        CongestionControl.InitialWindow(9000).ShouldBe(18000, "min(10·SMSS, max(2·SMSS, 14600))");

        cc.OnAck(2896, 1448);
        cc.Cwnd.ShouldBe(14480 + 1448, "RFC 3465: at most one SMSS per ACK in slow start");

        cc.OnLoss(20000, 1448);
        cc.Ssthresh.ShouldBe(10000);
        cc.Cwnd.ShouldBe(10000);
        cc.InSlowStart.ShouldBeFalse();
        cc.OnAck(1448, 1448);
        cc.Cwnd.ShouldBe(10000 + (1448 * 1448 / 10000), "congestion avoidance: SMSS·SMSS/cwnd per ACK");

        cc.OnTimeout(4000, 1448);
        cc.Cwnd.ShouldBe(1448, "one segment after a timeout");
        cc.Ssthresh.ShouldBe(2896, "at least two segments");
    }

    [Fact]
    public void The_scoreboard_merges_blocks_ignores_what_is_out_of_range_and_trims_as_una_moves()
    {
        var una = new SeqNum(0xFFFF_FF00); // across the wrap
        var nxt = una + 10_000;
        var b = new SackScoreboard();
        b.Add(una + 2000, una + 3000, una, nxt).ShouldBeTrue();
        b.Add(una + 4000, una + 5000, una, nxt).ShouldBeTrue();
        b.Add(una + 3000, una + 4000, una, nxt).ShouldBeTrue("fills the gap: one block");
        b.Blocks.Count.ShouldBe(1);
        b.SackedBytes.ShouldBe(3000);
        b.Add(una + 2500, una + 3500, una, nxt).ShouldBeFalse("nothing new");
        b.Add(una - 500, una + 100, una, nxt).ShouldBeFalse("below SND.UNA (a D-SACK or forged)");
        b.Add(una + 9000, una + 11_000, una, nxt).ShouldBeFalse("beyond SND.NXT");
        b.HighestSacked.ShouldBe(una + 5000);

        b.NextHole(una, una + 5000, 1000).ShouldBe((una, 1000));
        b.NextHole(una + 1500, una + 5000, 1000).ShouldBe((una + 1500, 500), "stops at the SACKed block");
        b.NextHole(una + 2000, una + 5000, 1000).ShouldBeNull("all SACKed up to the limit");
        b.NextHole(una + 2000, una + 6000, 1000).ShouldBe((una + 5000, 1000));
        b.SackedBetween(una + 2500, una + 4500).ShouldBe(2000);

        b.Advance(una + 3000);
        b.Blocks.ShouldBe([(una + 3000, una + 5000)]);
        b.SackedBytes.ShouldBe(2000);
        b.Advance(una + 6000);
        b.SackedBytes.ShouldBe(0);
        b.HighestSacked.ShouldBeNull();
    }

    [Theory]
    [InlineData(3, 0, IcmpErrorKind.Soft)]
    [InlineData(3, 1, IcmpErrorKind.Soft)]
    [InlineData(3, 5, IcmpErrorKind.Soft)]
    [InlineData(3, 2, IcmpErrorKind.Hard)]
    [InlineData(3, 3, IcmpErrorKind.Hard)]
    [InlineData(3, 13, IcmpErrorKind.Hard)]
    [InlineData(3, 4, IcmpErrorKind.FragmentationNeeded)]
    [InlineData(11, 0, IcmpErrorKind.Soft)]
    [InlineData(0, 0, IcmpErrorKind.None)]
    public void Icmp_errors_are_classified_as_rfc_1122_and_5927_say(byte type, byte code, IcmpErrorKind kind) =>
        IcmpErrors.Classify(type, code).ShouldBe(kind);

    [Fact]
    public void Acceptable_acks_lie_within_the_largest_window_below_snd_una()
    {
        var una = new SeqNum(100);
        Acceptability.AckTooOld(una, una, 1000).ShouldBeFalse();
        Acceptability.AckTooOld(una - 1000, una, 1000).ShouldBeFalse();
        Acceptability.AckTooOld(una - 1001, una, 1000).ShouldBeTrue();
        Acceptability.AckTooOld(una - (1 << 30), una, 65535).ShouldBeTrue("issue 9 §4: SND.NXT − 2^30");
        Acceptability.QuotedSeqInFlight(una, una, una + 10).ShouldBeTrue();
        Acceptability.QuotedSeqInFlight(una + 10, una, una + 10).ShouldBeTrue();
        Acceptability.QuotedSeqInFlight(una + 11, una, una + 10).ShouldBeFalse();
        Acceptability.QuotedSeqInFlight(una - 1, una, una + 10).ShouldBeFalse();
    }
}
