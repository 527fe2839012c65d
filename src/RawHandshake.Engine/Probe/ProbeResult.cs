using RawHandshake.Wire.Parsing;

namespace RawHandshake.Engine.Probe;

/// <summary>What a received frame was to the probe.</summary>
public enum ProbeReplyKind
{
    /// <summary>An answer from the target (Answers.IsAnswer: a SYN-ACK, a RST, an echo reply, an ARP reply …).</summary>
    Answer,

    /// <summary>An ICMP error quoting our frame (unreachable, time exceeded), from whoever sent it.</summary>
    IcmpError,

    /// <summary>A frame on one of our flows from our side that we did not send: our own host's kernel sent it.</summary>
    Kernel,
}

/// <summary>One frame that came back for frame <see cref="Index"/> (0-based), with the time from our send to its capture.</summary>
public readonly record struct ProbeReply(int Index, ProbeReplyKind Kind, bool Duplicate, DateTimeOffset Wall, TimeSpan Rtt)
{
    /// <summary>The frame's bytes, when the request traced each frame; empty otherwise.</summary>
    public ReadOnlyMemory<byte> Frame { get; init; }

    /// <summary>The engine's one parse of <see cref="Frame"/> (offsets into it, read with the link's type); default when
    /// <see cref="Frame"/> is empty. Clients read this instead of parsing the reply again.</summary>
    public ParsedFrame Parsed { get; init; }
}

/// <summary>ping's and hping3's summary: frames sent, answered, ICMP errors, loss, and min/avg/max/mdev of the RTTs of
/// first answers (mdev as ping computes it: the standard deviation).</summary>
public sealed record ProbeStatistics(int Sent, int Answered, int Errors, int Duplicates, TimeSpan? Min, TimeSpan? Average, TimeSpan? Max, TimeSpan? Mdev, TimeSpan Duration)
{
    /// <summary>Per cent of frames sent that got no answer (ICMP errors are not answers); 0 when nothing was sent.</summary>
    public double LossPercent => Sent == 0 ? 0 : 100.0 * (Sent - Answered) / Sent;

    /// <summary>Frames the link refused at high rate (its queue was full: ENOBUFS), not counted in <see cref="Sent"/>.</summary>
    public int Refused { get; init; }
}

/// <summary>What a probe run amounts to: how it ended, every reply in arrival order, each frame's RTT, the statistics.</summary>
public sealed class ProbeResult(RunEnd end, IReadOnlyList<ProbeReply> replies, long[] rttTicks, int sent, ProbeStatistics statistics)
{
    public RunEnd End { get; } = end;
    public IReadOnlyList<ProbeReply> Replies { get; } = replies;
    public int Sent { get; } = sent;
    public ProbeStatistics Statistics { get; } = statistics;

    /// <summary>The RTT of frame <paramref name="index"/>'s first answer; null when none came (or only an ICMP error).</summary>
    public TimeSpan? Rtt(int index) => rttTicks[index] >= 0 ? TimeSpan.FromTicks(rttTicks[index]) : null;
}

/// <summary>Running min/avg/max/mdev without keeping the samples.</summary>
public struct RttAccumulator
{
    private double sum;
    private double sumOfSquares;
    private long min;
    private long max;

    public int Count { get; private set; }

    public void Add(TimeSpan rtt)
    {
        var t = rtt.Ticks;
        min = Count == 0 || t < min ? t : min;
        max = Count == 0 || t > max ? t : max;
        sum += t;
        sumOfSquares += (double)t * t;
        Count++;
    }

    public readonly TimeSpan? Min => Count == 0 ? null : TimeSpan.FromTicks(min);
    public readonly TimeSpan? Max => Count == 0 ? null : TimeSpan.FromTicks(max);
    public readonly TimeSpan? Average => Count == 0 ? null : TimeSpan.FromTicks((long)Math.Round(sum / Count));

    /// <summary>sqrt(mean of squares − square of mean), as ping prints it.</summary>
    public readonly TimeSpan? Mdev
    {
        get
        {
            if (Count == 0)
            {
                return null;
            }

            var mean = sum / Count;
            var variance = Math.Max(0, (sumOfSquares / Count) - (mean * mean));
            return TimeSpan.FromTicks((long)Math.Round(Math.Sqrt(variance)));
        }
    }
}
