using System.Text;
using RawHandshake.Lab.Servers;

namespace RawHandshake.Lab.Tests.Servers;

public sealed class ChargenTests
{
    [Fact]
    public void Line_zero_starts_at_space_and_line_ninety_five_starts_over()
    {
        Encoding.ASCII.GetString(Chargen.Line(0)).ShouldBe(" !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefg\r\n");
        Chargen.Line(95).ShouldBe(Chargen.Line(0));
        Chargen.Line(94)[0].ShouldBe((byte)'~');
        Chargen.Line(94)[1].ShouldBe((byte)' ');
    }

    [Fact]
    public void Every_line_is_72_printable_characters_and_crlf()
    {
        for (var i = 0; i < Chargen.Period; i++)
        {
            var line = Chargen.Line(i);
            line.Length.ShouldBe(74);
            line[..72].ShouldAllBe(b => b >= 0x20 && b <= 0x7e);
            line[72..].ShouldBe("\r\n"u8.ToArray());
        }
    }

    [Fact]
    public void One_write_is_more_than_ten_full_segments_of_lines_that_go_on_in_order()
    {
        var chunk = Chargen.Chunk.Span;
        chunk.Length.ShouldBeGreaterThan(10 * 1460, "the first flight is limited by TCP, not by the server's next write");
        (chunk.Length % Chargen.LineBytes).ShouldBe(0);
        for (var i = 0; i < chunk.Length / Chargen.LineBytes; i++)
        {
            chunk.Slice(i * Chargen.LineBytes, Chargen.LineBytes).ToArray().ShouldBe(Chargen.Line(i), $"line {i}");
        }
    }
}
