using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Recipes.Runner;

/// <summary>A copy of one segment (or ICMP error) that arrived for the flow, kept until an expectation consumes it.</summary>
public sealed record Inbound(TimeSpan At, ParsedFrame Parsed, byte[] Frame)
{
    public TcpHeader Tcp => Parsed.Tcp!.Value;

    public bool IsTcp => Parsed.Tcp is not null;

    public ReadOnlySpan<byte> Payload => Parsed.Payload(Frame);

    public ReadOnlySpan<byte> Options => Parsed.TcpOptions(Frame);

    public ChecksumVerdict TcpChecksum => Parsed.TransportChecksum(Frame);
}
