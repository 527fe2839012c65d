using System.Net;

namespace RawHandshake.Lab.Topology;

/// <summary>
/// The lab's fixed address plan, inside 198.18.0.0/15 (RFC 2544 benchmarking space, never routed on the Internet).
/// Names are per lab: NAME is 1 to 8 characters a-z 0-9 (default <c>lab</c>).
/// <code>
///  rh-NAME-cli                     rh-NAME-rtr (ip_forward=1)            rh-NAME-srv
///  eth0 198.18.0.1/24  ── veth ──  eth0 198.18.0.254/24
///                                  eth1 198.18.2.254/24  ── veth ──  eth0 198.18.2.10/24
///  eth1 198.18.1.1/24  ─────────────────── veth (on-link path) ────  eth1 198.18.1.10/24
///  default via 198.18.0.254                                          default via 198.18.2.254
/// </code>
/// <para>MAC addresses are fixed too (locally administered, <c>02:52:48</c> = "RH", then the IPv4 address's last two
/// octets' roles): client eth0 02:52:48:00:00:01, router eth0 02:52:48:00:00:fe, router eth1 02:52:48:00:02:fe, server
/// eth0 02:52:48:00:02:0a, client eth1 02:52:48:00:01:01, server eth1 02:52:48:00:01:0a.</para>
/// <para>Transmit checksum offload is off on every veth end (<c>ethtool -K IF tx off</c>), so captures show correct
/// checksums instead of the partial pseudo-header sum; IPv6 is disabled in the three namespaces so captures hold no
/// router solicitations or MLD reports.</para>
/// <para>Servers (in rh-NAME-srv, listening on 0.0.0.0, so reachable at 198.18.2.10 through the router and at
/// 198.18.1.10 on-link): see <see cref="LabPorts"/>.</para>
/// </summary>
public static class LabPlan
{
    public const string DefaultName = "lab";
    public const string Block = "198.18.0.0/15";
    public const int PrefixLength = 24;

    /// <summary>Client's routed address (eth0), the usual source for crafted frames' neighbours; 198.18.0.77 and other free
    /// addresses of 198.18.0.0/24 are the natural "phantom" sources.</summary>
    public static readonly IPAddress ClientAddress = IPAddress.Parse("198.18.0.1");

    /// <summary>Client's on-link address (eth1), directly linked to the server's eth1.</summary>
    public static readonly IPAddress ClientOnLinkAddress = IPAddress.Parse("198.18.1.1");

    /// <summary>Router's address on the client side (eth0): the client's default gateway.</summary>
    public static readonly IPAddress RouterClientSideAddress = IPAddress.Parse("198.18.0.254");

    /// <summary>Router's address on the server side (eth1): the server's default gateway.</summary>
    public static readonly IPAddress RouterServerSideAddress = IPAddress.Parse("198.18.2.254");

    /// <summary>Server's routed address (eth0), two hops from the client.</summary>
    public static readonly IPAddress ServerAddress = IPAddress.Parse("198.18.2.10");

    /// <summary>Server's on-link address (eth1), one hop from the client's eth1.</summary>
    public static readonly IPAddress ServerOnLinkAddress = IPAddress.Parse("198.18.1.10");

    public const string ClientMac = "02:52:48:00:00:01";
    public const string ClientOnLinkMac = "02:52:48:00:01:01";
    public const string RouterClientSideMac = "02:52:48:00:00:fe";
    public const string RouterServerSideMac = "02:52:48:00:02:fe";
    public const string ServerMac = "02:52:48:00:02:0a";
    public const string ServerOnLinkMac = "02:52:48:00:01:0a";

    /// <summary>Every interface of the lab is called eth0 or eth1 inside its namespace.</summary>
    public const string Eth0 = "eth0";

    public const string Eth1 = "eth1";

    /// <summary>The namespace of <paramref name="role"/> in lab <paramref name="name"/>: rh-NAME-cli, rh-NAME-rtr, rh-NAME-srv.</summary>
    public static string Namespace(string name, LabRole role) => $"rh-{name}-" + role switch
    {
        LabRole.Client => "cli",
        LabRole.Router => "rtr",
        _ => "srv",
    };

    /// <summary>Whether <paramref name="name"/> is a valid lab name: 1 to 8 characters a-z 0-9.</summary>
    public static bool IsValidName(string? name) =>
        name is { Length: >= 1 and <= 8 } && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9'));

    /// <summary>The one-line complaint about a bad name.</summary>
    public static string BadName(string? name) => $"'{name}' is not a lab name (1 to 8 characters a-z 0-9)";
}

/// <summary>The three namespaces of a lab.</summary>
public enum LabRole
{
    Client,
    Router,
    Server,
}

/// <summary>Where the lab's servers listen (in rh-NAME-srv, on every address).</summary>
public static class LabPorts
{
    /// <summary><c>serve echo</c>: the seeds' python echo server.</summary>
    public const int Echo = 20000;

    /// <summary><c>serve echo --close-after 1s</c>: the server closes first (passive close seen from the client: CLOSE-WAIT, LAST-ACK).</summary>
    public const int EchoCloseFirst = 20001;

    /// <summary><c>serve echo --send-after-eof "late data"</c>: keeps sending after the client's FIN (FIN-WAIT-2 with data).</summary>
    public const int EchoHalfClose = 20002;

    /// <summary><c>serve echo --read-once --close-after 3s</c>: seed 003's C server (read; write; sleep(3); close).</summary>
    public const int EchoReadOnce = 20003;

    /// <summary><c>serve http</c>.</summary>
    public const int Http = 80;

    /// <summary><c>serve discard</c> (RFC 863).</summary>
    public const int Discard = 9;

    /// <summary><c>serve chargen</c> (RFC 864).</summary>
    public const int Chargen = 19;
}
