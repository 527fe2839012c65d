using System.Text;

namespace RawHandshake.Wire.Capture;

public static partial class CaptureFileReader
{
    /// <summary>Largest pcapng block accepted (same bound as Wireshark's).</summary>
    internal const int MaxBlockLength = 16 * 1024 * 1024;

    private static string? ReadPcapNg(CaptureByteSource source, List<CapturedFrame> frames, int maxFrames)
    {
        bool bigEndian = false;
        var interfaces = new List<PcapNgInterface>();
        Span<byte> head = stackalloc byte[12];

        while (frames.Count < maxFrames)
        {
            long blockStart = source.Position;
            int n = source.Read(head[..8]);
            if (n == 0)
            {
                return null;
            }

            if (n < 8)
            {
                return $"truncated pcapng block header at byte {blockStart} (only {n} of 8 bytes)";
            }

            // The Section Header Block type is a byte palindrome, so it reads the same in either order.
            uint type = ReadUInt32(head, bigEndian);
            int headerLength = 8;
            if (type == PcapNgWriter.SectionHeaderBlockType)
            {
                n = source.Read(head[8..12]);
                if (n < 4)
                {
                    return $"truncated pcapng section header at byte {blockStart} (only {8 + n} of 12 bytes)";
                }

                if (ReadUInt32(head[8..], bigEndian: false) == PcapNgWriter.ByteOrderMagic)
                {
                    bigEndian = false;
                }
                else if (ReadUInt32(head[8..], bigEndian: true) == PcapNgWriter.ByteOrderMagic)
                {
                    bigEndian = true;
                }
                else
                {
                    return $"pcapng byte-order magic 0x{ReadUInt32(head[8..], bigEndian: true):x8} at byte {blockStart + 8} is invalid";
                }

                headerLength = 12;
                interfaces.Clear();
            }

            uint length = ReadUInt32(head[4..], bigEndian);
            if (length < 12 || length % 4 != 0 || length > MaxBlockLength)
            {
                return $"pcapng block length {length} at byte {blockStart} is invalid";
            }

            uint minimum = MinimumBlockLength(type);
            if (length < minimum)
            {
                return $"pcapng block length {length} at byte {blockStart} is invalid for {BlockName(type)} (minimum {minimum})";
            }

            int bodyLength = (int)length - headerLength - 4;
            byte[]? body = null;
            long got;
            if (minimum > 12)
            {
                body = source.ReadExactly(bodyLength, out int read);
                got = read;
            }
            else
            {
                got = source.Skip(bodyLength);
            }

            int trailerRead = got == bodyLength ? source.Read(head[..4]) : 0;
            if (trailerRead < 4)
            {
                return $"truncated pcapng block at byte {blockStart} (block length {length}, only {headerLength + got + trailerRead} bytes present)";
            }

            uint trailingLength = ReadUInt32(head, bigEndian);
            if (trailingLength != length)
            {
                return $"pcapng block at byte {blockStart} has trailing length {trailingLength} but leading length {length}";
            }

            if (body is null)
            {
                continue; // a block type we do not interpret
            }

            var block = new BlockContext(body, blockStart, headerLength, bigEndian);
            string? error = type switch
            {
                PcapNgWriter.SectionHeaderBlockType => ReadSectionHeader(block),
                PcapNgWriter.InterfaceDescriptionBlockType => ReadInterface(block, interfaces),
                PcapNgWriter.EnhancedPacketBlockType => ReadPacket(block, interfaces, frames, enhanced: true),
                PcapNgWriter.PacketBlockType => ReadPacket(block, interfaces, frames, enhanced: false),
                PcapNgWriter.SimplePacketBlockType => ReadSimplePacket(block, interfaces, frames),
                _ => null,
            };
            if (error is not null)
            {
                return error;
            }
        }

        return null;
    }

    private static uint MinimumBlockLength(uint type) => type switch
    {
        PcapNgWriter.SectionHeaderBlockType => 28,
        PcapNgWriter.InterfaceDescriptionBlockType => 20,
        PcapNgWriter.EnhancedPacketBlockType => 32,
        PcapNgWriter.PacketBlockType => 32,
        PcapNgWriter.SimplePacketBlockType => 16,
        _ => 12,
    };

    private static string BlockName(uint type) => type switch
    {
        PcapNgWriter.SectionHeaderBlockType => "a Section Header Block",
        PcapNgWriter.InterfaceDescriptionBlockType => "an Interface Description Block",
        PcapNgWriter.EnhancedPacketBlockType => "an Enhanced Packet Block",
        PcapNgWriter.PacketBlockType => "a Packet Block",
        PcapNgWriter.SimplePacketBlockType => "a Simple Packet Block",
        _ => $"block type 0x{type:x8}",
    };

    private static string? ReadSectionHeader(BlockContext block)
    {
        // Body (after the byte-order magic): major, minor, section length, options.
        ushort major = ReadUInt16(block.Body, block.BigEndian);
        ushort minor = ReadUInt16(block.Body[2..], block.BigEndian);
        return major == 1 ? null : $"unsupported pcapng version {major}.{minor} at byte {block.Offset(0)}";
    }

    private static string? ReadInterface(BlockContext block, List<PcapNgInterface> interfaces)
    {
        var linkType = (LinkType)ReadUInt16(block.Body, block.BigEndian);
        uint snapLength = ReadUInt32(block.Body[4..], block.BigEndian);
        byte resolution = 6;
        long offsetSeconds = 0;

        var options = new OptionReader(block, 8);
        while (options.Next(out ushort code, out ReadOnlySpan<byte> value))
        {
            if (code == PcapNgWriter.OptIfTsResol && value.Length >= 1)
            {
                resolution = value[0];
            }
            else if (code == PcapNgWriter.OptIfTsOffset && value.Length >= 8)
            {
                offsetSeconds = ReadInt64(value, block.BigEndian);
            }
        }

        if (options.Error is not null)
        {
            return options.Error;
        }

        interfaces.Add(new PcapNgInterface(linkType, snapLength, resolution, offsetSeconds));
        return null;
    }

    private static string? ReadPacket(BlockContext block, List<PcapNgInterface> interfaces, List<CapturedFrame> frames, bool enhanced)
    {
        ReadOnlySpan<byte> body = block.Body;
        uint interfaceId = enhanced ? ReadUInt32(body, block.BigEndian) : ReadUInt16(body, block.BigEndian);
        if (interfaceId >= (uint)interfaces.Count)
        {
            return $"pcapng packet at byte {block.Start} references interface {interfaceId} but the section has {interfaces.Count}";
        }

        PcapNgInterface iface = interfaces[(int)interfaceId];
        ulong units = ((ulong)ReadUInt32(body[4..], block.BigEndian) << 32) | ReadUInt32(body[8..], block.BigEndian);
        uint capturedLength = ReadUInt32(body[12..], block.BigEndian);
        uint originalLength = ReadUInt32(body[16..], block.BigEndian);
        if (capturedLength > MaxFrameLength)
        {
            return FrameTooLong(capturedLength, block.Start, iface.SnapLength);
        }

        const int DataStart = 20;
        int paddedLength = ((int)capturedLength + 3) & ~3;
        if (paddedLength > body.Length - DataStart)
        {
            return $"pcapng packet at byte {block.Start}: frame length {capturedLength} overruns the block";
        }

        byte[] data = body.Slice(DataStart, (int)capturedLength).ToArray();
        string? comment = null;
        var options = new OptionReader(block, DataStart + paddedLength);
        while (options.Next(out ushort code, out ReadOnlySpan<byte> value))
        {
            if (code == PcapNgWriter.OptComment && comment is null)
            {
                comment = Encoding.UTF8.GetString(value);
            }
        }

        if (options.Error is not null)
        {
            return options.Error;
        }

        frames.Add(new CapturedFrame(iface.ToTimestamp(units), iface.LinkType, data, ClampToInt(originalLength), comment, (int)interfaceId));
        return null;
    }

    private static string? ReadSimplePacket(BlockContext block, List<PcapNgInterface> interfaces, List<CapturedFrame> frames)
    {
        if (interfaces.Count == 0)
        {
            return $"pcapng simple packet at byte {block.Start} appears before any interface description";
        }

        PcapNgInterface iface = interfaces[0];
        uint originalLength = ReadUInt32(block.Body, block.BigEndian);
        // A Simple Packet Block has no captured-length field: it is the original length, bounded by the
        // interface snap length (0 = unlimited) and by the block itself.
        long capturedLength = Math.Min(originalLength, block.Body.Length - 4);
        if (iface.SnapLength != 0)
        {
            capturedLength = Math.Min(capturedLength, iface.SnapLength);
        }

        byte[] data = block.Body.Slice(4, (int)capturedLength).ToArray();
        // SPBs carry no timestamp: report the Unix epoch.
        frames.Add(new CapturedFrame(DateTimeOffset.UnixEpoch, iface.LinkType, data, ClampToInt(originalLength)));
        return null;
    }

    /// <summary>A block body (everything between the header and the trailing length) and where it sits in the file.</summary>
    private readonly ref struct BlockContext(ReadOnlySpan<byte> body, long start, int headerLength, bool bigEndian)
    {
        public ReadOnlySpan<byte> Body { get; } = body;

        public long Start { get; } = start;

        public bool BigEndian { get; } = bigEndian;

        public long Offset(int bodyIndex) => Start + headerLength + bodyIndex;
    }

    /// <summary>Walks a pcapng option list (code, length, value padded to 32 bits) up to opt_endofopt or the end of the body.</summary>
    private ref struct OptionReader
    {
        private readonly BlockContext _block;
        private int _position;

        public OptionReader(BlockContext block, int start)
        {
            _block = block;
            _position = start;
        }

        public string? Error { get; private set; }

        public bool Next(out ushort code, out ReadOnlySpan<byte> value)
        {
            ReadOnlySpan<byte> body = _block.Body;
            value = default;
            code = 0;
            if (body.Length - _position < 4)
            {
                return false;
            }

            code = ReadUInt16(body[_position..], _block.BigEndian);
            int length = ReadUInt16(body[(_position + 2)..], _block.BigEndian);
            if (code == PcapNgWriter.OptEndOfOpt)
            {
                return false;
            }

            int valueStart = _position + 4;
            if (length > body.Length - valueStart)
            {
                Error = $"pcapng option {code} at byte {_block.Offset(_position)} (length {length}) overruns its block";
                return false;
            }

            value = body.Slice(valueStart, length);
            _position = Math.Min(body.Length, valueStart + ((length + 3) & ~3));
            return true;
        }
    }
}
