using System.Buffers.Binary;
using CsCheck;
using RawHandshake.Wire.Capture;
using static RawHandshake.Wire.Tests.Capture.CaptureTestData;

namespace RawHandshake.Wire.Tests.Capture;

public class CaptureHostileInputTests
{
    private static readonly int[] FrameSizes = [0, 1, 5, 60, 3, 17, 2];

    [Fact]
    public void Every_truncation_of_a_pcap_file_is_reported_without_throwing()
    {
        var output = new MemoryStream();
        var boundaries = new List<(long End, int Frames)>();
        using (var writer = new PcapWriter(output, leaveOpen: true))
        {
            boundaries.Add((output.Position, 0));
            for (int i = 0; i < FrameSizes.Length; i++)
            {
                writer.Write(DateTimeOffset.UnixEpoch.AddSeconds(i), EthernetFrame60.AsSpan(0, FrameSizes[i]));
                boundaries.Add((output.Position, i + 1));
            }
        }

        AssertEveryTruncation(output.ToArray(), boundaries, CaptureFormat.Pcap);
    }

    [Fact]
    public void Every_truncation_of_a_pcapng_file_is_reported_without_throwing()
    {
        var output = new MemoryStream();
        var boundaries = new List<(long End, int Frames)> { (48, 0) }; // a file holding only the SHB is complete too
        using (var writer = new PcapNgWriter(output, leaveOpen: true))
        {
            boundaries.Add((output.Position, 0));
            for (int i = 0; i < FrameSizes.Length; i++)
            {
                writer.Write(DateTimeOffset.UnixEpoch.AddSeconds(i), EthernetFrame60.AsSpan(0, FrameSizes[i]), i % 2 == 0 ? $"frame {i} ✓" : null);
                boundaries.Add((output.Position, i + 1));
            }
        }

        AssertEveryTruncation(output.ToArray(), boundaries, CaptureFormat.PcapNg);
    }

    [Fact]
    public void Every_truncation_of_a_mixed_pcapng_file_is_reported_without_throwing()
    {
        // Big-endian section with unknown, simple and obsolete blocks, then a little-endian section.
        // Every block end is a valid end of file.
        var builder = new PcapNgBuilder(bigEndian: true);
        var boundaries = new List<(long End, int Frames)>();
        int frames = 0;
        void Add(Action<PcapNgBuilder> block, bool isFrame = false)
        {
            block(builder);
            frames += isFrame ? 1 : 0;
            boundaries.Add((builder.Length, frames));
        }

        Add(b => b.Shb());
        Add(b => b.Idb(LinkType.Ethernet, 64));
        Add(b => b.Block(0x0000_0BAD, [9, 9, 9]));
        Add(b => b.Spb(7, [1, 2, 3, 4, 5, 6, 7]), isFrame: true);
        Add(b => b.Pb(0, 42, [1, 2, 3], PcapNgBuilder.Comment("pb")), isFrame: true);
        builder.BigEndian = false;
        Add(b => b.Shb());
        Add(b => b.Idb(LinkType.Raw, 0, PcapNgBuilder.TsResol(0x80 | 10)));
        Add(b => b.Epb(0, 1024, [0x45], null, PcapNgBuilder.Comment("épb")), isFrame: true);

        AssertEveryTruncation(builder.ToArray(), boundaries, CaptureFormat.PcapNg);
    }

    [Fact]
    public void Random_bytes_never_throw()
    {
        Gen.Byte.Array[0, 600].Sample(bytes => ReadShouldNotThrow(bytes), iter: 3000);
    }

    [Fact]
    public void Random_bytes_after_a_valid_header_never_throw()
    {
        byte[] pcapHeader = BuildPcap(false, false, 1);
        byte[] pcapNgHeader = new PcapNgBuilder().Shb().Idb(LinkType.Ethernet).ToArray();
        Gen.Select(Gen.Bool, Gen.Byte.Array[0, 600]).Sample((pcapng, tail) =>
        {
            byte[] header = pcapng ? pcapNgHeader : pcapHeader;
            ReadShouldNotThrow([.. header, .. tail]);
        }, iter: 3000);
    }

    [Fact]
    public void Corrupting_valid_files_never_throws()
    {
        var pcapng = new MemoryStream();
        using (var writer = new PcapNgWriter(pcapng, leaveOpen: true))
        {
            for (int i = 0; i < 6; i++)
            {
                writer.Write(DateTimeOffset.UnixEpoch.AddDays(i), EthernetFrame60.AsSpan(0, 10 * i), i % 2 == 0 ? "comment" : null);
            }
        }

        var pcap = new MemoryStream();
        using (var writer = new PcapWriter(pcap, leaveOpen: true))
        {
            for (int i = 0; i < 6; i++)
            {
                writer.Write(DateTimeOffset.UnixEpoch.AddDays(i), EthernetFrame60.AsSpan(0, 10 * i));
            }
        }

        byte[][] originals = [pcapng.ToArray(), pcap.ToArray(), new PcapNgBuilder(true).Shb().Idb(LinkType.Raw).Spb(3, [1, 2, 3]).Pb(0, 1, [4]).ToArray()];
        Gen.Select(Gen.Int[0, originals.Length - 1], Gen.Select(Gen.Int[0, 10_000], Gen.Byte).Array[1, 6]).Sample((which, edits) =>
        {
            byte[] bytes = (byte[])originals[which].Clone();
            foreach (var (position, value) in edits)
            {
                bytes[position % bytes.Length] = value;
            }

            ReadShouldNotThrow(bytes);
        }, iter: 3000);
    }

    [Theory]
    [InlineData(0u, "pcapng block length 0 at byte 48 is invalid")]
    [InlineData(7u, "pcapng block length 7 at byte 48 is invalid")]
    [InlineData(14u, "pcapng block length 14 at byte 48 is invalid")]
    [InlineData(8u, "pcapng block length 8 at byte 48 is invalid")]
    [InlineData(0xFFFF_FFFCu, "pcapng block length 4294967292 at byte 48 is invalid")]
    [InlineData(0x7FFF_FFFFu, "pcapng block length 2147483647 at byte 48 is invalid")]
    [InlineData(20u, "pcapng block length 20 at byte 48 is invalid for an Enhanced Packet Block (minimum 32)")]
    [InlineData(1_048_576u, "truncated pcapng block at byte 48 (block length 1048576, only 16 bytes present)")]
    public void Bad_pcapng_block_lengths_are_reported(uint length, string expected)
    {
        // SHB (28) + IDB (20), then the first 16 bytes of an EPB whose length field is damaged.
        byte[] file = new PcapNgBuilder().Shb().Idb(LinkType.Ethernet).Epb(0, 0, [1, 2, 3]).ToArray()[..(48 + 16)];
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(52), length);

        var result = CaptureFileReader.Read(new MemoryStream(file));

        result.Frames.ShouldBeEmpty();
        result.Error.ShouldBe(expected);
    }

    [Fact]
    public void Bad_section_header_lengths_are_reported()
    {
        byte[] shb = new PcapNgBuilder().Shb().Idb(LinkType.Ethernet).ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(shb.AsSpan(4), 7);
        CaptureFileReader.Read(new MemoryStream(shb)).Error.ShouldBe("pcapng block length 7 at byte 0 is invalid");
        BinaryPrimitives.WriteUInt32LittleEndian(shb.AsSpan(4), 24);
        CaptureFileReader.Read(new MemoryStream(shb)).Error
            .ShouldBe("pcapng block length 24 at byte 0 is invalid for a Section Header Block (minimum 28)");
    }

    [Fact]
    public void Trailing_length_must_match_leading_length()
    {
        // SHB 28 + IDB 20 + EPB 36, then an EPB of length 40 (5 data bytes padded to 8) with a damaged trailer.
        byte[] file = new PcapNgBuilder().Shb().Idb(LinkType.Ethernet).Epb(0, 0, [1, 2, 3, 4]).Epb(0, 0, [5, 6, 7, 8, 9]).ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(file.Length - 4), 36);

        var result = CaptureFileReader.Read(new MemoryStream(file));

        result.Frames.Count.ShouldBe(1);
        result.Error.ShouldBe("pcapng block at byte 84 has trailing length 36 but leading length 40");
    }

    [Fact]
    public void Bad_byte_order_magic_is_reported()
    {
        byte[] file = new PcapNgBuilder().Shb().ToArray();
        file[8] = 0x99;
        CaptureFileReader.Read(new MemoryStream(file)).Error.ShouldBe("pcapng byte-order magic 0x993c2b1a at byte 8 is invalid");
    }

    [Theory]
    [InlineData(65535u, 0x7FFF_FFFFu, "frame length 2147483647 at byte 24 exceeds snap length 65535 (and the 1048576-byte limit)")]
    [InlineData(65535u, 1_048_577u, "frame length 1048577 at byte 24 exceeds snap length 65535 (and the 1048576-byte limit)")]
    [InlineData(0xFFFF_FFFFu, 0xFFFF_FFFFu, "frame length 4294967295 at byte 24 exceeds the 1048576-byte limit")]
    [InlineData(65535u, 1_048_576u, "truncated pcap record data at byte 40 (frame length 1048576, only 4 bytes present)")]
    public void Huge_pcap_captured_lengths_are_reported(uint snapLength, uint capturedLength, string expected)
    {
        byte[] file = BuildPcap(false, false, 1, (0u, 0u, new byte[] { 1, 2, 3, 4 }, 4u));
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(16), snapLength);
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(32), capturedLength);

        var result = CaptureFileReader.Read(new MemoryStream(file));

        result.Frames.ShouldBeEmpty();
        result.Error.ShouldBe(expected);
    }

    [Fact]
    public void Huge_pcapng_captured_lengths_are_reported()
    {
        byte[] file = new PcapNgBuilder().Shb().Idb(LinkType.Ethernet, 1500).Epb(0, 0, [1, 2, 3, 4]).ToArray();
        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(48 + 20), 0x0100_0000);
        CaptureFileReader.Read(new MemoryStream(file)).Error
            .ShouldBe("frame length 16777216 at byte 48 exceeds snap length 1500 (and the 1048576-byte limit)");

        BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(48 + 20), 5);
        CaptureFileReader.Read(new MemoryStream(file)).Error
            .ShouldBe("pcapng packet at byte 48: frame length 5 overruns the block");
    }

    [Fact]
    public void Overrunning_option_is_reported()
    {
        byte[] file = new PcapNgBuilder().Shb().Idb(LinkType.Ethernet).Epb(0, 0, [1, 2, 3, 4], null, PcapNgBuilder.Comment("abcd")).ToArray();
        // The comment option header sits at 48 (SHB 28 + IDB 20) + 28 (EPB fixed part) + 4 (data).
        BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(80 + 2), 200);
        CaptureFileReader.Read(new MemoryStream(file)).Error.ShouldBe("pcapng option 1 at byte 80 (length 200) overruns its block");
    }

    [Theory]
    [InlineData(new byte[] { }, "not a pcap or pcapng file (empty: no magic at byte 0)")]
    [InlineData(new byte[] { 0xd4, 0xc3 }, "truncated file magic at byte 0 (only 2 of 4 bytes)")]
    [InlineData(new byte[] { 0x12, 0x34, 0x56, 0x78, 0, 0, 0, 0 }, "not a pcap or pcapng file (magic 0x12345678)")]
    [InlineData(new byte[] { 0xd4, 0xc3, 0xb2, 0xa1, 2, 0 }, "truncated pcap file header at byte 0 (only 6 of 24 bytes)")]
    [InlineData(new byte[] { 0x0a, 0x0d, 0x0d, 0x0a, 28, 0 }, "truncated pcapng block header at byte 0 (only 6 of 8 bytes)")]
    [InlineData(new byte[] { 0x0a, 0x0d, 0x0d, 0x0a, 28, 0, 0, 0, 0x4d }, "truncated pcapng section header at byte 0 (only 9 of 12 bytes)")]
    public void Short_and_foreign_inputs_are_reported(byte[] bytes, string expected)
    {
        var result = CaptureFileReader.Read(new MemoryStream(bytes));
        result.Frames.ShouldBeEmpty();
        result.Error.ShouldBe(expected);
    }

    [Fact]
    public void Stream_failure_becomes_an_error()
    {
        var output = new MemoryStream();
        using (var writer = new PcapNgWriter(output, leaveOpen: true))
        {
            writer.Write(DateTimeOffset.UnixEpoch, EthernetFrame60);
            writer.Write(DateTimeOffset.UnixEpoch, EthernetFrame60);
        }

        var result = CaptureFileReader.Read(new DribbleStream(output.ToArray(), failAt: 200));
        result.Frames.Count.ShouldBe(1);
        result.Error.ShouldBe("read error at byte 200: disk on fire");
    }

    [Fact]
    public void Byte_at_a_time_stream_reads_everything()
    {
        var output = new MemoryStream();
        using (var writer = new PcapNgWriter(output, leaveOpen: true))
        {
            writer.Write(DateTimeOffset.UnixEpoch, EthernetFrame60, "one");
            writer.Write(DateTimeOffset.UnixEpoch, new byte[100_000], "two");
        }

        var result = CaptureFileReader.Read(new DribbleStream(output.ToArray(), failAt: int.MaxValue));
        result.Error.ShouldBeNull();
        result.Frames.Select(f => f.Comment).ShouldBe(["one", "two"]);
        result.Frames[1].Data.Length.ShouldBe(100_000);
    }

    /// <summary>
    /// Reads every prefix of <paramref name="file"/>: prefixes ending exactly where a block/record ends are complete
    /// files (no error); every other prefix must report an error naming a byte offset. Both return the frames so far.
    /// </summary>
    private static void AssertEveryTruncation(byte[] file, List<(long End, int Frames)> boundaries, CaptureFormat format)
    {
        var full = CaptureFileReader.Read(new MemoryStream(file));
        full.Error.ShouldBeNull();
        full.Frames.Count.ShouldBe(boundaries[^1].Frames);
        boundaries[^1].End.ShouldBe(file.Length);

        for (int length = 0; length <= file.Length; length++)
        {
            int prefix = length;
            CaptureReadResult result = null!;
            Should.NotThrow(() => result = CaptureFileReader.Read(new MemoryStream(file, 0, prefix)), $"prefix length {length}");

            int complete = boundaries.Where(b => b.End <= prefix).Select(b => b.Frames).DefaultIfEmpty(0).Max();
            result.Frames.Count.ShouldBe(complete, $"prefix length {length}");
            for (int i = 0; i < complete; i++)
            {
                result.Frames[i].ShouldBe(full.Frames[i] with { Data = result.Frames[i].Data });
                result.Frames[i].Data.ShouldBe(full.Frames[i].Data);
            }

            if (boundaries.Any(b => b.End == prefix))
            {
                result.Error.ShouldBeNull($"prefix length {length} ends on a block boundary");
                result.Format.ShouldBe(format);
            }
            else
            {
                result.Error.ShouldNotBeNull($"prefix length {length} is incomplete");
                result.Error.ShouldContain("byte ", customMessage: $"prefix length {length}");
                result.Error.ShouldNotContain("\n");
            }
        }
    }

    private static void ReadShouldNotThrow(byte[] bytes)
    {
        var result = CaptureFileReader.Read(new MemoryStream(bytes));
        result.ShouldNotBeNull();
        if (result.Error is not null)
        {
            result.Error.ShouldNotContain("\n");
        }
    }

    /// <summary>Non-seekable stream that returns one byte per Read and fails with an IOException at a given offset.</summary>
    private sealed class DribbleStream(byte[] data, int failAt) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position
        {
            get => throw new NotSupportedException();
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            if (_position >= failAt)
            {
                throw new IOException("disk on fire");
            }

            if (buffer.IsEmpty || _position >= data.Length)
            {
                return 0;
            }

            buffer[0] = data[_position++];
            return 1;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
