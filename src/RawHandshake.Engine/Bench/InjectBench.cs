using System.Globalization;
using RawHandshake.Engine.Live;
using RawHandshake.Engine.Probe;
using RawHandshake.Engine.Trace;
using RawHandshake.Link;
using RawHandshake.Wire.Building;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Bench;

/// <summary>What <c>bench inject</c> runs: rounds of N prebuilt SYNs, ours (batched, then one per system call) and the C
/// loop's, alternating.</summary>
public sealed record InjectBenchRequest
{
    public int Frames { get; init; } = 200_000;
    public int Rounds { get; init; } = 3;

    /// <summary>Rounds of each side run first and not counted: the first round after the set-up (gcc, the namespaces)
    /// ran 5–15 % slower, and it was always ours.</summary>
    public int Warmup { get; init; } = 1;
}

/// <summary>One side's round: frames handed to the link, frames it refused, frames the peer received, the time, and the
/// sending thread's CPU time.</summary>
public sealed record InjectRound(long Sent, long Refused, long Received, TimeSpan Elapsed, TimeSpan Cpu)
{
    public double FramesPerSecond => Elapsed > TimeSpan.Zero ? (Sent + Refused) / Elapsed.TotalSeconds : 0;

    /// <summary>The sending thread's CPU time per frame, in nanoseconds (the receiving kernel's work on veth included: it
    /// runs in the sender's system call).</summary>
    public double CpuNanosecondsPerFrame => Sent + Refused > 0 ? Cpu.TotalNanoseconds / (Sent + Refused) : 0;

    /// <summary>Refused by the link, or sent and never received by the peer.</summary>
    public long Drops => Refused + Math.Max(0, Sent - Received);
}

/// <summary>The rounds of each side: ours as <c>craft --send --rate max</c> sends (batches of <see cref="Batch"/> frames,
/// one <c>sendmmsg</c> each), ours with one system call per frame (<see cref="OursSingle"/>: the C loop's own system call,
/// so its ratio is the overhead of ours alone), and the C loop's.</summary>
public sealed record InjectBenchResult(IReadOnlyList<InjectRound> Ours, IReadOnlyList<InjectRound> OursSingle, IReadOnlyList<InjectRound> C, string Interface, int Batch)
{
    public double OursMedian => Median(Ours.Select(r => r.FramesPerSecond));
    public double OursSingleMedian => Median(OursSingle.Select(r => r.FramesPerSecond));
    public double CMedian => Median(C.Select(r => r.FramesPerSecond));

    /// <summary>Ours over the C loop's (≥ 1.0 is the goal).</summary>
    public double Ratio => CMedian > 0 ? OursMedian / CMedian : 0;

    /// <summary>Ours with one system call per frame over the C loop's: the same system call, so 1.0 means no overhead of ours.</summary>
    public double SingleRatio => CMedian > 0 ? OursSingleMedian / CMedian : 0;

    public double OursCpuMedian => Median(Ours.Select(r => r.CpuNanosecondsPerFrame));
    public double OursSingleCpuMedian => Median(OursSingle.Select(r => r.CpuNanosecondsPerFrame));
    public double CCpuMedian => Median(C.Select(r => r.CpuNanosecondsPerFrame));

    /// <summary>The C loop's CPU per frame over ours (≥ 1.0: ours costs no more). Time spent waiting for a CPU on a shared
    /// machine is in the wall time, not in the CPU time; the cost of a frame itself still moves with what the other CPU
    /// runs (caches), so on this 2-vCPU machine it moves about as much as <see cref="Ratio"/>.</summary>
    public double CpuRatio => OursCpuMedian > 0 ? CCpuMedian / OursCpuMedian : 0;

    /// <summary>The C loop's CPU per frame over ours with one system call per frame.</summary>
    public double SingleCpuRatio => OursSingleCpuMedian > 0 ? CCpuMedian / OursSingleCpuMedian : 0;

    internal static double Median(IEnumerable<double> values)
    {
        var v = values.Order().ToArray();
        return v.Length == 0 ? 0 : v.Length % 2 == 1 ? v[v.Length / 2] : (v[(v.Length / 2) - 1] + v[v.Length / 2]) / 2;
    }
}

/// <summary>
/// <c>bench inject</c>: prebuilt SYN frames from one thread through our link (the probe API's high-rate path, as
/// <c>craft --send --count N --rate max</c>: a <see cref="FrameTemplate"/> patched in place, batches of frames in one
/// <c>sendmmsg</c> each, replies polled between bursts), the same with one <c>send</c> per frame (what
/// <c>pcap_inject</c> makes), and a C <c>pcap_inject</c> loop compiled here, on the same veth in a pair of namespaces the
/// bench makes (<see cref="BenchVeth"/>) and removes; rounds of the three alternate, each starting with the next side,
/// after <see cref="InjectBenchRequest.Warmup"/> rounds not counted.
/// </summary>
public static class InjectBench
{
    public const int MaxFrames = 10_000_000;

    public static InjectBenchResult Run(InjectBenchRequest request, Func<bool>? stop = null)
    {
        ArgumentNullException.ThrowIfNull(request);
        var inject = CTools.Compile("inject", BenchPrograms.Inject, "pcap");
        using var veth = BenchVeth.Create();
        var ours = new List<InjectRound>();
        var single = new List<InjectRound>();
        var c = new List<InjectRound>();
        var frame = NetNs.Run(veth.Namespace, () => Frame(veth), TimeSpan.FromSeconds(30));
        var hex = Convert.ToHexStringLower(frame);
        var parsed = FrameParser.Parse(frame);
        Func<InjectRound>[] sides =
        [
            () => Ours(veth, frame, request.Frames, Prober.DefaultBatch),
            () => Ours(veth, frame, request.Frames, 1),
            () => CLoop(veth, inject, hex, parsed.NetworkOffset, parsed.TransportOffset, request.Frames),
        ];
        List<InjectRound>[] results = [ours, single, c];
        for (var round = 0; round < request.Warmup + request.Rounds && !(stop?.Invoke() ?? false); round++)
        {
            // Each round starts with the next side (ours, single, C; single, C, ours; …): none always runs first.
            for (var k = 0; k < sides.Length; k++)
            {
                var side = (round + k) % sides.Length;
                var r = sides[side]();
                if (round >= request.Warmup)
                {
                    results[side].Add(r);
                }
            }
        }

        return new InjectBenchResult(ours, single, c, BenchVeth.Interface, Prober.DefaultBatch);
    }

    /// <summary>A SYN from our address to the peer's (port 9), our interface's MAC to the peer's.</summary>
    private static byte[] Frame(BenchVeth veth)
    {
        using var link = LiveLink.Open(BenchVeth.Interface, null, LiveRequest.HighRateSnapLength, ringBytes: CaptureRing.Min, nanosecondTimestamps: false);
        var buffer = new byte[128];
        var ip = new IPv4Header { Source = BenchVeth.Address, Destination = BenchVeth.PeerAddress, Ttl = 64, DontFragment = true, Id = 1 };
        var tcp = new TcpHeader(40000, 9, new SeqNum(1), new SeqNum(0), TcpFlags.Syn, 64240);
        var mac = link.HardwareAddress ?? throw new LinkException($"{BenchVeth.Interface} has no MAC address");
        var n = FrameBuilder.BuildTcp(buffer, new EthernetHeader(veth.PeerMac, mac), ip, tcp, default, default);
        return buffer[..n];
    }

    private static InjectRound Ours(BenchVeth veth, byte[] frame, int count, int batch)
    {
        var before = veth.PeerReceived();
        var (result, elapsed, cpuTime) = NetNs.Run(veth.Namespace, () =>
        {
            // The capture of craft --send at rate max (LiveRequest.ForHighRate), with the smallest ring: nothing answers here.
            using var link = LiveLink.Open(BenchVeth.Interface, $"arp or icmp or (tcp and host {BenchVeth.PeerAddress})", LiveRequest.HighRateSnapLength,
                ringBytes: CaptureRing.Min, nanosecondTimestamps: false);
            var engine = new TcpEngine(link, new SystemClock(), new TraceBus());
            var frames = new FrameTemplate(frame, count, TemplateVary.SourcePort | TemplateVary.IpId);
            var cpu = ThreadCpu.Now(); // around the whole run: the prober's set-up (its per-frame arrays) is counted too
            var r = Prober.Run(engine, new ProbeRequest(frames) { Interval = TimeSpan.Zero, Timeout = TimeSpan.Zero, TraceEach = false, ResetOpened = false, Batch = batch });
            return (r, r.Statistics.Duration, ThreadCpu.Now() - cpu);
        }, TimeSpan.FromMinutes(5));
        var received = veth.PeerReceived() - before;
        return new InjectRound(result.Statistics.Sent, result.Statistics.Refused, received, elapsed, cpuTime);
    }

    /// <summary>The C loop sends the same frames as ours (source port and IP identification going up by one, checksums
    /// patched incrementally): a frame that never changes would be cheaper for the receiving kernel (one socket-hash
    /// bucket, warm caches), and the difference would not be ours.</summary>
    private static InjectRound CLoop(BenchVeth veth, string inject, string hex, int ipAt, int tcpAt, int count)
    {
        var before = veth.PeerReceived();
        var (code, output) = veth.RunInside(inject, [BenchVeth.Interface, count.ToString(CultureInfo.InvariantCulture), hex,
            ipAt.ToString(CultureInfo.InvariantCulture), tcpAt.ToString(CultureInfo.InvariantCulture)], TimeSpan.FromMinutes(5));
        var parts = output.Trim().Split(' ');
        if (code != 0 || parts.Length != 4)
        {
            throw new LinkException($"the C inject loop failed (exit {code}): {output.Trim()}");
        }

        var received = veth.PeerReceived() - before;
        return new InjectRound(long.Parse(parts[0], CultureInfo.InvariantCulture), long.Parse(parts[1], CultureInfo.InvariantCulture), received,
            TimeSpan.FromSeconds(double.Parse(parts[2], CultureInfo.InvariantCulture)), TimeSpan.FromSeconds(double.Parse(parts[3], CultureInfo.InvariantCulture)));
    }
}
