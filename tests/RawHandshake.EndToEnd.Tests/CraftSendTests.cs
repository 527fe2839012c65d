using System.Globalization;
using System.Text.RegularExpressions;

using static RawHandshake.EndToEnd.Tests.ProbeOutput;

namespace RawHandshake.EndToEnd.Tests;

/// <summary><c>craft --send --count</c> against the real Linux stack in a private lab: hping3's repeated sends on the
/// engine's probe API.</summary>
[Trait("Category", "Live")]
public sealed partial class CraftSendTests(LabFixture lab) : IClassFixture<LabFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public void FiveSynsToAListenerEachSynAckMapsToItsFrameAndEveryConnectionIsReset()
    {
        var file = Path.Combine(Path.GetTempPath(), $"rh-craft-send-{Guid.NewGuid():N}.pcapng");
        var r = Cli.Run(Bound, "craft", "--send", "--netns", lab.Client, "--dst", "198.18.2.10", "--dport", "20000", "--flags", "S", "--count", "5", "--interval", "10ms", "-w", file);
        var capture = RawHandshake.Link.CaptureFiles.Read(file);
        File.Delete(file);
        r.Code.ShouldBe(0, r.ToString());

        // -w holds every frame: 5 SYNs out, 5 SYN-ACKs in, our 5 RSTs out (and the ARP exchange for the next hop).
        var flags = capture.Frames.Select(f => RawHandshake.Wire.Parsing.FrameParser.Parse(f.Data).Tcp?.Flags).Where(f => f is not null).ToList();
        flags.Count(f => f == RawHandshake.Wire.Protocols.TcpFlags.Syn).ShouldBe(5);
        flags.Count(f => f == (RawHandshake.Wire.Protocols.TcpFlags.Syn | RawHandshake.Wire.Protocols.TcpFlags.Ack)).ShouldBe(5);
        flags.Count(f => f == RawHandshake.Wire.Protocols.TcpFlags.Rst).ShouldBe(5);
        r.Out.ShouldContain("5 frames to 198.18.2.10 via eth0 and gateway 198.18.0.254, guard nft, one every 10 ms, source port from ");
        var first = int.Parse(BasePort().Match(r.Out).Groups[1].Value, CultureInfo.InvariantCulture);

        // One line per SYN-ACK, each on the port of the frame it names (the port goes up by one per frame).
        var replies = ReplyLine().Matches(r.Out).ToList();
        replies.Count.ShouldBe(5, r.ToString());
        replies.Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).Order().ShouldBe([1, 2, 3, 4, 5]);
        foreach (var m in replies)
        {
            var frame = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            m.Groups[3].Value.ShouldContain($"198.18.2.10 → 198.18.0.1 TCP 58 20000 → {first + frame - 1} [SYN, ACK]");
        }

        // The statistics agree with the lines: min ≤ avg ≤ max over the five RTTs printed.
        var rtts = replies.Select(m => Number(m.Groups[2])).ToList();
        var s = Statistics().Match(r.Out);
        s.Success.ShouldBeTrue(r.ToString());
        (s.Groups[1].Value, s.Groups[2].Value).ShouldBe(("5", "5"));
        Number(s.Groups[3]).ShouldBe(rtts.Min(), 0.0005);
        Number(s.Groups[5]).ShouldBe(rtts.Max(), 0.0005);
        Number(s.Groups[4]).ShouldBe(rtts.Average(), 0.0011);

        // Our RST closed every connection a SYN-ACK opened (the guard kept our kernel from doing it), and the guard is gone.
        ServerHolds(lab.Server, first, first + 4).ShouldBeEmpty();
        Sh.InNs(lab.Client, "nft", "list", "tables").ShouldNotContain("rawhandshake_");
    }

    [Fact]
    public void FragmentedSynsAreReassembledByTheServerAndEachSynAckMapsToItsDatagram()
    {
        // hping3 -f: each SYN (32-byte TCP header with its MSS, SACK_PERM and WS options) as two fragments of 16 bytes;
        // the server's kernel reassembles them and answers the whole SYN.
        var file = Path.Combine(Path.GetTempPath(), $"rh-craft-frag-{Guid.NewGuid():N}.pcapng");
        try
        {
            var r = Cli.Run(Bound, "craft", "--send", "--netns", lab.Client, "--dst", "198.18.2.10", "--dport", "20000", "--flags", "S",
                "--mss", "1460", "--sackok", "--wscale", "7", "--fragment", "16", "--count", "3", "--interval", "10ms", "-w", file);
            r.Code.ShouldBe(0, r.ToString());
            r.Out.ShouldContain("each as 2 fragments of at most 16 bytes");
            ReplyLine().Matches(r.Out).Count.ShouldBe(3, r.ToString());
            var s = Statistics().Match(r.Out);
            s.Success.ShouldBeTrue(r.ToString());
            (s.Groups[1].Value, s.Groups[2].Value).ShouldBe(("3", "3"));

            // tshark: six fragments out (three first ones, three last ones in which it reassembled the SYN), three SYN-ACKs back.
            var rows = Sh.Run("tshark", "-r", file, "-Y", "ip.flags.mf == 1 || ip.frag_offset > 0 || tcp.flags.syn == 1", "-T", "fields",
                "-E", "separator=|", "-e", "ip.flags.mf", "-e", "ip.frag_offset", "-e", "tcp.flags").Split('\n', StringSplitOptions.RemoveEmptyEntries)
                .Where(l => !l.StartsWith("Running as", StringComparison.Ordinal)).ToList();
            var text = string.Join('\n', rows);
            rows.Count(l => l.StartsWith("1|0|", StringComparison.Ordinal)).ShouldBe(3, text);
            rows.Count(l => l == "0|2|0x0002").ShouldBe(3, text); // offset 2 (in 8-byte units)
            rows.Count(l => l == "0|0|0x0012").ShouldBe(3, text);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void AClosedPortAnswersEverySynWithARst()
    {
        var r = Cli.Run(Bound, "craft", "--send", "--netns", lab.Client, "--dst", "198.18.2.10", "--dport", "20099", "--count", "3", "--interval", "10ms", "--json");
        r.Code.ShouldBe(0, r.ToString());
        var lines = r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => System.Text.Json.JsonDocument.Parse(l).RootElement).ToList();
        var replies = lines.Where(e => e.GetProperty("event").GetString() == "reply").ToList();
        replies.Select(e => e.GetProperty("probe").GetInt32()).Order().ShouldBe([1, 2, 3]);
        replies.ShouldAllBe(e => e.GetProperty("summary").GetString()!.Contains("[RST, ACK]") && e.GetProperty("kind").GetString() == "answer");
        var stats = lines[^1];
        stats.GetProperty("event").GetString().ShouldBe("statistics");
        (stats.GetProperty("sent").GetInt32(), stats.GetProperty("answered").GetInt32(), stats.GetProperty("loss").GetDouble()).ShouldBe((3, 3, 0.0));
        lines.Count(e => e.GetProperty("event").GetString() == "packet" && e.GetProperty("dir").GetString() == "out" && e.TryGetProperty("flags", out var f) && f.GetString() == "R")
            .ShouldBe(0, "a RST answer opened nothing to reset");
    }

    [Fact]
    public void AnUnreachableTargetGetsTheRoutersIcmpErrorForEveryFrame()
    {
        // The router says "network unreachable" for 198.18.2.99 at once, through an nft reject: its per-peer ICMP rate
        // limit is off, so every frame gets its error. (A missing route would not do: the kernel's route errors have a
        // limit of their own, ip_error's one a second after a burst, sharing the peer's tokens with every ICMP the
        // router sent the client before, so how many came depended on what other tests did just before.)
        Sh.Run("ip", "netns", "exec", lab.Router, "sysctl", "-qw", "net.ipv4.icmp_ratelimit=0");
        using var reject = new NftScratch(lab.Router, "type filter hook forward priority 0;", "ip daddr 198.18.2.99 reject with icmp type net-unreachable");
        var r = Cli.Run(Bound, "craft", "--send", "--netns", lab.Client, "--dst", "198.18.2.99", "--dport", "80", "--count", "3", "--interval", "10ms", "--timeout", "500ms");
        r.Code.ShouldBe(1, r.ToString());
        var replies = ReplyLine().Matches(r.Out).ToList();
        replies.Select(m => int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture)).Order().ToList().ShouldBe([1, 2, 3], r.ToString());
        replies.ShouldAllBe(m => m.Groups[3].Value.StartsWith("198.18.0.254 → 198.18.0.1 ICMP", StringComparison.Ordinal) && m.Groups[3].Value.Contains("Destination unreachable (Network unreachable)"));
        r.Out.ShouldContain("3 sent, 0 answered, +3 errors, 100% loss");
    }
}
