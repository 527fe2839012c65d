using RawHandshake.Recipes.Runner.Tests.Infra;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Recipes.Runner.Tests;

/// <summary>What a <c>send</c> puts on the wire, checked in the bytes the server received.</summary>
public sealed class WireTests
{
    private static Run RunEcho(string text, Action<Service>? configure = null, uint isn = 1000)
    {
        var bench = new Bench();
        bench.Peer.Listen(20000, configure);
        return bench.Run(text, isn);
    }

    [Fact]
    public void Field_overrides_are_sent_exactly_as_set()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            send S 0:0(0) <mss 1460> ttl 3 tos 0x10 ip.id 0x1234 nodf urg 7 tcp.checksum 0xbeef
            """);
        run.ShouldPass();
        var syn = run.Sent.Single();
        syn.Ip.Ttl.ShouldBe((byte)3);
        syn.Ip.Tos.ShouldBe((byte)0x10);
        syn.Ip.Id.ShouldBe((ushort)0x1234);
        syn.Ip.DontFragment.ShouldBeFalse();
        syn.Tcp.Urgent.ShouldBe((ushort)7);
        syn.TcpChecksumField.ShouldBe((ushort)0xbeef);
        syn.TcpChecksum.ShouldBe(ChecksumVerdict.Bad);
        syn.IpChecksum.ShouldBe(ChecksumVerdict.Good, "the IP checksum is still computed");
        run.Peer.BadChecksums.ShouldBe(1);
    }

    [Fact]
    public void Ip_checksum_reserved_bits_and_df_overrides()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            send S 0:0(0) <mss 1460> ip.checksum 0x1111 reserved 5 df
            """);
        run.ShouldPass();
        var syn = run.Sent.Single();
        syn.Ip.Checksum.ShouldBe((ushort)0x1111);
        syn.IpChecksum.ShouldBe(ChecksumVerdict.Bad);
        syn.Tcp.Reserved.ShouldBe((byte)5);
        syn.Ip.DontFragment.ShouldBeTrue();
        syn.Tcp.Urgent.ShouldBe((ushort)0);
    }

    [Fact]
    public void Fragment_fields_dscp_ecn_and_ip_options()
    {
        // Every IPv4 field the wire layer can set, from a recipe: MF, the evil bit, a fragment offset, DSCP and ECN apart,
        // and IP options (a NOP and an end of list, padded to 32 bits: IHL 6).
        var run = RunEcho("""
            target 10.9.0.2:20000
            send S 0:0(0) <mss 1460> tos 0xff dscp 46 ecn 1 mf evil frag-offset 185 ip.options hex 01 00
            """);
        run.ShouldPass();
        var syn = run.Peer.Seen.Single(f => f.Parsed.IPv4 is not null); // a later fragment: IPv4, its TCP header not parsed
        syn.Parsed.Tcp.ShouldBeNull("a fragment at offset 185 × 8 carries no TCP header");
        syn.Ip.Tos.ShouldBe((byte)(46 << 2 | 1), "dscp and ecn replace their bits of tos");
        syn.Ip.MoreFragments.ShouldBeTrue();
        syn.Ip.ReservedFlag.ShouldBeTrue();
        syn.Ip.FragmentOffset.ShouldBe((ushort)185);
        syn.Ip.HeaderLength.ShouldBe(24);
        syn.Frame.AsSpan(14 + 20, 4).ToArray().ShouldBe(new byte[] { 0x01, 0x00, 0x00, 0x00 });
        syn.Parsed.IpOptions(syn.Frame).ToArray().ShouldBe(new byte[] { 0x01, 0x00, 0x00, 0x00 });
        Checksum.Verify(syn.Frame.AsSpan(14, 24)).ShouldBe(ChecksumVerdict.Good, "the IP checksum covers the options");
    }

    [Fact]
    public void Ecn_alone_keeps_the_dscp_of_tos()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            send S 0:0(0) <mss 1460> tos 0xb8 ecn 2
            """);
        run.ShouldPass();
        run.Sent.Single().Ip.Tos.ShouldBe((byte)0xba);
    }

    [Fact]
    public void Without_overrides_the_fields_are_the_flows_and_checksums_are_good()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            send S 0:0(0) <mss 1460>
            send S 0:0(0) <mss 1460>
            """);
        run.ShouldPass();
        run.Sent.Count.ShouldBe(2);
        run.Sent.ShouldAllBe(s => s.Ip.Ttl == 64 && s.Ip.DontFragment && s.TcpChecksum == ChecksumVerdict.Good && s.IpChecksum == ChecksumVerdict.Good);
        run.Sent[0].Ip.Id.ShouldBe((ushort)100);
        run.Sent[1].Ip.Id.ShouldBe((ushort)101, "the flow's IP ID counts on");
    }

    [Fact]
    public void Window_defaults_syn_from_the_header_later_the_advertised_window()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            option window 30000
            send   S 0:0(0) <mss 1460>
            expect S. 0:0(0) ack 1 within 1s
            send   . 1:1(0) ack 1
            window 0
            send   . 1:1(0) ack 1
            window 5000
            send   . 1:1(0) ack 1
            """);
        run.ShouldPass();
        run.Sent.Select(s => s.Tcp.Window).ShouldBe(new ushort[] { 30000, 30000, 0, 5000 });
    }

    [Fact]
    public void An_override_applies_to_its_own_send_only()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            send S 0:0(0) <mss 1460> ttl 1 ip.id 7
            send S 0:0(0) <mss 1460>
            expect S. 0:0(0) ack 1 within 1s
            """);
        run.ShouldPass();
        run.Sent[0].Ip.Ttl.ShouldBe((byte)1);
        run.Sent[1].Ip.Ttl.ShouldBe((byte)64);
        run.Sent[1].Ip.Id.ShouldNotBe((ushort)7);
    }

    [Fact]
    public void Length_and_offset_overrides_are_written_verbatim()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            send S 0:0(0) <mss 1460> ip.len 1000 data-offset 15
            """);
        run.ShouldPass();
        var frame = run.Peer.Seen.Single().Frame;
        const int ip = 14;
        ((frame[ip + 2] << 8) | frame[ip + 3]).ShouldBe(1000, "ip.len as set");
        (frame[ip + 20 + 12] >> 4).ShouldBe(15, "data offset as set");
    }

    [Fact]
    public void Options_are_written_in_the_order_given()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            send S 0:0(0) <wscale 2, nop, sackOK, mss 1200, TS val 7 ecr 0, eol>
            """);
        run.ShouldPass();
        run.Sent.Single().RawOptions.ShouldBe(new byte[]
        {
            3, 3, 2,               // wscale 2
            1,                     // nop
            4, 2,                  // sackOK
            2, 4, 0x04, 0xb0,      // mss 1200
            8, 10, 0, 0, 0, 7, 0, 0, 0, 0, // TS val 7 ecr 0
            0,                     // eol
            0, 0, 0,               // padding to 24
        });
    }

    [Fact]
    public void Linux_order_and_windows_order_are_both_kept()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            send S 0:0(0) <mss 1460, sackOK, TS val 1 ecr 0, nop, wscale 7>
            send S 0:0(0) <mss 1460, nop, wscale 8, nop, nop, sackOK>
            """);
        run.ShouldPass();
        run.Sent[0].RawOptions.ShouldBe(new byte[] { 2, 4, 5, 0xb4, 4, 2, 8, 10, 0, 0, 0, 1, 0, 0, 0, 0, 1, 3, 3, 7 });
        run.Sent[1].RawOptions.ShouldBe(new byte[] { 2, 4, 5, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2 });
    }

    [Fact]
    public void Raw_kind_option_and_empty_options()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            send S 0:0(0) <kind 254 hex 12 34, mss 1460>
            send S 0:0(0) <>
            """);
        run.ShouldPass();
        run.Sent[0].RawOptions.ShouldBe(new byte[] { 254, 4, 0x12, 0x34, 2, 4, 5, 0xb4 });
        run.Sent[1].RawOptions.ShouldBeEmpty();
        run.Sent[1].Tcp.DataOffset.ShouldBe((byte)5);
    }

    [Fact]
    public void Sack_blocks_are_relative_to_the_servers_isn()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            send   S 0:0(0) <mss 1460, sackOK>
            expect S. 0:0(0) ack 1 within 1s
            send   . 1:1(0) ack 1 <nop, nop, sack 5:10>
            """, s => s.Isn = Lab.NearWrap);
        run.ShouldPass();
        var opts = run.Sent[1].RawOptions;
        opts[..4].ShouldBe(new byte[] { 1, 1, 5, 10 });
        var left = (uint)((opts[4] << 24) | (opts[5] << 16) | (opts[6] << 8) | opts[7]);
        var right = (uint)((opts[8] << 24) | (opts[9] << 16) | (opts[10] << 8) | opts[11]);
        left.ShouldBe(unchecked(Lab.NearWrap + 5));
        right.ShouldBe(unchecked(Lab.NearWrap + 10));
    }

    [Fact]
    public void Payload_window_and_flags_as_written()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            connect
            send P.U 1:4(3) ack 1 win 1234 hex 00 ff 41 urg 3
            """);
        run.ShouldPass();
        var seg = run.Sent.Last();
        seg.Tcp.Flags.ShouldBe(TcpFlags.Psh | TcpFlags.Ack | TcpFlags.Urg);
        seg.Tcp.Window.ShouldBe((ushort)1234);
        seg.Tcp.Urgent.ShouldBe((ushort)3);
        seg.Payload.ShouldBe(new byte[] { 0, 0xff, 0x41 });
        seg.Tcp.Seq.Value.ShouldBe(1001u);
        seg.TcpChecksum.ShouldBe(ChecksumVerdict.Good);
    }

    [Fact]
    public void Send_without_seq_uses_snd_nxt()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            connect
            push "abc"
            send P. ack 4 "de"
            expect . 1:1(0) ack 6 within 1s
            close
            expect state TIME-WAIT
            """, s => s.Echo = false);
        run.ShouldPass();
        var data = run.Sent.Where(s => s.Payload.Length > 0).ToList();
        data[^1].Tcp.Seq.Value.ShouldBe(1004u);
        run.Sent.Single(s => s.Tcp.Has(TcpFlags.Fin)).Tcp.Seq.Value.ShouldBe(1006u, "the session's FIN follows the bytes sent by hand");
        run.Peer.Connections[Infra.Net.ClientPort].Received.ToArray().ShouldBe("abcde"u8.ToArray());
    }

    // ---- documented defaults the runner does not honour ---------------------------------------------------------

    /// <summary>
    /// BUG (RecipeDriver.DoSend, RecipeSession.Config): SendStep's contract — "Options null: not written (the runner's
    /// default: a SYN carries the header's options …); empty: &lt;&gt;, no options at all" — is not honoured: a SYN written
    /// without &lt;…&gt; goes out with no options, and the session is configured as if none were offered.
    /// </summary>
    [Fact]
    public void Syn_without_options_carries_the_header_options()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            options mss 1400, wscale 6, sackok
            send   S 0:0(0)
            expect S. 0:0(0) ack 1 within 1s
            """, s => s.Timestamps = false);
        run.ShouldPass();
        var syn = run.Sent[0].Options;
        syn.Mss.ShouldBe((ushort)1400);
        syn.WindowScale.ShouldBe((byte)6);
        syn.SackPermitted.ShouldBeTrue();
    }

    /// <summary>
    /// BUG (RecipeDriver.DoSend): "later segments [carry] the negotiated timestamps" when &lt;…&gt; is not written; they
    /// carry no options. A Linux server that agreed to timestamps drops segments without them (RFC 7323 §3.2).
    /// </summary>
    [Fact]
    public void Segment_without_options_carries_the_negotiated_timestamps()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            send   S 0:0(0) <mss 1460, sackOK, TS val 1 ecr 0, nop, wscale 7>
            expect S. 0:0(0) ack 1 <mss 1460, sackOK, TS val * ecr 1, nop, wscale 7> within 1s
            send   . 1:1(0) ack 1
            """);
        run.ShouldPass();
        run.Sent[1].Options.TsVal.ShouldNotBeNull("the third segment should carry TS");
        var synAck = Wire.Parsing.FrameParser.Parse(run.Peer.Sent[0]);
        run.Sent[1].Options.TsEcr.ShouldBe(synAck.TcpOptionsSummary(run.Peer.Sent[0]).TsVal);
    }

    /// <summary>
    /// BUG (RecipeDriver.DoSend): SendStep's contract — "Ack null: our RCV.NXT (used when the ACK flag is set)" — is not
    /// honoured: an ACK without <c>ack N</c> goes out with Ack=0.
    /// </summary>
    [Fact]
    public void Ack_flag_without_ack_number_acknowledges_rcv_nxt()
    {
        var run = RunEcho("""
            target 10.9.0.2:20000
            send   S 0:0(0) <mss 1460>
            expect S. 0:0(0) ack 1 within 1s
            send   . 1:1(0)
            expect server-state ESTABLISHED
            expect nothing within 200ms
            """);
        run.Sent[1].Tcp.Ack.Value.ShouldBe(0x0001_0000u + 1, "Ack should be the server's ISN + 1 (RCV.NXT)");
        run.ShouldPass();
    }
}
