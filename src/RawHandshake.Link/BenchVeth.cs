using System.Globalization;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Link;

/// <summary>
/// A veth pair between two network namespaces of its own for an injection bench: ours (<see cref="Namespace"/>, the
/// interface <see cref="Interface"/> with 198.18.254.1/30) and the peer's (no address: frames sent to 198.18.254.2
/// arrive, are counted in its receive statistics, and are dropped by its kernel, so nothing answers). Unique names per
/// run; removed on <see cref="Dispose"/>.
/// </summary>
public sealed class BenchVeth : IDisposable
{
    public const string Interface = "rhi0";
    public const string PeerInterface = "rhi1";
    public static readonly IPv4Address Address = IPv4Address.Parse("198.18.254.1");
    public static readonly IPv4Address PeerAddress = IPv4Address.Parse("198.18.254.2");

    private bool disposed;

    private BenchVeth(string ns, string peer)
    {
        Namespace = ns;
        PeerNamespace = peer;
    }

    public string Namespace { get; }
    public string PeerNamespace { get; }
    public MacAddress PeerMac { get; private set; }

    /// <summary>Makes both namespaces and the pair (needs root). Throws <see cref="LinkException"/> with the failing step.</summary>
    public static BenchVeth Create()
    {
        var tag = $"{Environment.ProcessId % 100000}{Random.Shared.Next(100, 999)}";
        var veth = new BenchVeth($"rhb-inj-{tag}-a", $"rhb-inj-{tag}-b");
        try
        {
            Ip("netns", "add", veth.Namespace);
            Ip("netns", "add", veth.PeerNamespace);
            Ip("-n", veth.Namespace, "link", "add", Interface, "type", "veth", "peer", "name", PeerInterface, "netns", veth.PeerNamespace);
            Ip("-n", veth.Namespace, "addr", "add", $"{Address}/30", "dev", Interface);
            Ip("-n", veth.Namespace, "link", "set", Interface, "up");
            Ip("-n", veth.PeerNamespace, "link", "set", PeerInterface, "up");
            veth.PeerMac = MacAddress.Parse(Mac(veth.PeerNamespace, PeerInterface));
            return veth;
        }
        catch
        {
            veth.Dispose();
            throw;
        }
    }

    /// <summary>Runs <paramref name="program"/> inside our namespace (<c>ip netns exec</c>); its exit code and output.</summary>
    public (int Code, string Output) RunInside(string program, IReadOnlyList<string> args, TimeSpan timeout) =>
        CTools.Run("ip", ["netns", "exec", Namespace, program, .. args], timeout);

    /// <summary>Frames the peer interface received so far (its kernel's <c>rx_packets</c>).</summary>
    public long PeerReceived() => Counter(PeerNamespace, PeerInterface, "rx_packets");

    private static long Counter(string ns, string dev, string name)
    {
        var (code, output) = CTools.Run("ip", ["netns", "exec", ns, "cat", $"/sys/class/net/{dev}/statistics/{name}"], TimeSpan.FromSeconds(10));
        return code == 0 && long.TryParse(output.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out var n)
            ? n
            : throw new LinkException($"cannot read {name} of {dev} in {ns}: {output.Trim()}");
    }

    private static string Mac(string ns, string dev)
    {
        var (code, output) = CTools.Run("ip", ["netns", "exec", ns, "cat", $"/sys/class/net/{dev}/address"], TimeSpan.FromSeconds(10));
        return code == 0 ? output.Trim() : throw new LinkException($"cannot read the MAC of {dev} in {ns}: {output.Trim()}");
    }

    private static void Ip(params string[] args)
    {
        var (code, output) = CTools.Run("ip", args, TimeSpan.FromSeconds(20));
        if (code != 0)
        {
            throw new LinkException($"ip {string.Join(' ', args)}: {output.Trim()}");
        }
    }

    public void Dispose()
    {
        if (disposed)
        {
            return;
        }

        disposed = true;
        foreach (var ns in (string[])[Namespace, PeerNamespace])
        {
            try
            {
                CTools.Run("ip", ["netns", "del", ns], TimeSpan.FromSeconds(20));
            }
            catch (LinkException)
            {
                // best effort: the next step still runs
            }
        }
    }
}
