using System.Globalization;

namespace RawHandshake.Link.Tests;

/// <summary>Issue 14, <c>doctor</c>: the host facts, read inside a private pair of namespaces.</summary>
public sealed class HostDoctorTests
{
    private const string Ethtool = """
        Features for eth0:
        rx-checksumming: on
        tx-checksumming: off
        	tx-checksum-ipv4: off [fixed]
        tcp-segmentation-offload: on
        	tx-tcp-segmentation: off [requested on]
        	tx-tcp6-segmentation: on
        generic-segmentation-offload: on
        generic-receive-offload: off
        """;

    [Fact]
    public void OffloadsThatChangeCapturesAreNamedWithTheirFix()
    {
        var features = HostDoctor.ParseFeatures(Ethtool);
        features["tx-checksumming"].ShouldBeFalse();
        features["tx-tcp-segmentation"].ShouldBeFalse();
        features["tcp-segmentation-offload"].ShouldBeTrue();

        var c = HostDoctor.Offload("eth0", features);
        c.Level.ShouldBe(CheckLevel.Warn);
        c.Detail.ShouldBe("eth0: tx off, tso off, gso on, gro off: captures here show segments larger than the MSS");
        c.Fix.ShouldBe("ethtool -K eth0 gso off (only if those captures matter)");

        var off = HostDoctor.Offload("eth0", HostDoctor.ParseFeatures(Ethtool.Replace("generic-segmentation-offload: on", "generic-segmentation-offload: off", StringComparison.Ordinal)));
        off.Level.ShouldBe(CheckLevel.Ok);
        off.Detail.ShouldBe("eth0: tx off, tso off, gso off, gro off");
    }

    [Fact]
    public void LibpcapAndPrivilegesAreReported()
    {
        var pcap = HostDoctor.Libpcap();
        pcap.Level.ShouldBe(CheckLevel.Ok);
        pcap.Detail.ShouldStartWith("libpcap version ");

        var p = HostDoctor.Privileges();
        p.Level.ShouldBe(Privileges.HasNetRaw && Privileges.HasNetAdmin ? CheckLevel.Ok : CheckLevel.Warn);
        p.Detail.ShouldStartWith("CAP_NET_RAW ");
    }

    [Fact]
    public void InsideANamespaceItsInterfacesRoutesOffloadsAndStaleTablesAreSeen()
    {
        using var net = TestNetwork.Create();
        TestNetwork.Exec(net.NsA, "ethtool", "-K", net.IfA, "tx", "on", "gso", "off", "gro", "off");
        net.InA(() =>
        {
            var ifs = HostDoctor.Interfaces();
            ifs.ShouldContain(c => c.Detail.StartsWith($"{net.IfA}: up, {net.AddrA}/24", StringComparison.Ordinal) && c.Level == CheckLevel.Ok);
            ifs.ShouldContain(c => c.Detail.StartsWith("lo: ", StringComparison.Ordinal));

            var routes = HostDoctor.Routes();
            routes.Level.ShouldBe(CheckLevel.Warn);
            routes.Detail.ShouldBe($"198.18.{net.Subnet.ToString(CultureInfo.InvariantCulture)}.0/24 dev {net.IfA}; no default route: only these networks are reachable");

            var offload = HostDoctor.OffloadChecks().ShouldHaveSingleItem();
            offload.Level.ShouldBe(CheckLevel.Warn);
            offload.Detail.ShouldStartWith($"{net.IfA}: tx on, ");
            offload.Fix.ShouldStartWith($"ethtool -K {net.IfA} tx off");

            HostDoctor.StaleNftTables().Detail.ShouldBe("no RST-guard table");

            // A table of a process that is gone (this PID, another start time): reported, then removed by the fix.
            var stale = $"{NftGuard.TablePrefix}{Environment.ProcessId}_1";
            Nft.Run(["add", "table", "inet", stale]).Ok.ShouldBeTrue();
            var c = HostDoctor.StaleNftTables();
            c.Level.ShouldBe(CheckLevel.Warn);
            c.Detail.ShouldBe($"1 RST-guard table(s) of dead processes: {stale}");
            c.Fix.ShouldBe("doctor --fix (removes them)");
            NftGuard.RemoveStale().ShouldBe(1);
            HostDoctor.StaleNftTables().Level.ShouldBe(CheckLevel.Ok);
        });
    }
}
