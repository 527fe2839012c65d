namespace RawHandshake.Session.Tests;

public class TcpStateNamesTests
{
    [Theory]
    [InlineData(TcpState.Closed, "CLOSED")]
    [InlineData(TcpState.Listen, "LISTEN")]
    [InlineData(TcpState.SynSent, "SYN-SENT")]
    [InlineData(TcpState.SynReceived, "SYN-RECEIVED")]
    [InlineData(TcpState.Established, "ESTABLISHED")]
    [InlineData(TcpState.FinWait1, "FIN-WAIT-1")]
    [InlineData(TcpState.FinWait2, "FIN-WAIT-2")]
    [InlineData(TcpState.Closing, "CLOSING")]
    [InlineData(TcpState.TimeWait, "TIME-WAIT")]
    [InlineData(TcpState.CloseWait, "CLOSE-WAIT")]
    [InlineData(TcpState.LastAck, "LAST-ACK")]
    public void Output_uses_rfc_9293_spellings(TcpState state, string rfc)
    {
        state.ToRfc().ShouldBe(rfc);
        TcpStateNames.TryParse(rfc, out var back).ShouldBeTrue();
        back.ShouldBe(state);
    }

    [Fact]
    public void Known_lists_every_state_in_rfc_spelling()
    {
        TcpStateNames.Known.Split(' ').ShouldBe(Enum.GetValues<TcpState>().Select(s => s.ToRfc()), ignoreOrder: true);
    }

    [Theory]
    // RFC, enum and case variants
    [InlineData("TIME-WAIT", TcpState.TimeWait)]
    [InlineData("TIME_WAIT", TcpState.TimeWait)]
    [InlineData("time-wait", TcpState.TimeWait)]
    [InlineData("TimeWait", TcpState.TimeWait)]
    [InlineData("timewait", TcpState.TimeWait)]
    [InlineData("  TIME-WAIT  ", TcpState.TimeWait)]
    [InlineData("SynReceived", TcpState.SynReceived)]
    [InlineData("FinWait1", TcpState.FinWait1)]
    [InlineData("FinWait2", TcpState.FinWait2)]
    [InlineData("CloseWait", TcpState.CloseWait)]
    [InlineData("LastAck", TcpState.LastAck)]
    [InlineData("closing", TcpState.Closing)]
    [InlineData("listen", TcpState.Listen)]
    // netstat (Linux and BSD/Windows)
    [InlineData("ESTABLISHED", TcpState.Established)]
    [InlineData("SYN_SENT", TcpState.SynSent)]
    [InlineData("SYN_RECV", TcpState.SynReceived)]
    [InlineData("SYN_RCVD", TcpState.SynReceived)]
    [InlineData("SYN_RECEIVED", TcpState.SynReceived)]
    [InlineData("FIN_WAIT1", TcpState.FinWait1)]
    [InlineData("FIN_WAIT2", TcpState.FinWait2)]
    [InlineData("FIN_WAIT_1", TcpState.FinWait1)]
    [InlineData("FIN_WAIT_2", TcpState.FinWait2)]
    [InlineData("CLOSE_WAIT", TcpState.CloseWait)]
    [InlineData("LAST_ACK", TcpState.LastAck)]
    [InlineData("CLOSE", TcpState.Closed)]
    // ss
    [InlineData("ESTAB", TcpState.Established)]
    [InlineData("SYN-RECV", TcpState.SynReceived)]
    [InlineData("SYN-SENT", TcpState.SynSent)]
    [InlineData("UNCONN", TcpState.Closed)]
    [InlineData("unconn", TcpState.Closed)]
    public void Input_accepts_rfc_netstat_ss_and_enum_spellings(string text, TcpState expected)
    {
        TcpStateNames.TryParse(text, out var state).ShouldBeTrue(text);
        state.ShouldBe(expected, text);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("-_-")]
    [InlineData("FOO")]
    [InlineData("SYN")]
    [InlineData("FIN")]
    [InlineData("WAIT")]
    [InlineData("FIN-WAIT")]
    [InlineData("FIN-WAIT-3")]
    [InlineData("TIME-WAIT-2")]
    [InlineData("ESTABLISHE")]
    [InlineData("ESTABLISHEDX")]
    [InlineData("CLOSEDD")]
    [InlineData("11")]
    [InlineData("LISTENING")]
    [InlineData("TİME-WAIT")]
    public void Input_rejects_garbage_and_leaves_closed(string? text)
    {
        TcpStateNames.TryParse(text, out var state).ShouldBeFalse(text ?? "null");
        state.ShouldBe(TcpState.Closed);
    }

    [Fact]
    public void Every_enum_name_parses_back()
    {
        foreach (var s in Enum.GetValues<TcpState>())
        {
            TcpStateNames.TryParse(s.ToString(), out var back).ShouldBeTrue(s.ToString());
            back.ShouldBe(s);
            TcpStateNames.TryParse(s.ToRfc().ToLowerInvariant(), out back).ShouldBeTrue();
            back.ShouldBe(s);
            TcpStateNames.TryParse(s.ToRfc().Replace('-', '_'), out back).ShouldBeTrue();
            back.ShouldBe(s);
        }
    }

    [Fact]
    public void An_undefined_value_prints_its_number()
    {
        ((TcpState)99).ToRfc().ShouldBe("99");
    }
}
