using System.Buffers.Binary;
using System.Text;
using RawHandshake.Wire.Capture;

namespace RawHandshake.Wire.Tests.Capture;

/// <summary>Shared sample frames and hand-built capture-file bytes for the capture tests.</summary>
internal static class CaptureTestData
{
    /// <summary>A 60-byte Ethernet II frame: IPv4/TCP SYN 10.0.0.1:40000 -> 10.0.0.2:80, padded to the Ethernet minimum.</summary>
    public static readonly byte[] EthernetFrame60 = Convert.FromHexString(
        "020000000002" + "020000000001" + "0800" +
        "4500002c0001000040060000" + "0a000001" + "0a000002" +
        "9c400050000000010000000060022000" + "00000000" + "020405b4" +
        "0000");

    public static byte[] Hex(string hex) => Convert.FromHexString(hex.Replace(" ", string.Empty).Replace("\n", string.Empty));

    public static DateTimeOffset FromUnixTicks(long ticks) => new(DateTimeOffset.UnixEpoch.UtcTicks + ticks, TimeSpan.Zero);

    /// <summary>Hand-builds a classic pcap file in either byte order and resolution.</summary>
    public static byte[] BuildPcap(
        bool bigEndian,
        bool nanosecond,
        uint network,
        params (uint Seconds, uint Fraction, byte[] Data, uint OriginalLength)[] records)
    {
        var output = new MemoryStream();
        var w = new EndianWriter(output, bigEndian);
        w.U32(nanosecond ? 0xA1B23C4Du : 0xA1B2C3D4u);
        w.U16(2);
        w.U16(4);
        w.U32(0);
        w.U32(0);
        w.U32(65535);
        w.U32(network);
        foreach (var (seconds, fraction, data, originalLength) in records)
        {
            w.U32(seconds);
            w.U32(fraction);
            w.U32((uint)data.Length);
            w.U32(originalLength);
            output.Write(data);
        }

        return output.ToArray();
    }

    /// <summary>Writes little- or big-endian integers to a stream.</summary>
    public sealed class EndianWriter(Stream output, bool bigEndian)
    {
        public bool BigEndian { get; set; } = bigEndian;

        public void U16(ushort value)
        {
            Span<byte> b = stackalloc byte[2];
            if (BigEndian)
            {
                BinaryPrimitives.WriteUInt16BigEndian(b, value);
            }
            else
            {
                BinaryPrimitives.WriteUInt16LittleEndian(b, value);
            }

            output.Write(b);
        }

        public void U32(uint value)
        {
            Span<byte> b = stackalloc byte[4];
            if (BigEndian)
            {
                BinaryPrimitives.WriteUInt32BigEndian(b, value);
            }
            else
            {
                BinaryPrimitives.WriteUInt32LittleEndian(b, value);
            }

            output.Write(b);
        }

        public void U64(ulong value)
        {
            Span<byte> b = stackalloc byte[8];
            if (BigEndian)
            {
                BinaryPrimitives.WriteUInt64BigEndian(b, value);
            }
            else
            {
                BinaryPrimitives.WriteUInt64LittleEndian(b, value);
            }

            output.Write(b);
        }

        public void Bytes(ReadOnlySpan<byte> bytes) => output.Write(bytes);

        public void Pad()
        {
            while (output.Length % 4 != 0)
            {
                output.WriteByte(0);
            }
        }
    }
}

/// <summary>Hand-builds pcapng blocks in either byte order (independently of the writer under test).</summary>
internal sealed class PcapNgBuilder
{
    private readonly MemoryStream _output = new();

    public PcapNgBuilder(bool bigEndian = false)
    {
        BigEndian = bigEndian;
    }

    /// <summary>Byte order of the blocks written next (switch it together with a new <see cref="Shb"/>).</summary>
    public bool BigEndian { get; set; }

    public long Length => _output.Length;

    public static (ushort Code, byte[] Value) Comment(string text) => (1, Encoding.UTF8.GetBytes(text));

    public static (ushort Code, byte[] Value) TsResol(byte value) => (9, [value]);

    public PcapNgBuilder Block(uint type, byte[] body)
    {
        var padded = new byte[(body.Length + 3) & ~3];
        body.CopyTo(padded, 0);
        var w = new CaptureTestData.EndianWriter(_output, BigEndian);
        w.U32(type);
        w.U32((uint)(12 + padded.Length));
        w.Bytes(padded);
        w.U32((uint)(12 + padded.Length));
        return this;
    }

    public PcapNgBuilder Shb(ushort major = 1, params (ushort Code, byte[] Value)[] options) =>
        Block(0x0A0D0D0A, Body(w =>
        {
            w.U32(0x1A2B3C4D);
            w.U16(major);
            w.U16(0);
            w.U64(ulong.MaxValue);
        }, options));

    public PcapNgBuilder Idb(LinkType linkType, uint snapLength = 0, params (ushort Code, byte[] Value)[] options) =>
        Block(1, Body(w =>
        {
            w.U16((ushort)linkType);
            w.U16(0);
            w.U32(snapLength);
        }, options));

    public PcapNgBuilder Epb(uint interfaceId, ulong timestamp, byte[] data, uint? originalLength = null, params (ushort Code, byte[] Value)[] options) =>
        Block(6, Body(w =>
        {
            w.U32(interfaceId);
            w.U32((uint)(timestamp >> 32));
            w.U32((uint)timestamp);
            w.U32((uint)data.Length);
            w.U32(originalLength ?? (uint)data.Length);
            w.Bytes(data);
            w.Pad();
        }, options));

    public PcapNgBuilder Pb(ushort interfaceId, ulong timestamp, byte[] data, params (ushort Code, byte[] Value)[] options) =>
        Block(2, Body(w =>
        {
            w.U16(interfaceId);
            w.U16(0); // drops count
            w.U32((uint)(timestamp >> 32));
            w.U32((uint)timestamp);
            w.U32((uint)data.Length);
            w.U32((uint)data.Length);
            w.Bytes(data);
            w.Pad();
        }, options));

    public PcapNgBuilder Spb(uint originalLength, byte[] data) =>
        Block(3, Body(w =>
        {
            w.U32(originalLength);
            w.Bytes(data);
            w.Pad();
        }, []));

    public byte[] ToArray() => _output.ToArray();

    private byte[] Body(Action<CaptureTestData.EndianWriter> fixedPart, (ushort Code, byte[] Value)[] options)
    {
        var body = new MemoryStream();
        var w = new CaptureTestData.EndianWriter(body, BigEndian);
        fixedPart(w);
        if (options.Length > 0)
        {
            foreach (var (code, value) in options)
            {
                w.U16(code);
                w.U16((ushort)value.Length);
                w.Bytes(value);
                w.Pad();
            }

            w.U32(0); // opt_endofopt
        }

        return body.ToArray();
    }
}
