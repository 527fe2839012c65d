using RawHandshake.Session;

namespace RawHandshake.Engine.Bench;

/// <summary>
/// The bench's plan for one flow, as lean as the <c>handshake</c> verb's active close with <c>--expect-echo</c>: connect,
/// push the payload once, wait until it has been acknowledged and has come back, close actively. Nothing is allocated
/// per input until the outcome is judged (after the last frame went out, outside the timed part).
/// </summary>
public sealed class EchoSessionDriver(ReadOnlyMemory<byte> payload) : IFlowDriver
{
    private bool pushed;
    private bool closeIssued;

    public bool Finished => Outcome is not null;

    public FlowOutcome? Outcome { get; private set; }

    public void Start(Flow flow, TimeSpan now) => flow.Connect();

    public void AfterInput(Flow flow, TimeSpan now)
    {
        if (Outcome is not null)
        {
            return;
        }

        if (flow.Failure is { } failure)
        {
            Outcome = new FlowOutcome(false, failure.Reason, "failed");
            return;
        }

        var s = flow.Session;
        if (!pushed && s.State == TcpState.Established)
        {
            pushed = true;
            flow.Send(payload.Span);
        }

        if (pushed && !closeIssued && s.AcknowledgedCount >= payload.Length && s.ReceivedCount >= payload.Length
            && s.State is TcpState.Established or TcpState.CloseWait)
        {
            closeIssued = true;
            flow.Close();
        }

        if (s.IsDone)
        {
            Outcome = Judge(flow);
        }
    }

    private FlowOutcome Judge(Flow flow)
    {
        var s = flow.Session;
        if (flow.Failure is { } failure)
        {
            return new FlowOutcome(false, failure.Reason, "failed");
        }

        if (s.AcknowledgedCount < payload.Length)
        {
            return new FlowOutcome(false, $"only {s.AcknowledgedCount} of {payload.Length} bytes were acknowledged", "closed early");
        }

        if (!s.Received.StartsWith(payload.Span) || s.ReceivedCount != payload.Length)
        {
            return new FlowOutcome(false, $"the echo differs: {s.ReceivedCount} bytes came back for {payload.Length} sent", "closed");
        }

        if (!s.PeerFinReceived)
        {
            return new FlowOutcome(false, "the server never sent its FIN", "closed");
        }

        return new FlowOutcome(true, null, flow.Finish?.How ?? "closed");
    }
}
