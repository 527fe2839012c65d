using System.Diagnostics;
using System.Globalization;
using System.Security.Cryptography;
using System.Text.Json;
using RawHandshake.Link;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Link.Tests;

/// <summary>
/// Two network namespaces, A and B, joined by a veth pair: A has 198.18.X.1/24, B has 198.18.X.2/24 (X random in
/// 10..250), IPv6 off so the link stays quiet. Every name carries this process's PID and a random suffix, so parallel
/// runs never collide; interface names stay within 15 characters. <see cref="Dispose"/> deletes both namespaces (and with
/// them the veth pair, routes and nft tables inside), also when creation failed half-way; namespaces left by a test
/// process that died are swept on first use. Self-contained (needs <c>ip</c>, root) apart from
/// <see cref="NetNs"/>, so it can move to a shared test-support project.
/// </summary>
public sealed class TestNetwork : IDisposable
{
    public const string Prefix = "rhlt-";
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan InsideTimeout = TimeSpan.FromSeconds(20);
    private static int swept;
    private bool disposed;

    private TestNetwork(string id, byte subnet)
    {
        Id = id;
        Subnet = subnet;
        NsA = $"{Prefix}{Environment.ProcessId}-{id}-a";
        NsB = $"{Prefix}{Environment.ProcessId}-{id}-b";
        IfA = $"rh{id}a";
        IfB = $"rh{id}b";
        AddrA = new IPv4Address(0xC6120001u | ((uint)subnet << 8));
        AddrB = new IPv4Address(0xC6120002u | ((uint)subnet << 8));
    }

    /// <summary>Six hex digits, unique per network; use it to name anything else you create (≤ 15 chars for interfaces).</summary>
    public string Id { get; }

    /// <summary>The X of 198.18.X.0/24.</summary>
    public byte Subnet { get; }

    public string NsA { get; }

    public string NsB { get; }

    public string IfA { get; }

    public string IfB { get; }

    public IPv4Address AddrA { get; }

    public IPv4Address AddrB { get; }

    public int PrefixLength => 24;

    public MacAddress MacA { get; private set; }

    public MacAddress MacB { get; private set; }

    public static TestNetwork Create()
    {
        SweepLeftovers();
        var id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3));
        var net = new TestNetwork(id, (byte)RandomNumberGenerator.GetInt32(10, 251));
        try
        {
            net.Build();
            return net;
        }
        catch
        {
            net.Dispose();
            throw;
        }
    }

    private void Build()
    {
        Run("ip", "netns", "add", NsA);
        Run("ip", "netns", "add", NsB);
        foreach (var ns in new[] { NsA, NsB })
        {
            Run("ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv6.conf.all.disable_ipv6=1", "net.ipv6.conf.default.disable_ipv6=1");
        }

        // Created directly inside the namespaces: nothing ever appears in the host's namespace.
        Run("ip", "link", "add", IfA, "netns", NsA, "type", "veth", "peer", "name", IfB, "netns", NsB);
        Batch(NsA, $"addr add {AddrA}/{PrefixLength} dev {IfA}", "link set lo up", $"link set {IfA} up");
        Batch(NsB, $"addr add {AddrB}/{PrefixLength} dev {IfB}", "link set lo up", $"link set {IfB} up");
        MacA = ReadMac(NsA, IfA);
        MacB = ReadMac(NsB, IfB);
    }

    /// <summary><c>ip -n NS</c> with several commands in one process (<c>-batch</c>).</summary>
    public static void Batch(string ns, params string[] commands) =>
        Run("ip", ["-n", ns, "-batch", "-"], string.Join('\n', commands) + "\n");

    /// <summary><c>ip -n NS ARGS…</c> (route, addr, link changes).</summary>
    public static string Ip(string ns, params string[] args) => Run("ip", ["-n", ns, .. args]);

    /// <summary>Runs a command inside <paramref name="ns"/> with <c>ip netns exec</c>.</summary>
    public static string Exec(string ns, params string[] command) => Run("ip", ["netns", "exec", ns, .. command]);

    /// <summary>Runs <paramref name="body"/> on a dedicated thread inside namespace A (synchronous work only: see <see cref="NetNs"/>).</summary>
    public T InA<T>(Func<T> body) => NetNs.Run(NsA, body, InsideTimeout);

    public void InA(Action body) => NetNs.Run(NsA, body, InsideTimeout);

    public T InB<T>(Func<T> body) => NetNs.Run(NsB, body, InsideTimeout);

    public void InB(Action body) => NetNs.Run(NsB, body, InsideTimeout);

    public static MacAddress ReadMac(string ns, string ifName)
    {
        using var doc = JsonDocument.Parse(Run("ip", "-n", ns, "-j", "link", "show", ifName));
        return MacAddress.Parse(doc.RootElement[0].GetProperty("address").GetString()!);
    }

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        foreach (var ns in new[] { NsA, NsB })
        {
            TryRun("ip", "netns", "del", ns);
        }
    }

    public static string Run(string file, params string[] args) => Run(file, args, null);

    /// <summary>Runs a command to completion (at most 10 s), returns stdout; throws with stderr when it fails.</summary>
    public static string Run(string file, string[] args, string? stdin)
    {
        var (code, stdout, stderr) = RunRaw(file, args, stdin);
        return code == 0
            ? stdout
            : throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed ({code}): {stderr.Trim()}");
    }

    public static bool TryRun(string file, params string[] args) => RunRaw(file, args, null).Code == 0;

    /// <summary>Synchronous reads on dedicated threads: safe to call from a thread inside a namespace (no thread-pool work).</summary>
    public static (int Code, string StdOut, string StdErr) RunRaw(string file, string[] args, string? stdin)
    {
        var psi = new ProcessStartInfo(file)
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = stdin is not null,
        };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi)!;
        string stdout = string.Empty, stderr = string.Empty;
        var o = new Thread(() => stdout = p.StandardOutput.ReadToEnd()) { IsBackground = true };
        var e = new Thread(() => stderr = p.StandardError.ReadToEnd()) { IsBackground = true };
        o.Start();
        e.Start();
        if (stdin is not null)
        {
            p.StandardInput.Write(stdin);
            p.StandardInput.Close();
        }

        if (!p.WaitForExit(CommandTimeout))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} {string.Join(' ', args)} did not finish within {CommandTimeout.TotalSeconds} s");
        }

        o.Join();
        e.Join();
        return (p.ExitCode, stdout, stderr);
    }

    /// <summary>Deletes <c>rhlt-PID-…</c> namespaces whose test process is gone (a crashed or killed run).</summary>
    private static void SweepLeftovers()
    {
        if (Interlocked.Exchange(ref swept, 1) == 1 || !Directory.Exists(NetNs.Directory))
        {
            return;
        }

        foreach (var path in Directory.GetFiles(NetNs.Directory, Prefix + "*"))
        {
            var name = Path.GetFileName(path);
            var pidText = name[Prefix.Length..].Split('-')[0];
            if (int.TryParse(pidText, NumberStyles.None, CultureInfo.InvariantCulture, out var pid) && pid != Environment.ProcessId && !Directory.Exists($"/proc/{pid}"))
            {
                TryRun("ip", "netns", "del", name);
            }
        }
    }
}
