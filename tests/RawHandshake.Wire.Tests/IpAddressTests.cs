using RawHandshake.Wire.Primitives;
using Shouldly;
using Xunit;

namespace RawHandshake.Wire.Tests;

public class IpAddressTests
{
    [Theory]
    [InlineData("198.18.2.10", "198.18.2.10", IpFamily.V4)]
    [InlineData("2001:db8::10", "2001:db8::10", IpFamily.V6)]
    [InlineData("[2001:DB8:0:0:0:0:0:10]", "2001:db8::10", IpFamily.V6)]
    [InlineData("::1", "::1", IpFamily.V6)]
    [InlineData("::ffff:198.18.2.10", "::ffff:198.18.2.10", IpFamily.V6)]
    public void ParsesAndPrintsBothFamilies(string text, string shown, IpFamily family)
    {
        IpAddress.TryParse(text, out var a).ShouldBeTrue();
        a.Family.ShouldBe(family);
        a.ToString().ShouldBe(shown);
        a.Length.ShouldBe(family == IpFamily.V4 ? 4 : 16);
    }

    [Theory]
    [InlineData("")]
    [InlineData("198.18.2")]
    [InlineData("256.1.1.1")]
    [InlineData("2001:db8::g")]
    [InlineData("fe80::1%eth0")]
    [InlineData("example.org")]
    public void RefusesWhatIsNoAddress(string text) => IpAddress.TryParse(text, out _).ShouldBeFalse();

    [Fact]
    public void AnIPv4AddressConvertsBothWaysAndEqualsItself()
    {
        var v4 = IPv4Address.Parse("198.18.2.10");
        IpAddress a = v4;
        a.V4.ShouldBe(v4);
        a.ShouldBe(IpAddress.Parse("198.18.2.10"));
        a.GetHashCode().ShouldBe(IpAddress.Parse("198.18.2.10").GetHashCode());
        default(IpAddress).ShouldBe(IpAddress.AnyV4);
    }

    [Fact]
    public void AnIPv6AddressIsNoIPv4Address()
    {
        var a = IpAddress.Parse("2001:db8::10");
        Should.Throw<InvalidOperationException>(() => a.V4).Message.ShouldContain("2001:db8::10");
        a.ShouldNotBe(IpAddress.Parse("0.0.0.16"));
    }

    [Fact]
    public void WritesAndReadsTheWireBytes()
    {
        var a = IpAddress.Parse("2001:db8:1:2:3:4:5:6");
        var bytes = new byte[16];
        a.Write(bytes);
        Convert.ToHexString(bytes).ShouldBe("20010DB8000100020003000400050006");
        IpAddress.Read(bytes, IpFamily.V6).ShouldBe(a);
        a.High.ShouldBe(0x20010DB8_00010002UL);

        var v4 = new byte[4];
        IpAddress.Parse("198.18.2.10").Write(v4);
        IpAddress.Read(v4, IpFamily.V4).ToString().ShouldBe("198.18.2.10");
    }

    [Theory]
    [InlineData("2001:db8:1::10", "2001:db8:1::", 64, true)]
    [InlineData("2001:db8:2::10", "2001:db8:1::", 64, false)]
    [InlineData("2001:db8:1::10", "2001:db8:1::11", 127, true)]
    [InlineData("2001:db8:1::10", "2001:db8:1::11", 128, false)]
    [InlineData("198.18.2.10", "198.18.2.0", 24, true)]
    [InlineData("198.18.3.10", "198.18.2.0", 24, false)]
    [InlineData("198.18.2.10", "2001:db8::", 0, false)] // never across families
    public void PrefixesMatchWithinTheirFamily(string address, string network, int prefix, bool inside) =>
        IpAddress.Parse(address).InPrefix(IpAddress.Parse(network), prefix).ShouldBe(inside);

    [Fact]
    public void KnowsItsKinds()
    {
        IpAddress.Parse("::1").IsLoopback.ShouldBeTrue();
        IpAddress.Parse("127.0.0.5").IsLoopback.ShouldBeTrue();
        IpAddress.Parse("fe80::1").IsLinkLocal.ShouldBeTrue();
        IpAddress.Parse("2001:db8::1").IsLinkLocal.ShouldBeFalse();
        IpAddress.Parse("ff02::1:ff00:10").IsMulticast.ShouldBeTrue();
        IpAddress.Parse("224.0.0.1").IsMulticast.ShouldBeTrue();
        IpAddress.AnyV6.IsUnspecified.ShouldBeTrue();
        IpAddress.AnyV6.ShouldNotBe(IpAddress.AnyV4);
    }

    [Theory]
    [InlineData("198.18.2.10:20000", "198.18.2.10:20000")]
    [InlineData("[2001:db8::10]:20000", "[2001:db8::10]:20000")]
    [InlineData(" [2001:0db8::0010]:80 ", "[2001:db8::10]:80")]
    public void EndpointsParseAndPrint(string text, string shown)
    {
        IpEndpoint.TryParse(text, out var e).ShouldBeTrue();
        e.ToString().ShouldBe(shown);
    }

    [Theory]
    [InlineData("2001:db8::10:20000")] // IPv6 needs brackets
    [InlineData("[2001:db8::10]")]
    [InlineData("[2001:db8::10]20000")]
    [InlineData("198.18.2.10")]
    [InlineData("198.18.2.10:70000")]
    [InlineData("[198.18.2.10:20000")]
    public void EndpointsRefuseOtherShapes(string text) => IpEndpoint.TryParse(text, out _).ShouldBeFalse();
}
