using System.Diagnostics;
using System.Globalization;
using RawHandshake.Wire.Building;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;
using RawHandshake.Wire.Tests.Support;

namespace RawHandshake.Wire.Tests;

/// <summary>
/// Our frames written to pcap and pcapng and dissected by tshark (Wireshark 4.0 here), which checks the checksums and
/// reads every field back. tshark -T fields prints checksum status as 1 = good, 0 = bad, 2 = unverified, booleans as
/// 1/0, and a field that occurs more than once (IP options, SACK blocks, an ICMP error's quoted headers) as its values
/// joined by ';' in order.
/// </summary>
public class TsharkFrameCrossCheckTests
{
    private const string Tshark = "/usr/bin/tshark";

    /// <summary>
    /// Absolute sequence numbers everywhere (SACK edges too), no IP reassembly (fragments are dissected one by one),
    /// both checksums verified.
    /// </summary>
    private static readonly string[] Prefs =
    [
        "ip.check_checksum:TRUE", "tcp.check_checksum:TRUE", "tcp.relative_sequence_numbers:FALSE", "ip.defragment:FALSE",
    ];

    private sealed record Case(TcpFrameSpec Spec, byte[] Frame, bool IpGood, bool TcpGood);

    private static List<Case> Cases()
    {
        // tshark reads IP options, so give it well-formed ones (NOPs + EOL); MF frames are in the hand-built set below.
        var specs = FrameGens.Fixed(FrameGens.Frame(FrameGens.NopIpOptions, allowMoreFragments: false), 56, 4242);
        var cases = new List<Case>();
        for (var i = 0; i < specs.Length; i++)
        {
            var spec = specs[i];
            var good = spec.Build();
            // 50 good frames, then 6 with a wrong IP checksum, TCP checksum or both.
            var (ipGood, tcpGood) = i < 50 ? (true, true) : (i % 3) switch
            {
                0 => (false, true),
                1 => (true, false),
                _ => (false, false),
            };
            if (ipGood && tcpGood)
            {
                cases.Add(new Case(spec, good, true, true));
                continue;
            }

            var ipSum = (ushort)((good[spec.EthLength + 10] << 8) | good[spec.EthLength + 11]);
            var tcpSum = (ushort)((good[spec.TcpOffset + 16] << 8) | good[spec.TcpOffset + 17]);
            var frame = new byte[good.Length];
            FrameBuilder.BuildTcp(
                frame,
                spec.Ethernet,
                ipGood ? spec.Ip : spec.Ip with { Checksum = (ushort)(ipSum ^ 0x0101) },
                tcpGood ? spec.Tcp : spec.Tcp with { Checksum = (ushort)(tcpSum + 3) },
                spec.OptionBytes,
                spec.Payload);
            cases.Add(new Case(spec, frame, ipGood, tcpGood));
        }

        return cases;
    }

    /// <summary>What tshark must print for a generated frame, field by field, worked out from the spec alone.</summary>
    private static Dictionary<string, string> Expected(Case c)
    {
        var (spec, _, ipGood, tcpGood) = c;
        var opts = spec.Options;
        var flags = (int)spec.Flags | (spec.TcpReserved << 9);
        var e = new Dictionary<string, string>
        {
            ["eth.src"] = Mac(spec.Src.Value),
            ["eth.dst"] = Mac(spec.Dst.Value),
            ["vlan.id"] = spec.VlanTci is { } tci ? Dec(tci & 0xFFF) : string.Empty,
            ["vlan.priority"] = spec.VlanTci is { } tci2 ? Dec(tci2 >> 13) : string.Empty,
            ["vlan.dei"] = spec.VlanTci is { } tci3 ? Bit(tci3 & 0x1000) : string.Empty,
            ["ip.src"] = Ip(spec.SrcIp.Value),
            ["ip.dst"] = Ip(spec.DstIp.Value),
            ["ip.checksum.status"] = ipGood ? "1" : "0",
            ["ip.hdr_len"] = Dec(20 + spec.IpOptions.Length),
            ["ip.len"] = Dec(20 + spec.IpOptions.Length + 20 + spec.OptionBytes.Length + spec.Payload.Length),
            ["ip.dsfield"] = Hex2(spec.Tos),
            ["ip.dsfield.dscp"] = Dec(spec.Tos >> 2),
            ["ip.dsfield.ecn"] = Dec(spec.Tos & 3),
            ["ip.flags.rb"] = Bit(spec.ReservedFlag ? 1 : 0),
            ["ip.flags.df"] = Bit(spec.Df ? 1 : 0),
            ["ip.flags.mf"] = "0",
            ["ip.frag_offset"] = "0",
            ["ip.ttl"] = Dec(spec.Ttl),
            ["ip.id"] = Hex4(spec.Id),
            ["ip.proto"] = "6",
            // NOPs (type 1) ending in one EOL (type 0), as NopIpOptions makes them.
            ["ip.opt.type"] = string.Join(';', spec.IpOptions.Select(b => Dec(b))),
            ["tcp.checksum.status"] = tcpGood ? "1" : "0",
            ["tcp.srcport"] = Dec(spec.SrcPort),
            ["tcp.dstport"] = Dec(spec.DstPort),
            ["tcp.seq_raw"] = Dec(spec.Seq),
            ["tcp.ack_raw"] = Dec(spec.Ack),
            ["tcp.hdr_len"] = Dec(20 + spec.OptionBytes.Length),
            ["tcp.flags"] = "0x" + flags.ToString("x4", CultureInfo.InvariantCulture),
            ["tcp.flags.res"] = Bit(spec.TcpReserved),
            ["tcp.flags.ae"] = Bit((int)(spec.Flags & TcpFlags.Ns)),
            ["tcp.flags.urg"] = Bit((int)(spec.Flags & TcpFlags.Urg)),
            ["tcp.urgent_pointer"] = Dec(spec.Urgent),
            ["tcp.window_size_value"] = Dec(spec.Window),
            ["tcp.options.mss_val"] = opts.Mss is { } mss ? Dec(mss) : string.Empty,
            ["tcp.options.wscale.shift"] = opts.WindowScale is { } ws ? Dec(ws) : string.Empty,
            ["tcp.options.sack_perm"] = opts.SackPermitted ? "0402" : string.Empty, // FT_NONE: its bytes, kind 4 length 2,
            ["tcp.options.timestamp.tsval"] = opts.Timestamps is { } ts ? Dec(ts.Val) : string.Empty,
            ["tcp.options.timestamp.tsecr"] = opts.Timestamps is { } ts2 ? Dec(ts2.Ecr) : string.Empty,
            ["tcp.options.sack_le"] = string.Join(';', spec.SackBlocks.Select(b => Dec(b.Left))),
            ["tcp.options.sack_re"] = string.Join(';', spec.SackBlocks.Select(b => Dec(b.Right))),
            ["tcp.len"] = Dec(spec.Payload.Length),
        };
        return e;
    }

    [Theory]
    [InlineData("frames.pcap")]
    [InlineData("frames.pcapng")]
    public void Tshark_rates_checksums_and_reads_every_field_as_set(string name)
    {
        var cases = Cases();
        cases.Count(c => c.IpGood && c.TcpGood).ShouldBe(50);
        // The fixed sample sets every field somewhere, so each comparison below is made with a value that shows.
        var specs = cases.Select(c => c.Spec).ToList();
        specs.ShouldContain(s => s.VlanTci != null && (s.VlanTci & 0xF000) != 0);
        specs.ShouldContain(s => s.VlanTci == null);
        specs.ShouldContain(s => (s.Tos & 3) != 0 && (s.Tos >> 2) != 0);
        specs.ShouldContain(s => s.ReservedFlag);
        specs.ShouldContain(s => s.Df);
        specs.ShouldContain(s => s.IpOptions.Length == 40);
        specs.ShouldContain(s => s.TcpReserved != 0);
        specs.ShouldContain(s => s.Flags.HasFlag(TcpFlags.Ns));
        specs.ShouldContain(s => s.Flags.HasFlag(TcpFlags.Urg) && s.Urgent != 0);
        specs.ShouldContain(s => !s.Flags.HasFlag(TcpFlags.Urg) && s.Urgent != 0);
        specs.ShouldContain(s => s.Options.Mss != null && s.Options.WindowScale != null);
        specs.ShouldContain(s => s.Options.SackPermitted && s.Options.Timestamps != null);
        specs.ShouldContain(s => s.Options.SackPermitted && s.Options.Timestamps == null);
        specs.ShouldContain(s => s.SackBlocks.Length >= 3);
        specs.ShouldContain(s => s.SackBlocks.Length == 1);
        var expected = cases.Select(Expected).ToList();
        var rows = WriteAndDissect(name, cases.Select(c => c.Frame).ToList(), expected[0].Keys.ToList());
        for (var i = 0; i < cases.Count; i++)
        {
            Check(rows[i], expected[i], $"frame {i + 1} ({cases[i].Spec})");
        }
    }

    private sealed record HandBuilt(string Name, byte[] Frame, Dictionary<string, string> Expect);

    private static readonly MacAddress ClientMac = SampleFrames.ClientMac; // 02:00:00:00:00:01
    private static readonly MacAddress ServerMac = SampleFrames.ServerMac; // 02:00:00:00:00:02
    private static readonly IPv4Address Client = SampleFrames.Client; // 198.18.0.77
    private static readonly IPv4Address Server = SampleFrames.Server; // 198.18.0.1
    private static readonly IPv4Address Router = SampleFrames.Router; // 198.18.0.254

    private static byte[] TcpFrame(EthernetHeader eth, IPv4Header ip, TcpHeader tcp, ReadOnlySpan<byte> options, ReadOnlySpan<byte> payload)
    {
        var buf = new byte[FrameBuilder.TcpFrameLength(eth, ip, options.Length, payload.Length)];
        FrameBuilder.BuildTcp(buf, eth, ip, tcp, options, payload).ShouldBe(buf.Length);
        return buf;
    }

    private static byte[] Options(Func<TcpOptionWriter, TcpOptionWriter> write)
    {
        var buf = new byte[60];
        return buf[..write(new TcpOptionWriter(buf)).Length];
    }

    private static IPv4Header IpHeader(IPv4Address src, IPv4Address dst) => new() { Source = src, Destination = dst };

    private static TcpHeader Syn => new(40000, 8080, new SeqNum(0xFFFFFFF0), default, TcpFlags.Syn, 64240);

    private static TcpHeader Data(TcpFlags flags) => new(40000, 8080, new SeqNum(1000), new SeqNum(0xFFFFFF00), flags, 502);

    /// <summary>Hand-built frames for what the generated ones do not vary, each with what tshark must print for it.</summary>
    private static List<HandBuilt> HandBuiltFrames()
    {
        var eth = new EthernetHeader(ServerMac, ClientMac);
        var back = new EthernetHeader(ClientMac, ServerMac);
        var payload = "0123456789"u8.ToArray();
        var frames = new List<HandBuilt>();

        // IPv4 header fields that are only set, never computed.
        var linux = new byte[40];
        var linuxLength = TcpOptionLayout.Write(linux, new TcpOptionSet(1460, 14, true, (0xFFFFFFFF, 0)));
        frames.Add(new(
            "EF SYN with DF, evil bit, TTL 1, Linux options",
            TcpFrame(eth, IpHeader(Client, Server) with { Tos = 0xB9, Id = 0xBEEF, DontFragment = true, ReservedFlag = true, Ttl = 1 }, Syn, linux.AsSpan(0, linuxLength), default),
            new()
            {
                ["eth.dst"] = "02:00:00:00:00:02",
                ["eth.src"] = "02:00:00:00:00:01",
                ["eth.type"] = "0x0800",
                ["vlan.id"] = string.Empty,
                ["ip.version"] = "4",
                ["ip.src"] = "198.18.0.77",
                ["ip.dst"] = "198.18.0.1",
                ["ip.proto"] = "6",
                ["ip.dsfield"] = "0xb9",
                ["ip.dsfield.dscp"] = "46",
                ["ip.dsfield.ecn"] = "1",
                ["ip.flags"] = "0x06",
                ["ip.flags.rb"] = "1",
                ["ip.flags.df"] = "1",
                ["ip.flags.mf"] = "0",
                ["ip.frag_offset"] = "0",
                ["ip.id"] = "0xbeef",
                ["ip.ttl"] = "1",
                ["ip.checksum.status"] = "1",
                ["ip.hdr_len"] = "20",
                ["ip.len"] = "60",
                ["tcp.checksum.status"] = "1",
                ["tcp.seq_raw"] = "4294967280",
                ["tcp.flags"] = "0x0002",
                ["tcp.hdr_len"] = "40",
                ["tcp.option_kind"] = "2;4;8;1;3",
                ["tcp.options.mss_val"] = "1460",
                ["tcp.options.sack_perm"] = "0402",
                ["tcp.options.timestamp.tsval"] = "4294967295",
                ["tcp.options.timestamp.tsecr"] = "0",
                ["tcp.options.wscale.shift"] = "14",
            }));
        frames.Add(new(
            "defaults: version 4, TTL 64, TOS 0, no flags",
            TcpFrame(eth, IpHeader(Client, Server), Syn, default, default),
            new()
            {
                ["ip.version"] = "4",
                ["ip.ttl"] = "64",
                ["ip.dsfield"] = "0x00",
                ["ip.flags"] = "0x00",
                ["ip.id"] = "0x0000",
                ["ip.hdr_len"] = "20",
                ["ip.len"] = "40",
                ["ip.checksum.status"] = "1",
                ["tcp.hdr_len"] = "20",
                ["tcp.option_kind"] = string.Empty,
                ["tcp.checksum.status"] = "1",
            }));
        frames.Add(new(
            "DSCP CS7 with ECN CE",
            TcpFrame(eth, IpHeader(Client, Server) with { Tos = 0xE3 }, Syn, default, default),
            new() { ["ip.dsfield"] = "0xe3", ["ip.dsfield.dscp"] = "56", ["ip.dsfield.ecn"] = "3", ["ip.checksum.status"] = "1" }));

        // Fragments: MF and the 13-bit offset. The field holds the offset in 8-byte units as sent; tshark's tree and Info
        // column show it in bytes.
        frames.Add(new(
            "first fragment (MF, offset 0)",
            TcpFrame(eth, IpHeader(Client, Server) with { Id = 0x1111, MoreFragments = true }, Data(TcpFlags.Psh | TcpFlags.Ack), default, payload),
            new()
            {
                ["ip.flags"] = "0x01",
                ["ip.flags.mf"] = "1",
                ["ip.flags.df"] = "0",
                ["ip.frag_offset"] = "0",
                ["ip.id"] = "0x1111",
                ["ip.checksum.status"] = "1",
                ["tcp.srcport"] = "40000",
                ["tcp.seq_raw"] = "1000",
            }));
        frames.Add(new(
            "middle fragment (MF, offset 185 = 1480 bytes)",
            IPv4Frame(eth, IpHeader(Client, Server) with { Id = 0x1111, MoreFragments = true, FragmentOffset = 185 }, 6, new byte[1480]),
            new()
            {
                ["ip.flags.mf"] = "1",
                ["ip.frag_offset"] = "185",
                ["ip.id"] = "0x1111",
                ["ip.proto"] = "6",
                ["ip.len"] = "1500",
                ["ip.checksum.status"] = "1",
                ["tcp.srcport"] = string.Empty,
                ["_ws.col.Info"] = "Fragmented IP protocol (proto=TCP 6, off=1480, ID=1111)",
            }));
        frames.Add(new(
            "last fragment at the largest offset (8191 = 65528 bytes)",
            IPv4Frame(eth, IpHeader(Client, Server) with { Id = 0x1111, FragmentOffset = 0x1FFF }, 6, new byte[7]),
            new()
            {
                ["ip.flags"] = "0x00",
                ["ip.flags.mf"] = "0",
                ["ip.frag_offset"] = "8191",
                ["ip.len"] = "27",
                ["ip.checksum.status"] = "1",
                ["tcp.srcport"] = string.Empty,
                ["_ws.col.Info"] = "Fragmented IP protocol (proto=TCP 6, off=65528, ID=1111)",
            }));
        frames.Add(new(
            "fragment with every flag bit (RB, DF, MF) and offset 1",
            IPv4Frame(eth, IpHeader(Client, Server) with { ReservedFlag = true, DontFragment = true, MoreFragments = true, FragmentOffset = 1 }, 6, new byte[8]),
            new()
            {
                ["ip.flags"] = "0x07",
                ["ip.flags.rb"] = "1",
                ["ip.flags.df"] = "1",
                ["ip.flags.mf"] = "1",
                ["ip.frag_offset"] = "1",
                ["ip.checksum.status"] = "1",
                ["_ws.col.Info"] = "Fragmented IP protocol (proto=TCP 6, off=8, ID=0000)",
            }));

        // IP options (raw bytes to the wire layer): record route, router alert, timestamp, stream ID, and an unknown one.
        // tshark gives each known option's bytes as ip.options.<name> and its type, length, pointer and data as ip.opt.*;
        // an unknown option gets no field at all (only a text item "Unknown (0x5e) (6 bytes)").
        byte[] recordRoute = [7, 15, 8, 198, 18, 0, 254, 0, 0, 0, 0, 0, 0, 0, 0, 0];
        frames.Add(new(
            "record route (one hop recorded, two free) + EOL",
            TcpFrame(eth, IpHeader(Client, Server) with { Options = recordRoute }, Syn, default, default),
            new()
            {
                ["ip.hdr_len"] = "36",
                ["ip.len"] = "56",
                ["ip.opt.type"] = "7;0",
                ["ip.opt.len"] = "15",
                ["ip.opt.ptr"] = "8",
                ["ip.rec_rt"] = "198.18.0.254",
                ["ip.empty_rt"] = "0.0.0.0;0.0.0.0",
                ["ip.options.record_route"] = "070f08c61200fe0000000000000000",
                ["ip.options.eol"] = "00",
                ["ip.checksum.status"] = "1",
                ["tcp.srcport"] = "40000",
                ["tcp.checksum.status"] = "1",
            }));
        byte[] mixed = [148, 4, 0, 0, 1, 94, 6, 0xDE, 0xAD, 0xBE, 0xEF, 0];
        frames.Add(new(
            "router alert, NOP, unknown option 94 (raw bytes), EOL",
            TcpFrame(eth, IpHeader(Client, Server) with { Options = mixed }, Syn, default, default),
            new()
            {
                ["ip.hdr_len"] = "32",
                ["ip.opt.type"] = "148;1;0",
                ["ip.opt.len"] = "4",
                ["ip.opt.ra"] = "0",
                ["ip.options.routeralert"] = "94040000",
                ["ip.options.nop"] = "01",
                ["ip.options.eol"] = "00",
                ["ip.checksum.status"] = "1",
                ["tcp.srcport"] = "40000",
                ["tcp.checksum.status"] = "1",
            }));
        byte[] timestamp = [68, 12, 9, 0, 0, 0, 0x03, 0xE8, 0, 0, 0, 0];
        frames.Add(new(
            "timestamp option (timestamps only, one recorded), unpadded: the builder pads",
            TcpFrame(eth, IpHeader(Client, Server) with { Options = timestamp[..10] }, Syn, default, default),
            new()
            {
                ["ip.hdr_len"] = "32",
                ["ip.opt.type"] = "68",
                ["ip.opt.len"] = "12",
                ["ip.opt.ptr"] = "9",
                ["ip.opt.flag"] = "0x00",
                ["ip.options.timestamp"] = "440c0900000003e800000000",
                ["ip.opt.time_stamp"] = "1000;0",
                ["ip.checksum.status"] = "1",
            }));

        frames.Add(new(
            "stream ID 0xbeef, then 1 byte of zero padding from the builder",
            TcpFrame(eth, IpHeader(Client, Server) with { Options = new byte[] { 136, 4, 0xBE, 0xEF, 1, 1, 1 } }, Syn, default, default),
            new()
            {
                ["ip.hdr_len"] = "28",
                ["ip.opt.type"] = "136;1;1;1;0",
                ["ip.opt.sid"] = "48879",
                ["ip.options.sid"] = "8804beef",
                ["ip.checksum.status"] = "1",
                ["tcp.checksum.status"] = "1",
            }));

        // Lengths, version and protocol sent as set, even when wrong.
        frames.Add(new(
            "IHL 4 (bogus, below 5)",
            TcpFrame(eth, IpHeader(Client, Server) with { Ihl = 4 }, Syn, default, default),
            new() { ["ip.version"] = "4", ["ip.hdr_len"] = "16", ["tcp.srcport"] = string.Empty }));
        frames.Add(new(
            "version 5 (not IPv4) under EtherType 0x0800",
            TcpFrame(eth, IpHeader(Client, Server) with { Version = 5 }, Syn, default, default),
            new() { ["ip.version"] = "5", ["ip.src"] = string.Empty, ["tcp.srcport"] = string.Empty }));
        frames.Add(new(
            "IHL 6 set by hand over 4 NOPs",
            TcpFrame(eth, IpHeader(Client, Server) with { Ihl = 6, Options = new byte[] { 1, 1, 1, 1 } }, Syn, default, default),
            new() { ["ip.hdr_len"] = "24", ["ip.opt.type"] = "1;1;1;1", ["ip.checksum.status"] = "1", ["tcp.srcport"] = "40000" }));
        frames.Add(new(
            "total length 4 short (the last 4 bytes become an Ethernet trailer), protocol 253",
            TcpFrame(eth, IpHeader(Client, Server) with { TotalLength = 46, Protocol = 253 }, Data(TcpFlags.Ack), default, payload),
            new() { ["ip.len"] = "46", ["ip.proto"] = "253", ["ip.checksum.status"] = "1", ["tcp.srcport"] = string.Empty, ["data.len"] = "26" }));
        frames.Add(new(
            "wrong IP and TCP checksums, exact values",
            TcpFrame(eth, IpHeader(Client, Server) with { Checksum = 0x1234 }, Syn with { Checksum = 0xDEAD }, default, default),
            new() { ["ip.checksum"] = "0x1234", ["ip.checksum.status"] = "0", ["tcp.checksum"] = "0xdead", ["tcp.checksum.status"] = "0" }));

        // TCP header fields the generated frames leave at their computed value or vary only at random.
        frames.Add(new(
            "URG with urgent pointer 7",
            TcpFrame(eth, IpHeader(Client, Server), Data(TcpFlags.Urg | TcpFlags.Psh | TcpFlags.Ack) with { Urgent = 7 }, default, payload),
            new()
            {
                ["tcp.flags"] = "0x0038",
                ["tcp.flags.urg"] = "1",
                ["tcp.urgent_pointer"] = "7",
                ["tcp.len"] = "10",
                ["tcp.checksum.status"] = "1",
            }));
        frames.Add(new(
            "all nine flags and the three reserved bits",
            TcpFrame(eth, IpHeader(Client, Server), Data((TcpFlags)0x1FF) with { Reserved = 7, Urgent = 0xFFFF }, default, default),
            new()
            {
                ["tcp.flags"] = "0x0fff",
                ["tcp.flags.res"] = "1",
                ["tcp.flags.ae"] = "1",
                ["tcp.flags.cwr"] = "1",
                ["tcp.flags.ece"] = "1",
                ["tcp.flags.urg"] = "1",
                ["tcp.flags.fin"] = "1",
                ["tcp.urgent_pointer"] = "65535",
                ["tcp.checksum.status"] = "1",
            }));
        frames.Add(new(
            "one reserved bit (0x400), no NS",
            TcpFrame(eth, IpHeader(Client, Server), Data(TcpFlags.Ack) with { Reserved = 2 }, default, default),
            new() { ["tcp.flags"] = "0x0410", ["tcp.flags.res"] = "1", ["tcp.flags.ae"] = "0", ["tcp.checksum.status"] = "1" }));
        frames.Add(new(
            "data offset 7 set by hand over 12 option bytes: the last 4 are payload",
            TcpFrame(eth, IpHeader(Client, Server), Data(TcpFlags.Ack) with { DataOffset = 7 }, Options(w => w.Mss(1400).Nop().WindowScale(7).Bytes([1, 1, 1, 1])), payload),
            new()
            {
                ["tcp.hdr_len"] = "28",
                ["tcp.option_kind"] = "2;1;3",
                ["tcp.options.mss_val"] = "1400",
                ["tcp.options.wscale.shift"] = "7",
                ["tcp.len"] = "14",
                ["tcp.checksum.status"] = "1",
            }));
        frames.Add(new(
            "data offset 4 (bogus, below 5)",
            TcpFrame(eth, IpHeader(Client, Server), Data(TcpFlags.Ack) with { DataOffset = 4 }, default, default),
            new() { ["tcp.srcport"] = "40000", ["tcp.hdr_len"] = "16", ["tcp.window_size_value"] = string.Empty }));
        (uint, uint)[] sackBlocks = [(0xFFFFFF00, 0x100), (5, 9), (0x7FFFFFFF, 0x80000000)];
        frames.Add(new(
            "SACK blocks across the wrap (absolute edges), timestamps",
            TcpFrame(eth, IpHeader(Client, Server), Data(TcpFlags.Ack), Options(w => w.Nop().Nop().Timestamps(1, 0x80000000).Nop().Nop().Sack(sackBlocks)), default),
            new()
            {
                ["tcp.hdr_len"] = "60",
                ["tcp.option_kind"] = "1;1;8;1;1;5",
                ["tcp.options.timestamp.tsval"] = "1",
                ["tcp.options.timestamp.tsecr"] = "2147483648",
                ["tcp.options.sack.count"] = "3",
                ["tcp.options.sack_le"] = "4294967040;5;2147483647",
                ["tcp.options.sack_re"] = "256;9;2147483648",
                ["tcp.ack_raw"] = "4294967040",
                ["tcp.checksum.status"] = "1",
            }));
        frames.Add(new(
            "raw option kind 253 (experimental) with 2 data bytes, then EOL",
            TcpFrame(eth, IpHeader(Client, Server), Syn, Options(w => w.Raw(253, [0xAB, 0xCD]).End()), default),
            new() { ["tcp.hdr_len"] = "28", ["tcp.option_kind"] = "253;0;0;0;0", ["tcp.option_len"] = "4", ["tcp.checksum.status"] = "1" }));
        frames.Add(new(
            "window scale 15 (above RFC 7323's 14), MSS 0",
            TcpFrame(eth, IpHeader(Client, Server), Syn, Options(w => w.Mss(0).Nop().WindowScale(15)), default),
            new() { ["tcp.options.mss_val"] = "0", ["tcp.options.wscale.shift"] = "15", ["tcp.checksum.status"] = "1" }));

        // ICMP.
        var echoData = Enumerable.Range(0, 56).Select(i => (byte)(0x40 + i)).ToArray();
        frames.Add(new(
            "echo request id 0x1234 seq 0x0102, 56 bytes",
            IcmpFrame(eth, IpHeader(Client, Server) with { Id = 0x0042 }, IcmpHeader.Echo(true, 0x1234, 0x0102), echoData),
            new()
            {
                ["ip.proto"] = "1",
                ["ip.len"] = "84",
                ["ip.checksum.status"] = "1",
                ["icmp.type"] = "8",
                ["icmp.code"] = "0",
                ["icmp.ident"] = "4660",
                ["icmp.seq"] = "258",
                ["icmp.checksum.status"] = "1",
                ["data.len"] = "56",
            }));
        frames.Add(new(
            "echo reply with a wrong checksum 0xbad0",
            IcmpFrame(back, IpHeader(Server, Client), IcmpHeader.Echo(false, 0xFFFF, 0xFFFE) with { Checksum = 0xBAD0 }, echoData),
            new()
            {
                ["icmp.type"] = "0",
                ["icmp.code"] = "0",
                ["icmp.ident"] = "65535",
                ["icmp.seq"] = "65534",
                ["icmp.checksum"] = "0xbad0",
                ["icmp.checksum.status"] = "0",
            }));
        var quotedSyn = TcpFrame(eth, IpHeader(Client, Server) with { Id = 0x0777, DontFragment = true }, Syn, default, default).AsSpan(14).ToArray();
        frames.Add(new(
            "host unreachable quoting the SYN's IP header and whole TCP header",
            IcmpFrame(back, IpHeader(Router, Client) with { Ttl = 255 }, new IcmpHeader(IcmpHeader.DestinationUnreachable, 1, 0), quotedSyn),
            new()
            {
                ["ip.src"] = "198.18.0.254;198.18.0.77",
                ["ip.dst"] = "198.18.0.77;198.18.0.1",
                ["ip.proto"] = "1;6",
                ["ip.id"] = "0x0000;0x0777",
                ["ip.ttl"] = "255;64",
                ["ip.checksum.status"] = "1;1",
                ["icmp.type"] = "3",
                ["icmp.code"] = "1",
                ["icmp.checksum.status"] = "1",
                ["icmp.ident"] = string.Empty,
                ["icmp.seq"] = string.Empty,
                ["tcp.srcport"] = "40000",
                ["tcp.dstport"] = "8080",
                ["tcp.seq"] = "4294967280",
                ["tcp.flags"] = "0x0002",
            }));
        frames.Add(new(
            "fragmentation needed (next-hop MTU 1400) quoting IP header + 8 bytes",
            IcmpFrame(back, IpHeader(Router, Client), new IcmpHeader(IcmpHeader.DestinationUnreachable, 4, 1400), quotedSyn[..28]),
            new()
            {
                ["icmp.type"] = "3",
                ["icmp.code"] = "4",
                ["icmp.mtu"] = "1400",
                ["icmp.checksum.status"] = "1",
                ["ip.proto"] = "1;6",
                ["tcp.srcport"] = "40000",
                ["tcp.dstport"] = "8080",
                ["tcp.seq"] = "4294967280",
                ["tcp.flags"] = string.Empty,
            }));

        // ARP, and an 802.1Q tag in front of IPv4 and ARP.
        var arp = new byte[42];
        FrameBuilder.BuildArpRequest(arp, ClientMac, Client, Server).ShouldBe(42);
        frames.Add(new("ARP request", arp, ArpExpect("1", "ff:ff:ff:ff:ff:ff", "02:00:00:00:00:01", "198.18.0.77", "00:00:00:00:00:00", "198.18.0.1")));
        arp = new byte[42];
        FrameBuilder.BuildArpReply(arp, ServerMac, Server, ClientMac, Client).ShouldBe(42);
        frames.Add(new("ARP reply", arp, ArpExpect("2", "02:00:00:00:00:01", "02:00:00:00:00:02", "198.18.0.1", "02:00:00:00:00:01", "198.18.0.77")));
        arp = new byte[42];
        FrameBuilder.BuildArp(arp, new EthernetHeader(MacAddress.Broadcast, ServerMac), new ArpPacket(3, ServerMac, Server, ClientMac, Client) { HardwareType = 6 }).ShouldBe(42);
        frames.Add(new("ARP over IEEE 802 hardware (type 6), opcode 3", arp, ArpExpect("3", "ff:ff:ff:ff:ff:ff", "02:00:00:00:00:02", "198.18.0.1", "02:00:00:00:00:01", "198.18.0.77", hardwareType: "6")));
        var vlan = new EthernetHeader(ServerMac, ClientMac) { VlanTci = (5 << 13) | (1 << 12) | 100 };
        frames.Add(new(
            "VLAN 100, priority 5, DEI, over IPv4/TCP",
            TcpFrame(vlan, IpHeader(Client, Server), Syn, default, default),
            new()
            {
                ["eth.type"] = "0x8100",
                ["vlan.id"] = "100",
                ["vlan.priority"] = "5",
                ["vlan.dei"] = "1",
                ["vlan.etype"] = "0x0800",
                ["ip.src"] = "198.18.0.77",
                ["ip.checksum.status"] = "1",
                ["tcp.srcport"] = "40000",
                ["tcp.checksum.status"] = "1",
            }));
        arp = new byte[46];
        FrameBuilder.BuildArp(arp, new EthernetHeader(MacAddress.Broadcast, ClientMac) { VlanTci = 4094 }, new ArpPacket(ArpPacket.Request, ClientMac, Client, MacAddress.Zero, Router)).ShouldBe(46);
        frames.Add(new(
            "VLAN 4094, priority 0, over ARP",
            arp,
            new() { ["vlan.id"] = "4094", ["vlan.priority"] = "0", ["vlan.dei"] = "0", ["vlan.etype"] = "0x0806", ["arp.opcode"] = "1", ["arp.dst.proto_ipv4"] = "198.18.0.254" }));
        frames.Add(new(
            "EtherType 0x88b5 set by hand over an IPv4 packet",
            TcpFrame(new EthernetHeader(ServerMac, ClientMac, 0x88B5), IpHeader(Client, Server), Syn, default, default),
            new() { ["eth.type"] = "0x88b5", ["ip.src"] = string.Empty, ["data.len"] = "40" }));
        return frames;
    }

    private static Dictionary<string, string> ArpExpect(string op, string ethDst, string srcMac, string srcIp, string dstMac, string dstIp, string hardwareType = "1") => new()
    {
        ["eth.type"] = "0x0806",
        ["eth.dst"] = ethDst,
        ["eth.src"] = srcMac,
        ["arp.hw.type"] = hardwareType,
        ["arp.proto.type"] = "0x0800",
        ["arp.hw.size"] = "6",
        ["arp.proto.size"] = "4",
        ["arp.opcode"] = op,
        ["arp.src.hw_mac"] = srcMac,
        ["arp.src.proto_ipv4"] = srcIp,
        ["arp.dst.hw_mac"] = dstMac,
        ["arp.dst.proto_ipv4"] = dstIp,
        ["ip.src"] = string.Empty,
    };

    private static byte[] IPv4Frame(EthernetHeader eth, IPv4Header ip, byte protocol, byte[] transport)
    {
        var buf = new byte[eth.HeaderLength + ip.HeaderLength + transport.Length];
        FrameBuilder.BuildIPv4(buf, eth, ip, protocol, transport).ShouldBe(buf.Length);
        return buf;
    }

    private static byte[] IcmpFrame(EthernetHeader eth, IPv4Header ip, IcmpHeader icmp, byte[] payload)
    {
        var buf = new byte[eth.HeaderLength + ip.HeaderLength + IcmpHeader.HeaderLength + payload.Length];
        FrameBuilder.BuildIcmp(buf, eth, ip, icmp, payload).ShouldBe(buf.Length);
        return buf;
    }

    [Theory]
    [InlineData("handbuilt.pcap")]
    [InlineData("handbuilt.pcapng")]
    public void Tshark_reads_every_settable_header_field_of_hand_built_frames_as_set(string name)
    {
        var frames = HandBuiltFrames();
        var fields = frames.SelectMany(f => f.Expect.Keys).Distinct().ToList();
        var rows = WriteAndDissect(name, frames.Select(f => f.Frame).ToList(), fields);
        for (var i = 0; i < frames.Count; i++)
        {
            Check(rows[i], frames[i].Expect, $"frame {i + 1} ({frames[i].Name})");
        }
    }

    private static void Check(Dictionary<string, string> row, Dictionary<string, string> expected, string what)
    {
        foreach (var (field, value) in expected)
        {
            row[field].ShouldBe(value, $"{field} of {what}: {string.Join(' ', row.Select(kv => $"{kv.Key}={kv.Value}"))}");
        }
    }

    /// <summary>Writes <paramref name="frames"/> to a capture file named <paramref name="name"/> and has tshark read back <paramref name="fields"/>.</summary>
    private static List<Dictionary<string, string>> WriteAndDissect(string name, IReadOnlyList<byte[]> frames, IReadOnlyList<string> fields)
    {
        var dir = Directory.CreateTempSubdirectory("rawhandshake-tshark-");
        try
        {
            var path = Path.Combine(dir.FullName, name);
            using (var w = CaptureFilesOnDisk.Create(path))
            {
                var t = new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.Zero);
                foreach (var f in frames)
                {
                    w.Write(t, f);
                    t = t.AddMilliseconds(1);
                }
            }

            var all = fields.Prepend("frame.number").ToList();
            var lines = RunTshark(path, all);
            lines.Length.ShouldBe(frames.Count, string.Join('\n', lines.Take(5)));
            var rows = new List<Dictionary<string, string>>();
            for (var i = 0; i < lines.Length; i++)
            {
                var v = lines[i].Split('\t');
                v.Length.ShouldBe(all.Count, lines[i]);
                v[0].ShouldBe(Dec(i + 1), lines[i]);
                rows.Add(all.Zip(v).ToDictionary(p => p.First, p => p.Second));
            }

            return rows;
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }

    private static string[] RunTshark(string path, IReadOnlyList<string> fields)
    {
        File.Exists(Tshark).ShouldBeTrue("tshark not installed (expected /usr/bin/tshark; apt-get install tshark)");
        var psi = new ProcessStartInfo(Tshark)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        psi.ArgumentList.Add("-n");
        foreach (var pref in Prefs)
        {
            psi.ArgumentList.Add("-o");
            psi.ArgumentList.Add(pref);
        }

        foreach (var a in new[] { "-r", path, "-T", "fields", "-E", "separator=/t", "-E", "aggregator=;", "-E", "occurrence=a" })
        {
            psi.ArgumentList.Add(a);
        }

        foreach (var f in fields)
        {
            psi.ArgumentList.Add("-e");
            psi.ArgumentList.Add(f);
        }

        psi.Environment["HOME"] = Path.GetTempPath(); // no user profile preferences
        using var p = Process.Start(psi).ShouldNotBeNull();
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(60_000))
        {
            p.Kill(entireProcessTree: true);
            throw new TimeoutException($"tshark did not finish reading {path} within 60 s");
        }

        p.ExitCode.ShouldBe(0, stderr.Result);
        return stdout.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries);
    }

    private static string Dec(long v) => v.ToString(CultureInfo.InvariantCulture);

    private static string Bit(int v) => v != 0 ? "1" : "0";

    private static string Hex2(int v) => "0x" + v.ToString("x2", CultureInfo.InvariantCulture);

    private static string Hex4(int v) => "0x" + v.ToString("x4", CultureInfo.InvariantCulture);

    /// <summary>aa:bb:cc:dd:ee:ff, formatted here rather than by <see cref="MacAddress"/> so the check is independent.</summary>
    private static string Mac(ulong v) =>
        string.Join(':', Enumerable.Range(0, 6).Select(i => ((byte)(v >> (40 - (8 * i)))).ToString("x2", CultureInfo.InvariantCulture)));

    private static string Ip(uint v) => string.Join('.', Enumerable.Range(0, 4).Select(i => Dec((byte)(v >> (24 - (8 * i))))));
}
