namespace RawHandshake.Session;

/// <summary>Connection states as RFC 9293 §3.3.2 names them.</summary>
public enum TcpState
{
    Closed,
    Listen,
    SynSent,
    SynReceived,
    Established,
    FinWait1,
    FinWait2,
    Closing,
    TimeWait,
    CloseWait,
    LastAck,
}
