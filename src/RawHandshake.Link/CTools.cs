using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;

namespace RawHandshake.Link;

/// <summary>
/// Small C programs the benches carry as source (a <c>pcap_inject</c> loop, a process meter) compiled with gcc when a
/// bench runs, once per source text, into <c>/tmp/rawhandshake-ctools</c>; and run, bounded in time.
/// </summary>
public static class CTools
{
    private static readonly string Directory = Path.Combine(Path.GetTempPath(), "rawhandshake-ctools");

    /// <summary>The path of <paramref name="name"/> built from <paramref name="source"/> with <c>gcc -O2</c> and the
    /// given libraries. Throws <see cref="LinkException"/> with one line when gcc (or a library's headers) is missing.</summary>
    public static string Compile(string name, string source, params string[] libraries)
    {
        var hash = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(source + string.Join(',', libraries))))[..12];
        var binary = Path.Combine(Directory, $"{name}-{hash}");
        if (File.Exists(binary))
        {
            return binary;
        }

        System.IO.Directory.CreateDirectory(Directory);
        var c = binary + ".c";
        File.WriteAllText(c, source);
        var temporary = binary + $".{Environment.ProcessId}.tmp";
        (int Code, string Output) result;
        try
        {
            result = Run("gcc", ["-O2", "-o", temporary, c, .. libraries.Select(l => "-l" + l)], TimeSpan.FromMinutes(1));
        }
        catch (System.ComponentModel.Win32Exception)
        {
            throw new LinkException($"compiling the bench's {name}.c needs gcc{(libraries.Contains("pcap") ? " and libpcap-dev" : "")} (apt-get install gcc{(libraries.Contains("pcap") ? " libpcap-dev" : "")})");
        }

        if (result.Code != 0)
        {
            var first = result.Output.Split('\n').FirstOrDefault(l => l.Contains("error", StringComparison.Ordinal)) ?? result.Output.Trim();
            throw new LinkException($"compiling the bench's {name}.c failed{(libraries.Contains("pcap") ? " (is libpcap-dev installed?)" : "")}: {first.Trim()}");
        }

        File.Move(temporary, binary, overwrite: true);
        return binary;
    }

    /// <summary>Runs <paramref name="file"/> and returns its exit code and output (stdout then stderr); kills it after
    /// <paramref name="timeout"/> and throws <see cref="LinkException"/>.</summary>
    public static (int Code, string Output) Run(string file, IEnumerable<string> args, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi) ?? throw new LinkException($"cannot start {file}");
        var o = p.StandardOutput.ReadToEndAsync();
        var e = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            throw new LinkException($"{Path.GetFileName(file)} did not finish within {timeout.TotalSeconds:0} s");
        }

        p.WaitForExit();
        return (p.ExitCode, o.Result + e.Result);
    }
}
