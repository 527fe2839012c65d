using System.Buffers.Binary;
using RawHandshake.Wire.Explain;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Tests.Support;

namespace RawHandshake.Wire.Tests.Explain;

public class ChecksumExplainerTests
{
    private static IReadOnlyList<ChecksumExplanation> Explain(byte[] frame) => ChecksumExplainer.Explain(frame, FrameParser.Parse(frame));

    /// <summary>On every frame of every real capture, the worked sum agrees with the naive reference and with dissect's verdicts.</summary>
    [Fact]
    public void Every_fixture_frame_is_worked_through_to_the_verdict_dissect_gives()
    {
        var checkedSums = 0;
        foreach (var name in Fixtures.Pcaps)
        {
            foreach (var cf in Fixtures.Read(name))
            {
                var parsed = FrameParser.Parse(cf.Data, cf.LinkType);
                var all = ChecksumExplainer.Explain(cf.Data, parsed);
                if (parsed.IPv4 is null)
                {
                    all.ShouldBeEmpty();
                    continue;
                }

                all[0].Name.ShouldBe("IPv4 header checksum");
                all[0].Verdict.ShouldBe(parsed.IpChecksum(cf.Data), name);
                var header = cf.Data.AsSpan(parsed.NetworkOffset, parsed.IPv4.Value.HeaderLength).ToArray();
                header[10] = header[11] = 0;
                all[0].Correct.ShouldBe((ushort)~RefChecksum.Fold(RefChecksum.Sum(header)), name);
                if (all.Count > 1)
                {
                    all[1].Verdict.ShouldBe(parsed.TransportChecksum(cf.Data), name);
                }

                foreach (var e in all)
                {
                    Consistent(e);
                    checkedSums++;
                }
            }
        }

        checkedSums.ShouldBeGreaterThan(50);
    }

    [Fact]
    public void A_wrong_TCP_checksum_is_incorrect_and_the_right_value_is_given()
    {
        var frame = SampleFrames.DataSegment();
        var parsed = FrameParser.Parse(frame);
        var at = parsed.TransportOffset + 16;
        var good = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(at));
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(at), 0xdead);

        var tcp = Explain(frame).Single(e => e.Name == "TCP checksum");

        tcp.Field.ShouldBe((ushort)0xdead);
        tcp.Correct.ShouldBe(good);
        tcp.Verdict.ShouldBe(ChecksumVerdict.Bad);
        tcp.FieldOffset.ShouldBe(at);
        tcp.Words.Single(w => w.Offset == at).Word.ShouldBe((ushort)0, "the field itself is counted as 0");
    }

    [Fact]
    public void The_TCP_sum_starts_with_six_pseudo_header_words_then_the_header_then_the_data()
    {
        var frame = SampleFrames.DataSegment(); // 18 bytes of data, IP options
        var parsed = FrameParser.Parse(frame);
        var tcp = Explain(frame).Single(e => e.Name == "TCP checksum");

        tcp.Words.Take(6).ShouldAllBe(w => w.Source == ChecksumWordSource.PseudoHeader && w.Offset == null);
        tcp.Words[4].Word.ShouldBe((ushort)6);
        tcp.Words[5].Word.ShouldBe((ushort)parsed.IpPayloadLength);
        tcp.Words.Count(w => w.Source == ChecksumWordSource.Header).ShouldBe((parsed.PayloadOffset - parsed.TransportOffset) / 2);
        tcp.Words.Count(w => w.Source == ChecksumWordSource.Payload).ShouldBe(9);
        tcp.Verdict.ShouldBe(ChecksumVerdict.Good);
        tcp.PseudoHeaderSum.ShouldNotBeNull();
        Consistent(tcp);
    }

    [Fact]
    public void An_odd_last_data_byte_is_padded_with_zero()
    {
        var frame = SampleFrames.Udp(SampleFrames.Client, SampleFrames.Server, 5353, 53, [0x41, 0x42, 0x43]);
        var udp = Explain(frame).Single(e => e.Name == "UDP checksum");
        var last = udp.Words[^1];
        last.Word.ShouldBe((ushort)0x4300);
        last.Field.ShouldContain("padded");
        udp.Verdict.ShouldBe(ChecksumVerdict.Good);
        Consistent(udp);
    }

    [Fact]
    public void A_UDP_checksum_of_zero_is_not_verified_and_says_why()
    {
        var frame = SampleFrames.Udp(SampleFrames.Client, SampleFrames.Server, 5353, 53, [1, 2]);
        var parsed = FrameParser.Parse(frame);
        BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(parsed.TransportOffset + 6), 0);
        var udp = Explain(frame).Single(e => e.Name == "UDP checksum");
        udp.Verdict.ShouldBe(ChecksumVerdict.Unverified);
        udp.Note.ShouldNotBeNull().ShouldContain("RFC 768");
    }

    [Fact]
    public void ICMP_has_no_pseudo_header()
    {
        var icmp = Explain(SampleFrames.EchoRequest()).Single(e => e.Name == "ICMP checksum");
        icmp.Words.ShouldNotContain(w => w.Source == ChecksumWordSource.PseudoHeader);
        icmp.Verdict.ShouldBe(ChecksumVerdict.Good);
        Consistent(icmp);
    }

    [Fact]
    public void The_offload_verdict_names_the_pseudo_header_sum()
    {
        var frames = Fixtures.Read(Fixtures.Offload);
        var offloaded = frames.Select(f => ChecksumExplainer.Explain(f.Data, FrameParser.Parse(f.Data, f.LinkType)))
            .SelectMany(x => x).Where(e => e.Verdict == ChecksumVerdict.Offload).ToList();
        offloaded.ShouldNotBeEmpty();
        foreach (var e in offloaded)
        {
            e.Field.ShouldBe(e.PseudoHeaderSum.ShouldNotBeNull());
            e.Note.ShouldNotBeNull().ShouldContain("offload");
        }
    }

    [Fact]
    public void ARP_and_cut_frames_have_nothing_to_work_through()
    {
        Explain(SampleFrames.ArpRequest()).ShouldBeEmpty();
        Explain(SampleFrames.LinuxSyn()[..20]).ShouldBeEmpty();
    }

    [Fact]
    public void Every_carry_is_folded_back_in_one_step_at_a_time()
    {
        // 0xffff + 0x0001 overflows: 0x10000 folds to 0x0001.
        var e = Explain(SampleFrames.LinuxSyn())[0];
        foreach (var w in e.Words)
        {
            var total = w.SumBefore + (uint)w.Word;
            w.Carry.ShouldBe(total > 0xFFFF);
            w.SumAfter.ShouldBe((ushort)(total > 0xFFFF ? total - 0xFFFF : total));
        }
    }

    /// <summary>The running sums chain, end in the reported sum, and the reported correct value is its complement.</summary>
    private static void Consistent(ChecksumExplanation e)
    {
        ushort sum = 0;
        foreach (var w in e.Words)
        {
            w.SumBefore.ShouldBe(sum);
            sum = w.SumAfter;
        }

        e.Sum.ShouldBe(sum);
        e.Correct.ShouldBe((ushort)~sum);
        e.Carries.ShouldBe(e.Words.Count(w => w.Carry));
        uint reference = 0;
        foreach (var w in e.Words)
        {
            reference += w.Word;
        }

        RefChecksum.Fold(reference).ShouldBe(sum == 0 ? (ushort)0 : sum, "step-by-step folding equals folding once at the end");
    }
}
