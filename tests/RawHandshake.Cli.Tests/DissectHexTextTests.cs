using System.Text.Json;

namespace RawHandshake.Cli.Tests;

/// <summary><c>tcpdump -xx -r F | rawhandshake dissect -</c>: the same frames, summaries and times as <c>dissect -r F</c>.</summary>
public class DissectHexTextTests
{
    private static List<JsonElement> Json(CliRunner.Result r)
    {
        r.Code.ShouldBe(0, r.Err);
        return [.. r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement)];
    }

    [Theory]
    [InlineData("echo-session.xx-tttt.txt", "echo-session.pcap")]
    [InlineData("echo-session-any.xx-tttt.txt", "echo-session-any.pcap")]
    [InlineData("vlan.xx-tttt.txt", "vlan.pcap")]
    public void Tcpdump_text_on_stdin_dissects_as_the_capture_does(string text, string pcap)
    {
        var fromText = Json(CliRunner.RunWithInput(File.ReadAllText(CliRunner.Fixture("tcpdump-text/" + text)), "dissect", "--json", "-"));
        var fromFile = Json(CliRunner.Run("dissect", "-r", CliRunner.Fixture(pcap), "--json"));
        fromText.Count.ShouldBe(fromFile.Count);
        for (var i = 0; i < fromFile.Count; i++)
        {
            foreach (var key in new[] { "summary", "time", "rel_time", "caplen" })
            {
                fromText[i].GetProperty(key).ToString().ShouldBe(fromFile[i].GetProperty(key).ToString(), $"{key} of frame {i + 1}");
            }
        }
    }

    [Fact]
    public void Time_of_day_stamps_give_relative_times_and_a_null_time()
    {
        var frames = Json(CliRunner.RunWithInput(File.ReadAllText(CliRunner.Fixture("tcpdump-text/echo-session.xx.txt")), "dissect", "--json", "-"));
        frames[0].GetProperty("time").ValueKind.ShouldBe(JsonValueKind.Null);
        frames[1].GetProperty("rel_time").GetDouble().ShouldBe(0.000038);
    }

    [Fact]
    public void Bytes_with_no_known_network_header_warn_that_they_are_read_as_ethernet()
    {
        var r = CliRunner.RunWithInput("ffffffffffff02000000000188cc0000\n", "dissect", "-s", "-");
        r.Code.ShouldBe(0);
        r.Err.Trim().ShouldBe("rawhandshake: warning: stdin: no frame has an IPv4, ARP or IPv6 header where Ethernet, Linux cooked (sll, sll2) or raw IP would put it; decoding as Ethernet (give --link-type)");
    }
}
