using System.Text;
using RawHandshake.Engine.Trace;
using RawHandshake.Session;

namespace RawHandshake.Engine;

/// <summary>How the <c>handshake</c> verb ends a session.</summary>
public enum CloseMode
{
    /// <summary>We close first: FIN-WAIT-1, FIN-WAIT-2, TIME-WAIT.</summary>
    Active,

    /// <summary>We wait for the server's FIN: CLOSE-WAIT, then our FIN, LAST-ACK.</summary>
    Passive,

    /// <summary>Both FINs cross: CLOSING.</summary>
    Simultaneous,

    /// <summary>We FIN first and keep receiving (FIN-WAIT-2) until the server's FIN.</summary>
    Half,

    /// <summary>Abort with RST.</summary>
    Rst,

    /// <summary>Leave the connection open.</summary>
    None,
}

/// <summary>
/// The <c>handshake</c> verb's plan for one flow: connect; push each data item and wait for its acknowledgment (and,
/// with <see cref="ExpectEcho"/>, for it to come back); then close the chosen way. Exit 0 only when all of it happened.
/// </summary>
public sealed class HandshakeDriver(IReadOnlyList<byte[]> items, bool expectEcho, CloseMode close) : IFlowDriver
{
    private int next;            // next item to push
    private int pushedBytes;     // bytes pushed so far (cumulative)
    private bool closeIssued;

    public bool ExpectEcho { get; } = expectEcho;
    public CloseMode Mode { get; } = close;
    public bool Finished => Outcome is not null;
    public FlowOutcome? Outcome { get; private set; }

    public int TotalBytes => items.Sum(i => i.Length);

    public void Start(Flow flow, TimeSpan now) => flow.Connect();

    public void AfterInput(Flow flow, TimeSpan now)
    {
        if (Finished)
        {
            return;
        }

        var s = flow.Session;
        if (flow.Failure is { } failure)
        {
            Outcome = new FlowOutcome(false, failure.Reason, Describe(failure.Kind));
            return;
        }

        if (s.IsDone)
        {
            Outcome = Judge(flow);
            return;
        }

        if (s.State is not (TcpState.Established or TcpState.CloseWait or TcpState.FinWait1 or TcpState.FinWait2 or TcpState.Closing or TcpState.TimeWait or TcpState.LastAck))
        {
            return;
        }

        // Push the items one at a time: the next goes when the previous is acknowledged (and echoed, if asked).
        while (next < items.Count && s.AcknowledgedCount >= pushedBytes && (!ExpectEcho || s.ReceivedCount >= pushedBytes) && s.State is TcpState.Established or TcpState.CloseWait)
        {
            flow.Send(items[next]);
            pushedBytes += items[next].Length;
            next++;
        }

        // The server closed while an echo is still missing: nothing more can come back, so close now (Judge says what is missing).
        if (ExpectEcho && s.PeerFinReceived && s.ReceivedCount < pushedBytes && !closeIssued && s.State == TcpState.CloseWait)
        {
            closeIssued = true;
            flow.Close();
            return;
        }

        var allPushed = next == items.Count && s.AcknowledgedCount >= pushedBytes;

        // Once the server has sent its FIN nothing more can come back: wait no longer for the echo (Judge says what is missing).
        var allEchoed = !ExpectEcho || s.ReceivedCount >= pushedBytes || s.PeerFinReceived;
        if (!allPushed || closeIssued)
        {
            return;
        }

        switch (Mode)
        {
            case CloseMode.Active when allEchoed:
                closeIssued = true;
                flow.Close();
                break;
            case CloseMode.Half:
                closeIssued = true; // our FIN now; whatever the server still sends is received and ACKed
                flow.Close();
                break;
            case CloseMode.Simultaneous when allEchoed:
                // Our first FIN carries a wrong checksum (SessionConfig.CorruptFirstFin): the server closes on its own,
                // its FIN crosses ours, we reach CLOSING; our retransmitted FIN then completes the close.
                closeIssued = true;
                flow.Close();
                break;
            case CloseMode.Passive when s.PeerFinReceived:
                closeIssued = true;
                flow.Close();
                break;
            case CloseMode.Rst when allEchoed:
                closeIssued = true;
                flow.Abort();
                break;
            case CloseMode.None when allEchoed:
                closeIssued = true;
                flow.Note("leaving the connection open (--close none): the server keeps its socket until it times out or we RST");
                Outcome = Judge(flow);
                break;
        }

        if (s.IsDone && Outcome is null)
        {
            Outcome = Judge(flow);
        }
    }

    private FlowOutcome Judge(Flow flow)
    {
        var s = flow.Session;
        var total = TotalBytes;
        if (Mode == CloseMode.Simultaneous && !flow.VisitedStates.Contains(TcpState.Closing))
        {
            return new FlowOutcome(false, "the FINs did not cross: the server did not close by itself before our FIN was retransmitted, so CLOSING was never reached (use a server that closes on its own, such as the lab's port 20001)", Ending(flow));
        }

        if (s.AcknowledgedCount < total)
        {
            return new FlowOutcome(false, $"only {s.AcknowledgedCount} of {total} bytes were acknowledged", Ending(flow));
        }

        if (ExpectEcho)
        {
            var want = items.SelectMany(i => i).ToArray();
            var got = s.Received.ToArray();
            if (got.Length < want.Length)
            {
                return new FlowOutcome(false, $"only {got.Length} of {want.Length} bytes came back", Ending(flow));
            }

            if (!got.AsSpan(0, want.Length).SequenceEqual(want))
            {
                return new FlowOutcome(false, $"the echo differs: sent \"{TextTraceRenderer.Escape(want)}\", got \"{TextTraceRenderer.Escape(got)}\"", Ending(flow));
            }
        }

        return new FlowOutcome(true, null, Ending(flow));
    }

    private string Ending(Flow flow)
    {
        var sb = new StringBuilder("handshake");
        var total = TotalBytes;
        if (total > 0)
        {
            sb.Append($", {total} bytes pushed{(ExpectEcho ? " and echoed" : "")}");
        }

        sb.Append(Mode switch
        {
            CloseMode.Active => ", active close",
            CloseMode.Passive => ", passive close (the server closed first)",
            CloseMode.Simultaneous => ", simultaneous close",
            CloseMode.Half => ", half-close",
            CloseMode.Rst => ", aborted with RST",
            _ => ", left open",
        });
        if (flow.Finish is { } f)
        {
            sb.Append($" ({f.How})");
        }

        return sb.ToString();
    }

    private static string Describe(FailureKind kind) => kind switch
    {
        FailureKind.Refused => "closed: the port answered RST",
        FailureKind.Timeout => "no answer: filtered or unreachable",
        FailureKind.Reset => "reset by the server",
        FailureKind.Unreachable => "unreachable (ICMP)",
        FailureKind.KernelInterference => "kernel interference",
        FailureKind.Interrupted => "interrupted",
        FailureKind.SendFailed => "a send failed",
        _ => "time limit reached",
    };
}
