using RawHandshake.Wire.Protocols;

namespace RawHandshake.Wire.Tests;

public class TcpOptionTests
{
    private static string Layout(TcpOptionSet set, params (uint, uint)[] sack)
    {
        var buf = new byte[60];
        Array.Fill(buf, (byte)0xA5);
        var n = TcpOptionLayout.Write(buf, set, sack);
        buf.Skip(n).ShouldAllBe(b => b == 0xA5);
        return Convert.ToHexString(buf, 0, n);
    }

    [Fact]
    public void Linux_syn_layout_is_mss_sackperm_ts_nop_ws()
    {
        // Linux SYN, as tcpdump shows it: options [mss 1460,sackOK,TS val 1 ecr 0,nop,wscale 7]
        Layout(new TcpOptionSet(1460, 7, true, (0x01020304, 0)))
            .ShouldBe("020405B4" + "0402" + "080A0102030400000000" + "01" + "030307");
    }

    [Fact]
    public void Windows_syn_layout_without_timestamps()
    {
        // Windows / seed 004: options [mss 1460,nop,wscale 8,nop,nop,sackOK]
        Layout(new TcpOptionSet(1460, 8, true)).ShouldBe("020405B401030308" + "01010402");
    }

    [Fact]
    public void Other_layouts_stay_word_aligned()
    {
        Layout(default).ShouldBe("");
        Layout(new TcpOptionSet(Mss: 536)).ShouldBe("02040218");
        Layout(new TcpOptionSet(WindowScale: 14)).ShouldBe("0103030E");
        Layout(new TcpOptionSet(Timestamps: (5, 6))).ShouldBe("0101080A0000000500000006");
        Layout(new TcpOptionSet(SackPermitted: true)).ShouldBe("01010402");
        Layout(new TcpOptionSet(Timestamps: (1, 2)), (100, 200)).ShouldBe(
            "0101080A0000000100000002" + "0101050A" + "00000064000000C8");
        Layout(new TcpOptionSet(Mss: 1460, WindowScale: 2)).ShouldBe("020405B4" + "01030302");
    }

    [Fact]
    public void Writer_writes_in_call_order_and_pads_with_eol()
    {
        var buf = new byte[40];
        var w = new TcpOptionWriter(buf).Mss(1460).SackPermitted().Timestamps(0xAABBCCDD, 0x11223344).Nop().WindowScale(7);
        w.Length.ShouldBe(20);
        Convert.ToHexString(w.Written).ShouldBe("020405B40402080AAABBCCDD1122334401030307");

        var odd = new TcpOptionWriter(buf).WindowScale(3).PadToWord();
        Convert.ToHexString(odd.Written).ShouldBe("03030300");

        var raw = new TcpOptionWriter(buf).Raw(253, [0xDE, 0xAD]).Raw(2, [0x05], length: 3).End().Bytes([0x99]).PadToWord();
        Convert.ToHexString(raw.Written).ShouldBe("FD04DEAD" + "020305" + "00" + "99000000");
    }

    [Fact]
    public void Writer_refuses_to_write_past_its_buffer()
    {
        var ex = Should.Throw<ArgumentException>(() =>
        {
            var buf = new byte[40];
            new TcpOptionWriter(buf).Timestamps(1, 2).Timestamps(1, 2).Timestamps(1, 2).Timestamps(1, 2).Nop();
        });
        ex.Message.ShouldContain("40");
        Should.Throw<ArgumentException>(() =>
        {
            var buf = new byte[40];
            TcpOptionLayout.Write(buf, new TcpOptionSet(1460, 7, true, (1, 2)), new (uint, uint)[3]);
        });
    }

    [Fact]
    public void Reader_walks_the_linux_syn_options()
    {
        var bytes = Convert.FromHexString("020405B40402080A000000010000000001030307");
        var seen = new List<string>();
        foreach (var o in new TcpOptionReader(bytes))
        {
            seen.Add($"{(byte)o.Kind}@{o.Offset}/{o.Length}");
            switch (o.Kind)
            {
                case TcpOptionKind.Mss: o.Mss.ShouldBe((ushort)1460); break;
                case TcpOptionKind.Timestamps: o.TsVal.ShouldBe(1u); o.TsEcr.ShouldBe(0u); break;
                case TcpOptionKind.WindowScale: o.WindowScale.ShouldBe((byte)7); break;
                default: break;
            }
        }

        seen.ShouldBe(["2@0/4", "4@4/2", "8@6/10", "1@16/1", "3@17/3"]);
        new TcpOptionReader(bytes).Validate().ShouldBeNull();
        TcpOptionsSummary.From(bytes).ShouldBe(new TcpOptionsSummary(1460, 7, true, 1, 0, 0));
    }

    [Fact]
    public void Reader_keeps_unknown_kinds_raw_with_their_number()
    {
        // kind 253 (RFC 4727 experiment) with 4 data bytes, kind 34 (TFO cookie) with 8, then an unassigned 99 of length 2.
        var bytes = Convert.FromHexString("FD06CAFEBABE" + "220A0102030405060708" + "6302" + "0000");
        var list = new List<(byte Kind, int Offset, int Length, string Data, string Name)>();
        foreach (var o in new TcpOptionReader(bytes))
        {
            list.Add(((byte)o.Kind, o.Offset, o.Length, Convert.ToHexString(o.Data), o.Kind.ToString()));
        }

        list.ShouldBe([
            (253, 0, 6, "CAFEBABE", "253"),
            (34, 6, 10, "0102030405060708", "FastOpen"),
            (99, 16, 2, "", "99"),
            (0, 18, 1, "", "EndOfOptions"),
        ]);
        new TcpOptionReader(bytes).Validate().ShouldBeNull();
        TcpOptionsSummary.From(bytes).ShouldBe(new TcpOptionsSummary(null, null, false, null, null, 0));
    }

    [Fact]
    public void Reader_stops_at_eol_and_ignores_the_padding()
    {
        var bytes = Convert.FromHexString("01000204"); // NOP, EOL, then junk that must not be read as MSS
        var kinds = new List<TcpOptionKind>();
        foreach (var o in new TcpOptionReader(bytes))
        {
            kinds.Add(o.Kind);
        }

        kinds.ShouldBe([TcpOptionKind.Nop, TcpOptionKind.EndOfOptions]);
        new TcpOptionReader(bytes).Validate().ShouldBeNull();
    }

    [Fact]
    public void Reader_reads_sack_blocks()
    {
        var bytes = Convert.FromHexString("0101" + "0512" + "0000000A00000014" + "FFFFFFF000000010");
        foreach (var o in new TcpOptionReader(bytes))
        {
            if (o.Kind == TcpOptionKind.Sack)
            {
                o.SackBlockCount.ShouldBe(2);
                o.SackBlock(0).ShouldBe((10u, 20u));
                o.SackBlock(1).ShouldBe((0xFFFFFFF0u, 0x10u));
            }
        }

        TcpOptionsSummary.From(bytes).SackBlocks.ShouldBe(2);
    }

    [Theory]
    [InlineData("0200", "kind 2 at offset 0 has length 0 (minimum 2)")]
    [InlineData("010801", "kind 8 at offset 1 has length 1 (minimum 2)")]
    [InlineData("01010204", "kind 2 at offset 2 has length 4, past the end of the header (2 bytes left)")]
    [InlineData("02030500", "kind 2 at offset 0 has length 3, expected 4")]
    [InlineData("0304070000", "kind 3 at offset 0 has length 4, expected 3")]
    [InlineData("04030000", "kind 4 at offset 0 has length 3, expected 2")]
    [InlineData("080800000000000000", "kind 8 at offset 0 has length 8, expected 10")]
    [InlineData("050500000000", "kind 5 at offset 0 has length 5, expected 2 + 8n")]
    [InlineData("010101FD", "kind 253 at offset 3 has no length byte")]
    public void Reader_reports_malformed_options(string hex, string expected)
    {
        var bytes = Convert.FromHexString(hex);
        var why = new TcpOptionReader(bytes).Validate();
        why.ShouldNotBeNull().ShouldContain(expected);
        why.ShouldStartWith("TCP option");
    }

    [Fact]
    public void Summary_keeps_the_last_of_repeated_options_and_stops_at_a_malformed_one()
    {
        TcpOptionsSummary.From(Convert.FromHexString("020405B40204021801030305")).ShouldBe(new TcpOptionsSummary(536, 5, false, null, null, 0));
        TcpOptionsSummary.From(Convert.FromHexString("020405B4" + "0301")).ShouldBe(new TcpOptionsSummary(1460, null, false, null, null, 0));
    }
}
