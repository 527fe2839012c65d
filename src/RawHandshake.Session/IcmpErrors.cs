namespace RawHandshake.Session;

/// <summary>What an ICMP error means for a TCP connection (RFC 1122 §4.2.3.9, RFC 1191, RFC 5927).</summary>
public enum IcmpErrorKind
{
    /// <summary>Not an error TCP acts on.</summary>
    None,

    /// <summary>Reported, never fatal to a connection: net/host unreachable (0, 1, and their TOS forms 11, 12), source
    /// route failed (5), time exceeded.</summary>
    Soft,

    /// <summary>Fatal when it quotes data of ours in flight: protocol or port unreachable (2, 3), prohibited and the
    /// rest.</summary>
    Hard,

    /// <summary>Fragmentation needed and DF set (3/4): the path takes smaller packets.</summary>
    FragmentationNeeded,
}

public static class IcmpErrors
{
    public const byte DestinationUnreachable = 3;
    public const byte TimeExceeded = 11;

    public static IcmpErrorKind Classify(byte type, byte code) => type switch
    {
        DestinationUnreachable => code switch
        {
            4 => IcmpErrorKind.FragmentationNeeded,
            0 or 1 or 5 or 11 or 12 => IcmpErrorKind.Soft,
            _ => IcmpErrorKind.Hard,
        },
        TimeExceeded => IcmpErrorKind.Soft,
        _ => IcmpErrorKind.None,
    };

    /// <summary>The lowest path MTU we accept from an ICMP message (Linux's min_pmtu): a forged tiny one cannot make every
    /// segment a few bytes long.</summary>
    public const int MinPathMtu = 552;

    /// <summary>IPv6's minimum link MTU (RFC 8200 §5): a packet too big never takes the path MTU below it (RFC 8201 §4).</summary>
    public const int MinPathMtu6 = 1280;

    /// <summary>RFC 1191 §7's plateaus: without a next-hop MTU in the message, the next one below the packet that did not fit.</summary>
    public static int Plateau(int packetLength)
    {
        int[] plateaus = [65535, 32000, 17914, 8166, 4352, 2002, 1492, 1006, 508, 296, 68];
        foreach (var p in plateaus)
        {
            if (p < packetLength)
            {
                return p;
            }
        }

        return 68;
    }
}
