using System.Buffers.Binary;
using CsCheck;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Tests.Support;

namespace RawHandshake.Wire.Tests;

/// <summary>RFC 1624's incremental update against a full recomputation (RFC 1071), over random data and random frames.</summary>
public class IncrementalChecksumTests
{
    [Fact]
    public void Rfc1624_section_4_example()
    {
        // RFC 1624 §4: HC = 0xDD2F, m = 0x5555 → m' = 0x3285 gives HC' = 0x0000 by eqn. 3 (eqn. 2 would give 0xFFFF).
        Checksum.Update(0xDD2F, (ushort)0x5555, (ushort)0x3285).ShouldBe((ushort)0x0000);
    }

    [Fact]
    public void One_changed_word_updates_to_the_recomputed_checksum()
    {
        // Words of random data (one word kept non-zero: a real header is never all zeros), one of them changed.
        var gen = Gen.Select(Gen.UShort.Array[1, 64], Gen.UShort[1, 0xFFFF], Gen.Int[0, int.MaxValue], Gen.UShort);
        gen.Sample((words, nonZero, where, value) =>
        {
            var data = new byte[(words.Length + 1) * 2];
            for (var i = 0; i < words.Length; i++)
            {
                BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(i * 2), words[i]);
            }

            BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(words.Length * 2), nonZero);
            var at = where % words.Length * 2;
            var before = Checksum.Compute(data);
            var old = BinaryPrimitives.ReadUInt16BigEndian(data.AsSpan(at));
            BinaryPrimitives.WriteUInt16BigEndian(data.AsSpan(at), value);
            Checksum.Update(before, old, value).ShouldBe(Checksum.Compute(data));
            Checksum.Update(before, old, value).ShouldBe(RefChecksum.Internet(data));
        }, iter: 5000, seed: "0N0XIzNsQ0O2");
    }

    [Fact]
    public void A_32_bit_field_updates_to_the_recomputed_checksum()
    {
        var gen = Gen.Select(Gen.UInt.Array[2, 32], Gen.Int[0, int.MaxValue], Gen.UInt);
        gen.Sample((words, where, value) =>
        {
            var data = new byte[words.Length * 4];
            for (var i = 0; i < words.Length; i++)
            {
                BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(i * 4), words[i]);
            }

            var at = where % (words.Length - 1) * 4;
            data[^1] |= 1; // not all zeros
            var before = Checksum.Compute(data);
            var old = BinaryPrimitives.ReadUInt32BigEndian(data.AsSpan(at));
            BinaryPrimitives.WriteUInt32BigEndian(data.AsSpan(at), value);
            Checksum.Update(before, old, value).ShouldBe(Checksum.Compute(data));
        }, iter: 3000, seed: "0N0XIzNsQ0O2");
    }

    [Fact]
    public void Patching_port_id_and_sequence_in_a_built_frame_equals_building_it_with_them()
    {
        var gen = Gen.Select(FrameGens.Frame(FrameGens.RandomIpOptions, allowMoreFragments: false), Gen.UShort, Gen.UShort, Gen.UInt);
        gen.Sample((spec, port, id, seq) =>
        {
            var frame = spec.Build();
            var ip = spec.EthLength;
            var tcp = spec.TcpOffset;
            Checksum.Patch16(frame, tcp, port, tcp + 16);
            Checksum.Patch16(frame, ip + 4, id, ip + 10);
            Checksum.Patch32(frame, tcp + 4, seq, tcp + 16);
            frame.ShouldBe((spec with { SrcPort = port, Id = id, Seq = seq }).Build(), spec.ToString());
            var f = FrameParser.Parse(frame);
            f.IpChecksum(frame).ShouldBe(ChecksumVerdict.Good);
            f.TransportChecksum(frame).ShouldBe(ChecksumVerdict.Good);
        }, iter: 1000, seed: "0N0XIzNsQ0O2", print: t => $"{t.Item1} port={t.Item2} id={t.Item3} seq={t.Item4}");
    }

    [Fact]
    public void A_checksum_set_wrong_stays_wrong_by_the_same_amount()
    {
        var gen = Gen.Select(FrameGens.Frame(FrameGens.RandomIpOptions, allowMoreFragments: false), Gen.UShort, Gen.UShort[1, 0xFFFE]);
        gen.Sample((spec, port, delta) =>
        {
            var frame = spec.Build();
            var tcp = spec.TcpOffset;
            var good = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(tcp + 16));
            var bad = (ushort)(good + delta);
            if ((bad - good + 0x1_0000) % 0xFFFF == 0)
            {
                return; // 0x0000 and 0xFFFF are the same number in one's complement: not a wrong checksum
            }

            BinaryPrimitives.WriteUInt16BigEndian(frame.AsSpan(tcp + 16), bad);
            Checksum.Patch16(frame, tcp, port, tcp + 16);
            var expected = (spec with { SrcPort = port }).Build();
            var recomputed = BinaryPrimitives.ReadUInt16BigEndian(expected.AsSpan(tcp + 16));
            var patched = BinaryPrimitives.ReadUInt16BigEndian(frame.AsSpan(tcp + 16));

            // In one's complement the error is carried along: ~patched - ~recomputed ≡ ~bad - ~good (mod 0xFFFF).
            ((0xFFFF + (ushort)~patched - (ushort)~recomputed) % 0xFFFF).ShouldBe((0xFFFF + (ushort)~bad - (ushort)~good) % 0xFFFF);
            patched.ShouldNotBe(recomputed);
        }, iter: 1000, seed: "0N0XIzNsQ0O2", print: t => $"{t.Item1} port={t.Item2} delta={t.Item3}");
    }
}
