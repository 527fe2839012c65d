namespace RawHandshake.Engine.Probe;

/// <summary>
/// "Send these frames (at this pace), collect what answers them": the frames (a list or a <see cref="FrameTemplate"/>),
/// the time between two frames, and how long to wait for answers after the last one.
/// </summary>
public sealed record ProbeRequest(ProbeFrames Frames)
{
    /// <summary>Time from one frame to the next (hping3's <c>-i</c>); zero sends as fast as the link takes them.</summary>
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long to wait for answers after the last frame went out.</summary>
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Once every frame has its answer, how long to go on listening for what follows at once (a kernel's RST,
    /// a duplicate); never longer than <see cref="Timeout"/>.</summary>
    public TimeSpan Linger { get; init; } = TimeSpan.Zero;

    /// <summary>Answer a SYN-ACK to one of our SYNs with a RST at its acknowledgment number, so the server is not left
    /// with a half-open connection (the kernel-RST guard keeps our own kernel from doing it).</summary>
    public bool ResetOpened { get; init; } = true;

    /// <summary>Publish every frame sent and received and a <see cref="ProbeReplyTraced"/> per reply (and keep each
    /// reply's bytes in the result); off, only the statistics are published: for high rates.</summary>
    public bool TraceEach { get; init; } = true;

    /// <summary>On the high-rate path (<see cref="TraceEach"/> off), how many of a template's frames sent back to back go
    /// to a link that <see cref="RawHandshake.Link.IFrameLink.SendsBatches"/> in one batch
    /// (<see cref="RawHandshake.Link.IFrameLink.TrySendBatch"/>: one <c>sendmmsg</c> on Linux), sharing one send stamp; 1
    /// sends them one system call each, as <c>pcap_inject</c> does. From 1 to <see cref="Prober.MaxBatch"/>.</summary>
    public int Batch { get; init; } = Prober.DefaultBatch;

    /// <summary>The interval for a rate in frames per second.</summary>
    public static TimeSpan IntervalForRate(double framesPerSecond) =>
        framesPerSecond > 0 ? TimeSpan.FromTicks((long)Math.Round(TimeSpan.TicksPerSecond / framesPerSecond)) : throw new ArgumentOutOfRangeException(nameof(framesPerSecond));
}
