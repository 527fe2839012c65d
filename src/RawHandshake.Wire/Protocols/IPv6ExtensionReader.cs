namespace RawHandshake.Wire.Protocols;

/// <summary>One extension header found in a frame: its type, where it starts, how long it is, what comes next.</summary>
public readonly record struct IPv6Extension(byte Type, int Offset, int Length, byte NextHeader);

/// <summary>
/// Walks the extension headers of an IPv6 packet (<paramref name="packet"/> starts at the first one, announced as
/// <paramref name="first"/>) without allocating. Stops at the first upper-layer protocol, at no-next-header (59), at
/// ESP, or with <see cref="Enumerator.Malformed"/> set when a header runs past the end. Offsets are relative to
/// <paramref name="packet"/> plus <paramref name="baseOffset"/>.
/// </summary>
public readonly ref struct IPv6ExtensionReader(ReadOnlySpan<byte> packet, byte first, int baseOffset = 0)
{
    private readonly ReadOnlySpan<byte> _packet = packet;

    public Enumerator GetEnumerator() => new(_packet, first, baseOffset);

    public ref struct Enumerator(ReadOnlySpan<byte> packet, byte first, int baseOffset)
    {
        private readonly ReadOnlySpan<byte> _p = packet;
        private int _at;
        private byte _next = first;

        public IPv6Extension Current { get; private set; }

        /// <summary>Why the walk stopped early, or null.</summary>
        public string? Malformed { get; private set; }

        /// <summary>The protocol after the last extension header (the upper layer).</summary>
        public readonly byte UpperProtocol => _next;

        /// <summary>Where the upper layer starts, relative to the packet.</summary>
        public readonly int UpperOffset => _at;

        public bool MoveNext()
        {
            if (Malformed is not null || !IPv6ExtensionHeader.IsExtension(_next))
            {
                return false;
            }

            var left = _p.Length - _at;
            if (left < 2 || (_next == IPv6ExtensionHeader.Fragment && left < 8))
            {
                Malformed = $"IPv6 extension header {_next} at byte {baseOffset + _at} is cut off ({left} bytes left)";
                return false;
            }

            var len = _next switch
            {
                IPv6ExtensionHeader.Fragment => 8,
                IPv6ExtensionHeader.AuthenticationHeader => (_p[_at + 1] + 2) * 4,
                _ => (_p[_at + 1] + 1) * 8,
            };
            if (len > left)
            {
                Malformed = $"IPv6 extension header {_next} at byte {baseOffset + _at} says {len} bytes, {left} are left";
                return false;
            }

            Current = new IPv6Extension(_next, baseOffset + _at, len, _p[_at]);
            _next = _p[_at];
            _at += len;
            return true;
        }
    }
}

/// <summary>An IPv6 fragment header as parsed (RFC 8200 §4.5): offset in 8-byte units, M flag, identification, the
/// next header of the fragmentable part, and where the 8-byte header sits in the frame.</summary>
public readonly record struct IPv6Fragment(ushort Offset, bool More, uint Identification, byte NextHeader, int HeaderOffset = 0);
