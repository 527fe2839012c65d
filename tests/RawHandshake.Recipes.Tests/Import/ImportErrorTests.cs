using RawHandshake.Recipes.Import;

namespace RawHandshake.Recipes.Tests.Import;

/// <summary>Every error a script can hit: one line, <c>file:line:col: message</c>, at the construct; no recipe.</summary>
public class ImportErrorTests
{
    /// <summary>Lines 1-3: a listening socket (fd 3).</summary>
    private const string L = "0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 bind(3, ..., ...) = 0\n+0 listen(3, 1) = 0\n";

    /// <summary>Lines 1-6: the listener, the handshake, accept (fd 4).</summary>
    private const string A = L + "+0 < S 0:0(0) win 1000\n+0 > S. 0:0(0) ack 1\n+0 < . 1:1(0) ack 1 win 1000\n+0 accept(3, ..., ...) = 4\n";

    [Theory]
    // The lexer.
    [InlineData(L + "/* never closed\n", "t.pkt:4:1: unterminated comment: add the closing '*/'")]
    [InlineData(L + "+0 %{ print(1)\n", "t.pkt:4:4: unterminated Python block: add the closing '}%'")]
    [InlineData(L + "`sysctl -q x=1\n", "t.pkt:4:1: unterminated shell command: add the closing '`'")]
    // Times and events.
    [InlineData(L + "soon < S 0:0(0) win 1\n", "t.pkt:4:1: expected a time (0, +0.1, +0.3~+0.4 or *) at the start of the event, not 'soon'")]
    [InlineData(L + "+0 sleep 1\n", "t.pkt:4:4: expected a packet ('<' or '>'), a system call, a `command` or a %{ }% block after the time, not 'sleep'")]
    [InlineData(L + "+0.2~+0.1 < S 0:0(0) win 1\n", "t.pkt:4:1: the time range ends (0.1 s) before it starts (0.2 s)")]
    [InlineData(L + "+0~x < S 0:0(0) win 1\n", "t.pkt:4:4: expected the end of the time range (+0.3~+0.4), not 'x'")]
    // Packets.
    [InlineData(L + "+0 < S 0:0(0) win 1 mtu 1500\n", "t.pkt:4:21: unexpected 'mtu' after the packet")]
    [InlineData(L + "+0 < [ttl 1] S 0:0(0) win 1\n", "t.pkt:4:7: unsupported IP marking 'ttl' (import knows [noecn], [ect0], [ect1], [ect01] and [ce])")]
    [InlineData(L + "+0 < [ect01] S 0:0(0) win 1\n", "t.pkt:4:7: [ect01] only describes packets the server sends ('>'): an inbound packet needs one codepoint")]
    [InlineData(L + "+0 < udp (1000)\n", "t.pkt:4:6: udp packets are not supported: a recipe drives one TCP connection")]
    [InlineData(L + "+0 < icmp unreachable port_unreachable\n", "t.pkt:4:6: icmp packets are not supported: a recipe drives one TCP connection")]
    [InlineData(L + "+0 < SQ 0:0(0) win 1\n", "t.pkt:4:7: unknown TCP flag 'Q' (packetdrill's are F S R P . E W A U and 0-7 for ACE)")]
    [InlineData(L + "+0 < S5E 0:0(0) win 1\n", "t.pkt:4:6: flags 'S5E': an ACE digit cannot go with another ACE digit or with E, W or A")]
    [InlineData(L + "+0 < S 0(0) win 1\n", "t.pkt:4:9: expected ':' between the start and end sequence numbers, not '('")]
    [InlineData(L + "+0 < S x:0(0) win 1\n", "t.pkt:4:8: expected a sequence number (START:END(LENGTH)), not 'x'")]
    [InlineData(L + "+0 < S 0:5(3) win 1\n", "t.pkt:4:12: 0:5 spans 5 bytes, but the length says (3)")]
    [InlineData(L + "+0 < S 0:0(0) <mss 1000>\n", "t.pkt:4:4: an inbound packet ('<') needs its window: add win N (packetdrill requires it too)")]
    [InlineData(L + "+0 < S 0:0(0) win 1 <...>\n", "t.pkt:4:4: <...> only describes packets the server sends ('>'): an inbound packet needs its options written out")]
    [InlineData(L + "+0 < S 0:0(0) win 1 <mss 1000,FO abcd>\n", "t.pkt:4:31: unsupported TCP option 'FO' (import knows mss, wscale, sackOK, TS, sack, nop and eol)")]
    [InlineData(L + "+0 < S 0:0(0) win 1 <TS 1 ecr 0>\n", "t.pkt:4:25: expected 'val' after TS, not '1'")]
    [InlineData(L + "+0 < S 0:0(0) win 1 <sack>\n", "t.pkt:4:22: sack needs 1 to 4 blocks (LEFT:RIGHT …)")]
    [InlineData(L + "+0 < S 0:0(0) win 1 <mss 1000 nop>\n", "t.pkt:4:31: expected ',' between TCP options (or '>' to end them), not 'nop'")]
    [InlineData(L + "+0 < S 0:0(0) win 70000\n", "t.pkt:4:19: a window 70000 is out of range (0 to 65535)")]
    [InlineData(L + "+0 < S 0:0(0) win 1 <mss 0>\n", "t.pkt:4:22: mss 0 cannot be sent (1 to 65535)")]
    [InlineData(L + "+0 < S 0:0(0) win 1 <wscale 15>\n", "t.pkt:4:22: wscale 15 cannot be sent: a recipe's window scale is 0 to 14")]
    // System calls.
    [InlineData(L + "+0 accept(3, ..., ...)\n", "t.pkt:5:1: expected '=' and the result after accept(…), not the end of the script")]
    [InlineData(L + "+0 accept(3, ..., ...) = ...\n", "t.pkt:4:26: accept: the result must be a number, not '...'")]
    [InlineData(L + "+0 accept(3, ..., ...\n", "t.pkt:5:1: the arguments of accept (line 4) are not closed: add ')'")]
    [InlineData("0 socket(..., SOCK_DGRAM, IPPROTO_UDP) = 3\n", "t.pkt:1:3: socket: only SOCK_STREAM (TCP) sockets can be imported")]
    [InlineData(L + "+0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 5\n", "t.pkt:4:4: a second socket(): import reproduces one listening socket per script")]
    [InlineData("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 connect(3, ..., ...) = 0\n", "t.pkt:2:4: connect: this is a client-side script; import takes server-side scripts (socket, bind, listen, accept)")]
    [InlineData(L + "+0 listen(7, 1) = 0\n", "t.pkt:4:11: listen: fd 7 is not a socket of this script (the listener is 3)")]
    [InlineData(A + "+0 write(3, ..., 10) = 10\n", "t.pkt:8:4: write: expected the accepted connection as its first argument, not the listener")]
    [InlineData(A + "+0 listen(4, 1) = 0\n", "t.pkt:8:4: listen: expected the listening socket as its first argument")]
    [InlineData(A + "+0 write(..., ..., 10) = 10\n", "t.pkt:8:4: write: expected a file descriptor as the first argument")]
    [InlineData("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 listen(3) = 0\n", "t.pkt:2:4: listen: expected listen(FD, BACKLOG)")]
    [InlineData("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 accept(3, ..., ...) = 4\n", "t.pkt:2:4: accept before listen()")]
    [InlineData(A + "+0 accept(3, ..., ...) = 5\n", "t.pkt:8:4: a second accept(): import reproduces one connection per script")]
    [InlineData(A + "+0 write(4, ..., 10) = -1 EPIPE (Broken pipe)\n", "t.pkt:8:4: write: a write that fails (-1 EPIPE) cannot be reproduced by the script server")]
    [InlineData(A + "+0 shutdown(4, SHUT_NOW) = 0\n", "t.pkt:8:4: shutdown: expected SHUT_WR, SHUT_RD or SHUT_RDWR, not 'SHUT_NOW'")]
    [InlineData(A + "+0 poll([{fd=4, events=POLLIN}], 1, 0) = 0\n", "t.pkt:8:4: unsupported system call 'poll' (import reproduces socket, setsockopt, bind, listen, accept, write, send, read, recv, shutdown and close)")]
    [InlineData(A + "+0 setsockopt(4, SOL_TCP, TCP_CONGESTION, \"reno\", 4) = 0\n", "t.pkt:8:27: setsockopt TCP_CONGESTION is not reproduced by the script server (import knows SO_REUSEADDR, TCP_NODELAY, SO_RCVBUF, SO_SNDBUF and SO_LINGER)")]
    [InlineData(A + "+0 setsockopt(4, SOL_SOCKET, SO_RCVBUF, 4096, 4) = 0\n", "t.pkt:8:41: setsockopt SO_RCVBUF: expected the value as [N]")]
    [InlineData(A + "+0 setsockopt(4, SOL_SOCKET, SO_LINGER, [1], 4) = 0\n", "t.pkt:8:4: setsockopt SO_LINGER: expected {onoff=N, linger=N}")]
    [InlineData(A + "+0 setsockopt(3, SOL_SOCKET, SO_SNDBUF, [4096], 4) = 0\n", "t.pkt:8:4: setsockopt SO_SNDBUF on the listener after accept(): it would not reach the connection")]
    // The script as a whole.
    [InlineData(L, "t.pkt:3:1: the script has no TCP packets ('<' or '>' lines): nothing to send or expect")]
    [InlineData("0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3\n+0 < S 0:0(0) win 1\n", "t.pkt:2:4: a packet before listen(): import takes server-side scripts (socket, bind, listen, then the client's SYN)")]
    [InlineData(L + "+0 > S. 0:0(0) ack 1\n", "t.pkt:4:4: the first packet must be the client's SYN ('< S …'): import takes server-side scripts")]
    public void An_unsupported_construct_is_one_line_at_its_place(string script, string expected)
    {
        var r = PacketdrillImporter.Import(script, "t.pkt", new ImportSettings { Forms = RecipeForms.All });
        r.Success.ShouldBeFalse();
        r.Recipe.ShouldBeNull();
        r.Errors.Select(e => e.ToString()).ShouldBe([expected]);
    }

    [Fact]
    public void Every_line_with_an_error_is_reported_in_file_order()
    {
        var r = PacketdrillImporter.Import(L + "+0 < SQ 0:0(0) win 1\n+0 < S 0:0(0) win 1 <FO>\n+0 poll([], 0, 0) = 0\n", "t.pkt", new ImportSettings());
        r.Errors.Select(e => e.ToString()).ShouldBe([
            "t.pkt:4:7: unknown TCP flag 'Q' (packetdrill's are F S R P . E W A U and 0-7 for ACE)",
            "t.pkt:5:22: unsupported TCP option 'FO' (import knows mss, wscale, sackOK, TS, sack, nop and eol)",
            "t.pkt:6:4: unsupported system call 'poll' (import reproduces socket, setsockopt, bind, listen, accept, write, send, read, recv, shutdown and close)",
        ]);
    }

    [Fact]
    public void A_script_over_1_MiB_is_refused() =>
        PacketdrillImporter.Import(new string(' ', RecipeCompiler.MaxSourceBytes + 1), "big.pkt", new ImportSettings())
            .Errors.Single().ToString().ShouldBe("big.pkt:1:1: more than 1 MiB: not a packetdrill script");

    [Theory]
    [InlineData(A + "+0 fcntl(4, F_SETFL, O_RDWR|O_NONBLOCK) = 0\n", "t.pkt:8:4: warning: fcntl is skipped: the script server needs no change of its file descriptor")]
    [InlineData(A + "+0 getsockopt(4, SOL_SOCKET, SO_ERROR, [0], [4]) = 0\n", "t.pkt:8:4: warning: getsockopt is skipped: the script server needs no check of its socket")]
    [InlineData(A + "+0 read(4, ..., 10) = -1 EAGAIN (Resource temporarily unavailable)\n", "t.pkt:8:4: warning: read = -1 EAGAIN (a non-blocking call that found nothing) is skipped: nothing for the server to do")]
    [InlineData(A + "+0 `echo hi`\n", "t.pkt:8:4: warning: the shell command `echo hi` is skipped: it runs on packetdrill's host, which a remote server is not")]
    [InlineData("--ip_version=ipv4\n" + A, "t.pkt:1:1: warning: the option --ip_version=ipv4 is about packetdrill's own run; skipped")]
    public void What_a_remote_server_cannot_do_is_skipped_with_a_warning(string script, string warning)
    {
        var r = PacketdrillImporter.Import(script, "t.pkt", new ImportSettings { Forms = RecipeForms.All });
        r.Errors.ShouldBeEmpty();
        r.Warnings.Select(w => w.ToString()).ShouldBe([warning]);
        r.Recipe.ShouldNotBeNull();
    }
}
