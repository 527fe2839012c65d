using System.Globalization;
using RawHandshake.Engine.Bench;
using RawHandshake.Engine.Probe;
using RawHandshake.Link;
using RawHandshake.Wire.Building;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Tests.Bench;

/// <summary>The C reference of <c>bench inject</c> puts the same frames on the wire as our template does, byte for byte,
/// so the receiving kernel does the same work for both sides.</summary>
[Trait("Category", "Live")]
public sealed class InjectBenchTests
{
    [Fact]
    public void The_C_loop_sends_the_frames_of_our_template_byte_for_byte()
    {
        const int count = 5;
        var inject = CTools.Compile("inject", BenchPrograms.Inject, "pcap");
        using var veth = BenchVeth.Create();
        var buffer = new byte[128];
        var ip = new IPv4Header { Source = BenchVeth.Address, Destination = BenchVeth.PeerAddress, Ttl = 64, DontFragment = true, Id = 0xfffe };
        var tcp = new TcpHeader(65534, 9, new SeqNum(1), new SeqNum(0), TcpFlags.Syn, 64240); // both fields wrap within the run
        var n = FrameBuilder.BuildTcp(buffer, new EthernetHeader(veth.PeerMac, MacAddress.Parse("02:00:00:00:00:01")), ip, tcp, default, default);
        var frame = buffer[..n];
        var parsed = FrameParser.Parse(frame);
        var template = new FrameTemplate(frame, count, TemplateVary.SourcePort | TemplateVary.IpId);

        using var capture = NetNs.Run(veth.PeerNamespace, () => LiveLink.Open(BenchVeth.PeerInterface, "tcp", 2048, ringBytes: CaptureRing.Min));
        var (code, output) = CTools.Run("ip", ["netns", "exec", veth.Namespace, inject, BenchVeth.Interface, count.ToString(CultureInfo.InvariantCulture),
            Convert.ToHexStringLower(frame), parsed.NetworkOffset.ToString(CultureInfo.InvariantCulture), parsed.TransportOffset.ToString(CultureInfo.InvariantCulture)],
            TimeSpan.FromSeconds(30));
        code.ShouldBe(0, output);

        var seen = new List<byte[]>();
        for (var i = 0; i < 50 && seen.Count < count && capture.WaitReadable(TimeSpan.FromMilliseconds(200)); i++)
        {
            capture.Poll((f, _) => seen.Add(f.ToArray()));
        }

        seen.Count.ShouldBe(count);
        for (var i = 0; i < count; i++)
        {
            Convert.ToHexString(seen[i]).ShouldBe(Convert.ToHexString(template.Frame(i)), $"frame {i}");
            var f = FrameParser.Parse(seen[i]);
            f.Tcp!.Value.SourcePort.ShouldBe((ushort)(65534 + i));
        }
    }
}
