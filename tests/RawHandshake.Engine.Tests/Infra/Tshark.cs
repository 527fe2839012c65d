using System.Diagnostics;
using System.Text.RegularExpressions;
using RawHandshake.Wire.Capture;

namespace RawHandshake.Engine.Tests.Infra;

/// <summary>Runs tshark on frames written with our own pcap writer and reads back its Info column per frame.</summary>
public static partial class Tshark
{
    public static string Path
    {
        get
        {
            foreach (var dir in (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Append("/usr/bin").Append("/usr/local/bin"))
            {
                var candidate = System.IO.Path.Combine(dir, "tshark");
                if (dir.Length > 0 && File.Exists(candidate))
                {
                    return candidate;
                }
            }

            Assert.Fail("tshark not installed");
            return "";
        }
    }

    /// <summary>The Info column of every frame, in order.</summary>
    public static IReadOnlyList<string> Info(IReadOnlyList<(DateTimeOffset Time, byte[] Frame)> frames, string format = "pcap", params string[] fields)
    {
        var exe = Path;
        var file = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"rh-engine-{Guid.NewGuid():N}.{format}");
        try
        {
            using (var stream = File.Create(file))
            using (var writer = new PcapWriter(stream, LinkType.Ethernet, nanosecond: true))
            {
                foreach (var (time, frame) in frames)
                {
                    writer.Write(time, frame);
                }
            }

            return Run(exe, file, fields.Length == 0 ? ["_ws.col.Info"] : fields);
        }
        finally
        {
            File.Delete(file);
        }
    }

    public static IReadOnlyList<string> Run(string exe, string file, string[] fields)
    {
        var psi = new ProcessStartInfo(exe)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "-r", file, "-n", "-T", "fields", "-E", "separator=|", "-E", "occurrence=a" })
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var f in fields)
        {
            psi.ArgumentList.Add("-e");
            psi.ArgumentList.Add(f);
        }

        using var p = Process.Start(psi)!;
        var stderr = p.StandardError.ReadToEndAsync();
        var stdout = p.StandardOutput.ReadToEnd();
        p.WaitForExit(30_000).ShouldBeTrue("tshark did not finish within 30 s");
        p.ExitCode.ShouldBe(0, $"tshark failed: {stderr.Result}");
        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    /// <summary>The bracketed analysis tags of an Info column ("TCP Dup ACK 5#1", …), in order.</summary>
    public static List<string> Tags(string info) => TagPattern().Matches(info).Select(m => m.Groups[1].Value).ToList();

    [GeneratedRegex(@"\[(TCP [^\]]+)\]")]
    private static partial Regex TagPattern();
}
