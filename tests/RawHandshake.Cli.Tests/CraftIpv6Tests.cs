namespace RawHandshake.Cli.Tests;

/// <summary><c>craft</c> over IPv6: addresses, header fields, extension headers, ICMPv6 and neighbour discovery.</summary>
public class CraftIpv6Tests
{
    [Fact]
    public void An_ipv6_syn_with_its_header_fields()
    {
        var r = CliRunner.Run("craft", "--src", "2001:db8::1", "--dst", "2001:db8::2", "--mss", "1440", "--hop-limit", "7", "--flow-label", "0x12345", "--traffic-class", "0xb8");
        r.Code.ShouldBe(0, r.Err);
        r.Out.Split('\n')[0].ShouldBe("    1   0.000000 2001:db8::1 → 2001:db8::2 TCP 78 40000 → 20000 [SYN] Seq=0 Win=64240 Len=0 MSS=1440");
        r.Out.ShouldContain("Type: IPv6 (0x86dd)");
        r.Out.ShouldContain("Hop Limit: 7");
        r.Out.ShouldContain("Flow Label: 0x12345");
        r.Out.ShouldContain("Traffic Class: 0xb8 (DSCP: EF");
        r.Out.ShouldContain("[correct]");
        r.Out.ShouldNotContain("PacketDotNet");
    }

    [Fact]
    public void Extension_headers_are_sent_in_order()
    {
        var r = CliRunner.Run("craft", "--src", "2001:db8::1", "--dst", "2001:db8::2", "--udp", "--data", "x",
            "--ext", "hbh=05020000", "dstopt", "rt=0:0:2001:db8::9", "frag=0:0:7", "--json");
        r.Code.ShouldBe(0, r.Err);
        r.Out.ShouldContain("\"ext_headers\":[{\"type\":0,\"name\":\"Hop-by-Hop Options\",\"len\":8,\"data\":\"050200000100\"},{\"type\":60,\"name\":\"Destination Options\",\"len\":8,\"data\":\"010400000000\"},{\"type\":43,\"name\":\"Routing Header\",\"len\":24");
        r.Out.ShouldContain("{\"type\":44,\"name\":\"Fragment Header\",\"len\":8}");
        r.Out.ShouldContain("\"udp_checksum_status\":\"good\"");
    }

    [Fact]
    public void Neighbour_solicitation_goes_to_the_solicited_node_address()
    {
        var r = CliRunner.Run("craft", "--ndp", "ns", "--src", "fe80::1", "--target", "fe80::2", "--json");
        r.Code.ShouldBe(0, r.Err);
        r.Out.ShouldContain("\"eth_dst\":\"33:33:ff:00:00:02\"");
        r.Out.ShouldContain("\"dst\":\"ff02::1:ff00:2\"");
        r.Out.ShouldContain("\"hop_limit\":255");
        r.Out.ShouldContain("\"summary\":\"Neighbor Solicitation for fe80::2 from 02:00:00:00:00:01\"");
        r.Out.ShouldContain("\"ndp\":{\"target\":\"fe80::2\",\"src_lladdr\":\"02:00:00:00:00:01\"");
        r.Out.ShouldContain("\"checksum_status\":\"good\"");
    }

    [Theory]
    [InlineData(new[] { "--ndp", "na", "--src", "fe80::2", "--dst", "fe80::1", "--na-flags", "rso" }, "Neighbor Advertisement fe80::2 (rtr, sol, ovr) is at 02:00:00:00:00:01")]
    [InlineData(new[] { "--ndp", "rs", "--src", "fe80::1" }, "Router Solicitation from 02:00:00:00:00:01")]
    [InlineData(new[] { "--ndp", "rs", "--src", "::" }, "Router Solicitation")]
    [InlineData(new[] { "--ndp", "ra", "--src", "fe80::1", "--prefix", "2001:db8::/64", "--mtu", "1500" }, "Router Advertisement from 02:00:00:00:00:01")]
    [InlineData(new[] { "--icmp-type", "128", "--icmp-id", "0x1234", "--icmp-seq", "3", "--src", "2001:db8::1", "--data", "ping" }, "Echo (ping) request id=0x1234, seq=3, hop limit=64")]
    [InlineData(new[] { "--icmp-type", "2", "--mtu", "1400", "--src", "2001:db8::1" }, "Packet Too Big")]
    [InlineData(new[] { "--icmp-type", "1", "--icmp-code", "4", "--src", "2001:db8::1" }, "Destination Unreachable (Port unreachable)")]
    public void Icmpv6_and_ndp_messages(string[] args, string info)
    {
        var r = CliRunner.Run(["craft", .. args, "--json"]);
        r.Code.ShouldBe(0, r.Err);
        r.Out.ShouldContain($"\"summary\":\"{info}\"");
    }

    [Fact]
    public void Tshark_rates_every_checksum_of_crafted_ipv6_frames_good()
    {
        string[][] lines =
        [
            ["--src", "2001:db8::1", "--dst", "2001:db8::2", "--flags", "PA", "--data", "hello", "--ts", "1:2"],
            ["--src", "2001:db8::1", "--dst", "2001:db8::2", "--udp", "--data", "hello", "--ext", "hbh", "dstopt=1e0101"],
            ["--src", "2001:db8::1", "--dst", "2001:db8::3", "--flags", "S", "--ext", "rt=0:1:2001:db8::2"],
            ["--src", "2001:db8::1", "--dst", "2001:db8::2", "--icmp-type", "128", "--data", "ping"],
            ["--src", "2001:db8::2", "--dst", "2001:db8::1", "--icmp-type", "1", "--icmp-code", "4", "--data-hex", "6000000000083a40200106b8000000000000000000000001200106b80000000000000000000000028000000000000000"],
            ["--ndp", "ns", "--src", "fe80::1", "--target", "fe80::2"],
            ["--ndp", "na", "--src", "fe80::2", "--dst", "fe80::1"],
            ["--ndp", "rs", "--src", "fe80::1"],
            ["--ndp", "ra", "--src", "fe80::2", "--prefix", "2001:db8::/64", "--mtu", "1500"],
        ];
        var dir = Directory.CreateTempSubdirectory("rh-craft6-");
        try
        {
            foreach (var (line, i) in lines.Select((l, i) => (l, i)))
            {
                var path = Path.Combine(dir.FullName, $"{i}.pcap");
                var r = CliRunner.Run(["craft", .. line, "-w", path]);
                r.Code.ShouldBe(0, r.Err);
                var fields = DissectTests.Tshark("-r", path, "-o", "tcp.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE", "-T", "fields",
                    "-e", "tcp.checksum.status", "-e", "udp.checksum.status", "-e", "icmpv6.checksum.status", "-e", "_ws.malformed").TrimEnd('\n');
                var c = fields.Split('\t');
                c.Length.ShouldBe(4, string.Join(' ', line));
                c[3].ShouldBeEmpty($"malformed: {string.Join(' ', line)}");
                string.Concat(c[..3]).Split(',', ';')[0].ShouldBe("1", $"{string.Join(' ', line)}: {fields}");
            }
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData(new[] { "craft", "--src", "198.18.0.1", "--dst", "::1" }, "rawhandshake: --src: '198.18.0.1' is an IPv4 address, and this frame is IPv6 (give both addresses in one family)")]
    [InlineData(new[] { "craft", "--dst", "2001:db8::zz" }, "rawhandshake: --dst: '2001:db8::zz' is not an IPv6 address")]
    [InlineData(new[] { "craft", "--dst", "2001:db8::1", "--ttl", "3" }, "rawhandshake: --ttl: an IPv4 field, and this frame is IPv6 (use --hop-limit)")]
    [InlineData(new[] { "craft", "--hop-limit", "3", "--df" }, "rawhandshake: --df: an IPv4 field, and this frame is IPv6")]
    [InlineData(new[] { "craft", "--dst", "2001:db8::1", "--arp", "request" }, "rawhandshake: --arp: an IPv4 field, and this frame is IPv6 (use --ndp)")]
    [InlineData(new[] { "craft", "--flow-label", "0x100000" }, "rawhandshake: --flow-label: 0x100000 is out of range (0 to 1048575, 0xfffff)")]
    [InlineData(new[] { "craft", "--ndp", "xx" }, "rawhandshake: --ndp: 'xx' is not ns, na, rs or ra")]
    [InlineData(new[] { "craft", "--ndp", "ns" }, "rawhandshake: --ndp ns: give --target (or --dst) to ask about")]
    [InlineData(new[] { "craft", "--ndp", "na", "--na-flags", "x" }, "rawhandshake: --na-flags: 'x' should be letters of r, s, o (or none)")]
    [InlineData(new[] { "craft", "--ndp", "ra", "--prefix", "2001:db8::" }, "rawhandshake: --prefix: '2001:db8::' should be PREFIX/LEN, e.g. 2001:db8::/64")]
    [InlineData(new[] { "craft", "--ndp", "rs", "--udp" }, "rawhandshake: --ndp and --udp: a frame is one message, not both")]
    [InlineData(new[] { "craft", "--ext", "bogus" }, "rawhandshake: --ext: 'bogus' is not hbh, dstopt, rt=…, frag=… or NUMBER=HEX")]
    [InlineData(new[] { "craft", "--ext", "frag=1:2" }, "rawhandshake: --ext frag=1:2: should be OFFSET:M:ID (offset in 8-byte units, M 0 or 1), e.g. frag=0:1:1234")]
    [InlineData(new[] { "craft", "--ext", "rt=0" }, "rawhandshake: --ext rt=0: should be TYPE:SEGLEFT[:ADDR,ADDR…], e.g. rt=0:1:2001:db8::2")]
    [InlineData(new[] { "craft", "--ndp", "ns", "--target", "2001:db8::10", "--send" }, "rawhandshake: --send --ndp: neighbour discovery messages are printed or written (-w), not sent (the live path does its own neighbour discovery)")]
    [InlineData(new[] { "craft", "--dst", "ff02::1", "--icmp-type", "128", "--send" }, "rawhandshake: --send: --dst ff02::1 is a multicast group; frames are sent to one host (give its unicast address)")]
    public void Bad_ipv6_input_gives_one_line_and_exit_2(string[] args, string expected)
    {
        var r = CliRunner.Run(args);
        r.Err.TrimEnd('\n').ShouldBe(expected);
        r.Code.ShouldBe(2);
        r.Out.ShouldBeEmpty();
    }
}
