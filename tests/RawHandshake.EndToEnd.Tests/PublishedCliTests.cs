using System.Text.Json;
using System.Text.RegularExpressions;

namespace RawHandshake.EndToEnd.Tests;

/// <summary>
/// The CLI the end-to-end tests run: the ahead-of-time binary <c>run-as-root.sh test</c> publishes (RAWHANDSHAKE_CLI),
/// else this build through dotnet. Its verbs offline and live, the high-rate send path, and the two start-up and
/// injection benches (fields only: no timing is asserted).
/// </summary>
[Trait("Category", "Live")]
public sealed partial class PublishedCliTests(LabFixture lab) : IClassFixture<LabFixture>
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(60);

    [GeneratedRegex(@"^(\d+) sent, (\d+) answered.*$", RegexOptions.Multiline)]
    private static partial Regex StatisticsLine();

    [Fact]
    public void The_binary_under_test_is_native_when_published_and_the_dll_otherwise()
    {
        if (Environment.GetEnvironmentVariable("RAWHANDSHAKE_CLI") is { Length: > 0 } published)
        {
            // Published ahead-of-time: a native ELF executable run without the dotnet host.
            Cli.Native.ShouldBe(Path.GetFullPath(published));
            Cli.Command.ShouldBe([Cli.Native!]);
            var head = new byte[4];
            using (var f = File.OpenRead(Cli.Native!))
            {
                f.ReadExactly(head);
            }

            head.ShouldBe(new byte[] { 0x7F, (byte)'E', (byte)'L', (byte)'F' });
            File.Exists(Path.Combine(Path.GetDirectoryName(Cli.Native!)!, "rawhandshake.dll")).ShouldBeFalse("an ahead-of-time publish has no IL assembly beside it");
        }
        else
        {
            Cli.Command.ShouldBe(["dotnet", Cli.Dll]);
        }
    }

    [Fact]
    public void Help_craft_and_dissect_run()
    {
        var help = Cli.Run(Bound, "--help");
        help.Out.ShouldContain("craft");
        help.Out.ShouldContain("dissect");

        // CommandLineParser builds the options by reflection: kept whole for the trimmer, or this fails at run time.
        var craft = Cli.Run(Bound, "craft", "--flags", "SA", "--sport", "20000", "--dport", "40000", "--hex-only");
        craft.Code.ShouldBe(0, craft.ToString());
        var hex = craft.Out.Trim();
        hex.Length.ShouldBe(54 * 2, craft.ToString());

        var dissect = Cli.Run(Bound, "dissect", hex);
        dissect.Code.ShouldBe(0, dissect.ToString());
        dissect.Out.ShouldContain("20000 → 40000");
        dissect.Out.ShouldContain("[SYN, ACK]");
    }

    [Fact]
    public void A_live_handshake_in_the_lab_completes()
    {
        var r = Cli.Run(Bound, "handshake", "--netns", lab.Client, "--target", "198.18.2.10:20000", "--data", "AB", "--expect-echo", "--time-wait", "0");
        r.Code.ShouldBe(0, r.ToString());
        r.Out.ShouldContain("result    ok");
        r.Out.ShouldContain("received  \"AB\"");
        r.Out.ShouldNotContain("capture:"); // nothing dropped by the (small) capture ring
    }

    [Fact]
    public void A_thousand_syns_at_rate_max_print_one_statistics_line_and_no_line_per_reply()
    {
        var r = Cli.Run(Bound, "craft", "--send", "--netns", lab.Client, "--dst", "198.18.2.10", "--dport", "20000", "--flags", "S", "--count", "1000", "--rate", "max");
        r.Code.ShouldBe(0, r.ToString());
        var stats = StatisticsLine().Matches(r.Out);
        stats.Count.ShouldBe(1, r.ToString());
        stats[0].Groups[1].Value.ShouldBe("1000", r.ToString());
        int.Parse(stats[0].Groups[2].Value, System.Globalization.CultureInfo.InvariantCulture).ShouldBeGreaterThan(0, r.ToString());
        r.Out.Split('\n').Count(l => l.StartsWith('#')).ShouldBe(0, r.ToString()); // no line per reply at this rate
        Sh.SocketsBesidesListeners(lab.Server).ShouldBeEmpty("every connection a SYN-ACK opened was reset");
    }

    [Fact]
    public void Bench_inject_reports_each_side_its_drops_and_the_ratios()
    {
        var r = Cli.Run(TimeSpan.FromSeconds(90), "bench", "inject", "-n", "2000", "--rounds", "1", "--json");
        r.Code.ShouldBe(0, r.ToString());
        using var doc = JsonDocument.Parse(r.Out);
        var root = doc.RootElement;
        root.GetProperty("benchmark").GetString().ShouldBe("inject");
        root.GetProperty("n").GetInt32().ShouldBe(2000);
        root.GetProperty("batch").GetInt32().ShouldBe(16);
        root.GetProperty("warmup").GetInt32().ShouldBe(1);
        foreach (var side in (string[])["ours", "ours_single", "c"])
        {
            root.GetProperty($"{side}_median_fps").GetDouble().ShouldBeGreaterThan(0);
            root.GetProperty($"{side}_drops").GetInt64().ShouldBeGreaterThanOrEqualTo(0);
            var round = root.GetProperty($"{side}_rounds")[0];
            (round.GetProperty("sent").GetInt64() + round.GetProperty("refused").GetInt64()).ShouldBe(2000);
            var cpu = round.GetProperty("cpu_seconds").GetDouble();
            cpu.ShouldBeGreaterThan(0, $"{side}: the sending thread's CPU time");
            cpu.ShouldBeLessThanOrEqualTo((round.GetProperty("seconds").GetDouble() * 1.05) + 0.01, $"{side}: one thread's CPU time fits in its wall time");
            root.GetProperty($"{side}_median_cpu_ns_per_frame").GetDouble().ShouldBeGreaterThan(0);
        }

        foreach (var ratio in (string[])["ratio", "cpu_ratio", "single_ratio", "single_cpu_ratio"])
        {
            root.GetProperty(ratio).GetDouble().ShouldBeGreaterThan(0, ratio);
        }

        Sh.Run("ip", "netns", "list").ShouldNotContain("rhb-", customMessage: "the bench's namespaces are removed");
    }

    [Fact]
    public void Bench_process_reports_wall_time_and_peak_rss_of_ours_and_of_hping3()
    {
        var r = Cli.Run(TimeSpan.FromSeconds(90), "bench", "process", "--netns", lab.Client, "--target", "198.18.2.10:20000", "-n", "1");
        r.Code.ShouldBe(0, r.ToString());
        r.Out.ShouldContain("bench process: one whole process, start to exit, 1 runs of each");
        r.Out.ShouldMatch(@"ours: handshake +\d+\.\d +\d+\.\d");
        if (File.Exists("/usr/sbin/hping3") || File.Exists("/usr/bin/hping3"))
        {
            r.Out.ShouldMatch(@"hping3 -c 1 -S +\d+\.\d +\d+\.\d");
            r.Out.ShouldMatch(@"ratio ours/hping3 \(medians\): wall \d+\.\d\d, peak RSS \d+\.\d\d");
        }
        else
        {
            r.Out.ShouldContain("hping3: not installed, no reference measured");
        }
    }

    [Theory]
    [InlineData(new[] { "bench", "inject", "--netns", "x" }, "bench inject: it makes its own pair of namespaces; --netns and --target are not for it")]
    [InlineData(new[] { "bench", "process" }, "bench process: --target IP:PORT is required")]
    [InlineData(new[] { "bench", "inject", "-n", "0" }, "bench: -n must be 1 to 10000000")]
    [InlineData(new[] { "bench", "inject", "--warmup", "101" }, "bench: --warmup must be 0 to 100")]
    public void Bench_usage_errors_are_one_line(string[] args, string message)
    {
        var r = Cli.Run(Bound, args);
        r.Code.ShouldBe(2, r.ToString());
        var lines = r.Err.Trim().Split('\n');
        lines.Length.ShouldBe(1, r.Err);
        lines[0].ShouldStartWith("rawhandshake: ");
        lines[0].ShouldContain(message);
    }
}
