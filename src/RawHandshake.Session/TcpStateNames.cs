namespace RawHandshake.Session;

/// <summary>RFC 9293 spellings out (<c>SYN-SENT</c>); RFC, netstat, ss and enum spellings in.</summary>
public static class TcpStateNames
{
    public static string ToRfc(this TcpState s) => s switch
    {
        TcpState.Closed => "CLOSED",
        TcpState.Listen => "LISTEN",
        TcpState.SynSent => "SYN-SENT",
        TcpState.SynReceived => "SYN-RECEIVED",
        TcpState.Established => "ESTABLISHED",
        TcpState.FinWait1 => "FIN-WAIT-1",
        TcpState.FinWait2 => "FIN-WAIT-2",
        TcpState.Closing => "CLOSING",
        TcpState.TimeWait => "TIME-WAIT",
        TcpState.CloseWait => "CLOSE-WAIT",
        TcpState.LastAck => "LAST-ACK",
        _ => s.ToString().ToUpperInvariant(),
    };

    /// <summary>
    /// Accepts <c>TIME-WAIT</c>, <c>TIME_WAIT</c>, <c>time-wait</c>, <c>TimeWait</c>, netstat's <c>SYN_RECV</c>/<c>SYN_RCVD</c>/
    /// <c>FIN_WAIT1</c>, ss's <c>ESTAB</c>/<c>SYN-RECV</c>/<c>UNCONN</c>.
    /// </summary>
    public static bool TryParse(string? text, out TcpState state)
    {
        state = TcpState.Closed;
        if (string.IsNullOrWhiteSpace(text))
        {
            return false;
        }

        var key = new string(text.Where(char.IsAsciiLetterOrDigit).ToArray()).ToUpperInvariant();
        TcpState? s = key switch
        {
            "CLOSED" or "UNCONN" or "CLOSE" => TcpState.Closed,
            "LISTEN" => TcpState.Listen,
            "SYNSENT" or "SYNSEND" => TcpState.SynSent,
            "SYNRECEIVED" or "SYNRECV" or "SYNRCVD" => TcpState.SynReceived,
            "ESTABLISHED" or "ESTAB" => TcpState.Established,
            "FINWAIT1" => TcpState.FinWait1,
            "FINWAIT2" => TcpState.FinWait2,
            "CLOSING" => TcpState.Closing,
            "TIMEWAIT" => TcpState.TimeWait,
            "CLOSEWAIT" => TcpState.CloseWait,
            "LASTACK" => TcpState.LastAck,
            _ => null,
        };
        if (s is null)
        {
            return false;
        }

        state = s.Value;
        return true;
    }

    public static string Known => "CLOSED LISTEN SYN-SENT SYN-RECEIVED ESTABLISHED FIN-WAIT-1 FIN-WAIT-2 CLOSING TIME-WAIT CLOSE-WAIT LAST-ACK";
}
