using System.ComponentModel;
using System.Diagnostics;
using System.Globalization;
using RawHandshake.Link;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Engine.Bench;

/// <summary>
/// The bench's nft guard: ONE rule for the bench's whole source-port range, added to this process's guard table.
/// </summary>
/// <remarks>
/// Why not a rule per flow: every packet our kernel sends runs through the guard's output chain, rule after rule. With
/// a rule per bench session the kernel sessions being compared pay for every rule (measured in the lab: the kernel's
/// median rose from ~183 µs to ~222 µs with 220 rules, and to ~590 µs with 2020), while our injected frames bypass
/// netfilter. One range rule costs the same for any N. It is as narrow as the range allows: only RSTs, only from our
/// address to the target's address and port, only from the bench's ports, which lie outside the kernel's ephemeral range
/// (<see cref="BenchPorts"/>). It lives in the <see cref="NftGuard"/>'s table, so removing the table (at exit, on
/// Ctrl-C, on SIGTERM, or a later run's stale-table cleanup) removes it too.
/// </remarks>
public static class PortRangeGuard
{
    /// <summary>The rule, as nft takes it after <c>add rule inet TABLE output</c>.</summary>
    /// <remarks>Without <paramref name="remotePort"/> the rule covers every port of <paramref name="remote"/> (a port probe).</remarks>
    public static string Rule(IpAddress local, ushort firstPort, ushort lastPort, IpAddress remote, ushort? remotePort) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"{GuardedFlow.AddressMatch(local, remote)} tcp sport {firstPort}-{lastPort}{(remotePort is { } port ? $" tcp dport {port}" : "")} tcp flags & rst == rst drop");

    /// <summary>Adds the range rule to <paramref name="guard"/>'s table; false with nft's first error line when it cannot.</summary>
    public static bool TryAdd(NftGuard guard, IpAddress local, ushort firstPort, ushort lastPort, IpAddress remote, ushort? remotePort, out string? error)
    {
        ArgumentNullException.ThrowIfNull(guard);
        error = null;
        if (FindNft() is not { } nft)
        {
            error = "nft not found";
            return false;
        }

        var psi = new ProcessStartInfo(nft)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        psi.Environment["LC_ALL"] = "C";
        psi.ArgumentList.Add("-f");
        psi.ArgumentList.Add("-");
        var line = $"add rule {NftGuard.Family} {guard.TableName} {NftGuard.ChainName} {Rule(local, firstPort, lastPort, remote, remotePort)}\n";
        try
        {
            using var p = Process.Start(psi);
            if (p is null)
            {
                error = "could not start nft";
                return false;
            }

            p.StandardInput.Write(line);
            p.StandardInput.Close();
            var stderr = p.StandardError.ReadToEnd();
            p.StandardOutput.ReadToEnd();
            if (!p.WaitForExit(15_000))
            {
                p.Kill();
                error = "nft did not answer within 15 s";
                return false;
            }

            if (p.ExitCode != 0)
            {
                error = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).FirstOrDefault() ?? $"nft exit code {p.ExitCode}";
                return false;
            }

            return true;
        }
        catch (Exception e) when (e is Win32Exception or IOException or InvalidOperationException)
        {
            error = e.Message;
            return false;
        }
    }

    private static string? FindNft() =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin", "/usr/local/sbin"])
            .Select(dir => Path.Combine(dir, "nft"))
            .FirstOrDefault(File.Exists);
}
