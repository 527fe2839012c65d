using System.Buffers.Binary;
using RawHandshake.Wire.Building;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;
using RawHandshake.Wire.Tests.Support;

namespace RawHandshake.Wire.Tests;

public class ChecksumTests
{
    private static readonly IPv4Address A = IPv4Address.Parse("10.0.0.1");
    private static readonly IPv4Address B = IPv4Address.Parse("10.0.0.2");

    [Fact]
    public void Rfc1071_example()
    {
        // RFC 1071 §3: bytes 00 01 f2 03 f4 f5 f6 f7 sum to 0x2ddf0, folded 0xddf2; the checksum is its complement.
        byte[] data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        Checksum.Fold(Checksum.Add(0, data)).ShouldBe((ushort)0xddf2);
        Checksum.Compute(data).ShouldBe((ushort)0x220d);
    }

    [Theory]
    [InlineData("01", 0x0100)]
    [InlineData("0102", 0x0102)]
    [InlineData("010203", 0x0402)]
    [InlineData("01020304", 0x0406)]
    [InlineData("0102030405", 0x0906)]
    [InlineData("010203040506", 0x090c)]
    [InlineData("01020304050607", 0x100c)]
    [InlineData("", 0x0000)]
    public void Odd_lengths_pad_the_last_byte_on_the_right(string hex, int folded) =>
        Checksum.Fold(Checksum.Add(0, Convert.FromHexString(hex))).ShouldBe((ushort)folded);

    [Fact]
    public void Agrees_with_the_word_loop_reference_for_every_length_and_carry()
    {
        var rng = new Random(71);
        for (var len = 0; len < 600; len++)
        {
            var data = new byte[len];
            rng.NextBytes(data);
            if (len % 7 == 0)
            {
                Array.Fill(data, (byte)0xFF); // many carries
            }

            Checksum.Fold(Checksum.Add(0, data)).ShouldBe(RefChecksum.Fold(RefChecksum.Sum(data)), $"length {len}");
            Checksum.Compute(data).ShouldBe(RefChecksum.Internet(data), $"length {len}");
        }
    }

    [Fact]
    public void Even_chunks_can_be_added_incrementally()
    {
        var data = new byte[1501];
        new Random(3).NextBytes(data);
        var sum = Checksum.Add(0, data.AsSpan(0, 600));
        sum = Checksum.Add(sum, data.AsSpan(600, 2));
        sum = Checksum.Add(sum, data.AsSpan(602));
        Checksum.Fold(sum).ShouldBe(Checksum.Fold(Checksum.Add(0, data)));
    }

    [Fact]
    public void Fold_handles_large_sums()
    {
        Checksum.Fold(0).ShouldBe((ushort)0);
        Checksum.Fold(0xFFFF).ShouldBe((ushort)0xFFFF);
        Checksum.Fold(0x1_0000).ShouldBe((ushort)1);
        Checksum.Fold(0x1_FFFE).ShouldBe((ushort)0xFFFF);
        Checksum.Fold(0xFFFF_FFFF).ShouldBe((ushort)0xFFFF);
        Checksum.Fold(0x1_0000_0000).ShouldBe((ushort)1);
        Checksum.Fold(ulong.MaxValue).ShouldBe((ushort)0xFFFF);
    }

    [Fact]
    public void Verify_on_a_header_containing_its_checksum_is_good_and_any_change_is_bad()
    {
        // IP (tos 0x0, ttl 64, id 0, flags [DF], proto TCP (6), length 60) 10.0.0.1 > 10.0.0.2, checksum 0x26ba (python3 word loop)
        var header = Convert.FromHexString("4500003c000040004006" + "0000" + "0a000001" + "0a000002");
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(10), Checksum.Compute(header));
        header[10].ShouldBe((byte)0x26);
        header[11].ShouldBe((byte)0xba);
        Checksum.Verify(header).ShouldBe(ChecksumVerdict.Good);
        for (var i = 0; i < header.Length; i++)
        {
            var copy = header.ToArray();
            copy[i] ^= 0x01;
            Checksum.Verify(copy).ShouldBe(ChecksumVerdict.Bad, $"bit flipped in byte {i}");
        }
    }

    [Fact]
    public void PseudoHeader_is_the_sum_of_its_words()
    {
        var expected = RefChecksum.PseudoSum([10, 0, 0, 1], [10, 0, 0, 2], 6, 40);
        Checksum.Fold(Checksum.PseudoHeader(A, B, 6, 40)).ShouldBe(RefChecksum.Fold(expected));
        // 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 0x0006 + 0x0028 = 0x1431
        Checksum.Fold(Checksum.PseudoHeader(A, B, 6, 40)).ShouldBe((ushort)0x1431);
    }

    private static byte[] Segment(int payloadLength)
    {
        var buf = new byte[200];
        var payload = Enumerable.Range(0, payloadLength).Select(i => (byte)(i * 37)).ToArray();
        var n = FrameBuilder.BuildTcpPacket(buf, new IPv4Header { Source = A, Destination = B }, new TcpHeader(40000, 80, new SeqNum(1), new SeqNum(2), TcpFlags.Psh | TcpFlags.Ack, 512), default, payload);
        return buf[20..n];
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1)]
    [InlineData(5)]
    [InlineData(100)]
    public void Transport_verdict_good_bad_and_offload(int payloadLength)
    {
        var seg = Segment(payloadLength);
        RefChecksum.TcpValid([10, 0, 0, 1], [10, 0, 0, 2], seg).ShouldBeTrue();
        Checksum.ComputeTransport(A, B, 6, seg.ToArray().Also(s => s[16] = s[17] = 0)).ShouldBe(BinaryPrimitives.ReadUInt16BigEndian(seg.AsSpan(16)));
        Checksum.VerifyTransport(A, B, 6, seg, 16).ShouldBe(ChecksumVerdict.Good);

        // What Linux leaves in the field under CHECKSUM_PARTIAL: the folded pseudo-header sum, not inverted.
        var offload = seg.ToArray();
        BinaryPrimitives.WriteUInt16BigEndian(offload.AsSpan(16), Checksum.Fold(Checksum.PseudoHeader(A, B, 6, seg.Length)));
        Checksum.VerifyTransport(A, B, 6, offload, 16).ShouldBe(ChecksumVerdict.Offload);

        // The same value with the pseudo-header of another length is just wrong.
        var wrong = seg.ToArray();
        BinaryPrimitives.WriteUInt16BigEndian(wrong.AsSpan(16), Checksum.Fold(Checksum.PseudoHeader(A, B, 6, seg.Length + 1)));
        Checksum.VerifyTransport(A, B, 6, wrong, 16).ShouldBe(ChecksumVerdict.Bad);

        var corrupt = seg.ToArray();
        corrupt[^1] ^= 0x40;
        Checksum.VerifyTransport(A, B, 6, corrupt, 16).ShouldBe(ChecksumVerdict.Bad);

        // Swapped addresses change nothing in a one's-complement sum; another address does.
        Checksum.VerifyTransport(B, A, 6, seg, 16).ShouldBe(ChecksumVerdict.Good);
        Checksum.VerifyTransport(A, IPv4Address.Parse("10.0.0.3"), 6, seg, 16).ShouldBe(ChecksumVerdict.Bad);
        Checksum.VerifyTransport(A, B, 17, seg, 16).ShouldBe(ChecksumVerdict.Bad);
    }

    [Fact]
    public void Transport_verdict_is_unverified_when_the_field_is_not_there()
    {
        Checksum.VerifyTransport(A, B, 6, new byte[17], 16).ShouldBe(ChecksumVerdict.Unverified);
        Checksum.VerifyTransport(A, B, 6, default, 16).ShouldBe(ChecksumVerdict.Unverified);
    }

    [Fact]
    public void Zero_and_ffff_are_the_same_checksum()
    {
        // Choose the payload word so that everything but the checksum sums to 0xFFFF: the computed field is then 0x0000,
        // and 0xFFFF (negative zero) in its place is equally valid.
        var buf = new byte[100];
        var ip = new IPv4Header { Source = A, Destination = B };
        var tcp = new TcpHeader(1, 2, new SeqNum(3), new SeqNum(4), TcpFlags.Ack, 5);
        var n = FrameBuilder.BuildTcpPacket(buf, ip, tcp, default, new byte[2]);
        var c = BinaryPrimitives.ReadUInt16BigEndian(buf.AsSpan(36));
        var payload = new byte[2];
        BinaryPrimitives.WriteUInt16BigEndian(payload, c);
        n = FrameBuilder.BuildTcpPacket(buf, ip, tcp, default, payload);
        BinaryPrimitives.ReadUInt16BigEndian(buf.AsSpan(36)).ShouldBe((ushort)0x0000);
        Checksum.VerifyTransport(A, B, 6, buf.AsSpan(20, n - 20), 16).ShouldBe(ChecksumVerdict.Good);

        n = FrameBuilder.BuildTcpPacket(buf, ip, tcp with { Checksum = 0xFFFF }, default, payload);
        BinaryPrimitives.ReadUInt16BigEndian(buf.AsSpan(36)).ShouldBe((ushort)0xFFFF);
        Checksum.VerifyTransport(A, B, 6, buf.AsSpan(20, n - 20), 16).ShouldBe(ChecksumVerdict.Good);
        FrameParser.Parse(buf.AsSpan(0, n), RawHandshake.Wire.Capture.LinkType.Raw).TransportChecksum(buf.AsSpan(0, n)).ShouldBe(ChecksumVerdict.Good);
    }
}

internal static class AlsoExtensions
{
    public static T Also<T>(this T value, Action<T> action)
    {
        action(value);
        return value;
    }
}
