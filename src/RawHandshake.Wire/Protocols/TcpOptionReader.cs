namespace RawHandshake.Wire.Protocols;

/// <summary>
/// Walks the options area of a TCP header without allocating: <c>foreach (var o in new TcpOptionReader(span))</c>.
/// Stops at EOL (reported as an option, then the padding is skipped) and at the first malformed option, after which
/// <see cref="Enumerator.Malformed"/> says what was wrong. Known kinds with a wrong length are malformed too.
/// </summary>
public readonly ref struct TcpOptionReader
{
    private readonly ReadOnlySpan<byte> options;

    public TcpOptionReader(ReadOnlySpan<byte> options) => this.options = options;

    public Enumerator GetEnumerator() => new(options);

    /// <summary>Returns the first problem in the options, or null when they are well formed.</summary>
    public string? Validate()
    {
        var e = GetEnumerator();
        while (e.MoveNext())
        {
        }

        return e.Malformed;
    }

    public ref struct Enumerator
    {
        private readonly ReadOnlySpan<byte> options;
        private int position;
        private bool done;

        internal Enumerator(ReadOnlySpan<byte> options)
        {
            this.options = options;
            position = 0;
            done = false;
            Current = default;
            Malformed = null;
        }

        public TcpOption Current { get; private set; }

        /// <summary>Set when the walk stopped on a malformed option, e.g. "TCP option kind 2 at offset 3 has length 1 (minimum 2)".</summary>
        public string? Malformed { get; private set; }

        public bool MoveNext()
        {
            if (done || position >= options.Length)
            {
                return false;
            }

            var kind = (TcpOptionKind)options[position];
            if (kind is TcpOptionKind.EndOfOptions or TcpOptionKind.Nop)
            {
                Current = new TcpOption(kind, position, 1, default);
                position++;
                done = kind == TcpOptionKind.EndOfOptions;
                return true;
            }

            if (position + 1 >= options.Length)
            {
                return Fail($"TCP option kind {(byte)kind} at offset {position} has no length byte");
            }

            int length = options[position + 1];
            if (length < 2)
            {
                return Fail($"TCP option kind {(byte)kind} at offset {position} has length {length} (minimum 2)");
            }

            if (position + length > options.Length)
            {
                return Fail($"TCP option kind {(byte)kind} at offset {position} has length {length}, past the end of the header ({options.Length - position} bytes left)");
            }

            var expected = kind switch
            {
                TcpOptionKind.Mss => 4,
                TcpOptionKind.WindowScale => 3,
                TcpOptionKind.SackPermitted => 2,
                TcpOptionKind.Timestamps => 10,
                _ => -1,
            };
            if ((expected >= 0 && length != expected) || (kind == TcpOptionKind.Sack && (length - 2) % 8 != 0))
            {
                return Fail($"TCP option kind {(byte)kind} at offset {position} has length {length}, expected {(expected >= 0 ? expected.ToString(System.Globalization.CultureInfo.InvariantCulture) : "2 + 8n")}");
            }

            Current = new TcpOption(kind, position, length, options.Slice(position + 2, length - 2));
            position += length;
            return true;
        }

        private bool Fail(string why)
        {
            Malformed = why;
            done = true;
            return false;
        }
    }
}
