namespace RawHandshake.Recipes.Tests.Support;

/// <summary>
/// The five seed scenarios as recipes (the real files live in <c>recipes/</c>; these copies keep the tests
/// self-contained). Addresses and ports are the built-in lab's: 198.18.2.10, echo 20000, seed 003's server 20003, http 80,
/// nothing listening on 20099.
/// </summary>
internal static class SeedRecipes
{
    /// <summary>Articles 000/001: the python echo server, "A" then "AB", both echoes, active close.</summary>
    public const string PythonEcho = """
        # seed-python-echo — articles 000/001: echo server on port 20000
        target 198.18.2.10:20000
        options mss 1460, sackok, wscale 7
        send   S 0:0(0) win 64240 <mss 1460, sackOK, wscale 7>
        expect S. 0:0(0) ack 1 within 1s
        send   . 1:1(0) ack 1
        expect state ESTABLISHED
        push   "A" then ack 2
        push   "AB" then ack 4
        recv   "AAB" within 1s
        close
        expect state TIME-WAIT
        """;

    /// <summary>Article 002: the three-way handshake and the close by hand, with both sides' states at each step.</summary>
    public const string States = """
        # seed-states — article 002: three-way handshake and four waves, every state on both sides
        target 198.18.2.10:20000
        description "TCP states through the handshake and the close (article 002)"
        options mss 1460, sackok, wscale 7, timeout 5s

        send   S 0:0(0) win 64240 <mss 1460, sackOK, nop, wscale 7>
        expect state SYN_SENT                      # netstat's spelling works too
        expect S. 0:0(0) ack 1 <mss *, sackOK, wscale *> within 1s
        expect server-state SYN_RCVD
        send   . 1:1(0) ack 1
        expect state ESTABLISHED
        expect server-state ESTABLISHED

        send   F. 1:1(0) ack 1                     # wave 1: our FIN
        expect state FIN_WAIT1
        # waves 2 and 3: the echo server closes on EOF at once, so Linux sends its ACK and FIN together
        expect F. 1:1(0) ack 2 within 1s
        expect server-state LAST_ACK
        send   . 2:2(0) ack 2                      # wave 4: our last ACK
        expect state TIME_WAIT
        expect nothing within 200ms                # the server is CLOSED: nothing more comes
        """;

    /// <summary>Article 003: the C server reads once, writes, sleeps 3 s, closes; the client closes after 1 s.</summary>
    public const string CEcho = """
        # seed-c-echo — article 003: read once, write, sleep(3), close (port 20003)
        target 198.18.2.10:20003
        option timeout 10s
        connect
        push   "Hello World!" then ack 13
        recv   "Hello World!" within 1s
        sleep  1s                                  # the client's sleep(1)
        close                                      # our FIN is ACKed now; the server's FIN follows its sleep(3)
        expect state TIME-WAIT
        """;

    /// <summary>Article 004: a Windows browser's SYN (MSS, NOP WS 8, NOP NOP SACK_PERM), then one HTTP GET.</summary>
    public const string HttpSyn = """
        # seed-http-syn — article 004: a browser's first SYN, byte for byte, then one GET
        target 198.18.2.10:80
        options timeout 5s, ttl 128
        send   S 0:0(0) win 64240 <mss 1460, nop, wscale 8, nop, nop, sackOK> df
        expect S. 0:0(0) ack 1 <mss 1460, sackOK, wscale *> df within 1s
        send   . 1:1(0) ack 1 win 1026
        push   "GET / HTTP/1.1\r\nHost: 198.18.2.10\r\nConnection: close\r\n\r\n" then ack 57
        recv   "HTTP/1.1 200 OK\r\n" within 1s
        wait-close within 2s
        expect state CLOSED
        """;

    /// <summary>The closed port: our SYN is answered by RST-ACK (as in tests/fixtures/closed-port.txt).</summary>
    public const string ClosedPort = """
        # seed-closed-port — nothing listens: the kernel answers the SYN with RST-ACK
        target 198.18.2.10:20099
        send   S 0:0(0) win 64240 <mss 1460>
        expect R. 0:0(0) ack 1 win 0 <> within 1s
        expect server-state CLOSED
        expect nothing within 300ms                # no retransmission, no second RST
        """;

    public static IReadOnlyList<(string Name, string Text)> All { get; } =
    [
        ("seed-python-echo.rh", PythonEcho),
        ("seed-states.rh", States),
        ("seed-c-echo.rh", CEcho),
        ("seed-http-syn.rh", HttpSyn),
        ("seed-closed-port.rh", ClosedPort),
    ];
}
