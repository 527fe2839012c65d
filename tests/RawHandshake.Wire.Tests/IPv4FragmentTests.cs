using RawHandshake.Wire.Building;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Dissection;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Tests.Support;

namespace RawHandshake.Wire.Tests;

/// <summary>IPv4 fragments we make, read back by tshark and by our own reassembly, which must agree on every Info column.</summary>
public sealed class IPv4FragmentTests
{
    private static byte[] TcpFrame(int payload, ushort id = 0x4242)
    {
        var frames = Fixtures.Read("echo-session.pcap");
        var syn = frames[0].Data; // a real SYN: its addresses and ports, as a data segment without options
        var f = FrameParser.Parse(syn);
        var ip = f.IPv4!.Value with { TotalLength = null, Checksum = null, Id = id, DontFragment = false };
        var tcp = f.Tcp!.Value with { Flags = Protocols.TcpFlags.Psh | Protocols.TcpFlags.Ack, Checksum = null, DataOffset = null };
        var buffer = new byte[FrameBuilder.MaxFrameLength];
        var data = Enumerable.Range(0, payload).Select(i => (byte)('a' + (i % 26))).ToArray();
        var n = FrameBuilder.BuildTcp(buffer, f.Ethernet!.Value, ip, tcp, default, data);
        return buffer[..n];
    }

    [Fact]
    public void Fragments_carry_offsets_in_8_byte_units_and_put_back_the_datagram()
    {
        var frame = TcpFrame(100);
        var parts = IPv4Fragmenter.TrySplit(frame, LinkType.Ethernet, 50, out var error).ShouldNotBeNull(error);
        parts.Count.ShouldBe(3); // 20 bytes of TCP header + 100 of data in pieces of 48 (50 rounded down to 8s): 48, 48, 24
        var parsed = parts.Select(p => FrameParser.Parse(p)).ToList();
        parsed.Select(p => p.IPv4!.Value.FragmentOffset * 8).ShouldBe([0, 48, 96]);
        parsed.Select(p => p.IPv4!.Value.MoreFragments).ShouldBe([true, true, false]);
        parsed.Select(p => p.IpPayloadLength).ShouldBe([48, 48, 24]);
        parts.Zip(parsed).ShouldAllBe(x => x.Second.IpChecksum(x.First) == Primitives.ChecksumVerdict.Good);
        var analysis = new CaptureAnalysis();
        var results = parts.Select(p => analysis.Next(p, LinkType.Ethernet, null)).ToList();
        results[..^1].ShouldAllBe(r => r.Reassembled == null);

        // The first fragment's header with the length, flags and checksum of the whole: the datagram as it was.
        results[^1].Reassembled.ShouldNotBeNull().Bytes.ShouldBe(frame);
    }

    [Fact]
    public void Sizes_below_8_and_non_ip_frames_are_refused()
    {
        IPv4Fragmenter.TrySplit(TcpFrame(10), LinkType.Ethernet, 7, out var e1).ShouldBeNull();
        e1.ShouldBe("fragment size 7 is below 8 bytes (offsets count in 8-byte units)");
        var arp = new byte[42];
        FrameBuilder.BuildArpRequest(arp, new Primitives.MacAddress(2), Primitives.IPv4Address.Parse("198.18.0.1"), Primitives.IPv4Address.Parse("198.18.0.2"));
        IPv4Fragmenter.TrySplit(arp, LinkType.Ethernet, 8, out var e2).ShouldBeNull();
        e2.ShouldBe("only a whole IPv4 datagram can be fragmented");
        IPv4Fragmenter.TrySplit(TcpFrame(10), LinkType.Ethernet, 64, out _).ShouldNotBeNull().ShouldHaveSingleItem();
    }

    [Fact]
    public void Tshark_and_we_show_the_same_fragments_and_the_datagram_they_complete()
    {
        var frames = IPv4Fragmenter.TrySplit(TcpFrame(300), LinkType.Ethernet, 64, out _).ShouldNotBeNull();
        frames.AddRange(IPv4Fragmenter.TrySplit(TcpFrame(20), LinkType.Ethernet, 8, out _).ShouldNotBeNull().AsEnumerable().Reverse()); // out of order
        frames.AddRange(IPv4Fragmenter.TrySplit(TcpFrame(20, id: 0x4343), LinkType.Ethernet, 8, out _).ShouldNotBeNull()); // a first fragment ending inside the TCP header
        var dir = Directory.CreateTempSubdirectory("rawhandshake-frag-");
        try
        {
            var path = Path.Combine(dir.FullName, "frag.pcap");
            using (var w = CaptureFilesOnDisk.Create(path))
            {
                var t = new DateTimeOffset(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
                foreach (var f in frames)
                {
                    w.Write(t, f);
                    t = t.AddMilliseconds(1);
                }
            }

            var theirs = TransportTshark.Info(path);
            var analysis = new CaptureAnalysis();
            var ours = Fixtures.Read(path).Select(f => PacketSummary.Info(analysis.Next(f.Data, f.LinkType, f.Timestamp), f.Data)).ToArray();
            ours.ShouldBe(theirs);
            ours[0].ShouldBe("Fragmented IP protocol (proto=TCP 6, off=0, ID=4242)");
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
