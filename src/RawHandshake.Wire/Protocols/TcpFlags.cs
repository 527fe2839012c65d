namespace RawHandshake.Wire.Protocols;

/// <summary>The nine TCP control bits (RFC 9293 §3.1, RFC 3168 for ECE/CWR, RFC 3540 for NS/AE), as in the header's low 9 bits.</summary>
[Flags]
public enum TcpFlags : ushort
{
    None = 0,
    Fin = 0b0_0000_0001,
    Syn = 0b0_0000_0010,
    Rst = 0b0_0000_0100,
    Psh = 0b0_0000_1000,
    Ack = 0b0_0001_0000,
    Urg = 0b0_0010_0000,
    Ece = 0b0_0100_0000,
    Cwr = 0b0_1000_0000,
    Ns = 0b1_0000_0000,
}
