using RawHandshake.Recipes.Runner.Tests.Infra;
using RawHandshake.Session;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Recipes.Runner.Tests;

/// <summary>
/// The shipped recipes' logic, rewritten for the fake Linux server (the lab is not here): each must pass through the real
/// engine and RecipeDriver. Variants run with the server's ISN near 2^32, so relative numbers cross the wrap.
/// </summary>
public sealed class ShippedRecipeTests
{
    private static Run RunLab(string text, uint serverIsn = 0x0001_0000, uint isn = 1000)
    {
        var bench = new Bench();
        Lab.Configure(bench.Peer, serverIsn);
        return bench.Run(text, isn);
    }

    public const string PythonEcho = """
        description "seed 000/001"
        target 10.9.0.2:20000
        options mss 1460, sackok, wscale 7

        send   S 0:0(0) win 64240 <mss 1460, sackOK, wscale 7>   # first handshake
        expect S. 0:0(0) ack 1 within 1s                         # second
        send   . 1:1(0) ack 1                                    # third
        expect state ESTABLISHED
        expect server-state ESTABLISHED
        push   "A" then ack 2
        recv   "A" within 1s
        push   "AB" then ack 4
        recv   "AB" within 1s
        close
        expect state TIME-WAIT
        """;

    [Theory]
    [InlineData(0x0001_0000u, 1000u)]
    [InlineData(Lab.NearWrap, 1000u)]
    [InlineData(0x0001_0000u, 0xFFFF_FFFEu)]
    [InlineData(0xFFFF_FFFFu, 0xFFFF_FFFFu)]
    public void Python_echo_passes_with_relative_numbers(uint serverIsn, uint ourIsn)
    {
        var run = RunLab(PythonEcho, serverIsn, ourIsn);
        run.ShouldPass();

        // The handshake went out exactly as written: seq = our ISN, the third segment acks the server's ISN + 1.
        var syn = run.Sent[0];
        syn.Tcp.Flags.ShouldBe(TcpFlags.Syn);
        syn.Tcp.Seq.Value.ShouldBe(ourIsn);
        syn.Tcp.Window.ShouldBe((ushort)64240);
        var third = run.Sent[1];
        third.Tcp.Flags.ShouldBe(TcpFlags.Ack);
        third.Tcp.Seq.Value.ShouldBe(unchecked(ourIsn + 1));
        third.Tcp.Ack.Value.ShouldBe(unchecked(serverIsn + 1));

        // The server got "AAB" and its connection ended the four-way way.
        var conn = run.Peer.Connections[Net.ClientPort];
        conn.Received.ToArray().ShouldBe("AAB"u8.ToArray());
        conn.State.ShouldBe("CLOSED");
        run.Session.State.ShouldBe(TcpState.TimeWait);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Readme_example_recv_both_echoes_at_once(bool piggyback)
    {
        var bench = new Bench();
        bench.Peer.Listen(20000, s =>
        {
            s.Isn = Lab.NearWrap;
            s.Piggyback = piggyback;
        });
        var run = bench.Run("""
            target 10.9.0.2:20000
            options mss 1460, sackok, wscale 7

            send   S 0:0(0) win 64240 <mss 1460, sackOK, wscale 7>   # our SYN; our ISN is 0 in the script
            expect S. 0:0(0) ack 1 within 1s                         # the server's ISN is 0 on its side
            send   . 1:1(0) ack 1
            expect state ESTABLISHED
            push   "A" then ack 2                                    # sends P. 1:2(1), waits for its ACK, checks it is 2
            push   "AB" then ack 4
            recv   "AAB" within 1s                                   # both echoes, however they are segmented
            close                                                    # FIN → ACK, FIN → ACK
            expect state TIME-WAIT
            """);
        run.ShouldPass();
    }

    [Fact]
    public void C_echo_passive_close_with_server_time_wait()
    {
        var run = RunLab("""
            target 10.9.0.2:20003
            connect
            expect state ESTABLISHED
            push   "Hello World!" then ack 13
            recv   "Hello World!" within 1s
            expect state ESTABLISHED
            wait-close within 5s
            expect state CLOSED
            expect server-state TIME-WAIT
            """);
        run.ShouldPass();
        run.Peer.Connections[Net.ClientPort].State.ShouldBe("TIME-WAIT", "the server closed first");
    }

    [Theory]
    [InlineData(0x0001_0000u)]
    [InlineData(Lab.NearWrap)]
    public void States_active_close_every_state_both_sides(uint serverIsn)
    {
        var run = RunLab("""
            target 10.9.0.2:20003
            send   S 0:0(0) <mss 1460>
            expect state SYN-SENT
            expect S. 0:0(0) ack 1 within 1s
            expect server-state SYN_RCVD
            send   . 1:1(0) ack 1
            expect state ESTABLISHED
            expect server-state ESTABLISHED
            push   "AB" then ack 3
            recv   "AB" within 1s
            send   F. 3:3(0) ack 3
            expect state FIN-WAIT-1
            expect server-state CLOSE-WAIT
            expect . 3:3(0) ack 4 within 1s
            expect state FIN-WAIT-2
            expect F. 3:3(0) ack 4 within 5s
            expect server-state LAST-ACK
            send   . 4:4(0) ack 4
            expect state TIME_WAIT
            expect server-state CLOSED
            """, serverIsn);
        run.ShouldPass();
        run.Peer.Connections[Net.ClientPort].State.ShouldBe("CLOSED");
    }

    [Fact]
    public void States_passive_close_wait_and_last_ack()
    {
        var run = RunLab("""
            target 10.9.0.2:20001
            connect
            expect state ESTABLISHED
            expect F. 1:1(0) ack 1 within 3s
            expect server-state FIN-WAIT-1
            expect state CLOSE-WAIT
            send   . 1:1(0) ack 2
            expect server-state FIN-WAIT-2
            send   F. 1:1(0) ack 2
            expect state LAST-ACK
            expect . 2:2(0) ack 2 within 1s
            expect state CLOSED
            expect server-state TIME-WAIT
            """);
        run.ShouldPass();
        run.Peer.Connections[Net.ClientPort].State.ShouldBe("TIME-WAIT");
    }

    [Theory]
    [InlineData(0x0001_0000u)]
    [InlineData(Lab.NearWrap)]
    public void States_half_close_fin_wait_2_while_the_server_sends(uint serverIsn)
    {
        var run = RunLab("""
            target 10.9.0.2:20002
            connect
            push   "AB"
            recv   "AB" within 1s
            send   F. 3:3(0) ack 3
            expect state FIN-WAIT-1
            expect . 3:3(0) ack 4 within 1s
            expect state FIN-WAIT-2
            recv   "late data" within 2s
            expect state FIN-WAIT-2
            recv   "late datalate data" within 2s
            wait-close within 2s
            expect state TIME-WAIT
            """, serverIsn);
        run.ShouldPass();
        run.Session.Received.ToArray().ShouldBe("ABlate datalate datalate data"u8.ToArray());
    }

    [Fact]
    public void States_simultaneous_close_reaches_closing()
    {
        var run = RunLab("""
            target 10.9.0.2:20001
            connect
            send   F. 1:1(0) ack 1 tcp.checksum 0xdead
            expect state FIN-WAIT-1
            expect F. 1:1(0) ack 1 within 3s
            expect state CLOSING
            send   . 2:2(0) ack 2
            send   F. 1:1(0) ack 2
            expect . 2:2(0) ack 2 within 1s
            expect state TIME-WAIT
            """);
        run.ShouldPass();
        run.Peer.BadChecksums.ShouldBe(1);
        run.Peer.Connections[Net.ClientPort].State.ShouldBe("TIME-WAIT");
    }

    /// <summary>
    /// BUG (RecipeDriver.DoSend → TcpClientSession.OnSending): a segment sent with a <c>tcp.checksum</c> override that is
    /// wrong never reaches the server's TCP, but the server-state inference counts it: after seed-states-simultaneous's
    /// dropped FIN, <c>expect server-state</c> says CLOSE-WAIT while the server is still ESTABLISHED (and FIN-WAIT-1,
    /// not CLOSING, once its own FIN is out).
    /// </summary>
    [Fact]
    public void Server_state_ignores_a_fin_the_server_dropped_for_its_checksum()
    {
        var run = RunLab("""
            target 10.9.0.2:20001
            connect
            send   F. 1:1(0) ack 1 tcp.checksum 0xdead
            expect server-state ESTABLISHED
            expect F. 1:1(0) ack 1 within 3s
            expect server-state FIN-WAIT-1
            """);
        run.Peer.BadChecksums.ShouldBe(1);
        run.ShouldPass();
        run.Peer.Connections[Net.ClientPort].State.ShouldBe("FIN-WAIT-1");
    }

    [Fact]
    public void Web_handshake_get_response_and_server_close()
    {
        var run = RunLab("""
            target 10.9.0.2:80
            send   S 0:0(0) win 64240 <mss 1460, nop, wscale 8, nop, nop, sackOK>
            expect S. 0:0(0) ack 1 <mss 1460, sackOK, wscale *> within 1s
            send   . 1:1(0) ack 1
            expect state ESTABLISHED
            push   "GET / HTTP/1.1\r\nHost: 10.9.0.2\r\nConnection: close\r\n\r\n"
            recv   "HTTP/1.1 200 OK" within 1s
            wait-close within 2s
            expect state CLOSED
            """);
        run.ShouldPass();
        run.Sent[0].RawOptions.ShouldBe(new byte[] { 2, 4, 0x05, 0xb4, 1, 3, 3, 8, 1, 1, 4, 2 });
        run.Peer.Connections[Net.ClientPort].Received.ToArray().ShouldBe("GET / HTTP/1.1\r\nHost: 10.9.0.2\r\nConnection: close\r\n\r\n"u8.ToArray());
    }

    [Fact]
    public void Probe_closed_port_rst_ack()
    {
        var run = RunLab("""
            target 10.9.0.2:20099
            send   S 0:0(0) <mss 1460>
            expect R. 0:0(0) ack 1 within 1s
            expect nothing within 300ms
            """);
        run.ShouldPass();
    }

    [Fact]
    public void Probe_bad_checksum_silence_then_syn_ack()
    {
        var run = RunLab("""
            target 10.9.0.2:20000
            send   S 0:0(0) <mss 1460> tcp.checksum 0xdead
            expect nothing within 500ms
            send   S 0:0(0) <mss 1460>
            expect S. 0:0(0) ack 1 within 1s
            abort
            """);
        run.ShouldPass();
        run.Peer.BadChecksums.ShouldBe(1);
        run.Sent[0].TcpChecksumField.ShouldBe((ushort)0xdead);
        run.Sent[0].TcpChecksum.ShouldBe(ChecksumVerdict.Bad);
        run.Sent[1].TcpChecksum.ShouldBe(ChecksumVerdict.Good);
        run.Sent[^1].Tcp.Has(TcpFlags.Rst).ShouldBeTrue("abort ends with a RST");
    }

    [Fact]
    public void Probe_out_of_window_gets_a_duplicate_ack()
    {
        var run = RunLab("""
            target 10.9.0.2:20000
            connect
            send   P. 1000000:1000002(2) ack 1 "ZZ"
            expect . 1:1(0) ack 1 within 1s
            push   "ok"
            recv   "ok" within 1s
            close
            """);
        run.ShouldPass();
        run.Peer.DuplicateAcks.ShouldBe(1);
        run.Peer.Connections[Net.ClientPort].Received.ToArray().ShouldBe("ok"u8.ToArray());
    }

    [Fact]
    public void Probe_zero_window_holds_the_echo_until_the_window_opens()
    {
        var run = RunLab("""
            target 10.9.0.2:20000
            connect
            window 0
            push   "A"
            expect nothing within 150ms
            window 64240
            send   . 2:2(0) ack 1 win 64240
            recv   "A" within 2s
            close
            """);
        run.ShouldPass();

        // The data went out advertising Win=0, the window update as written.
        var data = run.Sent.First(s => s.Payload.Length > 0);
        data.Tcp.Window.ShouldBe((ushort)0);
        run.Sent.ShouldContain(s => s.Tcp.Flags == TcpFlags.Ack && s.Tcp.Window == 64240 && s.Tcp.Seq.Value == 1002);
    }

    [Theory]
    [InlineData(0x0001_0000u)]
    [InlineData(Lab.NearWrap)]
    public void Probe_bad_ack_rst_seq_is_that_ack(uint serverIsn)
    {
        // probe-bad-ack.rh: the RST's Seq is SEG.ACK of our bad ACK, a number in the server's sequence space: 5.
        var run = RunLab("""
            target 10.9.0.2:20000
            send   S 0:0(0) <mss 1460>
            expect S. 0:0(0) ack 1 within 1s
            send   . 1:1(0) ack 5
            expect R 5:5(0) within 1s
            """, serverIsn);
        run.Peer.Sent.Count.ShouldBe(2, "the fake server answered SYN-ACK, then RST");
        run.ShouldPass();
        run.Sent[1].Tcp.Ack.Value.ShouldBe(unchecked(serverIsn + 5));
    }

    [Fact]
    public void Probe_bad_ack_with_server_isn_variables_passes()
    {
        // The same probe with absolute numbers built from the captured server ISN.
        var run = RunLab("""
            target 10.9.0.2:20000
            send   S 0:0(0) <mss 1460>
            expect S. 0:0(0) ack 1 within 1s
            send   . 1:1(0) ack $srv.isn+5
            expect R $srv.isn+5:$srv.isn+5(0) within 1s
            """, Lab.NearWrap);
        run.ShouldPass();
        run.Sent[1].Tcp.Ack.Value.ShouldBe(unchecked(Lab.NearWrap + 5));
    }

    public static TheoryData<string> ShippedFiles()
    {
        var data = new TheoryData<string>();
        foreach (var f in Directory.GetFiles(Lab.RecipesDirectory(), "*.rh").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(f));
        }

        return data;
    }

    /// <summary>The files in recipes/ as they are, pointed at the fake server (198.18.2.10 → 10.9.0.2).</summary>
    [Theory]
    [MemberData(nameof(ShippedFiles))]
    public void Shipped_file_passes_against_the_fake_linux_lab(string name)
    {
        var text = File.ReadAllText(Path.Combine(Lab.RecipesDirectory(), name)).Replace("198.18.2.10", Net.Server, StringComparison.Ordinal);
        var run = RunLab(text);
        run.ShouldPass();
    }
}
