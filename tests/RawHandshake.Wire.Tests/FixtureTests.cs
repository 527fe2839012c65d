using System.Buffers.Binary;
using RawHandshake.Wire.Building;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;
using RawHandshake.Wire.Tests.Support;

namespace RawHandshake.Wire.Tests;

/// <summary>
/// Golden frames from real Linux kernel captures (tests/fixtures, see its README): every frame parses, agrees with the
/// tcpdump text and the tshark-generated README tables, gets the checksum verdict tshark gave, and rebuilds byte for byte.
/// </summary>
public class FixtureTests
{
    public static TheoryData<string> PcapFiles => new(Fixtures.Pcaps.Where(p => p.EndsWith(".pcap", StringComparison.Ordinal)));

    public static TheoryData<string> TcpSessionFiles => new(Fixtures.Pcaps.Where(p => p.EndsWith(".pcap", StringComparison.Ordinal) && p != "icmp.pcap"));

    private static ParsedFrame Parse(CapturedFrame c, string context)
    {
        var f = FrameParser.Parse(c.Data, c.LinkType);
        f.Malformed.ShouldBeNull(context);
        return f;
    }

    /// <summary>tcpdump's flag letters, decoded here independently of TcpFlagsText.</summary>
    private static TcpFlags TcpdumpFlags(string s)
    {
        var flags = TcpFlags.None;
        foreach (var c in s == "none" ? string.Empty : s)
        {
            flags |= c switch
            {
                'F' => TcpFlags.Fin,
                'S' => TcpFlags.Syn,
                'R' => TcpFlags.Rst,
                'P' => TcpFlags.Psh,
                '.' => TcpFlags.Ack,
                'U' => TcpFlags.Urg,
                'E' => TcpFlags.Ece,
                'W' => TcpFlags.Cwr,
                _ => throw new FormatException($"tcpdump flag '{c}'"),
            };
        }

        return flags;
    }

    private static string OptionText(TcpOption o) => o.Kind switch
    {
        TcpOptionKind.Nop => "nop",
        TcpOptionKind.EndOfOptions => "eol",
        TcpOptionKind.Mss => $"mss {o.Mss}",
        TcpOptionKind.SackPermitted => "sackOK",
        TcpOptionKind.Timestamps => $"TS val {o.TsVal} ecr {o.TsEcr}",
        TcpOptionKind.WindowScale => $"wscale {o.WindowScale}",
        _ => $"unknown-{(byte)o.Kind}",
    };

    private static string[] OptionTexts(ReadOnlySpan<byte> options)
    {
        var list = new List<string>();
        foreach (var o in new TcpOptionReader(options))
        {
            list.Add(OptionText(o));
        }

        return [.. list];
    }

    [Theory]
    [MemberData(nameof(PcapFiles))]
    public void Captured_bytes_and_times_match_the_tcpdump_dump_and_the_readme(string file)
    {
        var frames = Fixtures.Read(file);
        var text = Fixtures.Tcpdump(file);
        var rows = Fixtures.Readme(file);
        frames.Count.ShouldBe(text.Count, file);
        frames.Count.ShouldBe(rows.Count, file);
        for (var i = 0; i < frames.Count; i++)
        {
            Convert.ToHexString(frames[i].Data).ShouldBe(Convert.ToHexString(text[i].Bytes), $"{file} #{i + 1}");
            frames[i].Data.Length.ShouldBe(rows[i].Length, $"{file} #{i + 1}");
            frames[i].OriginalLength.ShouldBe(frames[i].Data.Length);
            frames[i].Timestamp.ShouldBe(text[i].Time, $"{file} #{i + 1}");
        }
    }

    [Fact]
    public void Pcapng_copy_holds_the_same_frames_as_the_pcap()
    {
        var pcap = Fixtures.Read("echo-session.pcap");
        var ng = Fixtures.Read("echo-session.pcapng");
        ng.Count.ShouldBe(pcap.Count);
        for (var i = 0; i < pcap.Count; i++)
        {
            ng[i].Data.ShouldBe(pcap[i].Data);
            ng[i].LinkType.ShouldBe(LinkType.Ethernet);
            FrameParser.Parse(ng[i].Data).ShouldBe(FrameParser.Parse(pcap[i].Data));
        }
    }

    [Theory]
    [MemberData(nameof(PcapFiles))]
    public void Every_frame_parses_to_what_tcpdump_and_tshark_say(string file)
    {
        var frames = Fixtures.Read(file);
        var text = Fixtures.Tcpdump(file);
        var rows = Fixtures.Readme(file);
        var tcpFrames = 0;
        for (var i = 0; i < frames.Count; i++)
        {
            var ctx = $"{file} #{i + 1}";
            var data = frames[i].Data;
            var f = Parse(frames[i], ctx);
            var t = text[i];

            var ip = f.IPv4.ShouldNotBeNull(ctx);
            ip.Tos.ShouldBe(t.Tos, ctx);
            ip.Ttl.ShouldBe(t.Ttl, ctx);
            ip.Id.ShouldBe(t.Id, ctx);
            ip.DontFragment.ShouldBe(t.IpFlags == "DF", ctx);
            ip.MoreFragments.ShouldBeFalse(ctx);
            ip.Protocol.ShouldBe(t.Protocol, ctx);
            ip.TotalLength.ShouldBe(t.TotalLength, ctx);
            f.TrailerLength.ShouldBe(0, ctx);
            rows[i].IpChecksum.ShouldBe("Good", ctx);
            f.IpChecksum(data).ShouldBe(ChecksumVerdict.Good, ctx);

            if (t.Tcp is not { } tt)
            {
                f.Tcp.ShouldBeNull(ctx);
                continue;
            }

            tcpFrames++;
            ip.Source.ShouldBe(IPv4Address.Parse(tt.Source), ctx);
            ip.Destination.ShouldBe(IPv4Address.Parse(tt.Destination), ctx);
            var tcp = f.Tcp.ShouldNotBeNull(ctx);
            tcp.SourcePort.ShouldBe(tt.SourcePort, ctx);
            tcp.DestinationPort.ShouldBe(tt.DestinationPort, ctx);
            tcp.Flags.ShouldBe(TcpdumpFlags(tt.Flags), ctx);
            tcp.Window.ShouldBe(tt.Window, ctx);
            tcp.Checksum.ShouldBe(tt.Checksum, ctx);
            f.PayloadLength.ShouldBe(tt.Length, ctx);
            OptionTexts(f.TcpOptions(data)).ShouldBe(tt.Options, ctx);

            var (seq, ack) = rows[i].Raw.ShouldNotBeNull(ctx);
            tcp.Seq.Value.ShouldBe(seq, ctx);
            tcp.Ack.Value.ShouldBe(ack, ctx);

            var verdict = f.TransportChecksum(data);
            if (file == Fixtures.Offload)
            {
                rows[i].L4Checksum.ShouldStartWith("TCP Bad", Case.Sensitive, ctx);
                tt.ChecksumCorrect.ShouldBeFalse(ctx);
                verdict.ShouldBe(ChecksumVerdict.Offload, ctx);
            }
            else
            {
                rows[i].L4Checksum.ShouldBe("TCP Good", ctx);
                tt.ChecksumCorrect.ShouldBeTrue(ctx);
                verdict.ShouldBe(ChecksumVerdict.Good, ctx);
            }
        }

        tcpFrames.ShouldBeGreaterThan(0, file);
    }

    [Fact]
    public void Chosen_frames_with_literal_values()
    {
        // echo-session.pcap #1: Flags [S], cksum 0xab29 (correct), seq 3559285449, win 64240,
        //   options [mss 1460,sackOK,TS val 631758080 ecr 0,nop,wscale 10]; IP ttl 64, id 37976 (0x9458), DF, length 60
        var frames = Fixtures.Read("echo-session.pcap");
        var syn = FrameParser.Parse(frames[0].Data);
        syn.Ethernet!.Value.Source.ShouldBe(MacAddress.Parse("02:00:00:00:00:01"));
        syn.Ethernet!.Value.Destination.ShouldBe(MacAddress.Parse("02:00:00:00:00:fe"));
        syn.IPv4!.Value.Source.ShouldBe(IPv4Address.Parse("198.18.0.1"));
        syn.IPv4!.Value.Destination.ShouldBe(IPv4Address.Parse("198.18.2.10"));
        syn.IPv4!.Value.Id.ShouldBe((ushort)0x9458);
        syn.IPv4!.Value.Checksum.ShouldBe((ushort)0x1834);
        syn.Tcp!.Value.ShouldBe(new TcpHeader(35834, 20000, new SeqNum(3559285449), new SeqNum(0), TcpFlags.Syn, 64240) { DataOffset = 10, Checksum = 0xab29 });
        syn.TcpOptionsSummary(frames[0].Data).ShouldBe(new TcpOptionsSummary(1460, 10, true, 631758080, 0, 0));
        Convert.ToHexString(syn.TcpOptions(frames[0].Data)).ShouldBe("020405B40402080A25A7DD00000000000103030A");

        // #2: Flags [S.], cksum 0xc657, seq 277770817, ack 3559285450, win 65160, TS val 4216152843 ecr 631758080; ttl 63, id 0
        var synAck = FrameParser.Parse(frames[1].Data);
        synAck.Tcp!.Value.ShouldBe(new TcpHeader(20000, 35834, new SeqNum(277770817), new SeqNum(3559285450), TcpFlags.Syn | TcpFlags.Ack, 65160) { DataOffset = 10, Checksum = 0xc657 });
        synAck.TcpOptionsSummary(frames[1].Data).ShouldBe(new TcpOptionsSummary(1460, 10, true, 4216152843, 631758080, 0));
        synAck.IPv4!.Value.Ttl.ShouldBe((byte)63);
        synAck.IPv4!.Value.Id.ShouldBe((ushort)0);
        synAck.IPv4!.Value.Checksum.ShouldBe((ushort)0xad8c);
        (synAck.Tcp!.Value.Ack - syn.Tcp!.Value.Seq).ShouldBe(1);

        // #4: 'A' from the client: Flags [P.], seq 1:2 (raw 3559285450), payload "A"
        var data = FrameParser.Parse(frames[3].Data);
        data.Tcp!.Value.Flags.ShouldBe(TcpFlags.Psh | TcpFlags.Ack);
        data.Tcp!.Value.Seq.RelativeTo(syn.Tcp!.Value.Seq).ShouldBe(1u);
        data.Payload(frames[3].Data).ToArray().ShouldBe("A"u8.ToArray());

        // closed-port.pcap #2: Flags [R.], cksum 0x174c (correct), seq 0, ack 3804774530, win 0, length 0; 54 bytes
        var rstFrame = Fixtures.Read("closed-port.pcap")[1].Data;
        rstFrame.Length.ShouldBe(54);
        var rst = FrameParser.Parse(rstFrame);
        rst.Tcp!.Value.ShouldBe(new TcpHeader(20001, 39144, new SeqNum(0), new SeqNum(3804774530), TcpFlags.Rst | TcpFlags.Ack, 0) { DataOffset = 5, Checksum = 0x174c });
        rst.TcpOptionsLength.ShouldBe(0);
        rst.TransportChecksum(rstFrame).ShouldBe(ChecksumVerdict.Good);

        // http-get.pcap #4: the 37-byte GET
        var get = Fixtures.Read("http-get.pcap")[3].Data;
        var g = FrameParser.Parse(get);
        System.Text.Encoding.ASCII.GetString(g.Payload(get)).ShouldBe("GET / HTTP/1.0\r\nHost: 198.18.2.10\r\n\r\n");
    }

    [Theory]
    [MemberData(nameof(PcapFiles))]
    public void Every_frame_rebuilds_byte_for_byte_from_its_parsed_fields(string file)
    {
        var frames = Fixtures.Read(file);
        for (var i = 0; i < frames.Count; i++)
        {
            var ctx = $"{file} #{i + 1}";
            var captured = frames[i].Data;
            var f = Parse(frames[i], ctx);
            var network = captured.AsSpan(f.NetworkOffset).ToArray();
            var ip = f.IPv4!.Value with { Options = f.IpOptions(captured).ToArray(), Checksum = null, TotalLength = null, Ihl = null, Version = null };
            var rebuilt = new byte[network.Length + 64];
            Array.Fill(rebuilt, (byte)0xA5);
            int n;
            if (f.Tcp is { } tcp)
            {
                var offload = file == Fixtures.Offload;
                n = FrameBuilder.BuildTcpPacket(rebuilt, ip, tcp with { Checksum = offload ? tcp.Checksum : null, DataOffset = null }, f.TcpOptions(captured), f.Payload(captured));
            }
            else if (f.Icmp is { } icmp)
            {
                var l3 = new byte[rebuilt.Length + 14];
                var m = FrameBuilder.BuildIcmp(l3, new EthernetHeader(default, default), ip, icmp with { Checksum = null }, f.Payload(captured));
                n = m - 14;
                l3.AsSpan(14, n).CopyTo(rebuilt);
            }
            else
            {
                f.Udp.ShouldNotBeNull(ctx);
                var l3 = new byte[rebuilt.Length + 14];
                n = FrameBuilder.BuildIPv4(l3, new EthernetHeader(default, default), ip, 17, captured.AsSpan(f.IpPayloadOffset, f.IpPayloadLength)) - 14;
                l3.AsSpan(14, n).CopyTo(rebuilt);
            }

            Convert.ToHexString(rebuilt, 0, n).ShouldBe(Convert.ToHexString(network), ctx);

            if (f.Ethernet is { } eth)
            {
                // And the whole Ethernet frame, link header included (VLAN tag too).
                var whole = new byte[captured.Length];
                if (f.Tcp is { } t)
                {
                    FrameBuilder.BuildTcp(whole, eth with { EtherType = null }, ip, t with { Checksum = file == Fixtures.Offload ? t.Checksum : null, DataOffset = null }, f.TcpOptions(captured), f.Payload(captured)).ShouldBe(captured.Length);
                    whole.ShouldBe(captured, ctx);
                }
            }
        }
    }

    [Fact]
    public void Offload_frames_hold_the_pseudo_header_sum_and_we_compute_what_tcpdump_calls_correct()
    {
        var frames = Fixtures.Read(Fixtures.Offload);
        var text = Fixtures.Tcpdump(Fixtures.Offload);
        var seen = new HashSet<ushort>();
        for (var i = 0; i < frames.Count; i++)
        {
            var ctx = $"#{i + 1}";
            var data = frames[i].Data;
            var f = Parse(frames[i], ctx);
            var segment = data.AsSpan(f.IpPayloadOffset, f.IpPayloadLength);
            var field = BinaryPrimitives.ReadUInt16BigEndian(segment[16..]);

            // Independently: the field is the folded pseudo-header sum (README: 0x8e5e for 40 bytes, 0x8e56 for 32...).
            field.ShouldBe(RefChecksum.Fold(RefChecksum.PseudoSum(data.AsSpan(f.NetworkOffset + 12, 4), data.AsSpan(f.NetworkOffset + 16, 4), 6, segment.Length)), ctx);
            field.ShouldBe((ushort)(0x8e5e - 40 + segment.Length), ctx);
            seen.Add(field);

            // What the NIC would have written: tcpdump's "incorrect -> 0xNNNN".
            var zeroed = segment.ToArray();
            zeroed[16] = zeroed[17] = 0;
            var correct = Checksum.ComputeTransport(f.IPv4!.Value.Source, f.IPv4!.Value.Destination, 6, zeroed);
            correct.ShouldBe(text[i].Tcp!.CorrectChecksum.ShouldNotBeNull(ctx), ctx);

            // With that checksum in place the verdict turns good.
            BinaryPrimitives.WriteUInt16BigEndian(zeroed.AsSpan(16), correct);
            Checksum.VerifyTransport(f.IPv4!.Value.Source, f.IPv4!.Value.Destination, 6, zeroed, 16).ShouldBe(ChecksumVerdict.Good, ctx);
        }

        seen.OrderBy(x => x).ShouldBe(new ushort[] { 0x8e56, 0x8e57, 0x8e58, 0x8e5e });
    }

    /// <summary>A frame with the run-specific values (ISNs, ports, timestamps, IP ids, checksums) taken out.</summary>
    private static string Shape(ParsedFrame f, byte[] data, SeqNum clientIsn, SeqNum serverIsn, IPv4Address client, bool withTtl)
    {
        var ip = f.IPv4!.Value;
        var tcp = f.Tcp!.Value;
        var fromClient = ip.Source == client;
        var relSeq = tcp.Seq.RelativeTo(fromClient ? clientIsn : serverIsn);
        var relAck = tcp.Has(TcpFlags.Ack) ? tcp.Ack.RelativeTo(fromClient ? serverIsn : clientIsn) : 0;
        var o = f.TcpOptionsSummary(data);
        var kinds = new List<byte>();
        foreach (var opt in new TcpOptionReader(f.TcpOptions(data)))
        {
            kinds.Add((byte)opt.Kind);
        }

        return $"{(fromClient ? "C>S" : "S>C")} {tcp.Flags.ToWireshark()} seq+{relSeq} ack+{relAck} win {tcp.Window} len {f.PayloadLength} " +
               $"opts {string.Join('.', kinds)} mss {o.Mss} ws {o.WindowScale} sackok {o.SackPermitted} ts {o.HasTimestamps} " +
               $"tos {ip.Tos} df {ip.DontFragment} total {ip.TotalLength} {(withTtl ? $"ttl {ip.Ttl}" : string.Empty)} payload {Convert.ToHexString(f.Payload(data))}";
    }

    private static List<string> Shapes(string file, bool withTtl, out List<ParsedFrame> parsed)
    {
        var frames = Fixtures.Read(file);
        parsed = frames.Select(c => Parse(c, file)).ToList();
        var syn = parsed[0];
        var synAck = parsed[1];
        syn.Tcp!.Value.Flags.ShouldBe(TcpFlags.Syn, file);
        synAck.Tcp!.Value.Flags.ShouldBe(TcpFlags.Syn | TcpFlags.Ack, file);
        var client = syn.IPv4!.Value.Source;
        var shapes = new List<string>();
        for (var i = 0; i < frames.Count; i++)
        {
            shapes.Add(Shape(parsed[i], frames[i].Data, syn.Tcp!.Value.Seq, synAck.Tcp!.Value.Seq, client, withTtl));
        }

        return shapes;
    }

    [Theory]
    [InlineData("echo-session-sll.pcap", LinkType.LinuxSll)]
    [InlineData("echo-session-sll2.pcap", LinkType.LinuxSll2)]
    [InlineData("echo-session-any.pcap", LinkType.LinuxSll2)]
    [InlineData("vlan.pcap", LinkType.Ethernet)]
    public void Cooked_and_vlan_captures_parse_to_the_same_session_as_the_ethernet_capture(string file, LinkType link)
    {
        var vlan = file == "vlan.pcap";
        var reference = Shapes("echo-session.pcap", withTtl: !vlan, out var refParsed);
        var shapes = Shapes(file, withTtl: !vlan, out var parsed);
        shapes.ShouldBe(reference);

        var frames = Fixtures.Read(file);
        frames.ShouldAllBe(c => c.LinkType == link);
        var text = Fixtures.Tcpdump(file);
        for (var i = 0; i < parsed.Count; i++)
        {
            var f = parsed[i];
            var ctx = $"{file} #{i + 1}";
            f.EtherType.ShouldBe((ushort)0x0800, ctx);
            var fromClient = f.IPv4!.Value.Source == parsed[0].IPv4!.Value.Source;
            if (vlan)
            {
                var eth = f.Ethernet.ShouldNotBeNull(ctx);
                eth.VlanTci.ShouldBe((ushort)100, ctx); // PCP 0, DEI 0, VID 100
                eth.VlanTags.ShouldBe(1);
                f.NetworkOffset.ShouldBe(18);
                eth.Source.ShouldBe(MacAddress.Parse(fromClient ? "02:00:00:00:04:01" : "02:00:00:00:04:02"), ctx);
                f.IPv4!.Value.Ttl.ShouldBe((byte)64, ctx);
                f.IPv4!.Value.Source.ShouldBe(IPv4Address.Parse(fromClient ? "198.18.4.1" : "198.18.4.2"), ctx);
            }
            else
            {
                f.Ethernet.ShouldBeNull(ctx);
                var sll = f.Sll.ShouldNotBeNull(ctx);
                sll.Version.ShouldBe(link == LinkType.LinuxSll ? 1 : 2, ctx);
                sll.Protocol.ShouldBe((ushort)0x0800, ctx);
                sll.ArphrdType.ShouldBe((ushort)1, ctx);
                sll.PacketType.ShouldBe(fromClient ? (ushort)4 : (ushort)0, ctx);
                sll.PacketTypeName.ShouldBe(fromClient ? "Sent by us" : "Unicast to us", ctx);
                sll.LinkAddressLength.ShouldBe(6, ctx);
                sll.LinkAddress.ShouldBe(MacAddress.Parse(fromClient ? "02:00:00:00:00:01" : "02:00:00:00:00:fe").Value, ctx);
                f.NetworkOffset.ShouldBe(link == LinkType.LinuxSll ? 16 : 20, ctx);
                if (link == LinkType.LinuxSll2)
                {
                    sll.InterfaceIndex.ShouldBe(2, ctx); // c0 in CLIENT
                    text[i].Direction.ShouldBe(fromClient ? "Out" : "In", ctx);
                }

                f.IPv4!.Value.Source.ShouldBe(refParsed[i].IPv4!.Value.Source, ctx);
                f.IPv4!.Value.Destination.ShouldBe(refParsed[i].IPv4!.Value.Destination, ctx);
            }
        }
    }

    [Fact]
    public void Icmp_fixture_decodes_echo_port_unreachable_and_time_exceeded()
    {
        var frames = Fixtures.Read("icmp.pcap");
        var p = frames.Select((c, i) => Parse(c, $"icmp.pcap #{i + 1}")).ToArray();
        var client = IPv4Address.Parse("198.18.0.1");
        var server = IPv4Address.Parse("198.18.2.10");

        // 1-2: ICMP echo request/reply, id 14430, seq 1, 56 data bytes
        p[0].Icmp!.Value.Type.ShouldBe(IcmpHeader.EchoRequest);
        p[0].Icmp!.Value.Identifier.ShouldBe((ushort)14430);
        p[0].Icmp!.Value.SequenceNumber.ShouldBe((ushort)1);
        p[0].PayloadLength.ShouldBe(56);
        p[1].Icmp!.Value.Type.ShouldBe(IcmpHeader.EchoReply);
        p[1].Icmp!.Value.Identifier.ShouldBe((ushort)14430);
        p[1].Payload(frames[1].Data).ToArray().ShouldBe(p[0].Payload(frames[0].Data).ToArray());
        p[0].IcmpQuote.ShouldBeNull();

        // 3: UDP 48063 -> 33434, 'hello'
        p[2].Udp.ShouldBe(new UdpHeader(48063, 33434, 13, p[2].Udp!.Value.Checksum));
        p[2].Payload(frames[2].Data).ToArray().ShouldBe("hello"u8.ToArray());

        // 4: ICMP 198.18.2.10 udp port 33434 unreachable; quotes IP (ttl 63, id 63344, DF, UDP, length 33) 48063 > 33434
        var unreach = p[3];
        unreach.IPv4!.Value.Tos.ShouldBe((byte)0xc0);
        unreach.IPv4!.Value.DontFragment.ShouldBeFalse();
        unreach.Icmp!.Value.Type.ShouldBe(IcmpHeader.DestinationUnreachable);
        unreach.Icmp!.Value.Code.ShouldBe((byte)3);
        var q = unreach.IcmpQuote.ShouldNotBeNull();
        q.Ip.Source.ShouldBe(client);
        q.Ip.Destination.ShouldBe(server);
        q.Ip.Ttl.ShouldBe((byte)63);
        q.Ip.Id.ShouldBe((ushort)63344);
        q.Ip.TotalLength.ShouldBe((ushort)33);
        q.Ip.Protocol.ShouldBe((byte)17);
        q.SourcePort.ShouldBe((ushort)48063);
        q.DestinationPort.ShouldBe((ushort)33434);
        q.TcpSeq.ShouldBeNull();
        q.Offset.ShouldBe(42);
        Checksum.Verify(frames[3].Data.AsSpan(q.Offset, 20)).ShouldBe(ChecksumVerdict.Good); // tshark: quoted IP checksum Good

        // 6: ICMP time exceeded in-transit from 198.18.0.254; quotes the TTL 1 SYN 35848 > 20000, seq 615614750
        var te = p[5];
        te.IPv4!.Value.Source.ShouldBe(IPv4Address.Parse("198.18.0.254"));
        te.Icmp!.Value.Type.ShouldBe(IcmpHeader.TimeExceeded);
        te.Icmp!.Value.Code.ShouldBe((byte)0);
        var tq = te.IcmpQuote.ShouldNotBeNull();
        tq.Ip.Ttl.ShouldBe((byte)1);
        tq.Ip.Id.ShouldBe((ushort)28489);
        tq.Ip.Protocol.ShouldBe((byte)6);
        tq.Ip.TotalLength.ShouldBe((ushort)60);
        tq.SourcePort.ShouldBe((ushort)35848);
        tq.DestinationPort.ShouldBe((ushort)20000);
        tq.TcpSeq.ShouldBe(new SeqNum(615614750));
        tq.TcpSeq.ShouldBe(p[4].Tcp!.Value.Seq);

        // The whole quoted SYN is there: it parses as the SYN of frame 5 (TTL apart, which is 1 in both).
        var quoted = frames[5].Data.AsSpan(tq.Offset).ToArray();
        var inner = FrameParser.Parse(quoted, LinkType.Raw);
        inner.Malformed.ShouldBeNull();
        inner.Tcp.ShouldBe(p[4].Tcp);
        inner.IPv4.ShouldBe(p[4].IPv4);
        inner.TransportChecksum(quoted).ShouldBe(ChecksumVerdict.Good);

        for (var i = 0; i < frames.Count; i++)
        {
            p[i].TransportChecksum(frames[i].Data).ShouldBe(ChecksumVerdict.Good, $"#{i + 1}");
        }
    }

    [Fact]
    public void Every_truncation_of_every_fixture_frame_over_every_link_type()
    {
        var checkedFrames = 0;
        foreach (var file in Fixtures.Pcaps)
        {
            var frames = Fixtures.Read(file);
            for (var i = 0; i < frames.Count; i++)
            {
                var c = frames[i];
                HostileInputTests.AssertEveryTruncation($"{file} #{i + 1}", c.Data, c.LinkType);
                checkedFrames++;
                if (c.LinkType == LinkType.Ethernet)
                {
                    foreach (var link in SampleFrames.LinkTypes.Where(l => l != LinkType.Ethernet))
                    {
                        HostileInputTests.AssertEveryTruncation($"{file} #{i + 1} as {link}", SampleFrames.Reencapsulate(c.Data, link)!, link);
                    }
                }
            }
        }

        checkedFrames.ShouldBe(104);
    }

    [Fact]
    public void Mutated_fixture_frames_never_throw()
    {
        var rng = new Random(4096);
        var all = Fixtures.Pcaps.SelectMany(Fixtures.Read).ToArray();
        for (var i = 0; i < 50_000; i++)
        {
            var c = all[rng.Next(all.Length)];
            var bytes = c.Data.ToArray();
            for (var k = rng.Next(1, 4); k > 0; k--)
            {
                bytes[rng.Next(bytes.Length)] = (byte)rng.Next(256);
            }

            var f = FrameParser.Parse(bytes, c.LinkType);
            SampleFrames.TouchAccessors(f, bytes);
            if (f.Malformed is { } m)
            {
                m.ShouldStartWith("malformed: ");
            }
        }
    }
}
