using RawHandshake.Link;

namespace RawHandshake.Link.Tests;

public class PrivilegesTests
{
    [Fact]
    public void CapEff_is_parsed_as_hex_bits()
    {
        var status = "Name:\tx\nCapInh:\t0000000000000000\nCapPrm:\t000001ffffffffff\nCapEff:\t0000000000003000\nCapBnd:\t000001ffffffffff\n";
        Privileges.ParseEffective(status).ShouldBe(0x3000UL);
        Privileges.ParseEffective("Name:\tx\n").ShouldBeNull();
    }

    [Fact]
    public void Root_here_has_NET_RAW_and_NET_ADMIN()
    {
        Privileges.HasNetRaw.ShouldBeTrue("the tests run as root");
        Privileges.HasNetAdmin.ShouldBeTrue();
        Should.NotThrow(() => Privileges.RequireNetRaw("handshake"));
    }

    /// <summary>Capabilities are per thread: a dedicated thread drops some and sees the errors an unprivileged user would.</summary>
    [Fact]
    [Trait("Category", "Live")]
    public void Without_NET_RAW_and_NET_ADMIN_the_errors_say_what_to_do()
    {
        using var net = TestNetwork.Create();
        net.InA(() =>
        {
            Caps.DropEffective(Privileges.CapNetRaw, Privileges.CapNetAdmin);
            Privileges.HasNetRaw.ShouldBeFalse();
            Privileges.HasNetAdmin.ShouldBeFalse();
            Should.Throw<LinkException>(() => Privileges.RequireNetRaw("handshake"))
                .Message.ShouldBe("'handshake' puts frames on the wire: run it as root or with CAP_NET_RAW");
            Should.Throw<LinkException>(() => LiveLink.Open(net.IfA, null))
                .Message.ShouldBe($"capturing on {net.IfA} needs root or CAP_NET_RAW");
            NftGuard.Available(out var why).ShouldBeFalse();
            why.ShouldBe("the nft guard needs nftables (apt-get install nftables) and CAP_NET_ADMIN; or use --rst-guard phantom with --source <unused address>");
            Should.Throw<LinkException>(() => NftGuard.Install(net.AddrA, 1, net.AddrB, 2)).Message.ShouldBe(why);
        });
        Privileges.HasNetRaw.ShouldBeTrue("only the dedicated thread lost the capability");
    }
}
