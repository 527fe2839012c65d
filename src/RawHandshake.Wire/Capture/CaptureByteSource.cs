namespace RawHandshake.Wire.Capture;

/// <summary>
/// Forward-only reader over a caller-provided stream that tracks the absolute byte offset, never reads
/// past what it is asked for, and never allocates more than the data actually present.
/// </summary>
internal sealed class CaptureByteSource
{
    private const int InitialChunk = 64 * 1024;

    private readonly Stream _stream;
    private byte[]? _pushback;
    private int _pushbackOffset;
    private byte[]? _scratch;

    public CaptureByteSource(Stream stream)
    {
        _stream = stream;
    }

    /// <summary>Number of bytes consumed so far.</summary>
    public long Position { get; private set; }

    /// <summary>Fills <paramref name="destination"/> unless the stream ends first; returns the byte count read.</summary>
    public int Read(Span<byte> destination)
    {
        int total = 0;
        if (_pushback is not null)
        {
            int fromPushback = Math.Min(destination.Length, _pushback.Length - _pushbackOffset);
            _pushback.AsSpan(_pushbackOffset, fromPushback).CopyTo(destination);
            _pushbackOffset += fromPushback;
            total = fromPushback;
            Position += fromPushback;
            if (_pushbackOffset == _pushback.Length)
            {
                _pushback = null;
            }
        }

        while (total < destination.Length)
        {
            int n = _stream.Read(destination[total..]);
            if (n <= 0)
            {
                break;
            }

            n = Math.Min(n, destination.Length - total);
            total += n;
            Position += n;
        }

        return total;
    }

    /// <summary>Makes <paramref name="bytes"/> (just read) the next bytes returned by <see cref="Read"/>.</summary>
    public void Unread(ReadOnlySpan<byte> bytes)
    {
        _pushback = bytes.ToArray();
        _pushbackOffset = 0;
        Position -= bytes.Length;
    }

    /// <summary>
    /// Reads up to <paramref name="length"/> bytes into a new array of exactly that length, growing the
    /// working buffer as data arrives so a bogus huge length in a short file costs little memory.
    /// Returns the array, or null when fewer than <paramref name="length"/> bytes were available
    /// (<paramref name="got"/> then tells how many).
    /// </summary>
    public byte[]? ReadExactly(int length, out int got)
    {
        var buffer = new byte[Math.Min(length, InitialChunk)];
        got = 0;
        while (true)
        {
            int n = Read(buffer.AsSpan(got));
            got += n;
            if (got < buffer.Length)
            {
                return null;
            }

            if (got == length)
            {
                return buffer;
            }

            Array.Resize(ref buffer, (int)Math.Min((long)buffer.Length * 2, length));
        }
    }

    /// <summary>Discards up to <paramref name="length"/> bytes; returns how many were discarded.</summary>
    public long Skip(long length)
    {
        _scratch ??= new byte[8192];
        long skipped = 0;
        while (skipped < length)
        {
            int want = (int)Math.Min(_scratch.Length, length - skipped);
            int n = Read(_scratch.AsSpan(0, want));
            skipped += n;
            if (n < want)
            {
                break;
            }
        }

        return skipped;
    }
}
