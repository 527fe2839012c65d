using System.Buffers.Binary;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Wire.Protocols;

/// <summary>One neighbour discovery option found in a message (RFC 4861 §4.6): type, offset in the frame, length in bytes.</summary>
public readonly record struct NdpOption(byte Type, int Offset, int Length)
{
    public const byte SourceLinkAddress = 1;
    public const byte TargetLinkAddress = 2;
    public const byte PrefixInformation = 3;
    public const byte RedirectedHeader = 4;
    public const byte Mtu = 5;
}

/// <summary>A prefix information option (RFC 4861 §4.6.2).</summary>
public readonly record struct NdpPrefix(IPv6Address Prefix, byte PrefixLength, bool OnLink, bool Autonomous, uint ValidLifetime, uint PreferredLifetime)
{
    public static NdpPrefix Read(ReadOnlySpan<byte> option) => new(
        IPv6Address.Read(option[16..]), option[2], (option[3] & 0x80) != 0, (option[3] & 0x40) != 0,
        BinaryPrimitives.ReadUInt32BigEndian(option[4..]), BinaryPrimitives.ReadUInt32BigEndian(option[8..]));
}

/// <summary>
/// The options of a neighbour discovery message, walked without allocating. A length of 0 or one past the end stops
/// the walk with <see cref="Enumerator.Malformed"/> set (RFC 4861 §4.6: such a message is discarded).
/// </summary>
public readonly ref struct NdpOptionReader(ReadOnlySpan<byte> options, int baseOffset = 0)
{
    private readonly ReadOnlySpan<byte> _options = options;

    public Enumerator GetEnumerator() => new(_options, baseOffset);

    public ref struct Enumerator(ReadOnlySpan<byte> options, int baseOffset)
    {
        private readonly ReadOnlySpan<byte> _o = options;
        private int _at;

        public NdpOption Current { get; private set; }

        public string? Malformed { get; private set; }

        /// <summary>The walk stopped at an option of length 0 (RFC 4861 §4.6: such a message is to be discarded; tshark
        /// shows it without calling the packet malformed).</summary>
        public bool ZeroLength { get; private set; }

        public bool MoveNext()
        {
            if (Malformed is not null || _at >= _o.Length)
            {
                return false;
            }

            if (_o.Length - _at < 2)
            {
                Malformed = $"ICMPv6 option at byte {baseOffset + _at} is cut off";
                return false;
            }

            var len = _o[_at + 1] * 8;
            if (len == 0)
            {
                ZeroLength = true;
                Malformed = $"ICMPv6 option {_o[_at]} at byte {baseOffset + _at} has length 0";
                return false;
            }

            if (len > _o.Length - _at)
            {
                Malformed = $"ICMPv6 option {_o[_at]} at byte {baseOffset + _at} says {len} bytes, {_o.Length - _at} are left";
                return false;
            }

            Current = new NdpOption(_o[_at], baseOffset + _at, len);
            _at += len;
            return true;
        }
    }
}

/// <summary>
/// A decoded neighbour discovery message (RFC 4861 §4): what follows the ICMPv6 header, with the link-layer address
/// and MTU options picked out. <see cref="OptionsOffset"/>/<see cref="OptionsLength"/> slice every option from the
/// frame (read them with <see cref="NdpOptionReader"/>).
/// </summary>
public record struct NdpMessage
{
    public byte Type { get; init; }

    /// <summary>The target of an NS, NA or redirect.</summary>
    public IPv6Address? Target { get; init; }

    /// <summary>The destination of a redirect.</summary>
    public IPv6Address? RedirectDestination { get; init; }
    public bool Router { get; init; }
    public bool Solicited { get; init; }
    public bool Override { get; init; }

    public byte CurHopLimit { get; init; }
    public bool Managed { get; init; }
    public bool OtherConfig { get; init; }
    public ushort RouterLifetime { get; init; }
    public uint ReachableTime { get; init; }
    public uint RetransTimer { get; init; }

    public int OptionsOffset { get; init; }
    public int OptionsLength { get; init; }
    public MacAddress? SourceLinkAddress { get; init; }
    public MacAddress? TargetLinkAddress { get; init; }
    public uint? Mtu { get; init; }

    /// <summary>Bytes of the fixed part after the ICMPv6 header, per type (RS 0, RA 8, NS 16, NA 16, redirect 32).</summary>
    public static int FixedLength(byte type) => type switch
    {
        Icmpv6Header.RouterAdvertisement => 8,
        Icmpv6Header.NeighborSolicitation or Icmpv6Header.NeighborAdvertisement => 16,
        Icmpv6Header.Redirect => 32,
        _ => 0,
    };

    /// <summary>NA flags as the rest-of-header word: R (router), S (solicited), O (override).</summary>
    public static uint AdvertisementFlags(bool router, bool solicited, bool @override) =>
        (router ? 0x8000_0000u : 0) | (solicited ? 0x4000_0000u : 0) | (@override ? 0x2000_0000u : 0);

    /// <summary>
    /// Decodes the body (<paramref name="body"/> starts after the 8-byte ICMPv6 header at frame offset
    /// <paramref name="at"/>); null with <paramref name="malformed"/> set when the fixed part is cut off, the message
    /// with <paramref name="malformed"/> set when an option runs past the end. An option of length 0 ends the options
    /// (the message is invalid, RFC 4861 §4.6, but not malformed).
    /// </summary>
    public static NdpMessage? Read(in Icmpv6Header icmp, ReadOnlySpan<byte> body, int at, out string? malformed)
    {
        malformed = null;
        var fixedLength = FixedLength(icmp.Type);
        if (body.Length < fixedLength)
        {
            malformed = $"ICMPv6 type {icmp.Type} at byte {at - 8} needs {fixedLength + 8} bytes, {body.Length + 8} are there";
            return null;
        }

        MacAddress? sll = null, tll = null;
        uint? mtu = null;
        var e = new NdpOptionReader(body[fixedLength..], at + fixedLength).GetEnumerator();
        while (e.MoveNext())
        {
            var o = e.Current;
            var opt = body.Slice(o.Offset - at, o.Length);
            switch (o.Type)
            {
                case NdpOption.SourceLinkAddress when o.Length >= 8:
                    sll ??= MacAddress.Read(opt[2..]);
                    break;
                case NdpOption.TargetLinkAddress when o.Length >= 8:
                    tll ??= MacAddress.Read(opt[2..]);
                    break;
                case NdpOption.Mtu when o.Length >= 8:
                    mtu ??= BinaryPrimitives.ReadUInt32BigEndian(opt[4..]);
                    break;
            }
        }

        malformed = e.ZeroLength ? null : e.Malformed;
        var rest = icmp.RestOfHeader;
        return new NdpMessage
        {
            Type = icmp.Type,
            Target = icmp.Type is Icmpv6Header.NeighborSolicitation or Icmpv6Header.NeighborAdvertisement or Icmpv6Header.Redirect ? IPv6Address.Read(body) : null,
            RedirectDestination = icmp.Type == Icmpv6Header.Redirect ? IPv6Address.Read(body[16..]) : null,
            Router = icmp.Type == Icmpv6Header.NeighborAdvertisement && (rest & 0x8000_0000) != 0,
            Solicited = icmp.Type == Icmpv6Header.NeighborAdvertisement && (rest & 0x4000_0000) != 0,
            Override = icmp.Type == Icmpv6Header.NeighborAdvertisement && (rest & 0x2000_0000) != 0,
            CurHopLimit = icmp.Type == Icmpv6Header.RouterAdvertisement ? (byte)(rest >> 24) : (byte)0,
            Managed = icmp.Type == Icmpv6Header.RouterAdvertisement && (rest & 0x0080_0000) != 0,
            OtherConfig = icmp.Type == Icmpv6Header.RouterAdvertisement && (rest & 0x0040_0000) != 0,
            RouterLifetime = icmp.Type == Icmpv6Header.RouterAdvertisement ? (ushort)rest : (ushort)0,
            ReachableTime = icmp.Type == Icmpv6Header.RouterAdvertisement ? BinaryPrimitives.ReadUInt32BigEndian(body) : 0,
            RetransTimer = icmp.Type == Icmpv6Header.RouterAdvertisement ? BinaryPrimitives.ReadUInt32BigEndian(body[4..]) : 0,
            OptionsOffset = at + fixedLength,
            OptionsLength = body.Length - fixedLength,
            SourceLinkAddress = sll,
            TargetLinkAddress = tll,
            Mtu = mtu,
        };
    }
}

/// <summary>Writes neighbour discovery bodies (what follows the 8-byte ICMPv6 header) and their options.</summary>
public static class NdpWriter
{
    /// <summary>A source/target link-layer address option (8 bytes).</summary>
    public static int LinkAddressOption(Span<byte> d, byte type, MacAddress mac)
    {
        d[0] = type;
        d[1] = 1;
        mac.Write(d[2..]);
        return 8;
    }

    /// <summary>An MTU option (8 bytes).</summary>
    public static int MtuOption(Span<byte> d, uint mtu)
    {
        d[0] = NdpOption.Mtu;
        d[1] = 1;
        d[2] = 0;
        d[3] = 0;
        BinaryPrimitives.WriteUInt32BigEndian(d[4..], mtu);
        return 8;
    }

    /// <summary>A prefix information option (32 bytes).</summary>
    public static int PrefixOption(Span<byte> d, in NdpPrefix p)
    {
        d[..32].Clear();
        d[0] = NdpOption.PrefixInformation;
        d[1] = 4;
        d[2] = p.PrefixLength;
        d[3] = (byte)((p.OnLink ? 0x80 : 0) | (p.Autonomous ? 0x40 : 0));
        BinaryPrimitives.WriteUInt32BigEndian(d[4..], p.ValidLifetime);
        BinaryPrimitives.WriteUInt32BigEndian(d[8..], p.PreferredLifetime);
        p.Prefix.Write(d[16..]);
        return 32;
    }

    /// <summary>NS or NA body: the target, then a link-layer address option when <paramref name="linkAddress"/> is set
    /// (source for NS, target for NA).</summary>
    public static int Neighbor(Span<byte> d, byte type, IPv6Address target, MacAddress? linkAddress)
    {
        target.Write(d);
        return 16 + (linkAddress is { } mac
            ? LinkAddressOption(d[16..], type == Icmpv6Header.NeighborSolicitation ? NdpOption.SourceLinkAddress : NdpOption.TargetLinkAddress, mac)
            : 0);
    }

    /// <summary>RS body: the source link-layer address option when given.</summary>
    public static int RouterSolicitation(Span<byte> d, MacAddress? source) =>
        source is { } mac ? LinkAddressOption(d, NdpOption.SourceLinkAddress, mac) : 0;

    /// <summary>RA body: reachable time and retrans timer, then the source link-layer, MTU and prefix options given.</summary>
    public static int RouterAdvertisement(Span<byte> d, uint reachableTime, uint retransTimer, MacAddress? source, uint? mtu, ReadOnlySpan<NdpPrefix> prefixes)
    {
        BinaryPrimitives.WriteUInt32BigEndian(d, reachableTime);
        BinaryPrimitives.WriteUInt32BigEndian(d[4..], retransTimer);
        var at = 8;
        if (source is { } mac)
        {
            at += LinkAddressOption(d[at..], NdpOption.SourceLinkAddress, mac);
        }

        if (mtu is { } m)
        {
            at += MtuOption(d[at..], m);
        }

        foreach (var p in prefixes)
        {
            at += PrefixOption(d[at..], p);
        }

        return at;
    }

    /// <summary>The RA rest-of-header word: current hop limit, M and O flags, router lifetime.</summary>
    public static uint AdvertisementWord(byte curHopLimit, bool managed, bool otherConfig, ushort routerLifetime) =>
        ((uint)curHopLimit << 24) | (managed ? 0x0080_0000u : 0) | (otherConfig ? 0x0040_0000u : 0) | routerLifetime;
}
