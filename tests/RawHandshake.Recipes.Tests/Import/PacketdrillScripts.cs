namespace RawHandshake.Recipes.Tests.Import;

/// <summary>Server-side scripts in packetdrill's syntax, written for these tests (one per feature).</summary>
internal static class PacketdrillScripts
{
    /// <summary>The listening socket every script starts with.</summary>
    private const string Listen = """
            0 socket(..., SOCK_STREAM, IPPROTO_TCP) = 3
           +0 setsockopt(3, SOL_SOCKET, SO_REUSEADDR, [1], 4) = 0
           +0 bind(3, ..., ...) = 0
           +0 listen(3, 1) = 0

        """;

    public const string Handshake = "// The three-way handshake, then the server accepts.\n" + Listen + """
           +0 < S 0:0(0) win 32792 <mss 1000,sackOK,nop,nop,nop,wscale 7>
           +0 > S. 0:0(0) ack 1 <mss 1460,nop,nop,sackOK,nop,wscale 8>
          +.1 < . 1:1(0) ack 1 win 257
           +0 accept(3, ..., ...) = 4
        """;

    public const string DataBothWays = "// The server writes 1000 bytes and reads 500; a delayed ACK.\n" + Listen + """
           +0 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
           +0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 8>
          +.1 < . 1:1(0) ack 1 win 257
           +0 accept(3, ..., ...) = 4
           +0 write(4, ..., 1000) = 1000
           +0 > P. 1:1001(1000) ack 1
         +.05 < . 1:1(0) ack 1001 win 257
           +0 < P. 1:501(500) ack 1001 win 257
         +.04 > . 1001:1001(0) ack 501
           +0 read(4, ..., 500) = 500
        """;

    public const string FinClose = "/* The client closes first; the server reads EOF, then closes. */\n" + Listen + """
           +0 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
           +0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 8>
          +.1 < . 1:1(0) ack 1 win 257
           +0 accept(3, ..., ...) = 4
         +.01 < F. 1:1(0) ack 1 win 257
           +0 > . 1:1(0) ack 2
           +0 read(4, ..., 1000) = 0
         +.01 close(4) = 0
           +0 > F. 1:1(0) ack 2
         +.01 < . 2:2(0) ack 2 win 257
        """;

    public const string Reset = "// SO_LINGER 0: close() resets; a segment after that gets a RST.\n" + Listen + """
           +0 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
           +0 > S. 0:0(0) ack 1 <...>
          +.1 < . 1:1(0) ack 1 win 257
           +0 accept(3, ..., ...) = 4
           +0 setsockopt(4, SOL_SOCKET, SO_LINGER, {onoff=1, linger=0}, 8) = 0
          +.2 close(4) = 0
           +0 > R. 1:1(0) ack 1
           +0 close(3) = 0
        """;

    public const string Options = "// Timestamps, SACK blocks, ECN marks, packetdrill's flag spellings.\n" + Listen + """
           +0 < [ect0] SEW 0:0(0) win 65535 <mss 1460,sackOK,TS val 100 ecr 0,nop,wscale 7>
           +0 > [ect01] SE. 0:0(0) ack 1 <mss 1460,sackOK,TS val 700 ecr 100,nop,wscale 8>
          +.1 < . 1:1(0) ack 1 win 514 <nop,nop,TS val 110 ecr 700>
           +0 accept(3, ..., ...) = 4
           +0 setsockopt(4, SOL_TCP, TCP_NODELAY, [1], 4) = 0
           +0 < P5. 1:11(10) ack 1 win 514 <nop,nop,TS val 120 ecr 700,nop,nop,sack 1:2>
           +0 > . 1:1(0) ack 11 <nop,nop,TS val 710 ecr 120>
           +0 < - 11:11(0) win 514
           +0 < UA 11:11(0) ack 1 win 514 urg 0
           +0 shutdown(4, SHUT_WR) = 0
           +0 > F. 1:1(0) ack 11
        """;

    public const string Timing = "// Time ranges, any time, absolute times, a blocking read with its end time.\n" + Listen + """
           +0 < S 0:0(0) win 32792 <mss 1000,nop,wscale 7>
           +0 > S. 0:0(0) ack 1 <mss 1460,nop,wscale 8>
          +.1 < . 1:1(0) ack 1 win 257
           +0 accept(3, ..., ...) = 4
           +0...0.300 read(4, ..., 10) = 10
          +.3 < P. 1:11(10) ack 1 win 257
        +0~+.05 > . 1:1(0) ack 11
          0.5 write(4, ..., 10) = 10
            * > P. 1:11(10) ack 11
        +0.3~+0.4 < . 11:11(0) ack 11 win 257
          1.0 < F. 11:11(0) ack 11 win 257
        +0~+0.2 > . 11:11(0) ack 12
        """;
}
