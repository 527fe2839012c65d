using System.Text;
using RawHandshake.Link;

namespace RawHandshake.Cli.Tests;

/// <summary>Issue 10 §2: bounded input, output paths checked first, targets that cannot be a server, durations, and the
/// one interrupt mechanism every verb shares.</summary>
public class LimitsAndExitCodeTests
{
    private static CliRunner.Result Run(Interrupts interrupts, TextReader input, params string[] args)
    {
        var o = new StringWriter();
        var e = new StringWriter();
        var code = CliApp.Run(args, new CliContext(o, e, input, interrupts));
        return new CliRunner.Result(code, o.ToString(), e.ToString());
    }

    private static string TempRecipe(string text)
    {
        var file = Path.Combine(Path.GetTempPath(), $"rh-limits-{Guid.NewGuid():N}.rh");
        File.WriteAllText(file, text);
        return file;
    }

    [Fact]
    public void An_endless_recipe_file_is_refused_in_one_line()
    {
        var r = CliRunner.Run("run", "--check", "/dev/zero");
        r.Code.ShouldBe(2);
        r.Err.TrimEnd('\n').ShouldBe("/dev/zero:1:1: more than 1 MiB: not a recipe (a recipe is a small text file)");
        r.Out.ShouldBeEmpty();
    }

    [Fact]
    public void Random_bytes_without_end_are_refused_in_one_line()
    {
        var r = CliRunner.Run("run", "--check", "/dev/urandom");
        r.Code.ShouldBe(2);
        r.Err.TrimEnd('\n').ShouldBe("/dev/urandom:1:1: more than 1 MiB: not a recipe (a recipe is a small text file)");
    }

    [Fact]
    public void A_recipe_with_a_nul_byte_names_its_line_and_column()
    {
        var file = TempRecipe("connect\npush \"A\0\"\n");
        try
        {
            var r = CliRunner.Run("run", "--check", file);
            r.Code.ShouldBe(2);
            r.Err.TrimEnd('\n').ShouldBe($"{file}:2:8: a NUL byte: not a text file");
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>Endless text: NUL characters without a line end (as <c>dissect - &lt; /dev/zero</c>), or valid tcpdump
    /// frames for ever. Counts what was read, so a test can see reading stopped.</summary>
    private sealed class Endless(Func<long, char> at) : TextReader
    {
        public long Consumed { get; private set; }

        public override int Read()
        {
            var c = at(Consumed);
            Consumed++;
            return c;
        }

        public override int Peek() => at(Consumed);
    }

    [Fact]
    public void Dissect_refuses_a_line_without_end_in_bounded_memory()
    {
        var zeros = new Endless(_ => '\0');
        var r = Run(new Interrupts(), zeros, "dissect", "-");
        r.Code.ShouldBe(2);
        r.Err.TrimEnd('\n').ShouldBe("rawhandshake: dissect: stdin: line 1 is longer than 1024 KiB: not hex text");
        zeros.Consumed.ShouldBeLessThanOrEqualTo(2L << 20);
    }

    [Fact]
    public void Dissect_streams_stdin_frame_by_frame()
    {
        // One tcpdump -xx frame, repeated without end: with -c 3 the run ends after three frames, so stdin is read as a
        // stream (the whole input is never waited for).
        var text = File.ReadAllText(CliRunner.Fixture("echo-session.txt"));
        var looped = new Endless(i => text[(int)(i % text.Length)]);
        var r = Run(new Interrupts(), looped, "dissect", "-", "--summary", "-c", "3");
        r.Code.ShouldBe(0, r.Err);
        r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Length.ShouldBe(3);
        looped.Consumed.ShouldBeLessThan(2L * text.Length);
    }

    [Fact]
    public void Dissect_refuses_a_frame_larger_than_a_capture_holds()
    {
        var sb = new StringBuilder();
        for (var i = 0; i < 300_000 / 16; i++)
        {
            sb.Append("00 11 22 33 44 55 66 77 88 99 aa bb cc dd ee ff\n");
        }

        var r = CliRunner.RunWithInput(sb.ToString(), "dissect", "-");
        r.Code.ShouldBe(2);
        r.Err.TrimEnd('\n').ShouldBe("rawhandshake: dissect: stdin: line 16385: a frame of more than 262144 bytes (the largest a capture holds)");
    }

    [Theory]
    [InlineData("0.0.0.0:80", "0.0.0.0 is 'this network' (0.0.0.0/8): not an address a TCP server has")]
    [InlineData("255.255.255.255:80", "255.255.255.255 is the broadcast address: TCP connects to one host")]
    [InlineData("224.0.0.1:80", "224.0.0.1 is a multicast address (224.0.0.0/4): TCP connects to one host")]
    [InlineData("239.255.255.250:1900", "239.255.255.250 is a multicast address (224.0.0.0/4): TCP connects to one host")]
    [InlineData("240.0.0.1:80", "240.0.0.1 is reserved (240.0.0.0/4): not an address a TCP server has")]
    public void Tcp_verbs_refuse_targets_that_cannot_be_a_server(string target, string why)
    {
        var h = CliRunner.Run("handshake", "--target", target);
        h.Code.ShouldBe(2);
        h.Err.TrimEnd('\n').ShouldBe($"rawhandshake: --target: {why}");

        var b = CliRunner.Run("bench", "session", "--target", target);
        b.Code.ShouldBe(2);
        b.Err.ShouldContain(why);

        var file = TempRecipe($"target {target}\nconnect\n");
        try
        {
            var r = CliRunner.Run("run", file);
            r.Code.ShouldBe(2);
            r.Err.TrimEnd('\n').ShouldBe($"rawhandshake: {file}:1: target: {why}");
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void An_absurd_duration_is_too_long_not_malformed()
    {
        var r = CliRunner.Run("handshake", "--target", "198.18.2.10:80", "--timeout", "99999999s");
        r.Code.ShouldBe(2);
        r.Err.TrimEnd('\n').ShouldBe("rawhandshake: --timeout: '99999999s' is too long (at most 24 h, 86400s)");
        CliRunner.Run("handshake", "--target", "198.18.2.10:80", "--timeout", "1e999s").Err.ShouldContain("is too long");
        CliRunner.Run("handshake", "--target", "198.18.2.10:80", "--timeout", "soon").Err.ShouldContain("is not a duration");
    }

    [Fact]
    public void A_received_file_that_cannot_be_written_stops_the_run_before_anything_is_sent()
    {
        var r = CliRunner.Run("handshake", "--target", "198.18.2.10:80", "--received-file", "/nonexistent/x");
        r.Code.ShouldBe(2);
        r.Err.TrimEnd('\n').ShouldBe("rawhandshake: --received-file /nonexistent/x: Could not find a part of the path '/nonexistent/x'.");
        r.Out.ShouldBeEmpty();
    }

    [Fact]
    public void A_capture_file_that_cannot_be_written_stops_the_run_before_anything_is_sent()
    {
        var r = CliRunner.Run("handshake", "--target", "198.18.2.10:80", "-w", "/nonexistent/x.pcap");
        r.Code.ShouldBe(2);
        r.Err.TrimEnd('\n').ShouldBe("rawhandshake: -w /nonexistent/x.pcap: Could not find a part of the path '/nonexistent/x.pcap'.");
        r.Out.ShouldBeEmpty();
    }

    [Fact]
    public void A_junit_path_that_cannot_be_written_stops_the_run_before_anything_is_sent()
    {
        var file = TempRecipe("target 198.18.2.10:20000\nconnect\n");
        var dir = Directory.CreateTempSubdirectory("rh-junit-").FullName;
        try
        {
            var r = CliRunner.Run("run", file, "--junit", dir);
            r.Code.ShouldBe(2);
            r.Err.TrimEnd('\n').ShouldStartWith($"rawhandshake: --junit {dir}: ");
            r.Err.TrimEnd('\n').Split('\n').Length.ShouldBe(1);
            r.Out.ShouldBeEmpty();
        }
        finally
        {
            File.Delete(file);
            Directory.Delete(dir);
        }
    }

    [Fact]
    public void Serve_stopped_by_an_interrupt_exits_with_the_interrupt_code()
    {
        foreach (var code in new[] { Interrupts.SigInt, Interrupts.SigTerm })
        {
            var interrupts = new Interrupts();
            interrupts.Request(code); // the signal came as the server started: it stops as soon as it listens
            var r = Run(interrupts, TextReader.Null, "serve", "echo", "--port", "0", "--bind", "127.0.0.1", "-q");
            r.Code.ShouldBe(code, r.Err);
        }
    }

    [Fact]
    public void A_failure_after_an_interrupt_is_the_interrupt()
    {
        // Whatever a verb throws once a signal came (an ARP request cut short, nft killed by the same Ctrl-C) is the
        // interrupt: 130/143 and one line, never exit 1 or 2.
        var interrupts = new Interrupts();
        interrupts.Request(Interrupts.SigTerm);
        var r = Run(interrupts, TextReader.Null, "handshake", "--target", "198.18.2.10:0");
        r.Code.ShouldBe(143);
        r.Err.TrimEnd('\n').ShouldBe("rawhandshake: interrupted");
    }

    [Theory]
    [InlineData(new[] { "serve", "echo", "--port", "0", "--backlog", "0" }, "rawhandshake: --backlog: 0 would queue nobody (1 or more)")]
    [InlineData(new[] { "serve", "echo", "--port", "0", "--backlog", "70000" }, "rawhandshake: --backlog: 70000 is out of range (0 to 65535, 0xffff)")]
    [InlineData(new[] { "run", "x.rh", "--lab", "lab", "--netns", "somewhere" }, "rawhandshake: --lab and --netns cannot be combined (--lab runs in the lab's client namespace)")]
    public void Serve_and_run_options_are_checked_in_one_line(string[] args, string expected)
    {
        var r = CliRunner.Run(args);
        r.Err.TrimEnd('\n').ShouldBe(expected);
        r.Code.ShouldBe(2);
    }

    [Fact]
    public void Run_with_a_lab_refuses_to_mix_lab_and_other_targets()
    {
        var lab = TempRecipe("target 198.18.2.10:20000\nconnect\n");
        var other = TempRecipe("target 192.0.2.7:80\nconnect\n");
        try
        {
            var r = CliRunner.Run("run", "--lab", "lab", lab, other);
            r.Code.ShouldBe(2);
            r.Err.TrimEnd('\n').ShouldBe($"rawhandshake: --lab lab: {other} aims at 192.0.2.7, not the lab's server: run recipes for the lab and for other servers separately");
        }
        finally
        {
            File.Delete(lab);
            File.Delete(other);
        }
    }
}
