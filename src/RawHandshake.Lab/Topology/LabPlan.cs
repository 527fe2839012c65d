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
/// checksums instead of the partial pseudo-header sum. The three namespaces are dual-stack (2001:db8::/32 beside the
/// IPv4 plan, see <see cref="ClientAddress6"/> …) without duplicate address detection, router solicitations or router
/// advertisements; <c>lab up --no-ipv6</c> disables IPv6 in them instead.</para>
/// <para>Servers (in rh-NAME-srv, listening on :: for both families, so reachable at 198.18.2.10 and 2001:db8:2::10
/// through the router and at 198.18.1.10 and 2001:db8:1::10 on-link): see <see cref="LabPorts"/>.</para>
/// <para>The second TCP stack: <c>slirp4netns</c> (libslirp, a BSD-derived user-space TCP) runs inside rh-NAME-srv and
/// serves a fourth namespace, rh-NAME-slirp, through a tap device:
/// <code>
///  rh-NAME-slirp                          slirp4netns (a process in rh-NAME-srv)        rh-NAME-srv
///  tap0 198.19.64.100/24  ── tap ──  198.19.64.2 (slirp's own TCP)  ── sockets ──  127.0.0.1:PORT (the same servers)
/// </code>
/// A connection to 198.19.64.2:PORT is answered by slirp's TCP and relayed to PORT on rh-NAME-srv's loopback.</para>
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

    /// <summary>IPv6 (a dual-stack lab, <see cref="LabUpOptions.Ipv6"/>): 2001:db8::/32, one /64 per link, the same last
    /// digits as IPv4: client 2001:db8::1 and 2001:db8:1::1, router 2001:db8::fe and 2001:db8:2::fe, server 2001:db8:2::10
    /// (routed) and 2001:db8:1::10 (on-link).</summary>
    public const int PrefixLength6 = 64;

    public static readonly IPAddress ClientAddress6 = IPAddress.Parse("2001:db8::1");
    public static readonly IPAddress ClientOnLinkAddress6 = IPAddress.Parse("2001:db8:1::1");
    public static readonly IPAddress RouterClientSideAddress6 = IPAddress.Parse("2001:db8::fe");
    public static readonly IPAddress RouterServerSideAddress6 = IPAddress.Parse("2001:db8:2::fe");
    public static readonly IPAddress ServerAddress6 = IPAddress.Parse("2001:db8:2::10");
    public static readonly IPAddress ServerOnLinkAddress6 = IPAddress.Parse("2001:db8:1::10");

    public const string ClientMac = "02:52:48:00:00:01";
    public const string ClientOnLinkMac = "02:52:48:00:01:01";
    public const string RouterClientSideMac = "02:52:48:00:00:fe";
    public const string RouterServerSideMac = "02:52:48:00:02:fe";
    public const string ServerMac = "02:52:48:00:02:0a";
    public const string ServerOnLinkMac = "02:52:48:00:01:0a";

    /// <summary>slirp's virtual network (<c>slirp4netns --cidr</c>): a /24 of 198.19.0.0/16 the rest of the lab does not use.</summary>
    public const string SlirpNetwork = "198.19.64.0/24";

    /// <summary>The address of tap0 in rh-NAME-slirp (slirp's usual guest address, .100 of its network).</summary>
    public static readonly IPAddress SlirpClientAddress = IPAddress.Parse("198.19.64.100");

    /// <summary>slirp's gateway (.2 of its network): its own TCP answers here and relays to the server namespace's loopback.</summary>
    public static readonly IPAddress SlirpGatewayAddress = IPAddress.Parse("198.19.64.2");

    /// <summary>The tap device slirp4netns makes in rh-NAME-slirp.</summary>
    public const string SlirpDevice = "tap0";

    /// <summary>tap0's MAC (locally administered, <c>02:52:48</c> then 0x40 0x64 = 64.100, the address's last two octets).</summary>
    public const string SlirpClientMac = "02:52:48:00:40:64";

    /// <summary>slirp's gateway MAC: libslirp's 52:55 followed by the gateway's IPv4 address.</summary>
    public const string SlirpGatewayMac = "52:55:c6:13:40:02";

    /// <summary>The MTU of tap0 and of slirp's interface (<c>--mtu</c>): its SYN-ACK then carries MSS 1460.</summary>
    public const int SlirpMtu = 1500;

    // The far path (LabUpOptions.FarPath): rh-NAME-rtr eth2 ── rh-NAME-far eth0 | eth1 ── rh-NAME-srv eth2.
    // Additions only: no existing address, route or TTL changes; the server answers from FarServerAddress through the
    // far router by a source rule (table FarTable), so the SYN-ACK crosses both routers too.

    /// <summary>The first router's third interface, toward the far router.</summary>
    public static readonly IPAddress RouterFarSideAddress = IPAddress.Parse("198.18.3.254");

    /// <summary>The far router's interface toward the first router (its default route points back there).</summary>
    public static readonly IPAddress FarRouterAddress = IPAddress.Parse("198.18.3.1");

    /// <summary>The far router's interface toward the server.</summary>
    public static readonly IPAddress FarRouterServerSideAddress = IPAddress.Parse("198.18.4.254");

    /// <summary>The server's third address, two routers away from the client: 198.18.4.10.</summary>
    public static readonly IPAddress FarServerAddress = IPAddress.Parse("198.18.4.10");

    public const string FarNetwork = "198.18.4.0/24";
    public const string RouterFarSideMac = "02:52:48:00:03:fe";
    public const string FarRouterMac = "02:52:48:00:03:01";
    public const string FarRouterServerSideMac = "02:52:48:00:04:fe";
    public const string FarServerMac = "02:52:48:00:04:0a";

    /// <summary>The routing table of the server's source rule for <see cref="FarServerAddress"/>.</summary>
    public const string FarTable = "104";

    public const string Eth2 = "eth2";

    /// <summary>Every interface of the lab is called eth0 or eth1 inside its namespace.</summary>
    public const string Eth0 = "eth0";

    public const string Eth1 = "eth1";

    /// <summary>The namespace of <paramref name="role"/> in lab <paramref name="name"/>: rh-NAME-cli, rh-NAME-rtr, rh-NAME-srv,
    /// rh-NAME-slirp.</summary>
    public static string Namespace(string name, LabRole role) => $"rh-{name}-" + role switch
    {
        LabRole.Client => "cli",
        LabRole.Router => "rtr",
        LabRole.Server => "srv",
        LabRole.FarRouter => "far",
        _ => "slirp",
    };

    /// <summary>Whether <paramref name="name"/> is a valid lab name: 1 to 8 characters a-z 0-9.</summary>
    public static bool IsValidName(string? name) =>
        name is { Length: >= 1 and <= 8 } && name.All(c => c is (>= 'a' and <= 'z') or (>= '0' and <= '9'));

    /// <summary>The one-line complaint about a bad name.</summary>
    public static string BadName(string? name) => $"'{name}' is not a lab name (1 to 8 characters a-z 0-9)";
}

/// <summary>The namespaces of a lab: the three of the Linux path, and the client of the second stack (slirp).</summary>
public enum LabRole
{
    Client,
    Router,
    Server,

    /// <summary>rh-NAME-slirp: tap0 198.19.64.100/24, served by slirp4netns (which runs in rh-NAME-srv).</summary>
    SlirpClient,

    /// <summary>rh-NAME-far: the second router of the far path (<see cref="LabUpOptions.FarPath"/>).</summary>
    FarRouter,
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
