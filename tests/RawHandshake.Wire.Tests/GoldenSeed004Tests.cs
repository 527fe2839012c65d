using RawHandshake.Wire.Building;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;
using RawHandshake.Wire.Tests.Support;

namespace RawHandshake.Wire.Tests;

/// <summary>
/// Golden bytes, both directions, for the first handshake frame of seed 004 (a Windows client, 192.168.0.101, opening
/// a connection to 180.101.49.12:80). The addresses come from the seed; port, ISN, IP id and window are chosen in the
/// Windows style (TTL 128, DF, window 64240, MSS 1460 / NOP WS 8 / NOP NOP SACK_PERM).
///
/// The expected bytes were computed independently with a 15-line python3 script (struct.pack + the RFC 1071 16-bit
/// word loop), written to a pcap and decoded by tcpdump 4.99.3 and tshark 4.0.17, which both rate the checksums correct:
///
///   IP (tos 0x0, ttl 128, id 7238, offset 0, flags [DF], proto TCP (6), length 52)
///     192.168.0.101.53471 > 180.101.49.12.80: Flags [S], cksum 0x843e (correct), seq 1580145155, win 64240,
///     options [mss 1460,nop,wscale 8,nop,nop,sackOK], length 0
///   0x0000:  b095 8e0b 1538 1063 c8ff ffff 0800 4500
///   0x0010:  0034 1c46 4000 8006 37ff c0a8 0065 b465
///   0x0020:  310c d0df 0050 5e2f 1a03 0000 0000 8002
///   0x0030:  faf0 843e 0000 0204 05b4 0103 0308 0101
///   0x0040:  0402
///   tshark: ip.checksum.status 1, tcp.checksum.status 1; "53471 → 80 [SYN] Seq=0 Win=64240 Len=0 MSS=1460 WS=256 SACK_PERM"
/// </summary>
public class GoldenSeed004Tests
{
    private static readonly byte[] Expected = Convert.FromHexString(
        "b0958e0b1538" + "1063c8ffffff" + "0800" +
        "45000034" + "1c464000" + "800637ff" + "c0a80065" + "b465310c" +
        "d0df0050" + "5e2f1a03" + "00000000" + "8002faf0" + "843e0000" +
        "020405b4" + "01030308" + "01010402");

    private static readonly MacAddress Dst = MacAddress.Parse("b0:95:8e:0b:15:38");
    private static readonly MacAddress Src = MacAddress.Parse("10:63:c8:ff:ff:ff");
    private static readonly IPv4Address Client = IPv4Address.Parse("192.168.0.101");
    private static readonly IPv4Address Server = IPv4Address.Parse("180.101.49.12");

    internal static byte[] Build(out int written)
    {
        var eth = new EthernetHeader(Dst, Src);
        var ip = new IPv4Header { Source = Client, Destination = Server, Id = 0x1c46, DontFragment = true, Ttl = 128 };
        var tcp = new TcpHeader(53471, 80, new SeqNum(1580145155), default, TcpFlags.Syn, 64240);
        Span<byte> options = stackalloc byte[40];
        var n = TcpOptionLayout.Write(options, new TcpOptionSet(Mss: 1460, WindowScale: 8, SackPermitted: true));

        var buf = new byte[100];
        Array.Fill(buf, (byte)0xA5);
        written = FrameBuilder.BuildTcp(buf, eth, ip, tcp, options[..n], default);
        return buf;
    }

    [Fact]
    public void Builds_each_byte_group_at_its_offset()
    {
        var buf = Build(out var n);
        n.ShouldBe(66);
        Convert.ToHexString(buf, 0, 6).ShouldBe("B0958E0B1538");   // Ethernet destination
        Convert.ToHexString(buf, 6, 6).ShouldBe("1063C8FFFFFF");   // Ethernet source
        Convert.ToHexString(buf, 12, 2).ShouldBe("0800");          // EtherType IPv4
        Convert.ToHexString(buf, 26, 4).ShouldBe("C0A80065");      // IPv4 source 192.168.0.101
        Convert.ToHexString(buf, 30, 4).ShouldBe("B465310C");      // IPv4 destination 180.101.49.12
        Convert.ToHexString(buf, 36, 2).ShouldBe("0050");          // TCP destination port 80
        buf[47].ShouldBe((byte)0x02);                              // SYN only
    }

    [Fact]
    public void Builds_the_exact_frame_and_touches_nothing_after_it()
    {
        var buf = Build(out var n);
        Convert.ToHexString(buf, 0, n).ShouldBe(Convert.ToHexString(Expected));
        buf.Skip(n).ShouldAllBe(b => b == 0xA5);
    }

    [Fact]
    public void Expected_checksums_agree_with_the_reference_implementation()
    {
        // The pasted bytes are themselves checked against the independent word-loop reference.
        var ipHeader = Expected.AsSpan(14, 20).ToArray();
        ipHeader[10] = ipHeader[11] = 0;
        RefChecksum.Internet(ipHeader).ShouldBe((ushort)0x37ff);
        RefChecksum.Tcp(Expected.AsSpan(26, 4), Expected.AsSpan(30, 4), Expected.AsSpan(34)).ShouldBe((ushort)0x843e);
    }

    [Fact]
    public void Parses_back_to_every_field()
    {
        var f = FrameParser.Parse(Expected);
        f.Malformed.ShouldBeNull();
        f.Link.ShouldBe(LinkType.Ethernet);
        f.Length.ShouldBe(66);

        var eth = f.Ethernet.ShouldNotBeNull();
        eth.Destination.ShouldBe(Dst);
        eth.Source.ShouldBe(Src);
        eth.EtherType.ShouldBe((ushort)0x0800);
        eth.VlanTci.ShouldBeNull();
        f.EtherType.ShouldBe((ushort)0x0800);
        f.NetworkOffset.ShouldBe(14);

        var ip = f.IPv4.ShouldNotBeNull();
        ip.Version.ShouldBe((byte)4);
        ip.Ihl.ShouldBe((byte)5);
        ip.Tos.ShouldBe((byte)0);
        ip.TotalLength.ShouldBe((ushort)52);
        ip.Id.ShouldBe((ushort)0x1c46);
        ip.DontFragment.ShouldBeTrue();
        ip.MoreFragments.ShouldBeFalse();
        ip.ReservedFlag.ShouldBeFalse();
        ip.FragmentOffset.ShouldBe((ushort)0);
        ip.Ttl.ShouldBe((byte)128);
        ip.Protocol.ShouldBe((byte)6);
        ip.Checksum.ShouldBe((ushort)0x37ff);
        ip.Source.ShouldBe(Client);
        ip.Destination.ShouldBe(Server);
        f.IpOptionsLength.ShouldBe(0);
        f.IpPayloadOffset.ShouldBe(34);
        f.IpPayloadLength.ShouldBe(32);
        f.IpTruncated.ShouldBeFalse();
        f.TrailerLength.ShouldBe(0);

        var tcp = f.Tcp.ShouldNotBeNull();
        tcp.SourcePort.ShouldBe((ushort)53471);
        tcp.DestinationPort.ShouldBe((ushort)80);
        tcp.Seq.ShouldBe(new SeqNum(1580145155));
        tcp.Ack.ShouldBe(new SeqNum(0));
        tcp.Flags.ShouldBe(TcpFlags.Syn);
        tcp.Window.ShouldBe((ushort)64240);
        tcp.DataOffset.ShouldBe((byte)8);
        tcp.Reserved.ShouldBe((byte)0);
        tcp.Checksum.ShouldBe((ushort)0x843e);
        tcp.Urgent.ShouldBe((ushort)0);
        f.TransportOffset.ShouldBe(34);
        f.TcpOptionsOffset.ShouldBe(54);
        f.TcpOptionsLength.ShouldBe(12);
        Convert.ToHexString(f.TcpOptions(Expected)).ShouldBe("020405B40103030801010402");
        f.TcpOptionsSummary(Expected).ShouldBe(new TcpOptionsSummary(1460, 8, true, null, null, 0));
        f.PayloadOffset.ShouldBe(66);
        f.PayloadLength.ShouldBe(0);

        f.IpChecksum(Expected).ShouldBe(ChecksumVerdict.Good);
        f.TransportChecksum(Expected).ShouldBe(ChecksumVerdict.Good);
    }

    [Fact]
    public void Rebuilding_the_parsed_fields_gives_the_same_bytes()
    {
        var f = FrameParser.Parse(Expected);
        var ip = f.IPv4!.Value with { Checksum = null, TotalLength = null, Ihl = null };
        var tcp = f.Tcp!.Value with { Checksum = null, DataOffset = null };
        var buf = new byte[66];
        FrameBuilder.BuildTcp(buf, f.Ethernet!.Value with { EtherType = null }, ip, tcp, f.TcpOptions(Expected), default).ShouldBe(66);
        buf.ShouldBe(Expected);
    }
}
