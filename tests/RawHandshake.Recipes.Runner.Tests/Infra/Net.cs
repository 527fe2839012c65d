using RawHandshake.Wire.Building;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Recipes.Runner.Tests.Infra;

/// <summary>The test network: the engine on link end A, the fake Linux server on end B.</summary>
public static class Net
{
    public static readonly MacAddress ClientMac = MacAddress.Parse("02:00:00:00:01:0a");
    public static readonly MacAddress ServerMac = MacAddress.Parse("02:00:00:00:01:0b");
    public static readonly IPv4Address ClientIp = IPv4Address.Parse("10.9.0.1");
    public static readonly IPv4Address ServerIp = IPv4Address.Parse("10.9.0.2");
    public const string Server = "10.9.0.2";
    public const ushort ClientPort = 40000;
    public static readonly DateTimeOffset Epoch = new(2025, 3, 4, 5, 6, 7, TimeSpan.Zero);

    /// <summary>A TCP frame from the server to the client.</summary>
    public static byte[] FromServer(ushort serverPort, ushort clientPort, TcpFlags flags, uint seq, uint ack, ushort window, ReadOnlySpan<byte> options = default, ReadOnlySpan<byte> payload = default, ushort ipId = 0)
    {
        var buffer = new byte[FrameBuilder.MaxFrameLength];
        var ip = new IPv4Header { Source = ServerIp, Destination = ClientIp, Ttl = 64, Id = ipId, DontFragment = true };
        var tcp = new TcpHeader(serverPort, clientPort, new SeqNum(seq), new SeqNum(ack), flags, window);
        var n = FrameBuilder.BuildTcp(buffer, new EthernetHeader(ClientMac, ServerMac), ip, tcp, options, payload);
        return buffer[..n];
    }

    /// <summary>An ICMP error from the server quoting <paramref name="quoted"/> (IP header + 8 bytes).</summary>
    public static byte[] IcmpError(byte type, byte code, byte[] quoted)
    {
        var parsed = FrameParser.Parse(quoted);
        var at = parsed.NetworkOffset;
        var ihl = parsed.IPv4!.Value.HeaderLength;
        var quote = quoted.AsSpan(at, Math.Min(ihl + 8, quoted.Length - at));
        var buffer = new byte[FrameBuilder.MaxFrameLength];
        var ip = new IPv4Header { Source = ServerIp, Destination = ClientIp, Ttl = 64, Id = 9 };
        var n = FrameBuilder.BuildIcmp(buffer, new EthernetHeader(ClientMac, ServerMac), ip, new IcmpHeader(type, code, 0), quote);
        return buffer[..n];
    }

    public static byte[] Options(Func<TcpOptionWriter, TcpOptionWriter> write)
    {
        var buffer = new byte[40];
        var w = write(new TcpOptionWriter(buffer)).PadToWord();
        return buffer[..w.Length];
    }
}

/// <summary>A frame the engine put on the wire, as the fake server received it.</summary>
public sealed record Seen(byte[] Frame, TimeSpan At, ParsedFrame Parsed)
{
    public bool IsTcp => Parsed.Tcp is not null;
    public TcpHeader Tcp => Parsed.Tcp ?? throw new InvalidOperationException("not TCP");
    public IPv4Header Ip => Parsed.IPv4 ?? throw new InvalidOperationException("not IPv4");
    public byte[] Payload => Parsed.Payload(Frame).ToArray();
    public byte[] RawOptions => Parsed.TcpOptions(Frame).ToArray();
    public TcpOptionsSummary Options => Parsed.TcpOptionsSummary(Frame);
    public ChecksumVerdict TcpChecksum => Parsed.TransportChecksum(Frame);
    public ChecksumVerdict IpChecksum => Parsed.IpChecksum(Frame);

    /// <summary>The TCP checksum field exactly as on the wire.</summary>
    public ushort TcpChecksumField => (ushort)((Frame[Parsed.TransportOffset + 16] << 8) | Frame[Parsed.TransportOffset + 17]);

    public override string ToString() => IsTcp
        ? $"{Tcp.Flags.ToTcpdump()} seq {Tcp.Seq} ack {Tcp.Ack} win {Tcp.Window} len {Parsed.PayloadLength}"
        : "non-TCP frame";
}
