using System.Text;
using RawHandshake.Wire.Dissection;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Probe;

/// <summary>
/// What a TCP answer (a SYN-ACK, or a RST) tells about the stack that sent it: TTL (IPv6: hop limit) and the initial
/// TTL it implies (so the hop count), DF and IP ID (IPv4 only), flow label (IPv6 only) and traffic class (IPv4's TOS
/// byte), window, the options it negotiates in wire order, whether it accepts ECN (a SYN-ACK to our ECE|CWR SYN carrying
/// ECE alone, RFC 3168 §6.1.1), and its ISN.
/// </summary>
public sealed record SynAckFingerprint(
    TcpFlags Flags,
    byte Ttl,
    Applicable<bool> Df,
    Applicable<ushort> IpId,
    Applicable<uint> FlowLabel,
    byte TrafficClass,
    ushort Window,
    ushort? Mss,
    byte? WindowScale,
    bool SackPermitted,
    uint? TsVal,
    uint? TsEcr,
    bool Ece,
    bool Cwr,
    SeqNum Isn,
    string Options)
{
    /// <summary>It came over IPv6: <see cref="Ttl"/> is the hop limit, DF and IP ID do not apply, the flow label does.</summary>
    public bool IsV6 => FlowLabel.Applies;

    /// <summary>The usual initial TTLs of stacks (32 old Windows, 64 Linux/BSD/macOS, 128 Windows, 255 network gear).</summary>
    private static readonly byte[] InitialTtls = [32, 64, 128, 255];

    /// <summary>The smallest usual initial TTL at or above <see cref="Ttl"/>.</summary>
    public byte InitialTtl => GuessInitialTtl(Ttl);

    /// <summary>Routers between the sender and us, if it started at <see cref="InitialTtl"/>.</summary>
    public int Hops => InitialTtl - Ttl;

    /// <summary>The answer accepts ECN: a SYN-ACK with ECE and without CWR (RFC 3168 §6.1.1).</summary>
    public bool EcnAccepted => Ece && !Cwr && (Flags & TcpFlags.Syn) != 0;

    public bool IsSynAck => (Flags & (TcpFlags.Syn | TcpFlags.Ack)) == (TcpFlags.Syn | TcpFlags.Ack);

    public static byte GuessInitialTtl(byte ttl)
    {
        foreach (var t in InitialTtls)
        {
            if (ttl <= t)
            {
                return t;
            }
        }

        return 255;
    }

    /// <summary>The fingerprint of a received TCP segment; null when <paramref name="f"/> is not one.</summary>
    public static SynAckFingerprint? From(ReadOnlySpan<byte> frame, in ParsedFrame f)
    {
        if (f.Tcp is not { } tcp || (f.IPv4 is null && f.IPv6 is null))
        {
            return null;
        }

        var o = f.TcpOptionsSummary(frame);
        var names = new StringBuilder();
        foreach (var opt in new TcpOptionReader(f.TcpOptions(frame)))
        {
            names.Append(names.Length == 0 ? "" : ",").Append(FrameJson.OptionName(opt.Kind));
        }

        var (ttl, df, id, flowLabel, trafficClass) = f.IPv4 is { } ip
            ? (ip.Ttl ?? 0, new Applicable<bool>(ip.DontFragment), new Applicable<ushort>(ip.Id), Applicable<uint>.NotApplicable, ip.Tos)
            : (f.IPv6!.Value.HopLimit ?? 0, Applicable<bool>.NotApplicable, Applicable<ushort>.NotApplicable, new Applicable<uint>(f.IPv6!.Value.FlowLabel), f.IPv6!.Value.TrafficClass);
        return new SynAckFingerprint(
            tcp.Flags, ttl, df, id, flowLabel, trafficClass, tcp.Window, o.Mss, o.WindowScale, o.SackPermitted, o.TsVal, o.TsEcr,
            tcp.Has(TcpFlags.Ece), tcp.Has(TcpFlags.Cwr), tcp.Seq, names.ToString());
    }
}
