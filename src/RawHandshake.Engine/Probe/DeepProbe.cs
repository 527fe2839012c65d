using RawHandshake.Engine.Live;
using RawHandshake.Wire.Building;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Probe;

/// <summary>What <c>probe --deep</c> learnt about an open port: the SYN-ACK retransmission schedule (our ACK held back),
/// the timestamp clock rate from those retransmissions' TSvals, and how ISNs and IP IDs behave over the probes.</summary>
/// <param name="Retransmissions">Times from one SYN-ACK to the next, the first after the original.</param>
/// <param name="TsHz">TSval ticks per second between the first and the last SYN-ACK; null without timestamps or a second SYN-ACK.</param>
/// <param name="Isn">How the ISNs of the SYN-ACKs moved: <c>random</c>, <c>incremental</c>, <c>constant</c>, or <c>one sample</c>.</param>
/// <param name="IpId">How the IP IDs moved: <c>zero</c>, <c>constant</c>, <c>incremental</c>, <c>random</c>, or <c>one sample</c>;
/// not applicable over IPv6, which has no IP ID.</param>
/// <param name="Established">The checks on established connections of our own: RFC 5961 challenge ACKs, and with a
/// request the initial window and the MSS the server applies.</param>
public sealed record DeepReport(IReadOnlyList<TimeSpan> Retransmissions, double? TsHz, string Isn, Applicable<string> IpId, EstablishedReport? Established = null);

/// <summary>
/// <c>--deep</c> for one open port, after the scan: one more SYN whose SYN-ACK is not answered, so the server retransmits
/// it on its schedule (Linux: 1 s, 2 s, 4 s … <c>tcp_synack_retries</c> times) until <c>timeout</c> passes; then our RST
/// closes the half-open connection (the run's guard keeps our kernel quiet meanwhile). Then the checks of
/// <see cref="EstablishedProbe"/> on connections of their own.
/// </summary>
public static class DeepProbe
{
    public static DeepReport Run(LiveSetup live, MacAddress nextHop, PortReport report, TimeSpan timeout, SourcePorts ports, TimeSpan answerWait, byte[]? request = null)
    {
        ArgumentNullException.ThrowIfNull(live);
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(ports);
        var eth = new EthernetHeader(nextHop, live.LocalMac);
        var basePort = ports.Take(1);
        var frames = new PortProbeFrames([new PortProbe(report.Port, 64)], eth, live.Source, report.Host, basePort, (ushort)Random.Shared.Next(0x1_0000), numbers: (live.Engine.Numbers, live.Engine.HostTime));
        ProbeGuard.Ports(live, live.Source, basePort, 1, report.Host, report.Port);
        var result = Prober.Run(live.Engine, new ProbeRequest(frames) { ResetOpened = false, Timeout = timeout, Linger = timeout });
        var synAcks = new List<(DateTimeOffset Wall, uint? TsVal, SeqNum Ack)>();
        foreach (var r in result.Replies)
        {
            if (r.Kind != ProbeReplyKind.Answer || r.Frame.IsEmpty)
            {
                continue;
            }

            var f = r.Parsed;
            if (f.Tcp is { } t && t.Has(TcpFlags.Syn | TcpFlags.Ack))
            {
                synAcks.Add((r.Wall, f.TcpOptionsSummary(r.Frame.Span).TsVal, t.Ack));
            }
        }

        if (synAcks.Count > 0)
        {
            Reset(live, eth, frames, synAcks[0].Ack);
        }

        var gaps = synAcks.Zip(synAcks.Skip(1), (a, b) => b.Wall - a.Wall).ToList();
        double? hz = null;
        if (synAcks.Count >= 2 && synAcks[0].TsVal is { } first && synAcks[^1].TsVal is { } last)
        {
            var seconds = (synAcks[^1].Wall - synAcks[0].Wall).TotalSeconds;
            hz = seconds > 0.2 ? (uint)(last - first) / seconds : null;
        }

        var established = live.Engine.StopRequested ? null : EstablishedProbe.Run(live, nextHop, report, request, answerWait, answerWait + TimeSpan.FromSeconds(1), ports);
        var ipId = report.Host.IsV6 ? Applicable<string>.NotApplicable : Behaviour(report.IpIds.Select(i => (long)i).ToList(), 1 << 16);
        return new DeepReport(gaps, hz, Behaviour(report.Isns.Select(i => (long)i.Value).ToList(), 1L << 32), ipId, established);
    }

    /// <summary>How a series of numbers (modulo <paramref name="modulus"/>) moves from sample to sample.</summary>
    public static string Behaviour(IReadOnlyList<long> values, long modulus)
    {
        ArgumentNullException.ThrowIfNull(values);
        if (values.Count < 2)
        {
            return values.Count == 1 && values[0] == 0 ? "zero" : "one sample";
        }

        if (values.All(v => v == 0))
        {
            return "zero";
        }

        if (values.All(v => v == values[0]))
        {
            return "constant";
        }

        var steps = values.Zip(values.Skip(1), (a, b) => ((b - a) % modulus + modulus) % modulus).ToList();
        return steps.All(d => d > 0 && d < Math.Min(modulus / 64, 1L << 20)) ? "incremental" : "random";
    }

    private static void Reset(LiveSetup live, EthernetHeader eth, PortProbeFrames frames, SeqNum ack)
    {
        var syn = FrameParser.Parse(frames.Frame(0));
        syn.TryGetAddresses(out var from, out var to);
        var rst = new TcpHeader(syn.Tcp!.Value.SourcePort, syn.Tcp!.Value.DestinationPort, ack, new SeqNum(0), TcpFlags.Rst, 0);
        var buffer = new byte[128];
        var n = new ProbeIp(from, to, 64, 0).BuildTcp(buffer, eth, rst, default, default);
        live.Engine.SendRaw(buffer.AsSpan(0, n), "--deep: resetting the connection whose SYN-ACKs we let the server retransmit");
    }
}
