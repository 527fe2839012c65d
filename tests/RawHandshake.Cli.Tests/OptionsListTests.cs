using System.Text.Json;

namespace RawHandshake.Cli.Tests;

/// <summary>dissect --json (and craft --json, the same writer) carry the ordered options_list beside options.</summary>
public class OptionsListTests
{
    [Fact]
    public void Seed004sSynListsItsOptionsInWireOrder()
    {
        const string hex = "b0958e0b15381063c8ffffff0800450000341d2f400040067716c0a80065b465310ce67e00505c4e1a2b000000008002faf070580000020405b40103030801010402";
        var r = CliRunner.Run("dissect", hex, "--json");
        r.Code.ShouldBe(0, r.Err);
        var frame = JsonDocument.Parse(r.Out.Split('\n', StringSplitOptions.RemoveEmptyEntries)[0]).RootElement;
        frame.GetProperty("options_list").EnumerateArray().Select(e => e.GetProperty("name").GetString())
            .ShouldBe(["mss", "nop", "wscale", "nop", "nop", "sack_perm"]);
        frame.GetProperty("options").GetProperty("wscale").GetInt32().ShouldBe(8);
    }
}
