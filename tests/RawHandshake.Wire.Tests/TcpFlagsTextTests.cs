using RawHandshake.Wire.Protocols;

namespace RawHandshake.Wire.Tests;

public class TcpFlagsTextTests
{
    private const TcpFlags SA = TcpFlags.Syn | TcpFlags.Ack;

    public static TheoryData<string, TcpFlags> Spellings => new()
    {
        // tcpdump / packetdrill
        { "S", TcpFlags.Syn },
        { "S.", SA },
        { "P.", TcpFlags.Psh | TcpFlags.Ack },
        { "F.", TcpFlags.Fin | TcpFlags.Ack },
        { "R", TcpFlags.Rst },
        { "R.", TcpFlags.Rst | TcpFlags.Ack },
        { ".", TcpFlags.Ack },
        { "SEW", TcpFlags.Syn | TcpFlags.Ece | TcpFlags.Cwr },
        { "S.E", SA | TcpFlags.Ece },
        { "P.U", TcpFlags.Psh | TcpFlags.Ack | TcpFlags.Urg },
        // letter sets
        { "SA", SA },
        { "PA", TcpFlags.Psh | TcpFlags.Ack },
        { "FA", TcpFlags.Fin | TcpFlags.Ack },
        { "RA", TcpFlags.Rst | TcpFlags.Ack },
        { "sa", SA },
        { "U E C N", TcpFlags.Urg | TcpFlags.Ece | TcpFlags.Cwr | TcpFlags.Ns },
        { "FSRPAUECN", (TcpFlags)0x1FF },
        // names
        { "syn,ack", SA },
        { "SYN|ACK", SA },
        { "syn+ack", SA },
        { "ack", TcpFlags.Ack },
        { "FIN", TcpFlags.Fin },
        { "rst", TcpFlags.Rst },
        { "push", TcpFlags.Psh },
        { "reset , ack", TcpFlags.Rst | TcpFlags.Ack },
        // Wireshark
        { "[SYN, ACK]", SA },
        { "[SYN]", TcpFlags.Syn },
        { "[ACK]", TcpFlags.Ack },
        { "[FIN, ACK]", TcpFlags.Fin | TcpFlags.Ack },
        { "[RST, ACK]", TcpFlags.Rst | TcpFlags.Ack },
        { "[PSH, ACK, URG]", TcpFlags.Psh | TcpFlags.Ack | TcpFlags.Urg },
        { "[SYN, ECE, CWR]", TcpFlags.Syn | TcpFlags.Ece | TcpFlags.Cwr },
        { "[SYN, ECE, CWR, AE]", TcpFlags.Syn | TcpFlags.Ece | TcpFlags.Cwr | TcpFlags.Ns }, // tshark 4.0 calls NS "AE"
        { "[<None>]", TcpFlags.None },
        // numbers and none
        { "0x12", SA },
        { "18", SA },
        { "0x1ff", (TcpFlags)0x1FF },
        { "none", TcpFlags.None },
        { "  S.  ", SA },
    };

    [Theory]
    [MemberData(nameof(Spellings))]
    public void Parses_every_spelling(string text, TcpFlags expected)
    {
        TcpFlagsText.TryParse(text, out var flags, out var error).ShouldBeTrue(error);
        error.ShouldBeNull();
        flags.ShouldBe(expected);
        TcpFlagsText.Parse(text).ShouldBe(expected);
    }

    [Theory]
    [InlineData(TcpFlags.Syn, "[SYN]", "S", "S")]
    [InlineData(SA, "[SYN, ACK]", "SA", "S.")]
    [InlineData(TcpFlags.Psh | TcpFlags.Ack, "[PSH, ACK]", "PA", "P.")]
    [InlineData(TcpFlags.Fin | TcpFlags.Ack, "[FIN, ACK]", "FA", "F.")]
    [InlineData(TcpFlags.Rst, "[RST]", "R", "R")]
    [InlineData(TcpFlags.Rst | TcpFlags.Ack, "[RST, ACK]", "RA", "R.")]
    [InlineData(TcpFlags.Ack, "[ACK]", "A", ".")]
    [InlineData(TcpFlags.None, "[<None>]", "", "none")]
    [InlineData(TcpFlags.Syn | TcpFlags.Ece | TcpFlags.Cwr, "[SYN, ECE, CWR]", "SEC", "SEW")]
    [InlineData((TcpFlags)0x1FF, "[FIN, SYN, RST, PSH, ACK, URG, ECE, CWR, NS]", "FSRPAUECN", null)]
    public void Formats_wireshark_letters_and_tcpdump(TcpFlags flags, string wireshark, string letters, string? tcpdump)
    {
        flags.ToWireshark().ShouldBe(wireshark);
        flags.ToLetters().ShouldBe(letters);
        if (tcpdump is not null)
        {
            flags.ToTcpdump().ShouldBe(tcpdump);
        }
    }

    [Theory]
    [InlineData(TcpFlags.Syn | TcpFlags.Ack | TcpFlags.Ece, "S.E")] // tcpdump 4.99.3: "Flags [S.E]" (ECN-setup SYN-ACK)
    [InlineData(TcpFlags.Psh | TcpFlags.Ack | TcpFlags.Urg, "P.U")] // tcpdump 4.99.3: "Flags [P.U]"
    [InlineData(TcpFlags.Ack | TcpFlags.Cwr, ".W")]                  // tcpdump 4.99.3: "Flags [.W]"
    public void ToTcpdump_puts_the_ack_dot_where_tcpdump_does(TcpFlags flags, string expected) =>
        // tcpdump prints its table in order F S R P . U E W (print-tcp.c tcp_flag_values), checked by running
        // tcpdump -r on frames with these flags.
        flags.ToTcpdump().ShouldBe(expected);

    [Fact]
    public void Every_flag_combination_round_trips_through_every_output_form()
    {
        var failures = new List<string>();
        for (var i = 0; i < 512; i++)
        {
            var f = (TcpFlags)i;
            foreach (var (form, text) in new[] { ("wireshark", f.ToWireshark()), ("letters", f.ToLetters()), ("tcpdump", f.ToTcpdump()) })
            {
                if (form == "letters" && text.Length == 0)
                {
                    continue; // no letters for no flags; "none" is the spelling for that
                }

                if (!TcpFlagsText.TryParse(text, out var back, out var error) || back != f)
                {
                    failures.Add($"{form} '{text}' of 0x{i:x3} parsed as {(error ?? $"0x{(int)back:x3}")}");
                }
            }
        }

        failures.ShouldBeEmpty();
    }

    [Fact]
    public void Bracketed_wireshark_names_are_names_even_when_two_letters_long()
    {
        // Wireshark prints a lone NS bit as "[NS]" (3.x) or "[AE]" (4.x, seen from tshark 4.0.17 here).
        TcpFlagsText.Parse("[NS]").ShouldBe(TcpFlags.Ns);
        TcpFlagsText.Parse("[AE]").ShouldBe(TcpFlags.Ns);
    }

    [Fact]
    public void Unknown_letter_is_named_in_the_error()
    {
        TcpFlagsText.TryParse("Q", out _, out var error).ShouldBeFalse();
        error.ShouldNotBeNull().ShouldContain("'Q'");
        TcpFlagsText.TryParse("SQ.", out _, out error).ShouldBeFalse();
        error.ShouldNotBeNull().ShouldContain("'Q'");
        TcpFlagsText.TryParse("syn,bogus", out _, out error).ShouldBeFalse();
        error.ShouldNotBeNull().ShouldContain("'bogus'");
        Should.Throw<FormatException>(() => TcpFlagsText.Parse("Q")).Message.ShouldContain("'Q'");
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    [InlineData("[]")]
    [InlineData("0x200")]
    [InlineData("512")]
    [InlineData("0xZZ")]
    [InlineData("S!")]
    public void Rejects_bad_input_with_a_message(string? text)
    {
        TcpFlagsText.TryParse(text, out _, out var error).ShouldBeFalse();
        error.ShouldNotBeNullOrWhiteSpace();
    }
}

public class TcpFlagsSeparatorTests
{
    [Theory]
    [InlineData("+")]
    [InlineData(",")]
    [InlineData("|")]
    [InlineData(" + ")]
    [InlineData("[,]")]
    public void OnlySeparatorsIsAnErrorNotACrash(string text)
    {
        TcpFlagsText.TryParse(text, out _, out var error).ShouldBeFalse();
        error.ShouldNotBeNull();
        error.ShouldContain("no flag in");
    }
}
