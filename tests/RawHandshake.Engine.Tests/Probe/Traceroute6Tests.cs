using RawHandshake.Engine.Probe;
using RawHandshake.Engine.Tests.Infra;
using RawHandshake.Wire.Building;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Tests.Probe;

/// <summary>traceroute over IPv6 in virtual time: SYNs with a hop limit, ICMPv6 errors matched to their probe through
/// the packet they quote (source port, then addresses, ports and our ISN), the target's SYN-ACK reset, and the hop
/// read with ICMPv6's types and codes (its type 3 is time exceeded, ICMP's is unreachable).</summary>
public class Traceroute6Tests
{
    private const ushort BasePort = 50000;
    private static readonly IPv6Address Client = IPv6Address.Parse("2001:db8::1");
    private static readonly IPv6Address Router = IPv6Address.Parse("2001:db8::fe");
    private static readonly IPv6Address Server = IPv6Address.Parse("2001:db8:2::10");
    private static readonly EthernetHeader Eth = new(Lan.ServerMac, Lan.ClientMac);

    private static PortProbeFrames Probes(byte hopLimit, int count = 3) =>
        new(Enumerable.Repeat(new PortProbe(20000, hopLimit), count).ToList(), Eth, Client, Server, BasePort, 0);

    /// <summary>An ICMPv6 error from <paramref name="from"/> quoting <paramref name="quoted"/>'s IPv6 packet (as much of it
    /// as <paramref name="quoteBytes"/> says, all by default: RFC 4443 quotes up to the minimum MTU).</summary>
    private static byte[] Icmpv6Error(byte type, byte code, IPv6Address from, byte[] quoted, int quoteBytes = int.MaxValue)
    {
        var f = FrameParser.Parse(quoted);
        var packet = quoted.AsSpan(f.NetworkOffset);
        packet = packet[..Math.Min(packet.Length, quoteBytes)];
        var buffer = new byte[FrameBuilder.MaxFrameLength];
        var ip = new IPv6Header { Source = from, Destination = Client, HopLimit = 64 };
        var n = FrameBuilder.BuildIcmpv6(buffer, new EthernetHeader(Lan.ClientMac, Lan.ServerMac), ip, new Icmpv6Header(type, code, 0), packet);
        return buffer[..n];
    }

    private static byte[] FromServer(TcpHeader syn, TcpFlags flags)
    {
        var buffer = new byte[FrameBuilder.MaxFrameLength];
        var ip = new IPv6Header { Source = Server, Destination = Client, HopLimit = 63 };
        var tcp = new TcpHeader(syn.DestinationPort, syn.SourcePort, new SeqNum(7000), syn.Seq + 1, flags, 64800);
        var n = FrameBuilder.BuildTcp(buffer, new EthernetHeader(Lan.ClientMac, Lan.ServerMac), ip, tcp, default, default);
        return buffer[..n];
    }

    /// <summary>The peer answers each of our SYNs as <paramref name="answer"/> says, 1 ms later; keeps what else we send.</summary>
    private static List<Seen> Answer(TestBed bed, Func<Seen, int, IEnumerable<byte[]>> answer)
    {
        var others = new List<Seen>();
        bed.Server.Intercept = seen =>
        {
            if (seen.Parsed.Tcp is { } t && t.Has(TcpFlags.Syn))
            {
                foreach (var frame in answer(seen, t.SourcePort - BasePort))
                {
                    bed.Server.Schedule(TimeSpan.FromMilliseconds(1), () => bed.Server.Send(frame));
                }
            }
            else
            {
                others.Add(seen);
            }

            return true;
        };
        return others;
    }

    private static ProbeResult Run(TestBed bed, PortProbeFrames frames) =>
        Prober.Run(bed.Engine, new ProbeRequest(frames) { Interval = TimeSpan.FromMilliseconds(10), Timeout = TimeSpan.FromMilliseconds(100), Linger = TimeSpan.FromMilliseconds(10) });

    [Fact]
    public void ProbesAreIpv6SynsWithTheHopLimitAndTheirOwnSourcePort()
    {
        var frames = Probes(hopLimit: 2);
        for (var i = 0; i < frames.Count; i++)
        {
            var bytes = frames.Frame(i).ToArray();
            var f = FrameParser.Parse(bytes);
            var ip = f.IPv6.ShouldNotBeNull();
            (ip.Source, ip.Destination, ip.HopLimit).ShouldBe((Client, Server, (byte?)2));
            f.IPv4.ShouldBeNull();
            var tcp = f.Tcp.ShouldNotBeNull();
            (tcp.SourcePort, tcp.DestinationPort, tcp.Seq, tcp.Flags).ShouldBe(((ushort)(BasePort + i), (ushort)20000, frames.Isn(i), TcpFlags.Syn | TcpFlags.Ece | TcpFlags.Cwr));
            f.TransportChecksum(bytes).ShouldBe(ChecksumVerdict.Good);
        }
    }

    [Fact]
    public void TimeExceededMapsToItsProbeThroughTheQuoteAndAForgedQuoteIsSilence()
    {
        using var bed = new TestBed();
        var frames = Probes(hopLimit: 1);
        Answer(bed, (seen, i) => i switch
        {
            0 => [Icmpv6Error(Icmpv6Header.TimeExceeded, 0, Router, seen.Frame)],

            // Our source port, but not our ISN: someone who guessed the port, not one who saw the SYN.
            1 => [Icmpv6Error(Icmpv6Header.TimeExceeded, 0, Router, Patched(seen.Frame, seen.Parsed.TransportOffset + 4))],

            // A router quoting only the IPv6 header and 8 bytes (ports and sequence number) is enough.
            _ => [Icmpv6Error(Icmpv6Header.TimeExceeded, 0, Router, seen.Frame, IPv6Header.Length + 8)],
        });

        var result = Run(bed, frames);
        result.Replies.Where(r => !r.Duplicate).Select(r => (r.Index, r.Kind)).ShouldBe([(0, ProbeReplyKind.IcmpError), (2, ProbeReplyKind.IcmpError)]);

        var hop = TcpTraceroute.HopOf(1, frames.Count, result);
        hop.Ends.ShouldBeFalse();
        hop.Replies[1].ShouldBeNull();
        var first = hop.Replies[0].ShouldNotBeNull();
        (first.From, first.Icmp!.Type, first.Icmp.Code, first.Icmp.IsV6, first.Icmp.IsUnreachable, first.Mark).ShouldBe(((IpAddress)Router, (byte)3, (byte)0, true, false, ""));
        first.Icmp.Name.ShouldBe("Time Exceeded (hop limit exceeded in transit)");
        first.Icmp.Reason.ShouldBe("time-exceeded");
        HopText.Line(hop).ShouldBe(" 1  2001:db8::fe  1.000 ms *  1.000 ms");
        HopText.Json(hop).ShouldBe("""{"event":"hop","hop":1,"replies":[{"from":"2001:db8::fe","rtt_us":1000,"icmp":{"type":3,"code":0,"name":"Time Exceeded (hop limit exceeded in transit)"}},null,{"from":"2001:db8::fe","rtt_us":1000,"icmp":{"type":3,"code":0,"name":"Time Exceeded (hop limit exceeded in transit)"}}],"reached":false}""");
    }

    [Fact]
    public void TheTargetsSynAckEndsThePathAndItsConnectionIsResetOverIpv6()
    {
        using var bed = new TestBed();
        var frames = Probes(hopLimit: 2, count: 2);
        var others = Answer(bed, (seen, i) => [FromServer(seen.Tcp, i == 0 ? TcpFlags.Syn | TcpFlags.Ack : TcpFlags.Rst | TcpFlags.Ack)]);

        var result = Run(bed, frames);
        bed.Server.Step(); // the peer takes what the last turn sent

        var hop = TcpTraceroute.HopOf(2, frames.Count, result);
        hop.Ends.ShouldBeTrue();
        hop.Replies.ShouldAllBe(r => r != null && r.FromTarget && r.From == (IpAddress)Server);
        HopText.Line(hop).ShouldBe(" 2  2001:db8:2::10  1.000 ms  1.000 ms  [open]");

        // The SYN-ACK opened a connection on the server: our RST at its acknowledgment number, in IPv6, closes it.
        var rst = others.ShouldHaveSingleItem();
        rst.Parsed.IPv6.ShouldNotBeNull().Destination.ShouldBe(Server);
        (rst.Tcp.Flags, rst.Tcp.SourcePort, rst.Tcp.Seq).ShouldBe((TcpFlags.Rst, BasePort, frames.Isn(0) + 1));
        rst.TcpChecksum.ShouldBe(ChecksumVerdict.Good);
    }

    [Theory]
    [InlineData(Icmpv6Header.DestinationUnreachable, 0, "!N", true, "no-route")]
    [InlineData(Icmpv6Header.DestinationUnreachable, 1, "!X", true, "admin-prohibited")]
    [InlineData(Icmpv6Header.DestinationUnreachable, 3, "!H", true, "host-unreach")]
    [InlineData(Icmpv6Header.DestinationUnreachable, 4, "", true, "port-unreach")]
    [InlineData(Icmpv6Header.DestinationUnreachable, 6, "!<6>", true, "reject-route")]
    [InlineData(Icmpv6Header.PacketTooBig, 0, "!F", true, "pkt-too-big")]
    [InlineData(Icmpv6Header.TimeExceeded, 0, "", false, "time-exceeded")]
    public void Icmpv6ErrorsAreReadWithTheirOwnTypesAndCodes(byte type, byte code, string mark, bool ends, string reason)
    {
        var reply = new HopReply(Router, TimeSpan.FromMicroseconds(50), new IcmpErrorSeen(type, code, Router), null);
        (reply.Mark, reply.EndsPath, reply.Icmp!.Reason).ShouldBe((mark, ends, reason));

        // The same numbers from an IPv4 router are ICMP's: type 3 is an unreachable there, not a time exceeded.
        var v4 = IPv4Address.Parse("198.18.0.254");
        new HopReply(v4, TimeSpan.Zero, new IcmpErrorSeen(3, 0, v4), null).EndsPath.ShouldBeTrue();
    }

    [Fact]
    public void AnUnreachableHopLineCarriesItsMark()
    {
        var hop = new Hop(1, [new HopReply(Router, TimeSpan.FromMicroseconds(80), new IcmpErrorSeen(Icmpv6Header.DestinationUnreachable, 1, Router), null)]);
        hop.Ends.ShouldBeTrue();
        HopText.Line(hop).ShouldBe(" 1  2001:db8::fe  0.080 ms !X");
    }

    private static byte[] Patched(byte[] frame, int at)
    {
        var copy = (byte[])frame.Clone();
        copy[at] ^= 0x01;
        return copy;
    }
}
