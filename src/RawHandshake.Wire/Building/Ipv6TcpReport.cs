using System.Buffers.Binary;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Wire.Building;

/// <summary>
/// Ethernet + IPv6 + TCP with the builder's report, as <see cref="FrameBuilder.BuildTcp(Span{byte}, in EthernetHeader, in IPv4Header, in TcpHeader, ReadOnlySpan{byte}, ReadOnlySpan{byte}, out TcpBuildReport)"/>
/// gives it for IPv4: where the parts lie and where the TCP checksum came from (IPv6 has no header checksum).
/// </summary>
public static class Ipv6TcpReport
{
    public static int BuildTcp(Span<byte> destination, in EthernetHeader eth, in IPv6Header ip, in TcpHeader tcp, ReadOnlySpan<byte> options, ReadOnlySpan<byte> payload, out TcpBuildReport report)
    {
        var n = FrameBuilder.BuildTcp(destination, eth, ip, tcp, options, payload);
        var network = eth.HeaderLength;
        var transport = network + ip.HeaderLength;
        var optionsPadded = n - transport - TcpHeader.MinLength - payload.Length;
        var origin = ChecksumOrigin.Computed;
        if (tcp.Checksum is { } given)
        {
            // Sent as set; the right value is worked out too, so the caller knows whether the receiver will take it.
            var seg = destination[transport..n];
            BinaryPrimitives.WriteUInt16BigEndian(seg[16..], 0);
            var right = (ushort)~Checksum.Fold(Checksum.Add(Checksum.PseudoHeader(ip.Source, ip.PseudoDestination, (byte)IpProtocol.Tcp, seg.Length), seg));
            BinaryPrimitives.WriteUInt16BigEndian(seg[16..], given);
            origin = given == right ? ChecksumOrigin.SetRight : ChecksumOrigin.SetWrong;
        }

        report = new TcpBuildReport(network, n, transport, transport + TcpHeader.MinLength, optionsPadded, payload.Length, ChecksumOrigin.Computed, origin);
        return n;
    }
}
