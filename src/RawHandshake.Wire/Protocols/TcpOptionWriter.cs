using System.Buffers.Binary;

namespace RawHandshake.Wire.Protocols;

/// <summary>
/// Writes TCP options into a caller's buffer, in the order called, allocation-free:
/// <c>new TcpOptionWriter(buf).Mss(1460).SackPermitted().Timestamps(1, 0).Nop().WindowScale(7)</c>.
/// <see cref="Length"/> is what was written; <see cref="PadToWord"/> appends EOL bytes up to a multiple of 4.
/// Writes past the buffer (40 bytes for a real header) throw <see cref="ArgumentException"/>, before anything is sent.
/// </summary>
public ref struct TcpOptionWriter
{
    private readonly Span<byte> buffer;

    public TcpOptionWriter(Span<byte> buffer)
    {
        this.buffer = buffer;
        Length = 0;
    }

    public int Length { get; private set; }

    public readonly ReadOnlySpan<byte> Written => buffer[..Length];

    private Span<byte> Take(int n)
    {
        if (Length + n > buffer.Length)
        {
            throw new ArgumentException($"TCP options need more than {buffer.Length} bytes");
        }

        var s = buffer.Slice(Length, n);
        Length += n;
        return s;
    }

    public TcpOptionWriter Nop()
    {
        Take(1)[0] = (byte)TcpOptionKind.Nop;
        return this;
    }

    public TcpOptionWriter End()
    {
        Take(1)[0] = (byte)TcpOptionKind.EndOfOptions;
        return this;
    }

    public TcpOptionWriter Mss(ushort mss)
    {
        var s = Take(4);
        s[0] = (byte)TcpOptionKind.Mss;
        s[1] = 4;
        BinaryPrimitives.WriteUInt16BigEndian(s[2..], mss);
        return this;
    }

    public TcpOptionWriter WindowScale(byte shift)
    {
        var s = Take(3);
        s[0] = (byte)TcpOptionKind.WindowScale;
        s[1] = 3;
        s[2] = shift;
        return this;
    }

    public TcpOptionWriter SackPermitted()
    {
        var s = Take(2);
        s[0] = (byte)TcpOptionKind.SackPermitted;
        s[1] = 2;
        return this;
    }

    public TcpOptionWriter Timestamps(uint value, uint echoReply)
    {
        var s = Take(10);
        s[0] = (byte)TcpOptionKind.Timestamps;
        s[1] = 10;
        BinaryPrimitives.WriteUInt32BigEndian(s[2..], value);
        BinaryPrimitives.WriteUInt32BigEndian(s[6..], echoReply);
        return this;
    }

    /// <summary>A SACK option with the given blocks (left edge, right edge), at most 4 in 40 bytes.</summary>
    public TcpOptionWriter Sack(ReadOnlySpan<(uint Left, uint Right)> blocks)
    {
        var s = Take(2 + (8 * blocks.Length));
        s[0] = (byte)TcpOptionKind.Sack;
        s[1] = (byte)(2 + (8 * blocks.Length));
        for (var i = 0; i < blocks.Length; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(s[(2 + (8 * i))..], blocks[i].Left);
            BinaryPrimitives.WriteUInt32BigEndian(s[(6 + (8 * i))..], blocks[i].Right);
        }

        return this;
    }

    /// <summary>Any option, written as kind, length (2 + data, unless <paramref name="length"/> overrides it) and data.</summary>
    public TcpOptionWriter Raw(byte kind, ReadOnlySpan<byte> data, int? length = null)
    {
        var s = Take(2 + data.Length);
        s[0] = kind;
        s[1] = (byte)(length ?? (2 + data.Length));
        data.CopyTo(s[2..]);
        return this;
    }

    /// <summary>Raw bytes exactly as given (malformed options for labs).</summary>
    public TcpOptionWriter Bytes(ReadOnlySpan<byte> bytes)
    {
        bytes.CopyTo(Take(bytes.Length));
        return this;
    }

    /// <summary>Pads with EOL (zero) bytes to a multiple of 4, as the data offset requires.</summary>
    public TcpOptionWriter PadToWord()
    {
        while ((Length & 3) != 0)
        {
            Take(1)[0] = 0;
        }

        return this;
    }
}
