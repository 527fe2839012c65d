namespace RawHandshake.Link.Tests;

public sealed class CaptureRingTests
{
    private const int MiB = 1024 * 1024;

    [Fact]
    public void A_slot_is_the_snap_length_capped_at_64_KiB_plus_headers_rounded_to_a_power_of_two()
    {
        CaptureRing.SlotBytes(LiveLink.DefaultSnapLength).ShouldBe(128 * 1024);
        CaptureRing.SlotBytes(2048).ShouldBe(4096);
        CaptureRing.SlotBytes(1500).ShouldBe(2048);
    }

    [Fact]
    public void A_handshake_window_takes_a_few_MiB_not_the_bulk_ring()
    {
        // 64240 bytes in full segments: 44 frames, 16 more: 60 slots of 128 KiB (7.5 MiB).
        CaptureRing.ForSession(64240).ShouldBe(60 * 128 * 1024);
        CaptureRing.ForSession(64240).ShouldBeLessThan(CaptureRing.Bulk);
        CaptureRing.ForSession(0).ShouldBe(CaptureRing.Min);
        CaptureRing.ForSession(1L << 30).ShouldBe(CaptureRing.Max);
    }

    [Fact]
    public void Probes_with_a_short_snap_length_hold_a_reply_per_frame_within_the_bounds()
    {
        CaptureRing.ForFrames(1000, 2048).ShouldBe(1000 * 4096);
        CaptureRing.ForFrames(1, 2048).ShouldBe(2 * MiB);
        CaptureRing.ForFrames(1_000_000, 2048).ShouldBe(32 * MiB);
        CaptureRing.ForFrames(-5).ShouldBe(CaptureRing.Min);
    }
}
