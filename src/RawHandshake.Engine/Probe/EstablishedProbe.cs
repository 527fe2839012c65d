using RawHandshake.Engine.Live;
using RawHandshake.Wire.Building;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Probe;

/// <summary>How the server answered a segment that RFC 5961 says must draw a challenge ACK.</summary>
/// <param name="Verdict"><c>challenge-ack</c> (RFC 5961), <c>reset</c> (the server aborted: RFC 793's answer to a SYN),
/// <c>accepted</c> (the connection is gone without a word: the RST was taken as valid), <c>ignored</c> (dropped, the
/// connection still there), or <c>no connection</c> (the handshake itself failed).</param>
/// <param name="Rtt">Time to the answer, when there was one.</param>
public sealed record ChallengeCheck(string Verdict, TimeSpan? Rtt);

/// <summary>What the server sent before our first ACK of its data (<c>probe --deep --request</c>).</summary>
/// <param name="Bytes">Distinct payload bytes, from its ISN + 1 to the highest sequence number seen.</param>
/// <param name="Segments">Segments carrying new data.</param>
/// <param name="Largest">The largest payload of one segment.</param>
/// <param name="OptionBytes">TCP option bytes of that largest segment (12 with timestamps).</param>
/// <param name="EndedBy"><c>retransmission</c> (its window was spent: the count is its initial window), <c>fin</c> or
/// <c>reset</c> (it had no more to send), or <c>silence</c>.</param>
/// <param name="FirstFlightSegments">Segments of the first flight: those before the first pause longer than
/// <see cref="EstablishedProbe.FlightGap"/> (or half the handshake's RTT), or the first one the server stamped two
/// milliseconds or more after the flight's first (its timestamps). A tail-loss probe (RFC 8985) may send one more new
/// segment after that pause; the first flight is the initial window proper.</param>
/// <param name="FirstFlightBytes">Payload bytes of the first flight.</param>
public sealed record InitialWindow(int Bytes, int Segments, int Largest, int OptionBytes, string EndedBy, int FirstFlightSegments, int FirstFlightBytes)
{
    /// <summary>The maximum segment size the server applies: the largest payload plus its option bytes.</summary>
    public int MssUsed => Largest + OptionBytes;
}

/// <summary>The MSS we offered, the one the SYN-ACK offered, and the one the server's data shows it applied. When the
/// server's segments stay below both offers although it had more to send, our MSS arrived smaller: clamped on the path.</summary>
public sealed record PathMss(int Offered, int? SynAckMss, int Used)
{
    /// <summary>True when the server's full-sized segments are smaller than both offers.</summary>
    public bool Clamped => Used < Offered && (SynAckMss is not { } s || Used < s);
}

/// <summary>What <c>probe --deep</c> learnt on established connections of its own.</summary>
public sealed record EstablishedReport(ChallengeCheck RstInWindow, ChallengeCheck SynInEstablished, InitialWindow? Window, PathMss? Mss);

/// <summary>
/// The <c>--deep</c> checks that need an established connection, each on a connection of its own, made with frames
/// built here (the kernel-RST guard of the run keeps our kernel quiet) and reset at the end:
/// <list type="bullet">
/// <item>RFC 5961 §3.2: a RST inside the window but not at RCV.NXT must draw a challenge ACK, the connection kept;</item>
/// <item>RFC 5961 §4.2: a SYN in ESTABLISHED must draw a challenge ACK too (RFC 793 reset the connection). Linux sends
/// at most one challenge or out-of-window ACK per socket every <c>tcp_invalid_ratelimit</c> (500 ms), so the SYN goes
/// out 600 ms after the last answer;</item>
/// <item>with a request: the bytes the server sends before our first ACK (its initial window: RFC 6928's ten segments
/// on Linux), and the segment size it applies, which shows an MSS clamp between us and it.</item>
/// </list>
/// </summary>
public static class EstablishedProbe
{
    /// <summary>The pause that keeps Linux's per-socket rate limit of challenge ACKs (500 ms) out of the way.</summary>
    public static readonly TimeSpan RateLimitPause = TimeSpan.FromMilliseconds(600);

    /// <summary>A pause in the server's data longer than this (or than half the handshake's RTT) ends its first flight:
    /// segments of one flight follow each other at the path's pace; a tail-loss probe waits two RTTs plus two jiffies on
    /// Linux, which can be less than this: the server's timestamps tell it apart (<see cref="LaterFlight"/>).</summary>
    public static readonly TimeSpan FlightGap = TimeSpan.FromMilliseconds(5);

    /// <summary>
    /// Whether a segment stamped <paramref name="tsVal"/> by the server was sent 2 ms or more after the first of the
    /// flight (<paramref name="first"/>): Linux's timestamps tick once a millisecond, a flight leaves in one burst (at
    /// most one tick apart), and a tail-loss probe waits two RTTs plus two jiffies (2 ms at HZ=1000) after it, which
    /// on a fast path is shorter than any pause the capture stamps could safely tell apart from the machine's jitter.
    /// </summary>
    internal static bool LaterFlight(uint? first, uint? tsVal) =>
        first is { } f && tsVal is { } t && (int)(t - f) >= 2;

    public static EstablishedReport Run(LiveSetup live, MacAddress nextHop, PortReport report, byte[]? request, TimeSpan answerWait, TimeSpan dataWait, SourcePorts ports)
    {
        ArgumentNullException.ThrowIfNull(live);
        ArgumentNullException.ThrowIfNull(report);
        ArgumentNullException.ThrowIfNull(ports);
        ChallengeCheck rst;
        ChallengeCheck syn;
        var a = RawConnection.Open(live, nextHop, report.Host, report.Port, ports, answerWait);
        if (a is null)
        {
            rst = syn = new ChallengeCheck("no connection", null);
        }
        else
        {
            rst = a.ChallengeRst(answerWait);
            if (rst.Verdict is not ("challenge-ack" or "ignored"))
            {
                // The RST ended the connection: the SYN check gets a connection of its own.
                a = RawConnection.Open(live, nextHop, report.Host, report.Port, ports, answerWait);
            }

            syn = a?.ChallengeSyn(answerWait) ?? new ChallengeCheck("no connection", null);
            a?.Reset("--deep: resetting the connection of the RFC 5961 checks");
        }

        InitialWindow? window = null;
        PathMss? mss = null;
        if (request is { Length: > 0 } && RawConnection.Open(live, nextHop, report.Host, report.Port, ports, answerWait) is { } b)
        {
            window = b.CountInitialWindow(request, dataWait);
            b.Reset("--deep: resetting the connection of the initial-window count");
            if (window.Segments >= 2)
            {
                mss = new PathMss(PortProbeFrames.Offered(report.Host), b.SynAckMss, window.MssUsed);
            }
        }

        live.Engine.Pump(TimeSpan.Zero); // hands what is held for capture order to the trace and -w
        return new EstablishedReport(rst, syn, window, mss);
    }

    /// <summary>One connection of ours, made and driven frame by frame.</summary>
    private sealed class RawConnection
    {
        private readonly LiveSetup live;
        private readonly EthernetHeader eth;
        private readonly IpAddress local;
        private readonly IpAddress remote;
        private readonly ushort localPort;
        private readonly ushort remotePort;
        private readonly byte[] buffer = new byte[1600];
        private readonly List<Segment> inbox = []; // the segments of this connection that came, taken from the engine's parse
        private readonly uint? peerTsVal;
        private SeqNum sndNxt;
        private SeqNum rcvNxt;
        private ushort ipId;

        private RawConnection(LiveSetup live, EthernetHeader eth, IpAddress remote, ushort localPort, ushort remotePort, SeqNum sndNxt, SeqNum rcvNxt, ushort? synAckMss, uint? peerTsVal)
        {
            this.live = live;
            this.eth = eth;
            local = live.Source;
            this.remote = remote;
            this.localPort = localPort;
            this.remotePort = remotePort;
            this.sndNxt = sndNxt;
            this.rcvNxt = rcvNxt;
            SynAckMss = synAckMss;
            this.peerTsVal = peerTsVal;
            ipId = (ushort)Random.Shared.Next(0x1_0000);
        }

        public ushort? SynAckMss { get; }

        /// <summary>From our SYN leaving to the server's SYN-ACK's capture stamp (the prober's RTT). Not from before the
        /// prober's set-up: on a busy machine that added milliseconds, and half of an inflated RTT let a tail-loss probe
        /// (two of the server's RTTs plus two jiffies later) count as part of the first flight.</summary>
        public TimeSpan Rtt { get; private init; }

        /// <summary>SYN, the server's SYN-ACK, our ACK; null when no SYN-ACK came within <paramref name="wait"/>.</summary>
        public static RawConnection? Open(LiveSetup live, MacAddress nextHop, IpAddress host, ushort port, SourcePorts ports, TimeSpan wait)
        {
            var eth = new EthernetHeader(nextHop, live.LocalMac);
            var localPort = ports.Take(1);
            ProbeGuard.Ports(live, live.Source, localPort, 1, host, port);
            var frames = new PortProbeFrames([new PortProbe(port, 64)], eth, live.Source, host, localPort, (ushort)Random.Shared.Next(0x1_0000), offerEcn: false, numbers: (live.Engine.Numbers, live.Engine.HostTime));
            var result = Prober.Run(live.Engine, new ProbeRequest(frames) { ResetOpened = false, Timeout = wait });
            foreach (var r in result.Replies)
            {
                if (r.Kind != ProbeReplyKind.Answer || r.Frame.IsEmpty)
                {
                    continue;
                }

                var f = r.Parsed;
                if (f.Tcp is { } t && t.Has(TcpFlags.Syn | TcpFlags.Ack))
                {
                    var options = f.TcpOptionsSummary(r.Frame.Span);
                    var c = new RawConnection(live, eth, host, localPort, port, frames.Isn(0) + 1, t.Seq + 1, options.Mss, options.TsVal) { Rtt = r.Rtt };
                    c.Send(TcpFlags.Ack, c.sndNxt, [], "--deep: our ACK of the SYN-ACK");
                    return c;
                }
            }

            return null;
        }

        /// <summary>RFC 5961 §3.2: a RST at RCV.NXT + 1, inside the window.</summary>
        public ChallengeCheck ChallengeRst(TimeSpan wait)
        {
            var sent = Send(TcpFlags.Rst, sndNxt + 1, [], "--deep: RFC 5961 check, a RST inside the window but not at RCV.NXT");
            var answer = WaitFor(wait, t => t.Has(TcpFlags.Rst) || t.Has(TcpFlags.Ack));
            if (answer is { } a && a.Tcp.Has(TcpFlags.Ack) && !a.Tcp.Has(TcpFlags.Rst) && a.Tcp.Ack == sndNxt)
            {
                Pause(a.Wall);
                return new ChallengeCheck("challenge-ack", a.Wall - sent);
            }

            if (answer is { Tcp.Flags: var f } && (f & TcpFlags.Rst) != 0)
            {
                return new ChallengeCheck("reset", answer.Value.Wall - sent);
            }

            return Alive(wait) ? new ChallengeCheck("ignored", null) : new ChallengeCheck("accepted", null);
        }

        /// <summary>RFC 5961 §4.2: a SYN in ESTABLISHED (any sequence number).</summary>
        public ChallengeCheck ChallengeSyn(TimeSpan wait)
        {
            var sent = Send(TcpFlags.Syn, sndNxt + 1000, [], "--deep: RFC 5961 check, a SYN in ESTABLISHED");
            var answer = WaitFor(wait, _ => true);
            if (answer is not { } a)
            {
                return Alive(wait) ? new ChallengeCheck("ignored", null) : new ChallengeCheck("accepted", null);
            }

            if (a.Tcp.Has(TcpFlags.Rst))
            {
                return new ChallengeCheck("reset", a.Wall - sent);
            }

            return a.Tcp.Has(TcpFlags.Ack) && a.Tcp.Ack == sndNxt ? new ChallengeCheck("challenge-ack", a.Wall - sent) : new ChallengeCheck("ignored", null);
        }

        /// <summary>Sends the request and takes the server's data without acknowledging it, until it sends something again
        /// (its window is spent), closes, or is silent for <paramref name="quiet"/>.</summary>
        public InitialWindow CountInitialWindow(byte[] request, TimeSpan quiet)
        {
            Send(TcpFlags.Psh | TcpFlags.Ack, sndNxt, request, "--deep: the request; the server's answer is not acknowledged");
            sndNxt += (uint)request.Length;
            var first = rcvNxt;
            var highest = rcvNxt;
            int segments = 0, largest = 0, optionBytes = 0, flightSegments = 0, flightBytes = 0;
            var gap = Rtt / 2 > FlightGap ? Rtt / 2 : FlightGap;
            DateTimeOffset? lastData = null;
            uint? flightTsVal = null;
            var inFlight = true;
            InitialWindow Result(string endedBy) => new(highest - first, segments, largest, optionBytes, endedBy, flightSegments, flightBytes);
            var limit = live.Engine.Clock.Now + TimeSpan.FromSeconds(30);
            while (live.Engine.Clock.Now < limit)
            {
                if (WaitFor(quiet, t => true) is not { } s)
                {
                    return Result("silence");
                }

                if (s.Tcp.Has(TcpFlags.Rst))
                {
                    return Result("reset");
                }

                var end = s.Tcp.Seq + (uint)s.Payload;
                if (s.Payload > 0 && end - highest <= 0)
                {
                    return Result("retransmission");
                }

                if (s.Payload > 0)
                {
                    inFlight &= (lastData is not { } previous || s.Wall - previous <= gap) && !LaterFlight(flightTsVal, s.TsVal);
                    lastData = s.Wall;
                    flightTsVal ??= s.TsVal;
                    if (inFlight)
                    {
                        flightSegments++;
                        flightBytes += end - highest;
                    }

                    segments++;
                    highest = end;
                    if (s.Payload > largest)
                    {
                        largest = s.Payload;
                        optionBytes = s.OptionBytes;
                    }
                }

                if (s.Tcp.Has(TcpFlags.Fin))
                {
                    return Result("fin");
                }
            }

            return Result("silence");
        }

        public void Reset(string note) => Send(TcpFlags.Rst, sndNxt, [], note);

        /// <summary>After no answer to an in-window RST: an old ACK (SEQ = SND.NXT − 1) draws an ACK from a live
        /// connection and a RST (or nothing) from a dead one.</summary>
        private bool Alive(TimeSpan wait)
        {
            Send(TcpFlags.Ack, sndNxt - 1, [], "--deep: is the connection still there? (an old ACK draws an ACK)");
            var answer = WaitFor(wait, _ => true);
            if (answer is { } a && !a.Tcp.Has(TcpFlags.Rst) && a.Tcp.Has(TcpFlags.Ack))
            {
                Pause(a.Wall);
                return true;
            }

            return false;
        }

        /// <summary>Waits until <see cref="RateLimitPause"/> has passed since the server's last answer.</summary>
        private void Pause(DateTimeOffset answered)
        {
            var left = answered + RateLimitPause - live.Engine.Clock.Wall;
            if (left > TimeSpan.Zero)
            {
                live.Engine.Pump(left);
            }
        }

        private DateTimeOffset Send(TcpFlags flags, SeqNum seq, ReadOnlySpan<byte> payload, string note)
        {
            inbox.Clear(); // what came before this segment does not answer it
            var ip = new ProbeIp(local, remote, 64, ipId++);
            var ack = (flags & TcpFlags.Ack) != 0 ? rcvNxt : new SeqNum(0);
            var tcp = new TcpHeader(localPort, remotePort, seq, ack, flags, PortProbeFrames.Window);
            Span<byte> options = stackalloc byte[12];
            var length = 0;
            if (peerTsVal is { } ecr && (flags & TcpFlags.Rst) == 0)
            {
                length = new TcpOptionWriter(options).Nop().Nop().Timestamps(live.Engine.Numbers.TsVal(new Session.FlowKey(local, localPort, remote, remotePort), live.Engine.HostTime), ecr).Length;
            }

            var n = ip.BuildTcp(buffer, eth, tcp, options[..length], payload);
            return live.Engine.SendRaw(buffer.AsSpan(0, n), note);
        }

        /// <summary>The next segment of this connection from the server that <paramref name="wanted"/> accepts, within
        /// <paramref name="wait"/>; other segments of the connection are dropped.</summary>
        private Segment? WaitFor(TimeSpan wait, Func<TcpHeader, bool> wanted)
        {
            var engine = live.Engine;
            var previous = engine.Observer;
            engine.Observer = Take;
            try
            {
                var deadline = engine.Clock.Now + wait;
                while (!engine.StopRequested)
                {
                    for (var i = 0; i < inbox.Count; i++)
                    {
                        var s = inbox[i];
                        if (wanted(s.Tcp))
                        {
                            inbox.RemoveRange(0, i + 1);
                            return s;
                        }
                    }

                    inbox.Clear();
                    var left = deadline - engine.Clock.Now;
                    if (left <= TimeSpan.Zero)
                    {
                        return null;
                    }

                    engine.Pump(left, () => inbox.Count > 0);
                }

                return null;
            }
            finally
            {
                engine.Observer = previous;
            }
        }

        private void Take(ReadOnlySpan<byte> frame, DateTimeOffset wall, in ParsedFrame parsed)
        {
            if (parsed.Tcp is { } t && parsed.TryGetAddresses(out var from, out var to) && remote == from && local == to && t.SourcePort == remotePort && t.DestinationPort == localPort)
            {
                inbox.Add(new Segment(t, parsed.PayloadLength, parsed.TcpOptionsLength, wall, parsed.TcpOptionsSummary(frame).TsVal));
                live.Engine.TraceReceived(frame, parsed, wall);
            }
        }
    }

    /// <param name="TsVal">The server's timestamp value, when the segment carries the option.</param>
    private readonly record struct Segment(TcpHeader Tcp, int Payload, int OptionBytes, DateTimeOffset Wall, uint? TsVal);
}
