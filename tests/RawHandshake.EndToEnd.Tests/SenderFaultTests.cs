using System.Buffers.Binary;

namespace RawHandshake.EndToEnd.Tests;

/// <summary>
/// Issues 9 and 10 against the real kernel, with faults made in the router namespace: frames that must fit the link,
/// a smaller path MTU, ICMP errors injected into a running session, and a server left with nothing of ours when a run
/// gives up (in SYN-SENT, with data unacknowledged, with its RST lost).
/// </summary>
[Trait("Category", "Live")]
public sealed class SenderFaultTests(LabFixture lab) : IClassFixture<LabFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    private string ServerSockets(int clientPort) => Sh.InNs(lab.Server, "ss", "-tanH", "state", "all", $"( dport = :{clientPort} )").Trim();

    /// <summary>Runs <paramref name="body"/> with one nft rule in the router's forward chain, then removes it.</summary>
    private string WithRouterRule(string table, string[] rule, Action body)
    {
        Sh.InNs(lab.Router, "nft", "add", "table", "inet", table);
        Sh.InNs(lab.Router, "nft", "add", "chain", "inet", table, "forward", "{ type filter hook forward priority 0; policy accept; }");
        Sh.InNs(lab.Router, "nft", ["add", "rule", "inet", table, "forward", .. rule, "counter", "drop"]);
        try
        {
            body();
            return Sh.InNs(lab.Router, "nft", "list", "table", "inet", table);
        }
        finally
        {
            Sh.RunAllowingFailure("ip", "netns", "exec", lab.Router, "nft", "delete", "table", "inet", table);
        }
    }

    private static string TempFile(string ext) => Path.Combine(Path.GetTempPath(), $"rh-snd-{Guid.NewGuid():N}{ext}");

    [Fact]
    public void A_64KiB_push_with_timestamps_goes_out_in_frames_that_fit_the_link()
    {
        // Issue 9 §1: with timestamps every segment carries 12 option bytes: 1448 bytes of payload, not 1460.
        var data = TempFile(".bin");
        var got = TempFile(".out");
        File.WriteAllBytes(data, Enumerable.Range(0, 65536).Select(i => (byte)(i * 7 + (i >> 8))).ToArray());
        try
        {
            var r = Cli.Run(Bound, "handshake", "--netns", lab.Client, "--target", "198.18.2.10:20000", "--timestamps", "--sackok", "--wscale", "7",
                "--data-file", data, "--expect-echo", "--received-file", got, "--sport", "45201");
            r.Code.ShouldBe(0, r.ToString()[..Math.Min(3000, r.ToString().Length)]);
            File.ReadAllBytes(got).ShouldBe(File.ReadAllBytes(data));
            r.Out.ShouldContain("Len=1448 TSval=");
            r.Out.ShouldNotContain("Len=1460 TSval=");
            ServerSockets(45201).ShouldNotContain("ESTAB");
        }
        finally
        {
            File.Delete(data);
            File.Delete(got);
        }
    }

    [Fact]
    public void A_recipe_send_that_cannot_fit_the_link_is_refused_before_anything_is_sent()
    {
        var file = TempFile(".rh");
        File.WriteAllText(file, $"""
            target 198.18.2.10:20000
            connect
            send   P. 1:1462(1461) ack 1 "{new string('x', 1461)}"
            """);
        try
        {
            var r = Cli.Run(Bound, "run", file, "--netns", lab.Client);
            r.Code.ShouldBe(2, r.ToString());
            r.Err.Trim().ShouldBe($"rawhandshake: {file}:3:1: send: the frame does not fit the link: an IP packet of 1501 bytes, the MTU of eth0 is 1500 (at most 1460 payload bytes with these headers)");
            r.Out.ShouldNotContain("[SYN]");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Fragmentation_needed_from_the_router_lowers_the_path_mtu_and_the_echo_still_arrives()
    {
        // The router's route to the server takes 1000-byte packets: our DF segments of 1500 earn ICMP "fragmentation
        // needed" (RFC 1191); the session must lower its path MTU and send the data again in smaller segments. (A route
        // MTU, not a link MTU: a veth end with a smaller MTU would also drop the server's larger frames coming in.)
        var got = TempFile(".out");
        Sh.InNs(lab.Router, "ip", "route", "replace", "198.18.2.0/24", "dev", "eth1", "proto", "kernel", "scope", "link", "src", "198.18.2.254", "mtu", "1000");
        try
        {
            var text = new string('m', 20000);
            var r = Cli.Run(Bound, "handshake", "--netns", lab.Client, "--target", "198.18.2.10:20000", "--data", text, "--expect-echo",
                "--received-file", got, "--sport", "45202");
            r.Code.ShouldBe(0, r.ToString()[..Math.Min(3000, r.ToString().Length)]);
            File.ReadAllText(got).ShouldBe(text);
            r.Out.ShouldContain("Destination unreachable (Fragmentation needed)");
            r.Out.ShouldContain("the path MTU is now 1000 (RFC 1191)");
            r.Out.ShouldContain("the path MTU fell to 1000: sent again in smaller segments");
            r.Out.ShouldContain("Len=960");
        }
        finally
        {
            Sh.InNs(lab.Router, "ip", "route", "replace", "198.18.2.0/24", "dev", "eth1", "proto", "kernel", "scope", "link", "src", "198.18.2.254");
            File.Delete(got);
        }
    }

    /// <summary>An ICMP destination unreachable from the router, quoting a TCP header of our flow with <paramref name="seq"/>.</summary>
    private void InjectUnreachable(int code, ushort sport, uint seq)
    {
        Span<byte> quote = stackalloc byte[28];
        quote[0] = 0x45;
        BinaryPrimitives.WriteUInt16BigEndian(quote[2..], 60);
        quote[6] = 0x40; // DF
        quote[8] = 63;
        quote[9] = 6;
        new byte[] { 198, 18, 0, 1 }.CopyTo(quote[12..]);
        new byte[] { 198, 18, 2, 10 }.CopyTo(quote[16..]);
        BinaryPrimitives.WriteUInt16BigEndian(quote[20..], sport);
        BinaryPrimitives.WriteUInt16BigEndian(quote[22..], 20000);
        BinaryPrimitives.WriteUInt32BigEndian(quote[24..], seq);
        Cli.Run(Bound, "craft", "--send", "--netns", lab.Router, "--src", "198.18.0.254", "--dst", "198.18.0.1", "--icmp-type", "3",
            "--icmp-code", code.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data-hex", Convert.ToHexString(quote), "--timeout", "100ms");
    }

    [Fact]
    public void Icmp_errors_injected_into_a_running_session_are_reported_and_a_forged_hard_one_is_ignored()
    {
        // Issue 9 §4: host unreachable (soft) quoting our SND.NXT is reported, never fatal; port unreachable (hard)
        // quoting a sequence number we never sent is forged or stale: ignored. The session then completes.
        var file = TempFile(".rh");
        File.WriteAllText(file, """
            target 198.18.2.10:20000
            option isn 1000
            option sport 45203
            connect
            push "hello"
            recv "hello" within 2s
            sleep 8s
            push "world"
            recv "world" within 2s
            close
            """);
        try
        {
            var run = Cli.Start("run", file, "--netns", lab.Client);
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (!run.OutputSoFar.Contains("recv \"hello\"", StringComparison.Ordinal) && DateTime.UtcNow < until && !run.Process.HasExited)
            {
                Thread.Sleep(50);
            }

            InjectUnreachable(1, 45203, 1006);            // SND.NXT after "hello": in SND.UNA..SND.NXT
            InjectUnreachable(3, 45203, 1006 + 100_000);  // never sent
            var r = run.Finish(Bound);
            r.Code.ShouldBe(0, r.ToString());
            r.Out.ShouldContain("Destination unreachable (Host unreachable) from 198.18.0.254: a soft error, reported; the connection goes on");
            // Both injections land in the 8 s pause (each is a process of its own: slow to start on a busy machine).
            r.Out.ShouldContain("Destination unreachable (Port unreachable) from 198.18.0.254: it quotes Seq=100006, outside SND.UNA..SND.NXT (6..6): stale or forged, ignored (RFC 5927)");
            r.Out.ShouldContain("recv \"world\"");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Data_injected_with_an_ack_far_below_snd_una_never_enters_the_stream()
    {
        // Issue 9 §4: from the router, a segment at exactly the right sequence number but with Ack = SND.NXT − 2^30 (a
        // blind attacker's guess) was accepted: the stream read "helloEVIL". RFC 5961 §5.2 drops it, with an ACK.
        var file = TempFile(".rh");
        File.WriteAllText(file, """
            target 198.18.2.10:20000
            option isn 1000
            option sport 45207
            connect
            push "hello"
            recv "hello" within 2s
            sleep 3s
            push "world"
            recv "world" within 2s
            close
            """);
        var synAck = Process("ip", "netns", "exec", lab.Client, "tcpdump", "-i", "eth0", "-n", "-c", "1", "-l", "-S",
            "src host 198.18.2.10 and tcp src port 20000 and tcp dst port 45207 and tcp[tcpflags] & (tcp-syn|tcp-ack) == (tcp-syn|tcp-ack)");
        try
        {
            Thread.Sleep(500); // tcpdump listening
            var run = Cli.Start("run", file, "--netns", lab.Client);
            var until = DateTime.UtcNow + TimeSpan.FromSeconds(30);
            while (!run.OutputSoFar.Contains("recv \"hello\"", StringComparison.Ordinal) && DateTime.UtcNow < until && !run.Process.HasExited)
            {
                Thread.Sleep(50);
            }

            synAck.WaitForExit(10_000).ShouldBeTrue("tcpdump saw no SYN-ACK");
            var line = synAck.StandardOutput.ReadToEnd();
            var seqText = System.Text.RegularExpressions.Regex.Match(line, @"seq (\d+)").Groups[1].Value;
            var serverIsn = uint.Parse(seqText, System.Globalization.CultureInfo.InvariantCulture);
            var evilAck = unchecked(1000u + 6 - (1u << 30));
            Cli.Run(Bound, "craft", "--send", "--netns", lab.Router, "--src", "198.18.2.10", "--dst", "198.18.0.1", "--sport", "20000", "--dport", "45207",
                "--flags", "PA", "--seq", unchecked(serverIsn + 6).ToString(System.Globalization.CultureInfo.InvariantCulture),
                "--ack", evilAck.ToString(System.Globalization.CultureInfo.InvariantCulture), "--data", "EVIL", "--timeout", "100ms");
            var r = run.Finish(Bound);
            r.Code.ShouldBe(0, r.ToString());
            r.Out.ShouldContain("Len=4");
            r.Out.ShouldContain("with an unacceptable ACK");
            r.Out.ShouldContain("recv \"world\"");
        }
        finally
        {
            if (!synAck.HasExited)
            {
                synAck.Kill(true);
            }

            synAck.Dispose();
            File.Delete(file);
        }
    }

    private static System.Diagnostics.Process Process(string file, params string[] args)
    {
        var psi = new System.Diagnostics.ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        return System.Diagnostics.Process.Start(psi)!;
    }

    [Fact]
    public void A_time_limit_in_syn_sent_leaves_no_half_open_connection_on_the_server()
    {
        // Issue 10 §1: the server's SYN-ACKs are dropped in the router, so it holds SYN-RECEIVED; our RST at ISS + 1 on
        // giving up removes it.
        var nft = WithRouterRule("e2esyn", ["ip", "saddr", "198.18.2.10", "tcp", "sport", "20000", "tcp", "flags", "&", "(syn|ack)", "==", "(syn|ack)"], () =>
        {
            var r = Cli.Run(Bound, "handshake", "--netns", lab.Client, "--target", "198.18.2.10:20000", "--timeout", "1s", "--sport", "45204");
            r.Code.ShouldBe(1, r.ToString());
            r.Out.ShouldContain("time limit of 1 s reached in SYN-SENT");
            r.Out.ShouldContain("[RST] Seq=1 Win=0 Len=0 (abort)");
            ServerSockets(45204).ShouldBeEmpty();
        });
        nft.ShouldNotContain("packets 0 ", customMessage: "no SYN-ACK was dropped: the server never held SYN-RECEIVED");
    }

    [Fact]
    public void A_challenge_ack_to_our_rst_is_answered_and_the_server_keeps_nothing()
    {
        // Issue 10 §1: our data never reaches the server (dropped in the router), so our RST at SND.NXT is not at its
        // RCV.NXT: Linux answers with a challenge ACK (RFC 5961 §3.2), which we answer with a RST at its ack number.
        WithRouterRule("e2echal", ["ip", "saddr", "198.18.0.1", "tcp", "dport", "20000", "tcp", "flags", "&", "(syn|fin|rst)", "==", "0", "ip", "length", ">", "40"], () =>
        {
            var r = Cli.Run(Bound, "handshake", "--netns", lab.Client, "--target", "198.18.2.10:20000", "--data", "hello", "--timeout", "1s", "--sport", "45205");
            r.Code.ShouldBe(1, r.ToString());
            r.Out.ShouldContain("[RST, ACK] Seq=6 Ack=1");
            r.Out.ShouldContain("answered with a RST at its acknowledgment number");
            r.Out.ShouldContain("[RST] Seq=1 Win=0 Len=0 (abort)");
            ServerSockets(45205).ShouldBeEmpty();
        });
    }

    [Fact]
    public void A_lost_rst_is_sent_again_and_the_server_keeps_nothing()
    {
        // Issue 10 §1: the router drops our first RST; the second, 200 ms later, resets the server.
        var nft = WithRouterRule("e2erst", ["ip", "saddr", "198.18.0.1", "tcp", "flags", "&", "rst", "!=", "0", "numgen", "inc", "mod", "1000", "==", "0"], () =>
        {
            var r = Cli.Run(Bound, "handshake", "--netns", lab.Client, "--target", "198.18.2.10:20000", "--data", "hi", "--expect-echo",
                "--close", "passive", "--timeout", "1s", "--sport", "45206"); // the echo server never closes: the time limit ends it
            r.Code.ShouldBe(1, r.ToString());
            r.Out.ShouldContain("time limit of 1 s reached in ESTABLISHED");
            r.Out.ShouldContain("our RST again, in case it was lost");
            ServerSockets(45206).ShouldBeEmpty();
        });
        nft.ShouldNotContain("packets 0 ", customMessage: "the first RST was not dropped");
    }
}
