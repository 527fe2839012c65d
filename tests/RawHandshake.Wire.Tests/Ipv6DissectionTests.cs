using System.Text.Json;
using RawHandshake.Wire.Dissection;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Tests.Support;

namespace RawHandshake.Wire.Tests;

/// <summary>The field tree and the JSON fields of IPv6 frames.</summary>
public class Ipv6DissectionTests
{
    private static JsonElement Json(byte[] frame)
    {
        var f = FrameParser.Parse(frame);
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            FrameJson.WriteFields(w, f, frame);
            w.WriteEndObject();
        }

        return JsonDocument.Parse(ms.ToArray()).RootElement.Clone();
    }

    private static string Tree(byte[] frame)
    {
        var lines = new List<string>();
        void Walk(DissectionNode n)
        {
            lines.Add(n.Text);
            foreach (var c in n.Children)
            {
                Walk(c);
            }
        }

        foreach (var l in Dissector.Dissect(frame, FrameParser.Parse(frame)))
        {
            Walk(l.Root);
        }

        return string.Join('\n', lines);
    }

    [Fact]
    public void Json_has_the_ipv6_fields_and_extension_headers()
    {
        var j = Json(SampleFrames6.DataWithExtensions());
        j.GetProperty("src").GetString().ShouldBe("2001:db8::77");
        j.GetProperty("dst").GetString().ShouldBe("2001:db8::1");
        j.GetProperty("proto").GetString().ShouldBe("TCP");
        j.GetProperty("hop_limit").GetInt32().ShouldBe(64);
        j.GetProperty("traffic_class").GetInt32().ShouldBe(0xB8);
        j.GetProperty("flow_label").GetInt32().ShouldBe(0x12345);
        j.GetProperty("next_header").GetInt32().ShouldBe(0);
        j.GetProperty("ip_proto").GetInt32().ShouldBe(6);
        j.GetProperty("ext_headers").EnumerateArray().Select(e => e.GetProperty("name").GetString()).ShouldBe(["Hop-by-Hop Options", "Destination Options"]);
        j.GetProperty("tcp_checksum_status").GetString().ShouldBe("good");
    }

    [Fact]
    public void Json_has_icmpv6_quotes_and_ndp()
    {
        var ptb = Json(SampleFrames6.ErrorQuotingSyn(2, 0, 1280, SampleFrames6.Router)).GetProperty("icmpv6");
        ptb.GetProperty("name").GetString().ShouldBe("Packet Too Big");
        ptb.GetProperty("mtu").GetInt32().ShouldBe(1280);
        ptb.GetProperty("checksum_status").GetString().ShouldBe("good");
        ptb.GetProperty("quoted").GetProperty("dport").GetInt32().ShouldBe(8080);

        var ra = Json(SampleFrames6.RouterAdvertisement()).GetProperty("icmpv6").GetProperty("ndp");
        ra.GetProperty("router_lifetime").GetInt32().ShouldBe(1800);
        ra.GetProperty("src_lladdr").GetString().ShouldBe("02:00:00:00:00:02");
        ra.GetProperty("mtu").GetInt32().ShouldBe(1500);
        ra.GetProperty("prefixes").EnumerateArray().Select(e => e.GetString()).ShouldBe(["2001:db8::/64"]);

        var frag = Json(SampleFrames6.UdpFragments().Second).GetProperty("frag");
        (frag.GetProperty("offset").GetInt32(), frag.GetProperty("more").GetBoolean(), frag.GetProperty("id").GetInt64()).ShouldBe((32, false, 0xCAFEL));
    }

    [Fact]
    public void The_tree_decodes_every_ipv6_layer()
    {
        var t = Tree(SampleFrames6.DataWithExtensions());
        t.ShouldContain("Internet Protocol Version 6, Src: 2001:db8::77, Dst: 2001:db8::1");
        t.ShouldContain("Flow Label: 0x12345");
        t.ShouldContain("Next Header: IPv6 Hop-by-Hop Options (0)");
        t.ShouldContain("Router Alert (length 2): 0000");
        t.ShouldContain("Transmission Control Protocol");
        t.ShouldNotContain("PacketDotNet");

        var na = Tree(SampleFrames6.NeighborAdvertisement());
        na.ShouldContain("Type: Neighbor Advertisement (136)");
        na.ShouldContain("Checksum: 0x");
        na.ShouldContain("[correct]");
        na.ShouldContain("Target Address: fe80::ff:fe00:2");
        na.ShouldContain("ICMPv6 Option (Target link-layer address: 02:00:00:00:00:02)");

        var ptb = Tree(SampleFrames6.ErrorQuotingSyn(2, 0, 1280, SampleFrames6.Router));
        ptb.ShouldContain("MTU: 1280");
        ptb.ShouldContain("Quoted packet: Internet Protocol Version 6, Src: 2001:db8::77, Dst: 2001:db8::1");
        ptb.ShouldContain("Source Port: 40000, Destination Port: 8080");
    }
}
