using RawHandshake.Wire.Primitives;

namespace RawHandshake.Session;

/// <summary>
/// Our initial sequence number and timestamp offset for a new connection, chosen as RFC 9293 §3.4.1 (RFC 6528) and
/// RFC 7323 §5.4 ask (Linux does the same with a 64-ns clock):
/// <list type="bullet">
/// <item>ISN = M + F(local address, local port, remote address, remote port, key), M a clock ticking every 4 µs;</item>
/// <item>TSval = a millisecond clock + F'(local address, remote address, key).</item>
/// </list>
/// F and F' are SipHash-2-4 under a key the host keeps for the boot, and the clock is the host's monotonic one, so a new
/// connection of a 4-tuple starts above the last one's sequence and timestamp, whichever process made it (unless the
/// last one sent faster than 250 kB/s on average since its SYN). That is what lets a server that still holds the last
/// one in TIME-WAIT take the new SYN (Linux and BSD accept a SYN there when its sequence number, or timestamp, is
/// newer); a uniformly random ISN is older half the time, and Linux then answers with the old connection's ACK instead
/// of a SYN-ACK (slirp drops the SYN). An off-path attacker, not knowing the key, still cannot guess either number.
/// Pure: the caller gives the clock.
/// </summary>
public sealed class InitialNumbers(ulong k0, ulong k1)
{
    /// <summary>The numbers of a host whose boot id is <paramref name="bootId"/>: the key is the id hashed (never the id
    /// itself), so every process of one boot has the same one. Without an id, a random key: numbers still rise within the
    /// process, and still cannot be guessed.</summary>
    public static InitialNumbers ForBoot(Guid? bootId)
    {
        Span<byte> b = stackalloc byte[16];
        if (bootId is { } id)
        {
            id.TryWriteBytes(b);
        }
        else
        {
            System.Security.Cryptography.RandomNumberGenerator.Fill(b);
        }

        return new InitialNumbers(
            SipHash.Hash24(0x5261776853686b31UL, 0x49534e2d6b657931UL, b),
            SipHash.Hash24(0x5261776853686b32UL, 0x49534e2d6b657932UL, b));
    }

    /// <summary>RFC 9293's 4-µs tick, in <see cref="TimeSpan"/> ticks (100 ns).</summary>
    private const long TicksPerStep = 40;

    /// <summary>Our ISN for <paramref name="flow"/>, its SYN sent at <paramref name="sinceBoot"/> of the host's monotonic clock.</summary>
    public SeqNum Isn(FlowKey flow, TimeSpan sinceBoot)
    {
        Span<byte> m = stackalloc byte[2 * 17 + 4];
        var n = Write(m, flow.LocalAddress);
        n += Write(m[n..], flow.RemoteAddress);
        m[n++] = (byte)(flow.LocalPort >> 8);
        m[n++] = (byte)flow.LocalPort;
        m[n++] = (byte)(flow.RemotePort >> 8);
        m[n++] = (byte)flow.RemotePort;
        return new SeqNum(unchecked((uint)(sinceBoot.Ticks / TicksPerStep) + (uint)SipHash.Hash24(k0, k1, m[..n])));
    }

    /// <summary>The offset the session adds to its own millisecond clock (<see cref="SessionConfig.TsOffset"/>): our TSval
    /// is then the host's milliseconds since boot plus F' of the address pair. <paramref name="clockStart"/> is where the
    /// session's clock reads zero, on the host's monotonic clock.</summary>
    public uint TsOffset(FlowKey flow, TimeSpan clockStart)
    {
        Span<byte> m = stackalloc byte[2 * 17 + 1];
        var n = Write(m, flow.LocalAddress);
        n += Write(m[n..], flow.RemoteAddress);
        m[n++] = 0x54; // 'T': F' is not F of the same addresses
        return unchecked((uint)(long)clockStart.TotalMilliseconds + (uint)SipHash.Hash24(k0, k1, m[..n]));
    }

    /// <summary>Our TSval toward <paramref name="flow"/>'s remote address at <paramref name="hostTime"/> (for frames built
    /// outside a session: probes): the same number a session's TSval gives then.</summary>
    public uint TsVal(FlowKey flow, TimeSpan hostTime) => TsOffset(flow, hostTime);

    private static int Write(Span<byte> to, IpAddress address)
    {
        to[0] = (byte)address.Family;
        address.Write(to[1..]);
        return 1 + address.Length;
    }
}
