using System.Diagnostics;

namespace RawHandshake.Wire.Tests.Support;

/// <summary>
/// tshark (4.0) with every dissector above TCP/UDP turned off: the judge of our Info column, which stops at the
/// transport layer. The profile is a HOME of its own whose <c>disabled_protos</c> lists every protocol tshark knows
/// (<c>tshark -G protocols</c>) except the link, network and transport ones we decode; sequence analysis is on.
/// </summary>
internal static class TransportTshark
{
    private const string Tshark = "/usr/bin/tshark";

    // Kept: what our dissector decodes, and tshark's own bookkeeping (_ws.*: expert info, malformed).
    private static readonly HashSet<string> Kept =
    [
        "frame", "eth", "ethertype", "vlan", "sll", "null", "raw", "loop", "llc", "ip", "ipv6", "ipv6.hopopts", "ipv6.routing", "ipv6.routing.type.rt0", "ipv6.routing.type.mipv6", "ipv6.routing.type.srh",
        "ipv6.fraghdr", "ipv6.dstopts", "tcp", "udp", "icmp", "icmpv6", "arp", "data",
    ];

    private static readonly Lazy<string> Home = new(CreateHome, LazyThreadSafetyMode.ExecutionAndPublication);

    /// <summary>tshark's Info column for every frame of <paramref name="path"/>.</summary>
    public static string[] Info(string path)
    {
        var (code, stdout, stderr) = Run(Home.Value, "-n", "-o", "tcp.analyze_sequence_numbers:TRUE", "-r", path, "-T", "fields", "-e", "_ws.col.Info");
        code.ShouldBe(0, stderr);
        return stdout.TrimEnd('\n').Split('\n');
    }

    /// <summary>tshark's Protocol column for every frame of <paramref name="path"/>.</summary>
    public static string[] Protocol(string path)
    {
        var (code, stdout, stderr) = Run(Home.Value, "-n", "-o", "tcp.analyze_sequence_numbers:TRUE", "-r", path, "-T", "fields", "-e", "_ws.col.Protocol");
        code.ShouldBe(0, stderr);
        return stdout.TrimEnd('\n').Split('\n');
    }

    /// <summary>tshark's <c>-T fields</c> output for <paramref name="fields"/> (tab-separated, repeated fields joined by
    /// ';'), one line per frame, with the preferences <paramref name="prefs"/> set.</summary>
    public static string[] Fields(string path, IEnumerable<string> prefs, params string[] fields)
    {
        List<string> args = ["-n"];
        foreach (var p in prefs)
        {
            args.AddRange(["-o", p]);
        }

        args.AddRange(["-r", path, "-T", "fields", "-E", "separator=/t", "-E", "aggregator=;", "-E", "occurrence=a"]);
        foreach (var f in fields)
        {
            args.AddRange(["-e", f]);
        }

        var (code, stdout, stderr) = Run(Home.Value, [.. args]);
        code.ShouldBe(0, stderr);
        return stdout.TrimEnd('\n').Split('\n');
    }

    /// <summary>tshark's Follow TCP Stream output (<c>-q -z follow,tcp,ascii|hex,N</c>) for stream <paramref name="stream"/>.</summary>
    public static string Follow(string path, int stream, bool hex)
    {
        var (code, stdout, stderr) = Run(Home.Value, "-n", "-r", path, "-q", "-z", $"follow,tcp,{(hex ? "hex" : "ascii")},{stream}");
        code.ShouldBe(0, stderr);
        return stdout;
    }

    /// <summary>tshark's TCP conversation table (<c>-q -z conv,tcp</c>): one row per conversation, the lines between its
    /// header and the closing rule.</summary>
    public static string[] Conversations(string path)
    {
        var (code, stdout, stderr) = Run(Home.Value, "-n", "-r", path, "-q", "-z", "conv,tcp");
        code.ShouldBe(0, stderr);
        return [.. stdout.Split('\n').Where(l => l.Contains(" <-> ", StringComparison.Ordinal))];
    }

    private static string CreateHome()
    {
        File.Exists(Tshark).ShouldBeTrue("tshark not installed (expected /usr/bin/tshark; apt-get install tshark)");
        var home = Directory.CreateTempSubdirectory("rawhandshake-tshark-home-").FullName;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Directory.Delete(home, recursive: true);
        var (code, stdout, stderr) = Run(home, "-G", "protocols");
        code.ShouldBe(0, stderr);
        var disabled = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(l => l.Split('\t'))
            .Where(c => c.Length >= 3 && !Kept.Contains(c[2]) && !c[2].StartsWith("_ws", StringComparison.Ordinal))
            .Select(c => c[2]);
        var dir = Path.Combine(home, ".config", "wireshark");
        Directory.CreateDirectory(dir);
        File.WriteAllLines(Path.Combine(dir, "disabled_protos"), disabled);
        return home;
    }

    private static (int Code, string Out, string Err) Run(string home, params string[] args)
    {
        var psi = new ProcessStartInfo(Tshark) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["HOME"] = home;
        psi.Environment["XDG_CONFIG_HOME"] = Path.Combine(home, ".config");
        using var p = Process.Start(psi).ShouldNotBeNull();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"tshark {string.Join(' ', args)} did not finish within 60 s");
        }

        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}
