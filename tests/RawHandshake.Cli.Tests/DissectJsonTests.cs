using System.Text.Json;

namespace RawHandshake.Cli.Tests;

/// <summary>The JSON keys the README documents for dissect: present, and null where a value is not known.</summary>
public class DissectJsonTests
{
    // Frame 3 of echo-session.pcap (a bare ACK) given alone: no SYN seen, so neither the window scale nor the time is known.
    private const string MidStreamAck = "0200000000fe020000000001080045000034945940004006183bc6120001c612020a8bfa4e20d42662ca108e72428010003ff37000000101080a25a7dd00fb4d630b";

    private static JsonElement One(params string[] args)
    {
        var r = CliRunner.Run(args);
        r.Code.ShouldBe(0, r.Err);
        return JsonDocument.Parse(r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Single()).RootElement;
    }

    [Fact]
    public void Unknown_time_and_window_scale_are_null_not_left_out()
    {
        var f = One("dissect", "--json", MidStreamAck);
        f.GetProperty("time").ValueKind.ShouldBe(JsonValueKind.Null);
        f.GetProperty("win_calc").ValueKind.ShouldBe(JsonValueKind.Null);
        f.GetProperty("win").GetInt32().ShouldBe(63);
    }

    [Fact]
    public void Scaled_window_and_time_come_from_the_capture()
    {
        var f = One("dissect", "-r", CliRunner.Fixture("echo-session.pcap"), "--json", "--frame", "3");
        f.GetProperty("time").GetString().ShouldBe("2026-11-23T14:50:18.299226Z");
        f.GetProperty("win_calc").GetInt32().ShouldBe(64512); // 63 << 10
    }

    [Fact]
    public void Udp_has_its_checksum_status()
    {
        var f = One("dissect", "-r", CliRunner.Fixture("icmp.pcap"), "--json", "--frame", "3");
        f.GetProperty("len").GetInt32().ShouldBe(5);
        f.GetProperty("udp_checksum_status").GetString().ShouldBe("good");
    }

    [Fact]
    public void Ip_options_are_their_hex_and_only_there_when_the_header_has_them()
    {
        // 198.18.0.1 → 198.18.0.2 ICMP echo request with a Router Alert option (94 04 00 00), IHL 6.
        var withOptions = One("dissect", "--json", "--link-type", "raw", "46000020000000004001" + Checksum("46000020000000004001" + "0000" + "c6120001c6120002" + "94040000") + "c6120001c6120002" + "94040000" + "0800f7ff00000000");
        withOptions.GetProperty("ip_options").GetString().ShouldBe("94040000");
        One("dissect", "-r", CliRunner.Fixture("icmp.pcap"), "--json", "--frame", "1").TryGetProperty("ip_options", out _).ShouldBeFalse();
    }

    private static string Checksum(string header)
    {
        var b = Convert.FromHexString(header);
        uint sum = 0;
        for (var i = 0; i < b.Length; i += 2)
        {
            sum += (uint)((b[i] << 8) | b[i + 1]);
        }

        while (sum > 0xFFFF)
        {
            sum = (sum & 0xFFFF) + (sum >> 16);
        }

        return ((ushort)~sum).ToString("x4", System.Globalization.CultureInfo.InvariantCulture);
    }
}
