using System.Text;
using System.Text.Json;
using RawHandshake.Wire.Building;
using RawHandshake.Wire.Dissection;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Wire.Tests;

/// <summary>The ordered <c>options_list</c> beside the <c>options</c> object: order, NOPs and repeated kinds kept.</summary>
public class OptionsListJsonTests
{
    private static JsonElement Json(byte[] options)
    {
        var buffer = new byte[FrameBuilder.MaxFrameLength];
        var ip = new IPv4Header { Source = IPv4Address.Parse("198.18.0.1"), Destination = IPv4Address.Parse("198.18.2.10") };
        var tcp = new TcpHeader(40000, 80, new SeqNum(1), new SeqNum(0), TcpFlags.Syn, 64240);
        var n = FrameBuilder.BuildTcp(buffer, new EthernetHeader(MacAddress.Broadcast, MacAddress.Zero), ip, tcp, options, default);
        var frame = buffer[..n];
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms))
        {
            w.WriteStartObject();
            FrameJson.WriteFields(w, FrameParser.Parse(frame), frame);
            w.WriteEndObject();
        }

        return JsonDocument.Parse(Encoding.UTF8.GetString(ms.ToArray())).RootElement;
    }

    [Fact]
    public void ALinuxSynsOptionsInWireOrderWithTheirNops()
    {
        // Linux's SYN: MSS, SACK_PERM, TS, NOP, WS.
        var options = new byte[20];
        var len = new TcpOptionWriter(options).Mss(1460).SackPermitted().Timestamps(7, 0).Nop().WindowScale(7).Length;
        var json = Json(options[..len]);
        json.GetProperty("options_list").GetRawText().ShouldBe(
            """[{"kind":2,"name":"mss","value":1460},{"kind":4,"name":"sack_perm"},{"kind":8,"name":"timestamps","tsval":7,"tsecr":0},{"kind":1,"name":"nop"},{"kind":3,"name":"wscale","value":7}]""");
        json.GetProperty("options").GetProperty("mss").GetInt32().ShouldBe(1460);
    }

    [Fact]
    public void RepeatedKindsAndSackBlocksAreKeptInOrder()
    {
        // Two MPTCP options (kind 30) around a SACK block, then the end of the list.
        byte[] options = [30, 4, 0x01, 0x02, 1, 1, 5, 10, 0, 0, 0, 1, 0, 0, 0, 9, 30, 3, 0xab, 0];
        var list = Json(options).GetProperty("options_list").EnumerateArray().ToList();
        list.Select(e => e.GetProperty("name").GetString()).ShouldBe(["kind_30", "nop", "nop", "sack", "kind_30", "eol"]);
        list[0].GetProperty("data").GetString().ShouldBe("0102");
        list[4].GetProperty("data").GetString().ShouldBe("ab");
        list[3].GetProperty("blocks").GetRawText().ShouldBe("[[1,9]]");
    }

    [Fact]
    public void AnEntrysNameIsTheKeyOfTheSameOptionInTheObject()
    {
        var options = new byte[40];
        var len = new TcpOptionWriter(options).Mss(1400).Nop().WindowScale(3).SackPermitted().Length;
        byte[] all = [.. options[..len], 30, 3, 0xcd, 1];
        var json = Json(all);
        var keys = json.GetProperty("options").EnumerateObject().Select(p => p.Name).ToHashSet();
        foreach (var e in json.GetProperty("options_list").EnumerateArray().Where(e => e.GetProperty("name").GetString() is not ("nop" or "eol")))
        {
            keys.ShouldContain(e.GetProperty("name").GetString()!);
        }
    }

    [Fact]
    public void NoOptionsGiveAnEmptyList() => Json([]).GetProperty("options_list").GetArrayLength().ShouldBe(0);
}
