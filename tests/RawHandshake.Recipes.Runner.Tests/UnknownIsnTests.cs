using RawHandshake.Recipes.Runner.Tests.Infra;

namespace RawHandshake.Recipes.Runner.Tests;

/// <summary>
/// Issue 9 §2 for the recipe matcher: nothing unknown is taken as 0 or as "whatever came". Both ISNs over the whole
/// 2^32 range: 0, 1, 2^31 − 1, 2^31, 2^32 − 1 and random.
/// </summary>
public sealed class UnknownIsnTests
{
    public static TheoryData<uint, uint> IsnPairs()
    {
        uint[] edges = [0u, 1u, 0x7FFF_FFFFu, 0x8000_0000u, 0xFFFF_FFFFu];
        var data = new TheoryData<uint, uint>();
        foreach (var c in edges)
        {
            foreach (var s in edges)
            {
                data.Add(c, s);
            }
        }

        var rng = new Random(10);
        for (var i = 0; i < 6; i++)
        {
            data.Add((uint)rng.NextInt64(0, 1L << 32), (uint)rng.NextInt64(0, 1L << 32));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(IsnPairs))]
    public void A_syn_ack_sent_again_is_offered_to_expect_when_we_never_acknowledged_it(uint clientIsn, uint serverIsn)
    {
        // Issue 9 §2: with the server's ISN in the upper half, the second SYN-ACK was dropped as "already acknowledged"
        // because the last ACK sent started as 0. We never sent an ACK: it is offered to the expect.
        var bench = new Bench();
        bench.Peer.Listen(20000, s => s.Isn = serverIsn);
        var run = bench.Run("""
            target 10.9.0.2:20000
            send   S 0:0(0) <mss 1460>
            expect S. 0:0(0) ack 1 within 100ms
            send   S 0:0(0) <mss 1460>
            expect S. 0:0(0) ack 1 within 2s
            """, clientIsn);
        run.ShouldPass();
        run.Session.LastAckSent.ShouldBeNull();
    }

    [Theory]
    [MemberData(nameof(IsnPairs))]
    public void Before_the_syn_ack_a_sequence_number_is_compared_raw_not_with_itself(uint clientIsn, uint serverIsn)
    {
        // A stray ACK to a listening port: the RST takes Seq = our ack (RFC 9293 §3.10.7.1). Before any SYN-ACK the
        // server's numbers have no origin: "0" is raw 0, so the RST at 12345 does not match it.
        var bench = new Bench();
        bench.Peer.Listen(20000, s => s.Isn = serverIsn);
        var run = bench.Run("""
            target 10.9.0.2:20000
            send   . 0:0(0) ack raw:12345
            expect R 0:0(0) win 0 within 1s
            """, clientIsn, "raw.rh");
        run.Outcome.ShouldNotBeNull(run.Describe());
        run.Outcome.Ok.ShouldBeFalse(run.Describe());
        run.Failed.Diffs.ShouldBe(["tcp.seq: expected 0 (0x0) vs actual 12345 (0x3039) (raw: the server's ISN is unknown before its SYN-ACK)"]);
        run.Failed.Message.ShouldBe("the segment that came is R 12345:12345(0) win 0");

        var bench2 = new Bench();
        bench2.Peer.Listen(20000, s => s.Isn = serverIsn);
        bench2.Run("""
            target 10.9.0.2:20000
            send   . 0:0(0) ack raw:12345
            expect R raw:12345:raw:12345(0) win 0 within 1s
            """, clientIsn).ShouldPass();
    }

    [Fact]
    public void The_servers_isn_as_a_variable_before_its_syn_ack_fails_the_step_by_name()
    {
        var bench = new Bench();
        bench.Peer.Listen(20000);
        var run = bench.Run("""
            target 10.9.0.2:20000
            send   . 0:0(0) ack $srv.isn+1
            """, 1000, "var.rh");
        run.Outcome.ShouldNotBeNull();
        run.Outcome.Ok.ShouldBeFalse();
        run.Failed.Message.ShouldBe("$srv.isn is unknown: the server's SYN-ACK has not come");
        run.Sent.ShouldBeEmpty("nothing is sent with a made-up number");
    }

    [Theory]
    [InlineData("send   P. 1:1461(1460) ack 1 \"@\"", 1500, null)]
    [InlineData("send   P. 1:1462(1461) ack 1 \"@\"", 1500, "big.rh:5:1: send: the frame does not fit the link: an IP packet of 1501 bytes, the MTU of veth0 is 1500 (at most 1460 payload bytes with these headers)")]
    [InlineData("send   P. 1:1449(1448) ack 1 <nop, nop, TS val 1 ecr 2> \"@\"", 1500, null)]
    [InlineData("send   P. 1:1401(1400) ack 1 <nop, nop, TS val 1 ecr 2> \"@\"", 1400, "big.rh:5:1: send: the frame does not fit the link: an IP packet of 1452 bytes, the MTU of veth0 is 1400 (at most 1348 payload bytes with these headers)")]
    public void A_send_whose_frame_cannot_fit_the_link_is_refused_with_the_limit(string send, int mtu, string? error)
    {
        var payload = send[(send.IndexOf('(') + 1)..send.IndexOf(')')];
        var text = $"""
            target 10.9.0.2:20000
            connect
            expect state ESTABLISHED

            {send.Replace("\"@\"", "\"" + new string('x', int.Parse(payload, System.Globalization.CultureInfo.InvariantCulture)) + "\"", StringComparison.Ordinal)}
            """;
        var recipe = Bench.Compile(text, "big.rh");
        RecipeDriver.FrameTooLarge(recipe, mtu, "veth0").ShouldBe(error);
    }

    [Fact]
    public void A_syn_with_every_option_and_ip_options_counts_them_all()
    {
        var recipe = Bench.Compile("""
            target 10.9.0.2:20000
            options mss 1460, sackok, wscale 7, timestamps
            send   S 0:0(0) ip.options hex 01 01 01 01
            """, "syn.rh");
        RecipeDriver.FrameTooLarge(recipe, 1500, "veth0").ShouldBeNull();
        RecipeDriver.FrameTooLarge(recipe, 63, "eth1").ShouldBe("syn.rh:3:1: send: the frame does not fit the link: an IP packet of 64 bytes, the MTU of eth1 is 63 (at most 0 payload bytes with these headers)");
    }
}

/// <summary>Issue 9 §2 in the trace: before the handshake, a bare ACK's numbers are not guessed.</summary>
public sealed class UnknownInTheTraceTests
{
    [Fact]
    public void A_bare_ack_before_any_syn_is_traced_at_seq_0_with_its_ack_unknown()
    {
        var bench = new Bench();
        bench.Peer.Listen(20000);
        var run = bench.Run("""
            target 10.9.0.2:20000
            send   . 0:0(0) ack raw:0
            expect R raw:0:raw:0(0) within 1s
            """);
        run.ShouldPass();
        var first = bench.Trace.Events.OfType<Engine.Trace.PacketTraced>().First(p => p.Parsed.Tcp is not null);
        first.Rel.ShouldNotBeNull();
        first.Rel.Value.Seq.ShouldBe(0u, "our ISN is relative 0, as the recipe writes it");
        first.Rel.Value.AckKnown.ShouldBeFalse("the server has sent nothing: its relative numbers are unknown, not 1");
        using var buffer = new MemoryStream();
        using (var w = new System.Text.Json.Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            Wire.Dissection.FrameJson.WriteFields(w, first.Parsed, first.Frame, first.Rel);
            w.WriteEndObject();
        }

        System.Text.Encoding.UTF8.GetString(buffer.ToArray()).ShouldContain("\"rel_ack\":null");
    }
}
