using RawHandshake.Recipes.Tests.Support;

namespace RawHandshake.Recipes.Tests;

/// <summary>
/// Golden trees: for every construct, a small recipe and its exact <see cref="RecipePrinter"/> output (line:col on every
/// node, every slot printed; <c>-</c> = not written, <c>*</c> = a written wildcard).
/// </summary>
public class GoldenTreeTests
{
    private static void Golden(string recipe, string expected) =>
        Compiled.Print(recipe + "\n").ShouldBe(expected.ReplaceLineEndings("\n") + "\n");

    [Fact]
    public void Header_an_IPv6_target_in_brackets_in_its_short_form() =>
        Compiled.Print("target [2001:DB8:0:0::10]:20000\nconnect\n").ShouldContain("1:1 target [2001:db8::10]:20000");

    [Fact]
    public void Header_every_line() => Golden(
        """"
        target 198.18.2.10:20000
        option mss 1460
        options wscale 7, sackok, timestamps off, window 64240
        options rto 200ms, retries 5, time-wait 500ms, timeout 10s
        option ttl 64
        options sport 40000, isn 0xdeadbeef, tolerance 20ms
        description "echo \"A\" then \"AB\""
        connect
        """",
        """"
        recipe t.rh
        header
          1:1 target 198.18.2.10:20000
          2:8 option mss 1460
          3:9 option wscale 7
          3:19 option sackok on
          3:27 option timestamps off
          3:43 option window 64240
          4:9 option rto 200ms
          4:20 option retries 5
          4:31 option time-wait 500ms
          4:48 option timeout 10s
          5:8 option ttl 64
          6:9 option sport 40000
          6:22 option isn 3735928559
          6:38 option tolerance 20ms
          7:1 description "echo \"A\" then \"AB\""
        steps
          8:1 connect options=-
        """");

    [Fact]
    public void Header_bool_options_and_case() => Golden(
        """"
        OPTIONS SackOK yes, Timestamps on
        Option TIME-WAIT 1s
        CONNECT
        """",
        """"
        recipe t.rh
        header
          1:9 option sackok on
          1:21 option timestamps on
          2:8 option time-wait 1s
        steps
          3:1 connect options=-
        """");

    [Fact]
    public void Send_syn_with_options() => Golden(
        """"
        send S 0:0(0) win 64240 <mss 1460, sackOK, TS val 100 ecr 0, nop, wscale 7>
        """",
        """"
        recipe t.rh
        header
        steps
          1:1 send flags=S seq=0 len=0 ack=- win=64240 options=5 payload=""
            1:26 mss 1460
            1:36 sackOK
            1:44 TS val 100 ecr 0
            1:62 nop
            1:67 wscale 7
        """");

    [Fact]
    public void Send_every_field_override() => Golden(
        """"
        send S
        send P. 1:3(2) ack 1 win 502 "AB" ttl 3 tos 0x10 ip.id 7 df ip.checksum 0xdead tcp.checksum 0xbeef urg 5 data-offset 6 ip.len 99 ihl 5 reserved 2
        """",
        """"
        recipe t.rh
        header
        steps
          1:1 send flags=S seq=- len=- ack=- win=- options=- payload=""
          2:1 send flags=P. seq=1 len=2 ack=1 win=502 options=- payload="AB"
            2:35 field ttl 3
            2:41 field tos 16
            2:50 field ip.id 7
            2:58 field df 1
            2:61 field ip.checksum 57005
            2:80 field tcp.checksum 48879
            2:100 field urg 5
            2:106 field data-offset 6
            2:120 field ip.len 99
            2:130 field ihl 5
            2:136 field reserved 2
        """");

    [Fact]
    public void Send_the_other_ip_fields() => Golden(
        """"
        send S 0:1(1) dscp 46 ecn 1 mf evil frag-offset 185 ip.options hex 0101 00 "x"
        """",
        """"
        recipe t.rh
        header
        steps
          1:1 send flags=S seq=0 len=1 ack=- win=- options=- payload="x"
            1:15 field dscp 46
            1:23 field ecn 1
            1:29 field mf 1
            1:32 field evil 1
            1:37 field frag-offset 185
            1:53 field ip.options hex 010100
        """");

    [Fact]
    public void Send_raw_numbers_variables_hex() => Golden(
        """"
        send S raw:1000
        send P. raw:1001 ack $rcv.nxt win $srv.win hex 41 42 0x43 nodf
        send . $snd.nxt-1 ack $srv.isn+1
        send . $SND.NXT + 2 ack $srv.tsval -0x10
        """",
        """"
        recipe t.rh
        header
        steps
          1:1 send flags=S seq=raw:1000 len=- ack=- win=- options=- payload=""
          2:1 send flags=P. seq=raw:1001 len=- ack=$rcv.nxt win=$srv.win options=- payload="ABC"
            2:59 field df 0
          3:1 send flags=. seq=$snd.nxt-1 len=- ack=$srv.isn+1 win=- options=- payload=""
          4:1 send flags=. seq=$snd.nxt+2 len=- ack=$srv.tsval-16 win=- options=- payload=""
        """");

    [Fact]
    public void Send_flag_spellings() => Golden(
        """"
        send syn,ack
        send [SYN, ACK]
        send SA
        send 0x12
        send R
        send R.
        send F.
        send none
        send UECN
        send s.
        send SYN|ACK
        send syn+ack
        """",
        """"
        recipe t.rh
        header
        steps
          1:1 send flags=S. seq=- len=- ack=- win=- options=- payload=""
          2:1 send flags=S. seq=- len=- ack=- win=- options=- payload=""
          3:1 send flags=S. seq=- len=- ack=- win=- options=- payload=""
          4:1 send flags=S. seq=- len=- ack=- win=- options=- payload=""
          5:1 send flags=R seq=- len=- ack=- win=- options=- payload=""
          6:1 send flags=R. seq=- len=- ack=- win=- options=- payload=""
          7:1 send flags=F. seq=- len=- ack=- win=- options=- payload=""
          8:1 send flags=none seq=- len=- ack=- win=- options=- payload=""
          9:1 send flags=UEWN seq=- len=- ack=- win=- options=- payload=""
          10:1 send flags=S. seq=- len=- ack=- win=- options=- payload=""
          11:1 send flags=S. seq=- len=- ack=- win=- options=- payload=""
          12:1 send flags=S. seq=- len=- ack=- win=- options=- payload=""
        """");

    [Fact]
    public void Send_option_forms() => Golden(
        """"
        send S 0:0(0) <>
        send . 1:1(0) ack 1 <sack 1:100 200:300, nop, nop>
        send . <kind 30 hex 0102, eol>
        send . <TS val 1 ecr $srv.tsval>
        send . <TS ecr 0x10 val raw:7, sack raw:5:raw:10>
        send P. 1:3 "AB"
        send P. (2) "AB"
        send . raw:4294967295:raw:1(2) "AB"
        """",
        """"
        recipe t.rh
        header
        steps
          1:1 send flags=S seq=0 len=0 ack=- win=- options=0 payload=""
          2:1 send flags=. seq=1 len=0 ack=1 win=- options=3 payload=""
            2:22 sack 1:100 200:300
            2:42 nop
            2:47 nop
          3:1 send flags=. seq=- len=- ack=- win=- options=2 payload=""
            3:9 kind 30 hex 0102
            3:27 eol
          4:1 send flags=. seq=- len=- ack=- win=- options=1 payload=""
            4:9 TS val 1 ecr $srv.tsval
          5:1 send flags=. seq=- len=- ack=- win=- options=2 payload=""
            5:9 TS val raw:7 ecr 16
            5:32 sack raw:5:raw:10
          6:1 send flags=P. seq=1 len=2 ack=- win=- options=- payload="AB"
          7:1 send flags=P. seq=- len=2 ack=- win=- options=- payload="AB"
          8:1 send flags=. seq=raw:4294967295 len=2 ack=- win=- options=- payload="AB"
        """");

    [Fact]
    public void Expect_segment_matchers() => Golden(
        """"
        send S
        expect S. 0:0(0) ack 1 win >=1000 <mss 1460, wscale *, sackOK, TS val * ecr 0> within 1s
        expect . * ack 1..5 win !=0
        expect . >5 ack <=10
        expect . <5 ack >3
        expect * ack raw:100
        expect . 1(*) win $srv.win..65535
        """",
        """"
        recipe t.rh
        header
        steps
          1:1 send flags=S seq=- len=- ack=- win=- options=- payload=""
          2:1 expect flags=S. seq=0 len=0 ack=1 win=>=1000 options=4 payload=- within=1s
            2:36 mss 1460
            2:46 wscale *
            2:56 sackOK
            2:64 TS val * ecr 0
          3:1 expect flags=. seq=* len=- ack=1..5 win=!=0 options=- payload=- within=-
          4:1 expect flags=. seq=>5 len=- ack=<=10 win=- options=- payload=- within=-
          5:1 expect flags=. seq=<5 len=- ack=>3 win=- options=- payload=- within=-
          6:1 expect flags=* seq=- len=- ack=raw:100 win=- options=- payload=- within=-
          7:1 expect flags=. seq=1 len=* ack=- win=$srv.win..65535 options=- payload=- within=-
        """");

    [Fact]
    public void Expect_fields_payload_options() => Golden(
        """"
        send S
        expect P. 1:3(2) "AB" ttl 64 tos * ip.id >0 df urg 0 data-offset 5..15 tcp.checksum good
        expect . nodf tcp.checksum 0x1234
        expect . df 0 tcp.checksum offload
        expect . <> hex 4142
        expect . <sack 1:2, sack, kind 30, kind 31 hex 01, nop, eol, mss, TS, mss >1000, wscale <=14, sack *:>=5>
        expect P. 1:3 within 2m
        """",
        """"
        recipe t.rh
        header
        steps
          1:1 send flags=S seq=- len=- ack=- win=- options=- payload=""
          2:1 expect flags=P. seq=1 len=2 ack=- win=- options=- payload="AB" within=-
            2:23 field ttl 64
            2:30 field tos *
            2:36 field ip.id >0
            2:45 field df 1
            2:48 field urg 0
            2:54 field data-offset 5..15
            2:72 field tcp.checksum good
          3:1 expect flags=. seq=- len=- ack=- win=- options=- payload=- within=-
            3:10 field df 0
            3:15 field tcp.checksum 4660
          4:1 expect flags=. seq=- len=- ack=- win=- options=- payload=- within=-
            4:10 field df 0
            4:15 field tcp.checksum offload
          5:1 expect flags=. seq=- len=- ack=- win=- options=0 payload="AB" within=-
          6:1 expect flags=. seq=- len=- ack=- win=- options=11 payload=- within=-
            6:11 sack 1:2
            6:21 sack
            6:27 kind 30
            6:36 kind 31 hex 01
            6:52 nop
            6:57 eol
            6:62 mss
            6:67 TS
            6:71 mss >1000
            6:82 wscale <=14
            6:95 sack *:>=5
          7:1 expect flags=P. seq=1 len=2 ack=- win=- options=- payload=- within=2m
        """");

    [Fact]
    public void Expect_nothing_rst_icmp_state() => Golden(
        """"
        send S
        expect nothing within 500ms
        expect rst
        expect rst within 1s
        expect RST 1:1(0)
        expect icmp
        expect icmp time-exceeded within 2s
        expect icmp echo-reply
        expect icmp type 3 code 4
        expect state established
        expect server-state SYN_RECV
        expect state time_wait
        expect state ESTAB
        expect server-state FinWait2
        """",
        """"
        recipe t.rh
        header
        steps
          1:1 send flags=S seq=- len=- ack=- win=- options=- payload=""
          2:1 expect nothing within=500ms
          3:1 expect rst within=-
          4:1 expect rst within=1s
          5:1 expect flags=R seq=1 len=0 ack=- win=- options=- payload=- within=-
          6:1 expect icmp type=- code=- within=-
          7:1 expect icmp type=11 code=- within=2s
          8:1 expect icmp type=0 code=- within=-
          9:1 expect icmp type=3 code=4 within=-
          10:1 expect state side=client ESTABLISHED
          11:1 expect state side=server SYN-RECEIVED
          12:1 expect state side=client TIME-WAIT
          13:1 expect state side=client ESTABLISHED
          14:1 expect state side=server FIN-WAIT-2
        """");

    [Fact]
    public void Connect_with_options() => Golden(
        """"
        window 0
        connect <mss 536, wscale 0, sackOK, TS>
        abort
        connect <>
        """",
        """"
        recipe t.rh
        header
        steps
          1:1 window 0
          2:1 connect options=4
            2:10 mss 536
            2:19 wscale 0
            2:29 sackOK
            2:37 TS
          3:1 abort
          4:1 connect options=0
        """");

    [Fact]
    public void High_level_steps() => Golden(
        """"
        connect
        push "A"
        push hex 41 42
        push "AB" then ack 4
        push "xyz" then ack >=5
        recv "AAB" within 1s
        recv hex 00ff
        recv 10 bytes
        recv 1 byte within 200ms
        window 65535
        window 1073725440
        sleep 1.5s
        echo "note: \x41\t\"q\""
        close
        """",
        """"
        recipe t.rh
        header
        steps
          1:1 connect options=-
          2:1 push "A" then-ack=-
          3:1 push "AB" then-ack=-
          4:1 push "AB" then-ack=4
          5:1 push "xyz" then-ack=>=5
          6:1 recv "AAB" within=1s
          7:1 recv "\0\xff" within=-
          8:1 recv 10 bytes within=-
          9:1 recv 1 bytes within=200ms
          10:1 window 65535
          11:1 window 1073725440
          12:1 sleep 1500ms
          13:1 echo "note: A\t\"q\""
          14:1 close
        """");

    [Fact]
    public void Close_variants_and_durations() => Golden(
        """"
        connect
        wait-close within 5s
        connect
        wait-close
        connect
        abort
        sleep 500us
        sleep 2m
        sleep 0s
        sleep 0.5us
        sleep 10m
        """",
        """"
        recipe t.rh
        header
        steps
          1:1 connect options=-
          2:1 wait-close within=5s
          3:1 connect options=-
          4:1 wait-close within=-
          5:1 connect options=-
          6:1 abort
          7:1 sleep 500us
          8:1 sleep 2m
          9:1 sleep 0s
          10:1 sleep 0.5us
          11:1 sleep 10m
        """");

    [Fact]
    public void Comments_blank_lines_continuations() => Golden(
        """"
        # a comment line

        target 198.18.2.10:20000   # trailing comment
        connect
        push "a # not a comment" \
             then ack 18            # the ack of it
        send P. \
           "AB" \
           ttl 3
        """",
        """"
        recipe t.rh
        header
          3:1 target 198.18.2.10:20000
        steps
          4:1 connect options=-
          5:1 push "a # not a comment" then-ack=18
          7:1 send flags=P. seq=- len=- ack=- win=- options=- payload="AB"
            9:4 field ttl 3
        """");
}
