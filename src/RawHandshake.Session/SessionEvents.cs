using RawHandshake.Wire.Primitives;

namespace RawHandshake.Session;

/// <summary>Whose state a state event is about.</summary>
public enum Side
{
    Client,
    Server,
}

/// <summary>How a session ended badly.</summary>
public enum FailureKind
{
    /// <summary>No answer after every retransmission (a filtered port, a dead host).</summary>
    Timeout,

    /// <summary>RST in answer to our SYN: nothing listens there.</summary>
    Refused,

    /// <summary>RST on an open connection.</summary>
    Reset,

    /// <summary>An ICMP error about our flow.</summary>
    Unreachable,

    /// <summary>Our own kernel reset the flow (no guard, or the guard failed).</summary>
    KernelInterference,

    /// <summary>The run's overall time limit passed.</summary>
    Deadline,

    /// <summary>The user stopped the run (Ctrl-C, SIGTERM).</summary>
    Interrupted,

    /// <summary>A segment could not be put on the wire (the link refused it, e.g. a frame larger than the MTU).</summary>
    SendFailed,
}

/// <summary>Something the session did or saw, for the trace and for drivers.</summary>
public abstract record SessionEvent;

public sealed record StateChanged(Side Side, TcpState? From, TcpState To, string? Reason = null) : SessionEvent;

public sealed record HandshakeCompleted(TimeSpan? Rtt, ushort PeerMss, byte? PeerWindowScale, bool SackPermitted, bool Timestamps, uint PeerWindow) : SessionEvent;

public sealed record DataReceived(SeqNum Seq, int Length, int TotalReceived) : SessionEvent;

public sealed record DataAcknowledged(int Bytes, int TotalAcknowledged) : SessionEvent;

public sealed record Retransmitting(string What, int Attempt, TimeSpan NextTimeout) : SessionEvent;

public sealed record PeerRetransmission(SeqNum Seq, int Length) : SessionEvent;

public sealed record PeerFinReceived(SeqNum Seq) : SessionEvent;

public sealed record ResetReceived(TcpState InState) : SessionEvent;

public sealed record ZeroWindow(bool Peer) : SessionEvent;

public sealed record SessionFailed(FailureKind Kind, string Reason) : SessionEvent;

/// <summary>The connection reached CLOSED (or TIME-WAIT's end) the orderly way; or was left open on request.</summary>
public sealed record SessionFinished(string How) : SessionEvent;

/// <summary>A note for the trace ("holding TIME-WAIT for 500 ms", "unacceptable segment, re-ACKed").</summary>
public sealed record SessionNote(string Text) : SessionEvent;
