using CsCheck;
using RawHandshake.Wire.Building;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Wire.Tests.Support;

/// <summary>Every field of an Ethernet/IPv4/TCP frame that a property test varies, and how to build it.</summary>
internal sealed record TcpFrameSpec(
    MacAddress Dst,
    MacAddress Src,
    ushort? VlanTci,
    IPv4Address SrcIp,
    IPv4Address DstIp,
    byte Tos,
    ushort Id,
    bool Df,
    bool Mf,
    bool ReservedFlag,
    byte Ttl,
    byte[] IpOptions,
    ushort SrcPort,
    ushort DstPort,
    uint Seq,
    uint Ack,
    TcpFlags Flags,
    ushort Window,
    ushort Urgent,
    byte TcpReserved,
    TcpOptionSet Options,
    (uint Left, uint Right)[] SackBlocks,
    byte[] Payload)
{
    public EthernetHeader Ethernet => new(Dst, Src) { VlanTci = VlanTci };

    public IPv4Header Ip => new()
    {
        Source = SrcIp,
        Destination = DstIp,
        Tos = Tos,
        Id = Id,
        DontFragment = Df,
        MoreFragments = Mf,
        ReservedFlag = ReservedFlag,
        Ttl = Ttl,
        Options = IpOptions,
    };

    public TcpHeader Tcp => new(SrcPort, DstPort, new SeqNum(Seq), new SeqNum(Ack), Flags, Window) { Urgent = Urgent, Reserved = TcpReserved };

    /// <summary>The option bytes TcpOptionLayout writes for <see cref="Options"/> and <see cref="SackBlocks"/>.</summary>
    public byte[] OptionBytes
    {
        get
        {
            var buf = new byte[64];
            var n = TcpOptionLayout.Write(buf, Options, SackBlocks);
            return buf[..n];
        }
    }

    public int EthLength => 14 + (VlanTci is null ? 0 : 4);

    public int IpHeaderLength => 20 + IpOptions.Length;

    public int TcpOffset => EthLength + IpHeaderLength;

    public byte[] Build()
    {
        var options = OptionBytes;
        var buf = new byte[FrameBuilder.TcpFrameLength(Ethernet, Ip, options.Length, Payload.Length)];
        Array.Fill(buf, (byte)0xA5);
        var n = FrameBuilder.BuildTcp(buf, Ethernet, Ip, Tcp, options, Payload);
        n.ShouldBe(buf.Length);
        return buf;
    }

    public override string ToString() =>
        $"{Src}->{Dst} vlan={VlanTci} {SrcIp}:{SrcPort}->{DstIp}:{DstPort} seq={Seq} ack={Ack} flags={Flags.ToWireshark()} win={Window} " +
        $"ttl={Ttl} id={Id} tos={Tos} df={Df} mf={Mf} rf={ReservedFlag} ipopts={IpOptions.Length} opts={Options} sack={SackBlocks.Length} payload={Payload.Length}";

    /// <summary>Largest number of SACK blocks that still fit in 40 option bytes after <paramref name="set"/>.</summary>
    public static int MaxSackBlocks(TcpOptionSet set, int wanted)
    {
        var buf = new byte[80];
        for (var n = wanted; n > 0; n--)
        {
            if (TcpOptionLayout.Write(buf, set, new (uint, uint)[n]) <= 40)
            {
                return n;
            }
        }

        return 0;
    }
}

/// <summary>CsCheck generators for frames.</summary>
internal static class FrameGens
{
    public static readonly Gen<MacAddress> Mac = Gen.ULong[0, 0xFFFF_FFFF_FFFF].Select(v => new MacAddress(v));

    public static readonly Gen<IPv4Address> Ip = Gen.UInt.Select(v => new IPv4Address(v));

    public static readonly Gen<TcpFlags> Flags = Gen.UShort[0, 0x1FF].Select(v => (TcpFlags)v);

    public static readonly Gen<TcpOptionSet> OptionSet = Gen.Select(
        Gen.Bool, Gen.UShort, Gen.Bool, Gen.Byte[0, 14], Gen.Bool, Gen.Bool, Gen.UInt, Gen.UInt,
        (hasMss, mss, hasWs, ws, sackOk, hasTs, tsVal, tsEcr) => new TcpOptionSet(
            hasMss ? mss : null, hasWs ? ws : null, sackOk, hasTs ? (tsVal, tsEcr) : null));

    public static readonly Gen<(uint, uint)> SackBlock = Gen.Select(Gen.UInt, Gen.UInt);

    /// <summary>An option set plus as many SACK blocks (0..4 wanted) as fit beside it.</summary>
    public static readonly Gen<(TcpOptionSet Set, (uint Left, uint Right)[] Blocks)> Options = Gen.Select(
        OptionSet, Gen.Int[0, 4], SackBlock.Array[4],
        (set, wanted, blocks) => (set, blocks[..TcpFrameSpec.MaxSackBlocks(set, wanted)]));

    /// <summary>Random IP option bytes, 0..40 long, a multiple of 4 (not meaningful options: the parser does not read them).</summary>
    public static readonly Gen<byte[]> RandomIpOptions = Gen.Int[0, 10].SelectMany(words => Gen.Byte.Array[words * 4]);

    /// <summary>Well-formed IP options for dissectors that read them: NOPs ending in one EOL.</summary>
    public static readonly Gen<byte[]> NopIpOptions = Gen.Int[0, 10].Select(words =>
    {
        var b = new byte[words * 4];
        Array.Fill(b, (byte)1);
        if (b.Length > 0)
        {
            b[^1] = 0;
        }

        return b;
    });

    public static readonly Gen<byte[]> Payload = Gen.Int[0, 1460].SelectMany(n => Gen.Byte.Array[n]);

    public static Gen<TcpFrameSpec> Frame(Gen<byte[]> ipOptions, bool allowMoreFragments) =>
        Gen.Select(
            Gen.Select(Mac, Mac, Gen.Bool, Gen.UShort, Ip, Ip),
            Gen.Select(Gen.Byte, Gen.UShort, Gen.Bool, Gen.Bool, Gen.Bool, Gen.Byte, ipOptions),
            Gen.Select(Gen.UShort, Gen.UShort, Gen.UInt, Gen.UInt, Flags, Gen.UShort, Gen.UShort, Gen.Byte[0, 7]),
            Options,
            Payload,
            (l2, l3, l4, opts, payload) => new TcpFrameSpec(
                l2.Item1, l2.Item2, l2.Item3 ? l2.Item4 : null, l2.Item5, l2.Item6,
                l3.Item1, l3.Item2, l3.Item3, allowMoreFragments && l3.Item4, l3.Item5, l3.Item6, l3.Item7,
                l4.Item1, l4.Item2, l4.Item3, l4.Item4, l4.Item5, l4.Item6, l4.Item7, l4.Item8,
                opts.Set, opts.Blocks, payload));

    /// <summary>A fixed, reproducible sample of <paramref name="count"/> values.</summary>
    public static T[] Fixed<T>(Gen<T> gen, int count, ulong seed)
    {
        var pcg = new PCG(1, seed);
        var result = new T[count];
        for (var i = 0; i < count; i++)
        {
            result[i] = gen.Generate(pcg, null!, out _);
        }

        return result;
    }
}
