using System.Text.Json;
using RawHandshake.Engine.Tests.Infra;
using RawHandshake.Engine.Trace;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Tests;

/// <summary>The trace's JSON packet objects (handshake, run, craft --send) carry the same options_list as dissect's.</summary>
public class OptionsListTraceTests
{
    [Fact]
    public void APacketEventListsItsOptionsInWireOrder()
    {
        var frame = Frames.FromServer(40000, TcpFlags.Syn | TcpFlags.Ack, 5000, 1001, options: Frames.Options(w => w.Mss(1400).Nop().WindowScale(7)));
        var text = new StringWriter();
        new JsonTraceRenderer(text).Publish(new PacketTraced(TimeSpan.Zero, Lan.Epoch, 1, Direction.In, frame, FrameParser.Parse(frame), null, []));
        var json = JsonDocument.Parse(text.ToString()).RootElement;
        json.GetProperty("options_list").GetRawText().ShouldBe("""[{"kind":2,"name":"mss","value":1400},{"kind":1,"name":"nop"},{"kind":3,"name":"wscale","value":7}]""");
    }
}
