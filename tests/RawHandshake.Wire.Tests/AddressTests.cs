using RawHandshake.Wire.Primitives;

namespace RawHandshake.Wire.Tests;

public class AddressTests
{
    [Theory]
    [InlineData("b0:95:8e:0b:15:38", 0xb0958e0b1538UL)]
    [InlineData("B0-95-8E-0B-15-38", 0xb0958e0b1538UL)]
    [InlineData("b095.8e0b.1538", 0xb0958e0b1538UL)]
    [InlineData("b0958e0b1538", 0xb0958e0b1538UL)]
    [InlineData(" 10:63:c8:ff:ff:ff ", 0x1063c8ffffffUL)]
    [InlineData("ff:ff:ff:ff:ff:ff", 0xFFFFFFFFFFFFUL)]
    [InlineData("00:00:00:00:00:00", 0UL)]
    [InlineData("0:1b:21:3a:4f:5", 0x001b213a4f05UL)]  // macOS arp drops leading zeros; the separators keep it exact
    [InlineData("b0:95:8e:0b:15:3", 0xb0958e0b1503UL)]
    public void Mac_parses_the_usual_forms(string text, ulong value)
    {
        MacAddress.TryParse(text, out var mac).ShouldBeTrue();
        mac!.Value.Value.ShouldBe(value);
        MacAddress.Parse(text).ShouldBe(new MacAddress(value));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData(" ")]
    [InlineData("b0:95:8e:0b:15")]          // 5 octets
    [InlineData("b0:95:8e:0b:15:38:00")]    // 7 octets
    [InlineData("b0:95:8e:0b:15:3g")]       // not hex
    [InlineData("b0 95 8e 0b 15 38")]       // spaces are not separators
    [InlineData("a:bb:cc:dd:ee:fff")]       // 12 digits, but not in any of the documented groupings
    [InlineData("b09:58e:0b1:538")]         // likewise: groups of 3 are no MAC notation
    public void Mac_rejects_bad_input(string? text)
    {
        MacAddress.TryParse(text, out var mac).ShouldBeFalse();
        mac.ShouldBeNull();
        if (text is not null)
        {
            Should.Throw<FormatException>(() => MacAddress.Parse(text)).Message.ShouldContain(text);
        }
    }

    [Fact]
    public void Mac_formats_lowercase_with_colons_and_round_trips_through_bytes()
    {
        var mac = new MacAddress(0x0a0b0c0d0e0f);
        mac.ToString().ShouldBe("0a:0b:0c:0d:0e:0f");
        MacAddress.Broadcast.ToString().ShouldBe("ff:ff:ff:ff:ff:ff");
        MacAddress.Zero.ToString().ShouldBe("00:00:00:00:00:00");
        MacAddress.Broadcast.IsBroadcast.ShouldBeTrue();
        mac.IsBroadcast.ShouldBeFalse();

        var buf = new byte[8];
        Array.Fill(buf, (byte)0xA5);
        mac.Write(buf);
        Convert.ToHexString(buf).ShouldBe("0A0B0C0D0E0FA5A5");
        MacAddress.Read(buf).ShouldBe(mac);

        var rng = new Random(5);
        for (var i = 0; i < 1000; i++)
        {
            var m = new MacAddress((ulong)rng.NextInt64(0, 1L << 48));
            MacAddress.Parse(m.ToString()).ShouldBe(m);
        }
    }

    [Theory]
    [InlineData("192.168.0.101", 0xC0A80065u)]
    [InlineData("180.101.49.12", 0xB465310Cu)]
    [InlineData("0.0.0.0", 0u)]
    [InlineData("255.255.255.255", 0xFFFFFFFFu)]
    [InlineData(" 10.0.0.1 ", 0x0A000001u)]
    public void IPv4_parses_dotted_quads(string text, uint value)
    {
        IPv4Address.TryParse(text, out var a).ShouldBeTrue();
        a!.Value.Value.ShouldBe(value);
        IPv4Address.Parse(text).ShouldBe(new IPv4Address(value));
        IPv4Address.Parse(text).ToString().ShouldBe(text.Trim());
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("1.2.3")]
    [InlineData("1.2.3.4.5")]
    [InlineData("1.2.3.4.")]
    [InlineData("256.0.0.1")]
    [InlineData("1.2.3.-4")]
    [InlineData("+1.2.3.4")]
    [InlineData("1..3.4")]
    [InlineData("1.2.3.0004")]
    [InlineData("a.b.c.d")]
    [InlineData("1.2.3.4/24")]
    [InlineData("١.٢.٣.٤")] // Arabic-Indic digits are digits to char.IsDigit, not to IPv4
    public void IPv4_rejects_bad_input(string? text)
    {
        IPv4Address.TryParse(text, out var a).ShouldBeFalse();
        a.ShouldBeNull();
        if (text is not null)
        {
            Should.Throw<FormatException>(() => IPv4Address.Parse(text)).Message.ShouldContain("not an IPv4 address");
        }
    }

    [Fact]
    public void IPv4_octets_bytes_and_system_net()
    {
        var a = IPv4Address.Parse("180.101.49.12");
        a[0].ShouldBe((byte)180);
        a[3].ShouldBe((byte)12);
        var buf = new byte[5];
        a.Write(buf);
        Convert.ToHexString(buf).ShouldBe("B465310C00");
        IPv4Address.Read(buf).ShouldBe(a);
        a.ToIPAddress().ToString().ShouldBe("180.101.49.12");
        IPv4Address.FromIPAddress(System.Net.IPAddress.Parse("192.168.0.101")).Value.ShouldBe(0xC0A80065u);
        Should.Throw<ArgumentException>(() => IPv4Address.FromIPAddress(System.Net.IPAddress.IPv6Loopback));
        IPv4Address.Parse("127.0.0.53").IsLoopback.ShouldBeTrue();
        IPv4Address.Parse("128.0.0.1").IsLoopback.ShouldBeFalse();
    }
}
