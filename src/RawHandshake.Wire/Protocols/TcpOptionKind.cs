namespace RawHandshake.Wire.Protocols;

/// <summary>TCP option kinds (IANA). Unknown kinds are kept raw and printed as numbers.</summary>
public enum TcpOptionKind : byte
{
    EndOfOptions = 0,
    Nop = 1,
    Mss = 2,
    WindowScale = 3,
    SackPermitted = 4,
    Sack = 5,
    Timestamps = 8,
    Md5 = 19,
    UserTimeout = 28,
    Ao = 29,
    Mptcp = 30,
    FastOpen = 34,
}
