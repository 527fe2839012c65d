namespace RawHandshake.Link.Tests;

public sealed class CaptureRingTests
{
    private const int MiB = 1024 * 1024;

    [Fact]
    public void A_slot_is_the_snap_length_capped_at_64_KiB_plus_headers_rounded_to_a_power_of_two()
    {
        CaptureRing.SlotBytes(LiveLink.DefaultSnapLength).ShouldBe(128 * 1024);
        CaptureRing.SlotBytes(65535).ShouldBe(128 * 1024);
        CaptureRing.SlotBytes(65468).ShouldBe(64 * 1024);
        CaptureRing.SlotBytes(65469).ShouldBe(128 * 1024);
        CaptureRing.SlotBytes(2048).ShouldBe(4096);
        CaptureRing.SlotBytes(1500).ShouldBe(2048);
    }

    [Fact]
    public void Libpcap_makes_buffer_over_frame_slots_so_the_default_snap_length_costs_twice_the_buffer()
    {
        // Figures measured with libpcap 1.10 on veth (the socket's mapping in /proc/self/smaps): 7.5 MiB asked with the
        // default snap length is 120 slots of 65,632 bytes, each in a 128 KiB block (15 MiB); with a snap length that fits
        // 64 KiB the same buffer costs about what was asked.
        CaptureRing.MemoryBytes(7864320, LiveLink.DefaultSnapLength).ShouldBe(15360L * 1024);
        CaptureRing.MemoryBytes(3937980, LiveLink.DefaultSnapLength).ShouldBe(7808L * 1024);
        CaptureRing.MemoryBytes(7864320, 65400).ShouldBe(7744L * 1024);
        CaptureRing.MemoryBytes(3937980, 64496).ShouldBe(3904L * 1024);
        CaptureRing.MemoryBytes(3937980, 2048).ShouldBe(7404L * 1024);
        CaptureRing.MemoryBytes(3937980, 1500).ShouldBe(5024L * 1024); // two slots a page
    }

    [Fact]
    public void A_handshake_window_takes_its_slots_of_64_KiB_not_the_bulk_ring()
    {
        // 64240 bytes in full segments: 44 frames, 16 more: 60 slots. The largest frame one window allows fits 64 KiB.
        var snap = CaptureRing.SessionSnapLength(64240);
        snap.ShouldBe(64240 + CaptureRing.MaxHeaders);
        CaptureRing.ForSession(64240, snap).ShouldBe(60 * CaptureRing.FrameBytes(snap));
        CaptureRing.MemoryBytes(CaptureRing.ForSession(64240, snap), snap).ShouldBe(60L * 64 * 1024); // 3.75 MiB
        CaptureRing.MemoryBytes(CaptureRing.ForSession(64240), LiveLink.DefaultSnapLength).ShouldBe(60L * 128 * 1024); // 7.5 MiB
        CaptureRing.ForSession(0).ShouldBe(CaptureRing.Min);
        CaptureRing.ForSession(1L << 30).ShouldBe(CaptureRing.Max);
    }

    [Fact]
    public void A_window_whose_frames_do_not_fit_64_KiB_keeps_the_whole_of_anything()
    {
        CaptureRing.SessionSnapLength(65535).ShouldBe(LiveLink.DefaultSnapLength);
        CaptureRing.SessionSnapLength(1 << 20).ShouldBe(LiveLink.DefaultSnapLength);
        CaptureRing.SessionSnapLength(65468 - CaptureRing.MaxHeaders).ShouldBe(65468);
        CaptureRing.SessionSnapLength(65469 - CaptureRing.MaxHeaders).ShouldBe(LiveLink.DefaultSnapLength);
        CaptureRing.SessionSnapLength(1000).ShouldBe(1000 + CaptureRing.MaxHeaders);
    }

    [Fact]
    public void Probes_with_a_short_snap_length_hold_a_reply_per_frame_within_the_bounds()
    {
        CaptureRing.ForFrames(1000, 2048).ShouldBe(1000 * 2128); // 2048 + 68, aligned to 16
        CaptureRing.ForFrames(1, 2048).ShouldBe(2 * MiB);
        CaptureRing.ForFrames(1_000_000, 2048).ShouldBe(32 * MiB);
        CaptureRing.ForFrames(-5).ShouldBe(CaptureRing.Min);
    }
}
