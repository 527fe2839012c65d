using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using RawHandshake.Link;
using RawHandshake.Wire.Building;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Link.Tests;

[Trait("Category", "Live")]
public class LiveLinkTests
{
    private static readonly TimeSpan ReplyLimit = TimeSpan.FromSeconds(2);

    [Fact]
    public void An_ARP_request_sent_from_A_gets_Bs_kernel_reply_within_2_s_stamped_after_the_send()
    {
        using var net = TestNetwork.Create();
        net.InA(() =>
        {
            using var link = LiveLink.Open(net.IfA, "arp");
            link.LinkType.ShouldBe(LinkType.Ethernet);
            link.HardwareAddress.ShouldBe(net.MacA);
            link.SnapLength.ShouldBe(262144);
            link.SelectableFd.ShouldBeGreaterThan(2);

            var frame = new byte[64];
            var n = FrameBuilder.BuildArpRequest(frame, net.MacA, net.AddrA, net.AddrB);
            var clock = Stopwatch.StartNew();
            var sentAt = link.Send(frame.AsSpan(0, n));

            ArpPacket? reply = null;
            EthernetHeader? eth = null;
            DateTimeOffset replyAt = default;
            for (var round = 0; round < 100 && reply is null && clock.Elapsed < ReplyLimit; round++)
            {
                if (!link.WaitReadable(ReplyLimit - clock.Elapsed))
                {
                    break;
                }

                link.Poll((f, ts) =>
                {
                    var p = FrameParser.Parse(f, link.LinkType);
                    if (p.Arp is { Operation: ArpPacket.Reply } arp && arp.SenderIp == net.AddrB)
                    {
                        reply = arp;
                        eth = p.Ethernet;
                        replyAt = ts;
                    }
                });
            }

            reply.ShouldNotBeNull("no ARP reply from B's kernel within 2 s");
            reply.Value.SenderMac.ShouldBe(net.MacB);
            reply.Value.TargetIp.ShouldBe(net.AddrA);
            reply.Value.TargetMac.ShouldBe(net.MacA);
            eth!.Value.Destination.ShouldBe(net.MacA);
            sentAt.ShouldBeLessThanOrEqualTo(replyAt);
            (replyAt - sentAt).ShouldBeLessThan(ReplyLimit);
        });
    }

    /// <summary>
    /// Documented libpcap-on-Linux behaviour (FIELD-NOTES): a handle does not capture the frames it injected itself, so
    /// the engine records what it sends in-process. A second handle on the same interface does see them — which also
    /// proves the frame went out.
    /// </summary>
    [Fact]
    public void A_handle_does_not_see_its_own_sent_frames_but_a_second_handle_does()
    {
        using var net = TestNetwork.Create();
        net.InA(() =>
        {
            using var sender = LiveLink.Open(net.IfA, "arp");
            using var observer = LiveLink.Open(net.IfA, "arp");
            var frame = new byte[64];
            var n = FrameBuilder.BuildArpRequest(frame, net.MacA, net.AddrA, net.AddrB);
            var sent = frame[..n];
            sender.Send(sent);

            var senderSaw = Collect(sender, TimeSpan.FromMilliseconds(400));
            var observerSaw = Collect(observer, TimeSpan.FromMilliseconds(400));

            senderSaw.Any(f => f.AsSpan().SequenceEqual(sent)).ShouldBeFalse("the sending handle captured its own frame");
            senderSaw.Any(f => IsArpReplyFrom(f, net)).ShouldBeTrue("the sending handle must still see B's reply");
            observerSaw.Any(f => f.AsSpan().SequenceEqual(sent)).ShouldBeTrue("a second handle sees the injected frame");
        });
    }

    [Fact]
    public void WaitReadable_returns_false_after_about_the_timeout_without_spinning_and_Poll_never_blocks()
    {
        using var net = TestNetwork.Create();
        net.InA(() =>
        {
            using var link = LiveLink.Open(net.IfA, "tcp port 9"); // nothing will match

            // SharpPcap's GetNextPacket would sit ~500 ms here; pcap_next_ex in non-blocking mode returns at once.
            var sw = Stopwatch.StartNew();
            link.Poll((_, _) => { }).ShouldBe(0);
            sw.Elapsed.ShouldBeLessThan(TimeSpan.FromMilliseconds(400)); // well under the 500 ms a blocking read sits; slack for a busy machine

            var timeout = TimeSpan.FromSeconds(1);
            var process = Process.GetCurrentProcess();
            var cpuBefore = process.TotalProcessorTime;
            sw.Restart();
            var readable = link.WaitReadable(timeout);
            var waited = sw.Elapsed;
            process.Refresh();
            var cpu = process.TotalProcessorTime - cpuBefore;

            readable.ShouldBeFalse();
            waited.ShouldBeGreaterThanOrEqualTo(timeout * 0.8);
            waited.ShouldBeLessThanOrEqualTo(timeout + TimeSpan.FromSeconds(2));
            // Measured ~3-5 ms. Needs TieredCompilation off (see the csproj): the runtime's background re-JIT alone used 100-400 ms.
            cpu.ShouldBeLessThan(TimeSpan.FromMilliseconds(200), "the whole process must stay idle during the wait (no spinning)");

            sw.Restart();
            link.WaitReadable(TimeSpan.Zero).ShouldBeFalse();
            sw.Elapsed.ShouldBeLessThan(TimeSpan.FromMilliseconds(400));
        });
    }

    [Theory]
    [InlineData(LiveLink.DefaultSnapLength, 60)]
    [InlineData(64240 + CaptureRing.MaxHeaders, 60)] // a handshake's: the slots of the default window
    [InlineData(2048, 1000)] // craft --send at a high rate
    public void The_ring_costs_the_memory_CaptureRing_says(int snap, int frames)
    {
        using var net = TestNetwork.Create();
        var ring = CaptureRing.ForFrames(frames, snap);
        using var link = net.InA(() => LiveLink.Open(net.IfA, null, snap, ringBytes: ring));

        // The ring is the one mapping of the handle's socket (other tests' handles have their own).
        var socket = new FileInfo($"/proc/self/fd/{link.SelectableFd}").LinkTarget;
        socket.ShouldNotBeNull();
        socket.ShouldStartWith("socket:[");
        long? size = null;
        var inMapping = false;
        foreach (var line in File.ReadLines("/proc/self/smaps"))
        {
            var first = line.Split(' ')[0];
            if (first.Contains('-', StringComparison.Ordinal) && first.All(c => c == '-' || char.IsAsciiHexDigit(c)))
            {
                // a mapping's first line: start-end perms offset dev inode path
                inMapping = line.EndsWith(socket, StringComparison.Ordinal);
            }

            if (inMapping && line.StartsWith("Size:", StringComparison.Ordinal))
            {
                size = (size ?? 0) + (long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024);
            }
        }

        size.ShouldBe(CaptureRing.MemoryBytes(ring, snap), $"ring {ring} bytes asked with snap length {snap}");
    }

    /// <summary>
    /// Nanosecond stamps make libpcap set SO_TIMESTAMPNS, which turns on the kernel's stamping of every frame the host
    /// receives; the high-rate path asks for microseconds and leaves it off, and its replies still come stamped (by the
    /// ring). Its sends skip the GC transition only because the socket is non-blocking: checked here on the real handle.
    /// </summary>
    [Fact]
    public void A_microsecond_handle_leaves_the_kernels_stamping_off_still_stamps_replies_and_never_blocks_on_send()
    {
        using var net = TestNetwork.Create();
        net.InA(() =>
        {
            using var nano = LiveLink.Open(net.IfA, "arp", 2048, ringBytes: CaptureRing.Min);
            using var micro = LiveLink.Open(net.IfA, "arp", 2048, ringBytes: CaptureRing.Min, nanosecondTimestamps: false);
            nano.SocketAsksForTimestamps.ShouldBe(true);
            nano.NanosecondTimestamps.ShouldBeTrue();
            micro.SocketAsksForTimestamps.ShouldBe(false);
            micro.NanosecondTimestamps.ShouldBeFalse();
            nano.SendNeverBlocks.ShouldBeTrue();
            micro.SendNeverBlocks.ShouldBeTrue();

            var frame = new byte[64];
            var n = FrameBuilder.BuildArpRequest(frame, net.MacA, net.AddrA, net.AddrB);
            var sentAt = DateTimeOffset.UtcNow;
            micro.TrySend(frame.AsSpan(0, n)).ShouldBeTrue();
            DateTimeOffset? replyAt = null;
            var sw = Stopwatch.StartNew();
            for (var i = 0; i < 100 && replyAt is null && sw.Elapsed < ReplyLimit && micro.WaitReadable(ReplyLimit - sw.Elapsed); i++)
            {
                micro.Poll((f, ts) => replyAt = IsArpReplyFrom(f.ToArray(), net) ? ts : replyAt);
            }

            replyAt.ShouldNotBeNull("no ARP reply within 2 s");
            (replyAt.Value.UtcTicks % 10).ShouldBe(0, "stamped to the microsecond");
            replyAt.Value.ShouldBeGreaterThan(sentAt - TimeSpan.FromMicroseconds(1), "the reply's stamp is not before its cause");
            (replyAt.Value - sentAt).ShouldBeLessThan(ReplyLimit);
        });
    }

    /// <summary>
    /// A batch goes to the kernel in sendmmsg calls of at most 64 frames on libpcap's own socket: every frame arrives, in
    /// order, byte for byte (150 frames: three calls). A batch the kernel refuses from its first frame (longer than the
    /// MTU) sends none; one it refuses in the middle stops there, and the frames after go in the next call: 1,518 bytes is
    /// the MTU's frame plus an 802.1Q tag, which the kernel allows a tagged frame and refuses an untagged one. Loopback
    /// is sent to directly; "any" (cooked, no single interface) is not.
    /// </summary>
    [Fact]
    public void A_batch_arrives_whole_and_in_order_and_stops_at_a_frame_the_kernel_refuses()
    {
        const int count = 150;
        const int tagged = 1518;
        using var net = TestNetwork.Create();
        using var capture = net.InB(() => LiveLink.Open(net.IfB, "udp dst port 9999 or vlan", 2048, ringBytes: CaptureRing.Small));
        var length = Udp(new byte[2048], net, 0, 16);
        var batch = new byte[count * length];
        for (var i = 0; i < count; i++)
        {
            Udp(batch.AsSpan(i * length), net, i, 16);
        }

        var oversized = new byte[2 * 1600];
        Udp(oversized, net, 1000, 1600 - 42);
        Udp(oversized.AsSpan(1600), net, 1001, 1600 - 42);
        var vlan = new byte[4 * tagged];
        for (var i = 0; i < 4; i++)
        {
            // frame 1 untagged: 4 bytes too long for the MTU
            Udp(vlan.AsSpan(i * tagged), net, 300 + i, i == 1 ? tagged - 42 : tagged - 46, i == 1 ? null : (ushort)5).ShouldBe(tagged);
        }

        net.InA(() =>
        {
            using var link = LiveLink.Open(net.IfA, "arp", 2048, ringBytes: CaptureRing.Min, nanosecondTimestamps: false);
            link.SendsDirect.ShouldBeTrue("an Ethernet interface: libpcap's packet socket bound to it");
            link.SendsBatches.ShouldBeTrue();
            link.TrySendBatch(batch, length).ShouldBe(count);
            link.TrySendBatch(oversized, 1600).ShouldBe(0, "1,600 bytes do not fit veth's MTU of 1,500");
            link.TrySendBatch(vlan, tagged).ShouldBe(1, "the kernel stops at the untagged frame too long for the MTU");
            link.TrySendBatch(vlan.AsSpan(2 * tagged), tagged).ShouldBe(2, "the frames after it go in the next call");
            Should.Throw<ArgumentException>(() => link.TrySendBatch(batch.AsSpan(0, length + 1), length)).ParamName.ShouldBe("frames");

            using var lo = LiveLink.Open("lo", "arp", 2048, ringBytes: CaptureRing.Min);
            lo.SendsDirect.ShouldBeTrue("loopback: a packet socket bound to it, as pcap_inject writes to");
            using var any = LiveLink.Open("any", "arp", 2048, ringBytes: CaptureRing.Min);
            any.SendsDirect.ShouldBeFalse("cooked capture on every interface: sent through pcap_inject, which refuses it");
            any.SendsBatches.ShouldBeFalse();
        });

        var seen = new List<(int Index, byte[] Frame)>();
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 200 && seen.Count < count + 3 && clock.Elapsed < ReplyLimit && capture.WaitReadable(ReplyLimit - clock.Elapsed); i++)
        {
            capture.Poll((f, _) => seen.Add((BitConverter.ToInt32(FrameParser.Parse(f).Payload(f)), f.ToArray())), 256);
        }

        // In order within each call's frames (calls that follow one another could in principle reach the peer's capture
        // interleaved, were the receiving softirq deferred to another CPU).
        seen.Where(x => x.Index < count).Select(x => x.Index).ShouldBe(Enumerable.Range(0, count));
        seen.Where(x => x.Index >= 300).Select(x => x.Index).ShouldBe([300, 302, 303]);
        seen.Count.ShouldBe(count + 3, "nothing of the refused frames");
        foreach (var (index, frame) in seen.Where(x => x.Index < count))
        {
            Convert.ToHexString(frame).ShouldBe(Convert.ToHexString(batch.AsSpan(index * length, length)), $"frame {index}");
        }
    }

    /// <summary>A UDP frame from A to B's port 9999 whose payload starts with <paramref name="index"/>.</summary>
    private static int Udp(Span<byte> into, TestNetwork net, int index, int payload, ushort? vlan = null)
    {
        var data = new byte[payload];
        BitConverter.TryWriteBytes(data, index).ShouldBeTrue();
        var ip = new IPv4Header { Source = net.AddrA, Destination = net.AddrB, Ttl = 64, Id = (ushort)index };
        return FrameBuilder.BuildUdp(into, new EthernetHeader(net.MacB, net.MacA) { VlanTci = vlan }, ip, new UdpFields(40000, 9999), data);
    }

    [Fact]
    public void Frames_larger_than_the_MTU_from_GSO_on_veth_are_captured_whole()
    {
        using var net = TestNetwork.Create();
        using var listener = net.InB(() =>
        {
            var l = new TcpListener(net.AddrB.ToIPAddress(), 0);
            l.Start();
            return l;
        });
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        using var link = net.InA(() => LiveLink.Open(net.IfA, $"tcp and host {net.AddrB} and port {port}"));
        using var client = net.InA(() => new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp));

        const int total = 512 * 1024;
        var received = 0;
        var server = new Thread(() =>
        {
            using var s = listener.AcceptSocket();
            s.ReceiveTimeout = 10_000;
            var buffer = new byte[65536];
            int n;
            while (received < total && (n = s.Receive(buffer)) > 0)
            {
                received += n;
            }
        })
        { IsBackground = true };
        server.Start();
        client.Connect(net.AddrB.ToIPAddress(), port);
        client.Send(new byte[total]);
        client.Shutdown(SocketShutdown.Send);
        server.Join(TimeSpan.FromSeconds(10)).ShouldBeTrue();
        received.ShouldBe(total);

        var largest = 0;
        var frames = 0;
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed < TimeSpan.FromSeconds(3) && link.WaitReadable(TimeSpan.FromMilliseconds(200)))
        {
            frames += link.Poll((f, _) => largest = Math.Max(largest, f.Length), max: 1000);
        }

        frames.ShouldBeGreaterThan(0);
        largest.ShouldBeGreaterThan(1514, "veth hands GSO super-frames to the capture; the snap length must keep them whole");
    }

    private static List<byte[]> Collect(LiveLink link, TimeSpan window)
    {
        var frames = new List<byte[]>();
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < 100 && sw.Elapsed < window; i++)
        {
            if (link.WaitReadable(window - sw.Elapsed))
            {
                link.Poll((f, _) => frames.Add(f.ToArray()));
            }
        }

        return frames;
    }

    private static bool IsArpReplyFrom(byte[] frame, TestNetwork net) =>
        FrameParser.Parse(frame).Arp is { Operation: ArpPacket.Reply } arp && arp.SenderIp == net.AddrB;
}
