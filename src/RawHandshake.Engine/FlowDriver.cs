namespace RawHandshake.Engine;

/// <summary>
/// Decides what a flow does next — connect, push, close — by looking at its session after every input. The engine
/// calls it between inputs, never from inside one, so a driver can issue commands freely.
/// </summary>
public interface IFlowDriver
{
    void Start(Flow flow, TimeSpan now);

    void AfterInput(Flow flow, TimeSpan now);

    /// <summary>True when the driver has nothing more to do with the flow (its outcome is set).</summary>
    bool Finished { get; }

    /// <summary>Set when finished: did the flow do everything asked of it, and if not, why.</summary>
    FlowOutcome? Outcome { get; }

    /// <summary>When the driver wants <see cref="AfterInput"/> called even if nothing arrives (a wait running out).</summary>
    TimeSpan? Deadline => null;

    /// <summary>A frame for this flow (TCP segment or ICMP error about it), before the session sees it.</summary>
    void OnReceived(Flow flow, in Wire.Parsing.ParsedFrame parsed, ReadOnlySpan<byte> frame, TimeSpan now)
    {
    }
}

public sealed record FlowOutcome(bool Ok, string? Error, string Ending);
