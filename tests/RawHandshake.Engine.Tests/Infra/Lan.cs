using RawHandshake.Wire.Building;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Tests.Infra;

/// <summary>The test network: one client (the engine, link end A) and one server (the fake, link end B).</summary>
public static class Lan
{
    public static readonly MacAddress ClientMac = MacAddress.Parse("02:00:00:00:00:0a");
    public static readonly MacAddress ServerMac = MacAddress.Parse("02:00:00:00:00:0b");
    public static readonly IPv4Address ClientIp = IPv4Address.Parse("10.0.0.1");
    public static readonly IPv4Address ServerIp = IPv4Address.Parse("10.0.0.2");
    public static readonly IPv4Address RouterIp = IPv4Address.Parse("10.0.0.254");
    public static readonly IPv4Address PhantomIp = IPv4Address.Parse("10.0.0.99");
    public const ushort ServerPort = 7777;

    public static readonly DateTimeOffset Epoch = new(2025, 1, 2, 3, 4, 5, TimeSpan.Zero);
}

/// <summary>Hand-built frames (the fake server's and the "kernel's").</summary>
public static class Frames
{
    public static byte[] Tcp(
        MacAddress srcMac, MacAddress dstMac, IPv4Address src, IPv4Address dst, ushort sport, ushort dport,
        TcpFlags flags, uint seq, uint ack, ushort window, ReadOnlySpan<byte> options = default, ReadOnlySpan<byte> payload = default,
        byte ttl = 64, ushort ipId = 0, bool df = true)
    {
        var buffer = new byte[FrameBuilder.MaxFrameLength];
        var ip = new IPv4Header { Source = src, Destination = dst, Ttl = ttl, Id = ipId, DontFragment = df };
        var tcp = new TcpHeader(sport, dport, new SeqNum(seq), new SeqNum(ack), flags, window);
        var n = FrameBuilder.BuildTcp(buffer, new EthernetHeader(dstMac, srcMac), ip, tcp, options, payload);
        return buffer[..n];
    }

    /// <summary>A segment from the server to the client.</summary>
    public static byte[] FromServer(ushort clientPort, TcpFlags flags, uint seq, uint ack, ushort window = 29200, ReadOnlySpan<byte> options = default, ReadOnlySpan<byte> payload = default) =>
        Tcp(Lan.ServerMac, Lan.ClientMac, Lan.ServerIp, Lan.ClientIp, Lan.ServerPort, clientPort, flags, seq, ack, window, options, payload);

    /// <summary>A segment from the client's address and port to the server (what our own kernel would send).</summary>
    public static byte[] FromClient(ushort clientPort, TcpFlags flags, uint seq, uint ack, ushort window = 0, ReadOnlySpan<byte> payload = default) =>
        Tcp(Lan.ClientMac, Lan.ServerMac, Lan.ClientIp, Lan.ServerIp, clientPort, Lan.ServerPort, flags, seq, ack, window, default, payload);

    public static byte[] ArpRequest(MacAddress senderMac, IPv4Address senderIp, IPv4Address target)
    {
        var buffer = new byte[64];
        var n = FrameBuilder.BuildArpRequest(buffer, senderMac, senderIp, target);
        return buffer[..n];
    }

    public static byte[] ArpReply(MacAddress senderMac, IPv4Address senderIp, MacAddress targetMac, IPv4Address targetIp)
    {
        var buffer = new byte[64];
        var n = FrameBuilder.BuildArpReply(buffer, senderMac, senderIp, targetMac, targetIp);
        return buffer[..n];
    }

    /// <summary>An ICMP error from <paramref name="from"/> quoting <paramref name="quotedFrame"/>'s IP header and the first 8 bytes after it (RFC 792).</summary>
    public static byte[] IcmpError(byte type, byte code, IPv4Address from, byte[] quotedFrame, int quoteTransportBytes = 8)
    {
        var parsed = FrameParser.Parse(quotedFrame);
        var ipAt = parsed.NetworkOffset;
        var ihl = parsed.IPv4!.Value.HeaderLength;
        var quote = quotedFrame.AsSpan(ipAt, Math.Min(ihl + quoteTransportBytes, quotedFrame.Length - ipAt));
        var buffer = new byte[FrameBuilder.MaxFrameLength];
        var ip = new IPv4Header { Source = from, Destination = Lan.ClientIp, Ttl = 64, Id = 7 };
        var n = FrameBuilder.BuildIcmp(buffer, new EthernetHeader(Lan.ClientMac, Lan.ServerMac), ip, new IcmpHeader(type, code, 0), quote);
        return buffer[..n];
    }

    public static byte[] Options(Func<TcpOptionWriter, TcpOptionWriter> write)
    {
        var buffer = new byte[40];
        var w = write(new TcpOptionWriter(buffer)).PadToWord();
        return buffer[..w.Length];
    }
}
