using RawHandshake.Recipes.Import;

namespace RawHandshake.Recipes.Tests.Import;

/// <summary>
/// Golden imports: each script of <see cref="PacketdrillScripts"/> and its exact recipe, with the packetdrill forms
/// (<see cref="RecipeForms.All"/>) and, where they differ, with the classic ones; the server's steps and the warnings.
/// </summary>
public class ImporterGoldenTests
{
    private static ImportResult Import(string script, string name, RecipeForms forms) =>
        PacketdrillImporter.Import(script, name + ".pkt", new ImportSettings { Forms = forms });

    private static void Golden(string script, string name, RecipeForms forms, string recipe, string actions, params string[] warnings)
    {
        var r = Import(script, name, forms);
        r.Errors.ShouldBeEmpty();
        r.Recipe.ShouldBe(recipe.ReplaceLineEndings("\n") + "\n");
        r.Server!.Actions.ShouldBe(actions);
        r.Warnings.Select(w => w.ToString()).ShouldBe(warnings);
    }

    [Fact]
    public void The_handshake() => Golden(
        PacketdrillScripts.Handshake,
        "handshake",
        RecipeForms.All,
        """
        # Imported from handshake.pkt by `rawhandshake import`. packetdrill's '<' lines are what we send,
        # its '>' lines what the server must send, timed from the line before as packetdrill times them.
        # The server does what the script's system calls did; the lab's script server does it with:
        #   rawhandshake serve script --port 8080 --backlog 1 --actions accept
        description "handshake.pkt (imported from packetdrill)"
        dialect packetdrill

        # server: 0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        # server: +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
        # server: +0 bind(3, ..., ...) = 0
        # server: +0 listen(3, 1) = 0
        send S 0:0(0) win 32792 <mss 1000, sackOK, nop, nop, nop, wscale 7>  # line 6
        +0 expect S. 0:0(0) ack 1 <mss 1460, nop, nop, sackOK, nop, wscale 8>  # line 7
        sleep 100ms
        send . 1:1(0) ack 1 win 257                                   # line 8
        # server: +0 accept(3, ..., ...) = 4
        abort                                                         # the script ends with the connection open: reset it, so the server holds nothing
        """,
        "accept");

    [Fact]
    public void Data_both_ways_with_a_delayed_ack() => Golden(
        PacketdrillScripts.DataBothWays,
        "data",
        RecipeForms.All,
        """
        # Imported from data.pkt by `rawhandshake import`. packetdrill's '<' lines are what we send,
        # its '>' lines what the server must send, timed from the line before as packetdrill times them.
        # The server does what the script's system calls did; the lab's script server does it with:
        #   rawhandshake serve script --port 8080 --backlog 1 --actions "accept; write 1000; sleep 90ms; read 500"
        description "data.pkt (imported from packetdrill)"
        dialect packetdrill

        # server: 0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        # server: +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
        # server: +0 bind(3, ..., ...) = 0
        # server: +0 listen(3, 1) = 0
        send S 0:0(0) win 32792 <mss 1000, nop, wscale 7>             # line 6
        +0 expect S. 0:0(0) ack 1 <mss 1460, nop, wscale 8>           # line 7
        sleep 100ms
        send . 1:1(0) ack 1 win 257                                   # line 8
        # server: +0 accept(3, ..., ...) = 4
        # server: +0 write(4, ..., 1000) = 1000
        +0 expect P. 1:1001(1000) ack 1                               # line 11
        sleep 50ms
        send . 1:1(0) ack 1001 win 257                                # line 12
        send P. 1:501(500) ack 1001 win 257                           # line 13
        +0.04 expect . 1001:1001(0) ack 501                           # line 14
        # server: +0 read(4, ..., 500) = 500
        abort                                                         # the script ends with the connection open: reset it, so the server holds nothing
        """,
        "accept; write 1000; sleep 90ms; read 500");

    [Fact]
    public void The_client_closes_first_and_the_server_reads_eof() => Golden(
        PacketdrillScripts.FinClose,
        "fin",
        RecipeForms.All,
        """
        # Imported from fin.pkt by `rawhandshake import`. packetdrill's '<' lines are what we send,
        # its '>' lines what the server must send, timed from the line before as packetdrill times them.
        # The server does what the script's system calls did; the lab's script server does it with:
        #   rawhandshake serve script --port 8080 --backlog 1 --actions "accept; sleep 10ms; read eof; sleep 10ms; close"
        description "fin.pkt (imported from packetdrill)"
        dialect packetdrill

        # server: 0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        # server: +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
        # server: +0 bind(3, ..., ...) = 0
        # server: +0 listen(3, 1) = 0
        send S 0:0(0) win 32792 <mss 1000, nop, wscale 7>             # line 6
        +0 expect S. 0:0(0) ack 1 <mss 1460, nop, wscale 8>           # line 7
        sleep 100ms
        send . 1:1(0) ack 1 win 257                                   # line 8
        # server: +0 accept(3, ..., ...) = 4
        sleep 10ms
        send F. 1:1(0) ack 1 win 257                                  # line 10
        +0 expect . 1:1(0) ack 2                                      # line 11
        # server: +0 read(4, ..., 1000) = 0
        # server: +.01 close(4) = 0
        +0.01 expect F. 1:1(0) ack 2                                  # line 14
        sleep 10ms
        send . 2:2(0) ack 2 win 257                                   # line 15
        """,
        "accept; sleep 10ms; read eof; sleep 10ms; close");

    [Fact]
    public void Linger_zero_close_is_a_reset() => Golden(
        PacketdrillScripts.Reset,
        "reset",
        RecipeForms.All,
        """
        # Imported from reset.pkt by `rawhandshake import`. packetdrill's '<' lines are what we send,
        # its '>' lines what the server must send, timed from the line before as packetdrill times them.
        # The server does what the script's system calls did; the lab's script server does it with:
        #   rawhandshake serve script --port 8080 --backlog 1 --actions "accept; linger 0; sleep 200ms; close"
        description "reset.pkt (imported from packetdrill)"
        dialect packetdrill

        # server: 0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        # server: +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
        # server: +0 bind(3, ..., ...) = 0
        # server: +0 listen(3, 1) = 0
        send S 0:0(0) win 32792 <mss 1000, nop, wscale 7>             # line 6
        +0 expect S. 0:0(0) ack 1                                     # line 7
        sleep 100ms
        send . 1:1(0) ack 1 win 257                                   # line 8
        # server: +0 accept(3, ..., ...) = 4
        # server: +0 setsockopt(4, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0
        # server: +.2 close(4) = 0
        +0.2 expect R. 1:1(0) ack 1                                   # line 12
        # server: +0 close(3) = 0  (the listener: the script server keeps it for the next run)
        """,
        "accept; linger 0; sleep 200ms; close");

    [Fact]
    public void Options_ecn_marks_and_packetdrill_flags() => Golden(
        PacketdrillScripts.Options,
        "options",
        RecipeForms.All,
        """
        # Imported from options.pkt by `rawhandshake import`. packetdrill's '<' lines are what we send,
        # its '>' lines what the server must send, timed from the line before as packetdrill times them.
        # The server does what the script's system calls did; the lab's script server does it with:
        #   rawhandshake serve script --port 8080 --backlog 1 --actions "accept; nodelay; shutdown write"
        description "options.pkt (imported from packetdrill)"
        dialect packetdrill

        # server: 0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        # server: +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
        # server: +0 bind(3, ..., ...) = 0
        # server: +0 listen(3, 1) = 0
        send SEW 0:0(0) win 65535 <mss 1460, sackOK, TS val 100 ecr 0, nop, wscale 7> ecn 2  # line 6
        +0 expect SE. 0:0(0) ack 1 <mss 1460, sackOK, TS val * ecr 100, nop, wscale 8> ecn 1..2  # line 7
        sleep 100ms
        send . 1:1(0) ack 1 win 514 <nop, nop, TS val 110 ecr $srv.tsval>  # line 8
        # server: +0 accept(3, ..., ...) = 4
        # server: +0 setsockopt(4, SOL_TCP, TCP_NODELAY, [1], 4) = 0
        send PEA. 1:11(10) ack 1 win 514 <nop, nop, TS val 120 ecr $srv.tsval, nop, nop, sack 1:2>  # line 11
        +0 expect . 1:1(0) ack 11 <nop, nop, TS val * ecr 120>        # line 12
        send - 11:11(0) win 514                                       # line 13
        send UA 11:11(0) ack 1 win 514 urg 0                          # line 14
        # server: +0 shutdown(4, SHUT_WR) = 0
        +0 expect F. 1:1(0) ack 11                                    # line 16
        abort                                                         # the script ends with the connection open: reset it, so the server holds nothing
        """,
        "accept; nodelay; shutdown write");

    [Fact]
    public void Options_ecn_marks_and_packetdrill_flags_classic() => Golden(
        PacketdrillScripts.Options,
        "options",
        RecipeForms.Classic,
        """
        # Imported from options.pkt by `rawhandshake import`. packetdrill's '<' lines are what we send,
        # its '>' lines what the server must send, timed from the line before as packetdrill times them.
        # The server does what the script's system calls did; the lab's script server does it with:
        #   rawhandshake serve script --port 8080 --backlog 1 --actions "accept; nodelay; shutdown write"
        description "options.pkt (imported from packetdrill)"

        # server: 0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        # server: +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
        # server: +0 bind(3, ..., ...) = 0
        # server: +0 listen(3, 1) = 0
        send SEW 0:0(0) win 65535 <mss 1460, sackOK, TS val 100 ecr 0, nop, wscale 7> ecn 2  # line 6
        expect SE. 0:0(0) ack 1 <mss 1460, sackOK, TS val * ecr 100, nop, wscale 8> within 0ms  # line 7
        sleep 100ms
        send . 1:1(0) ack 1 win 514 <nop, nop, TS val 110 ecr $srv.tsval>  # line 8
        # server: +0 accept(3, ..., ...) = 4
        # server: +0 setsockopt(4, SOL_TCP, TCP_NODELAY, [1], 4) = 0
        send PEN. 1:11(10) ack 1 win 514 <nop, nop, TS val 120 ecr $srv.tsval, nop, nop, sack 1:2> hex 00000000000000000000  # line 11
        expect . 1:1(0) ack 11 <nop, nop, TS val * ecr 120> within 0ms  # line 12
        send none 11:11(0) win 514                                    # line 13
        send UN 11:11(0) ack 1 win 514 urg 0                          # line 14
        # server: +0 shutdown(4, SHUT_WR) = 0
        expect F. 1:1(0) ack 11 within 0ms                            # line 16
        abort                                                         # the script ends with the connection open: reset it, so the server holds nothing
        """,
        "accept; nodelay; shutdown write",
            "options.pkt:7:7: warning: this recipe compiler cannot match the ECN bits on expect: they are not checked");

    [Fact]
    public void Time_ranges_any_time_and_absolute_times() => Golden(
        PacketdrillScripts.Timing,
        "timing",
        RecipeForms.All,
        """
        # Imported from timing.pkt by `rawhandshake import`. packetdrill's '<' lines are what we send,
        # its '>' lines what the server must send, timed from the line before as packetdrill times them.
        # The server does what the script's system calls did; the lab's script server does it with:
        #   rawhandshake serve script --port 8080 --backlog 1 --actions "accept; read 10; sleep 100ms; write 10"
        description "timing.pkt (imported from packetdrill)"
        dialect packetdrill

        # server: 0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        # server: +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
        # server: +0 bind(3, ..., ...) = 0
        # server: +0 listen(3, 1) = 0
        send S 0:0(0) win 32792 <mss 1000, nop, wscale 7>             # line 6
        +0 expect S. 0:0(0) ack 1 <mss 1460, nop, wscale 8>           # line 7
        sleep 100ms
        send . 1:1(0) ack 1 win 257                                   # line 8
        # server: +0 accept(3, ..., ...) = 4
        # server: +0...0.300 read(4, ..., 10) = 10
        sleep 300ms
        send P. 1:11(10) ack 1 win 257                                # line 11
        +0~+0.05 expect . 1:1(0) ack 11                               # line 12
        # server: 0.5 write(4, ..., 10) = 10
        expect P. 1:11(10) ack 11                                     # line 14
        sleep 300ms
        send . 11:11(0) ack 11 win 257                                # line 15
        sleep 200ms
        send F. 11:11(0) ack 11 win 257                               # line 16
        +0~+0.2 expect . 11:11(0) ack 12                              # line 17
        abort                                                         # the script ends with the connection open: reset it, so the server holds nothing
        """,
        "accept; read 10; sleep 100ms; write 10");

    [Fact]
    public void Time_ranges_any_time_and_absolute_times_classic() => Golden(
        PacketdrillScripts.Timing,
        "timing",
        RecipeForms.Classic,
        """
        # Imported from timing.pkt by `rawhandshake import`. packetdrill's '<' lines are what we send,
        # its '>' lines what the server must send, timed from the line before as packetdrill times them.
        # The server does what the script's system calls did; the lab's script server does it with:
        #   rawhandshake serve script --port 8080 --backlog 1 --actions "accept; read 10; sleep 100ms; write 10"
        description "timing.pkt (imported from packetdrill)"

        # server: 0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
        # server: +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
        # server: +0 bind(3, ..., ...) = 0
        # server: +0 listen(3, 1) = 0
        send S 0:0(0) win 32792 <mss 1000, nop, wscale 7>             # line 6
        expect S. 0:0(0) ack 1 <mss 1460, nop, wscale 8> within 0ms   # line 7
        sleep 100ms
        send . 1:1(0) ack 1 win 257                                   # line 8
        # server: +0 accept(3, ..., ...) = 4
        # server: +0...0.300 read(4, ..., 10) = 10
        sleep 300ms
        send P. 1:11(10) ack 1 win 257 hex 00000000000000000000       # line 11
        expect . 1:1(0) ack 11 within 50ms                            # line 12
        # server: 0.5 write(4, ..., 10) = 10
        expect P. 1:11(10) ack 11                                     # line 14
        sleep 300ms
        send . 11:11(0) ack 11 win 257                                # line 15
        sleep 200ms
        send F. 11:11(0) ack 11 win 257                               # line 16
        expect . 11:11(0) ack 12 within 200ms                         # line 17
        abort                                                         # the script ends with the connection open: reset it, so the server holds nothing
        """,
        "accept; read 10; sleep 100ms; write 10");
}
