using System.Diagnostics;
using RawHandshake.Link;
using RawHandshake.Wire.Capture;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Link.Tests;

public class MemoryLinkTests
{
    private static readonly DateTimeOffset T0 = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void A_frame_sent_on_one_end_arrives_on_the_other_with_the_clocks_timestamp()
    {
        var now = T0;
        var (a, b) = MemoryLink.CreatePair(() => now, MacAddress.Parse("02:00:00:00:00:0a"), MacAddress.Parse("02:00:00:00:00:0b"));
        using (a)
        using (b)
        {
            now = T0.AddMilliseconds(5);
            var sentAt = a.Send([1, 2, 3]);
            sentAt.ShouldBe(T0.AddMilliseconds(5));

            var got = new List<(byte[] Frame, DateTimeOffset At)>();
            b.Poll((f, ts) => got.Add((f.ToArray(), ts))).ShouldBe(1);
            got.Single().Frame.ShouldBe(new byte[] { 1, 2, 3 });
            got.Single().At.ShouldBe(T0.AddMilliseconds(5));

            a.Poll((_, _) => throw new InvalidOperationException("a frame came back to its sender")).ShouldBe(0);
            a.Name.ShouldBe("memory-a");
            b.LinkType.ShouldBe(LinkType.Ethernet);
            b.HardwareAddress.ShouldBe(MacAddress.Parse("02:00:00:00:00:0b"));
            a.SentCount.ShouldBe(1);
            b.ReceivedCount.ShouldBe(1);
        }
    }

    [Fact]
    public void Frames_keep_their_order_are_copied_and_Poll_respects_max()
    {
        var (a, b) = MemoryLink.CreatePair(() => T0);
        var buffer = new byte[] { 0 };
        for (byte i = 0; i < 5; i++)
        {
            buffer[0] = i;
            a.Send(buffer);
        }

        buffer[0] = 99; // the sender reuses its buffer: what was queued must not change
        var seen = new List<byte>();
        b.Poll((f, _) => seen.Add(f[0]), max: 3).ShouldBe(3);
        b.Pending.ShouldBe(2);
        b.Poll((f, _) => seen.Add(f[0])).ShouldBe(2);
        seen.ShouldBe(new byte[] { 0, 1, 2, 3, 4 });
        a.Dispose();
        b.Dispose();
    }

    [Fact]
    public void WaitReadable_is_true_at_once_when_queued_and_false_after_the_timeout_otherwise()
    {
        var (a, b) = MemoryLink.CreatePair();
        using (a)
        using (b)
        {
            var sw = Stopwatch.StartNew();
            b.WaitReadable(TimeSpan.FromMilliseconds(60)).ShouldBeFalse();
            sw.Elapsed.ShouldBeGreaterThanOrEqualTo(TimeSpan.FromMilliseconds(50));
            sw.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(4));

            a.Send([7]);
            sw.Restart();
            b.WaitReadable(TimeSpan.FromSeconds(5)).ShouldBeTrue();
            b.WaitReadable(TimeSpan.FromSeconds(5)).ShouldBeTrue(); // still queued: polling, not waiting, consumes
            sw.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(4)); // at once, not after a 5 s timeout

            b.Poll((_, _) => { }).ShouldBe(1);
            b.WaitReadable(TimeSpan.Zero).ShouldBeFalse(); // the stale semaphore count from the frame must not say "readable"
        }
    }

    [Fact]
    public void WaitReadable_wakes_when_the_peer_sends_from_another_thread()
    {
        var (a, b) = MemoryLink.CreatePair();
        using (a)
        using (b)
        {
            var sender = new Thread(() =>
            {
                Thread.Sleep(50);
                a.Send([42]);
            });
            var sw = Stopwatch.StartNew();
            sender.Start();
            b.WaitReadable(TimeSpan.FromSeconds(5)).ShouldBeTrue();
            sw.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(2));
            sender.Join(TimeSpan.FromSeconds(5)).ShouldBeTrue();
            byte got = 0;
            b.Poll((f, _) => got = f[0]).ShouldBe(1);
            got.ShouldBe((byte)42);
        }
    }

    [Fact]
    public void Inject_queues_a_frame_as_if_received_and_a_disposed_peer_loses_frames()
    {
        var (a, b) = MemoryLink.CreatePair(() => T0);
        using (a)
        {
            a.Inject([9], T0.AddSeconds(1));
            DateTimeOffset at = default;
            a.Poll((_, ts) => at = ts).ShouldBe(1);
            at.ShouldBe(T0.AddSeconds(1));

            b.Dispose();
            a.Send([1]); // a cut cable: no error, nothing arrives
            Should.Throw<ObjectDisposedException>(() => b.Send([1]));
            Should.Throw<ObjectDisposedException>(() => b.Poll((_, _) => { }));
        }
    }
}
