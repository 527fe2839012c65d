using System.Buffers.Binary;

namespace RawHandshake.Wire.Protocols;

/// <summary>One TCP option as found in a header: kind, offset of its first byte within the options, total length, data.</summary>
public readonly ref struct TcpOption
{
    public TcpOption(TcpOptionKind kind, int offset, int length, ReadOnlySpan<byte> data)
    {
        Kind = kind;
        Offset = offset;
        Length = length;
        Data = data;
    }

    public TcpOptionKind Kind { get; }

    /// <summary>Offset of the kind byte from the start of the options area.</summary>
    public int Offset { get; }

    /// <summary>Total length (1 for EOL/NOP).</summary>
    public int Length { get; }

    /// <summary>The bytes after kind and length.</summary>
    public ReadOnlySpan<byte> Data { get; }

    public ushort Mss => Data.Length >= 2 ? BinaryPrimitives.ReadUInt16BigEndian(Data) : (ushort)0;

    public byte WindowScale => Data.Length >= 1 ? Data[0] : (byte)0;

    public uint TsVal => Data.Length >= 8 ? BinaryPrimitives.ReadUInt32BigEndian(Data) : 0;

    public uint TsEcr => Data.Length >= 8 ? BinaryPrimitives.ReadUInt32BigEndian(Data[4..]) : 0;

    public int SackBlockCount => Data.Length / 8;

    public (uint Left, uint Right) SackBlock(int i) =>
        (BinaryPrimitives.ReadUInt32BigEndian(Data[(8 * i)..]), BinaryPrimitives.ReadUInt32BigEndian(Data[((8 * i) + 4)..]));
}
