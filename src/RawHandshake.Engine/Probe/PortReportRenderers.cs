using System.Globalization;
using System.Text;
using System.Text.Json;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Engine.Probe;

/// <summary>
/// The table <c>probe</c> prints per host, sorted by port like nmap's, with nmap's "Not shown" line for a state that
/// holds more than <see cref="CollapseAbove"/> ports (never for open ones): port, state, reason, RTT, TTL (with the
/// initial TTL and hops it implies), window, MSS, options in wire order; under an answered port a <c>|_</c> line with the
/// rest of the fingerprint, under a port that got an ICMP error who sent which one.
/// </summary>
public static class PortReportText
{
    public const int CollapseAbove = 25;

    public static string Table(IReadOnlyList<PortReport> reports, bool rttStatistics)
    {
        ArgumentNullException.ThrowIfNull(reports);
        var sb = new StringBuilder();
        var collapsed = reports.GroupBy(r => (r.State, r.Reason))
            .Where(g => g.Key.State != PortState.Open && g.Count() > CollapseAbove)
            .Select(g => g.Key)
            .ToHashSet();
        foreach (var key in collapsed)
        {
            var n = reports.Count(r => (r.State, r.Reason) == key);
            sb.Append(CultureInfo.InvariantCulture, $"Not shown: {n} {StateName(key.State)} {reports[0].Protocol} ports ({key.Reason})\n");
        }

        sb.Append(CultureInfo.InvariantCulture, $"{"PORT",-11} {"STATE",-13} {"REASON",-17} {"RTT",-11} {"TTL",-11} {"WIN",-6} {"MSS",-5} OPTIONS\n");
        foreach (var r in reports.OrderBy(r => r.Port))
        {
            if (collapsed.Contains((r.State, r.Reason)))
            {
                continue;
            }

            var a = r.Answer;
            sb.Append(CultureInfo.InvariantCulture, $"{r.Port + "/" + r.Protocol,-11} {StateName(r.State),-13} {r.Reason,-17} {Ms(r.Rtt),-11} {(a is null ? "-" : $"{a.Ttl} ({a.InitialTtl}-{a.Hops})"),-11} {(a is null ? "-" : a.Window.ToString(CultureInfo.InvariantCulture)),-6} {(a?.Mss is { } mss ? mss.ToString(CultureInfo.InvariantCulture) : "-"),-5} {(a is null || a.Options.Length == 0 ? "-" : a.Options)}\n");
            if (a is { IsSynAck: true })
            {
                sb.Append("  |_ ").Append(Fingerprint(a)).Append('\n');
            }

            if (r.Deep is { } deep)
            {
                sb.Append("  |_ deep: ").Append(Deep(deep)).Append('\n');
            }

            if (r.Icmp is { } icmp && r.State == PortState.Filtered)
            {
                sb.Append(CultureInfo.InvariantCulture, $"  |_ {icmp.Protocol} {icmp.Name}, type {icmp.Type} code {icmp.Code}, from {icmp.From}\n");
            }

            if (rttStatistics)
            {
                sb.Append(CultureInfo.InvariantCulture, $"  |_ {r.Sent} sent, {r.Answered} answered");
                if (r.RttMin is { } min && r.RttAverage is { } avg && r.RttMax is { } max && r.RttMdev is { } mdev)
                {
                    sb.Append(CultureInfo.InvariantCulture, $", rtt min/avg/max/mdev = {min.TotalMilliseconds:0.000}/{avg.TotalMilliseconds:0.000}/{max.TotalMilliseconds:0.000}/{mdev.TotalMilliseconds:0.000} ms");
                }

                sb.Append('\n');
            }
        }

        if (reports.FirstOrDefault(r => r.WhySilent.Count > 0) is { } silent)
        {
            foreach (var why in silent.WhySilent)
            {
                sb.Append("why no answer: ").Append(why).Append('\n');
            }
        }

        var counts = string.Join(", ", Enum.GetValues<PortState>().Select(s => (s, n: reports.Count(r => r.State == s))).Where(x => x.n > 0).Select(x => $"{x.n} {StateName(x.s)}"));
        sb.Append(CultureInfo.InvariantCulture, $"{reports.Count} {(reports.Count == 1 ? "port" : "ports")}: {counts}; {reports.Sum(r => r.Sent)} {(reports.Sum(r => r.Sent) == 1 ? "probe" : "probes")} sent\n");
        return sb.ToString();
    }

    /// <summary><c>DF, IP ID 0, wscale 7, SACK-permitted, TSval 123 TSecr 456, ECN accepted (ECE), ISN 3494924922</c>; over
    /// IPv6 <c>DF n/a, IP ID n/a, flow label 0x5f3a1, traffic class 0x00, wscale 7, …</c>.</summary>
    public static string Fingerprint(SynAckFingerprint a)
    {
        ArgumentNullException.ThrowIfNull(a);
        var parts = new List<string>
        {
            a.Df.Applies ? (a.Df.Value ? "DF" : "no DF") : "DF n/a",
            string.Create(CultureInfo.InvariantCulture, $"IP ID {a.IpId}"),
        };
        if (a.FlowLabel.Applies)
        {
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"flow label 0x{a.FlowLabel.Value:x5}"));
            parts.Add(string.Create(CultureInfo.InvariantCulture, $"traffic class 0x{a.TrafficClass:x2}"));
        }

        parts.AddRange(
        [
            a.WindowScale is { } ws ? string.Create(CultureInfo.InvariantCulture, $"wscale {ws}") : "no wscale",
            a.SackPermitted ? "SACK-permitted" : "no SACK",
            a.TsVal is { } tsval ? string.Create(CultureInfo.InvariantCulture, $"TSval {tsval} TSecr {a.TsEcr}") : "no timestamps",
            a.EcnAccepted ? "ECN accepted (ECE)" : "no ECN",
            string.Create(CultureInfo.InvariantCulture, $"ISN {a.Isn.Value}"),
        ]);
        return string.Join(", ", parts);
    }

    /// <summary><c>SYN-ACK retransmitted 2 times, after 1.003 s, 2.011 s; TS clock 1000 Hz; ISN random; IP ID zero</c>.</summary>
    public static string Deep(DeepReport d)
    {
        ArgumentNullException.ThrowIfNull(d);
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"SYN-ACK retransmitted {d.Retransmissions.Count} {(d.Retransmissions.Count == 1 ? "time" : "times")}");
        if (d.Retransmissions.Count > 0)
        {
            sb.Append(", after ").Append(string.Join(", ", d.Retransmissions.Select(t => string.Create(CultureInfo.InvariantCulture, $"{t.TotalSeconds:0.000} s"))));
        }

        sb.Append(d.TsHz is { } hz ? string.Create(CultureInfo.InvariantCulture, $"; TS clock {hz:0} Hz") : "; TS clock unknown");
        sb.Append(CultureInfo.InvariantCulture, $"; ISN {d.Isn}; IP ID {d.IpId}");
        if (d.Established is { } e)
        {
            sb.Append(CultureInfo.InvariantCulture, $"; RST in window: {e.RstInWindow.Verdict}; SYN in ESTABLISHED: {e.SynInEstablished.Verdict}");
            if (e.Window is { } w)
            {
                sb.Append(CultureInfo.InvariantCulture, $"; before our first ACK: {w.Bytes} bytes in {w.Segments} {(w.Segments == 1 ? "segment" : "segments")} (first flight {w.FirstFlightSegments}, {w.FirstFlightBytes} bytes), then {w.EndedBy}");
            }

            if (e.Mss is { } m)
            {
                sb.Append(CultureInfo.InvariantCulture, $"; MSS used {m.Used} (we offered {m.Offered}, SYN-ACK {(m.SynAckMss is { } s ? s.ToString(CultureInfo.InvariantCulture) : "none")}){(m.Clamped ? ": clamped on the path" : "")}");
            }
        }

        return sb.ToString();
    }

    public static string StateName(PortState s) => s switch
    {
        PortState.Open => "open",
        PortState.Closed => "closed",
        PortState.Unfiltered => "unfiltered",
        PortState.OpenFiltered => "open|filtered",
        _ => "filtered",
    };

    private static string Ms(TimeSpan? t) => t is { } v ? string.Create(CultureInfo.InvariantCulture, $"{v.TotalMilliseconds:0.000} ms") : "-";
}

/// <summary>
/// <c>probe --json</c>: one object per port, keys spelled as <c>handshake</c> and <c>dissect</c> spell them (README,
/// "JSON output"): <c>{"event":"port","host","port","proto","state","reason","sent","answered","rtt_us",
/// "rtt_min_us","rtt_avg_us","rtt_max_us","rtt_mdev_us","flags","ttl","initial_ttl","hops","df","id","win","mss",
/// "wscale","sack_perm","tsval","tsecr","ecn","isn","options_order","icmp":{"type","code","name","from"}}</c>; a field
/// the answer did not carry is absent. Over IPv6 the keys are the same: <c>ttl</c> holds the hop limit, <c>df</c> and
/// <c>id</c> are null (IPv6 has neither), <c>flow_label</c> and <c>traffic_class</c> (dissect's names) follow, the
/// <c>icmp</c> object holds ICMPv6's type and code.
/// </summary>
public static class PortReportJson
{
    private static readonly JsonWriterOptions Options = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    public static string Line(PortReport r)
    {
        ArgumentNullException.ThrowIfNull(r);
        using var stream = new MemoryStream();
        using (var w = new Utf8JsonWriter(stream, Options))
        {
            w.WriteStartObject();
            w.WriteString("event", "port");
            w.WriteString("host", r.Host.ToString());
            w.WriteNumber("port", r.Port);
            w.WriteString("proto", r.Protocol);
            w.WriteString("state", PortReportText.StateName(r.State));
            w.WriteString("reason", r.Reason);
            w.WriteNumber("sent", r.Sent);
            w.WriteNumber("answered", r.Answered);
            Micro(w, "rtt_us", r.Rtt);
            Micro(w, "rtt_min_us", r.RttMin);
            Micro(w, "rtt_avg_us", r.RttAverage);
            Micro(w, "rtt_max_us", r.RttMax);
            Micro(w, "rtt_mdev_us", r.RttMdev);
            if (r.Answer is { } a)
            {
                w.WriteString("flags", a.Flags.ToLetters());
                w.WriteNumber("ttl", a.Ttl);
                w.WriteNumber("initial_ttl", a.InitialTtl);
                w.WriteNumber("hops", a.Hops);
                Write(w, "df", a.Df, (w, k, v) => w.WriteBoolean(k, v));
                Write(w, "id", a.IpId, (w, k, v) => w.WriteNumber(k, v));
                if (a.FlowLabel.Applies)
                {
                    w.WriteNumber("flow_label", a.FlowLabel.Value);
                    w.WriteNumber("traffic_class", a.TrafficClass);
                }

                w.WriteNumber("win", a.Window);
                if (a.Mss is { } mss)
                {
                    w.WriteNumber("mss", mss);
                }

                if (a.WindowScale is { } ws)
                {
                    w.WriteNumber("wscale", ws);
                }

                w.WriteBoolean("sack_perm", a.SackPermitted);
                if (a.TsVal is { } tsval)
                {
                    w.WriteNumber("tsval", tsval);
                    w.WriteNumber("tsecr", a.TsEcr ?? 0);
                }

                w.WriteBoolean("ecn", a.EcnAccepted);
                w.WriteNumber("isn", a.Isn.Value);
                w.WriteString("options_order", a.Options);
            }

            if (r.Deep is { } deep)
            {
                w.WriteStartObject("deep");
                w.WriteStartArray("synack_retransmissions_ms");
                foreach (var t in deep.Retransmissions)
                {
                    w.WriteNumberValue(Math.Round(t.TotalMilliseconds, 3));
                }

                w.WriteEndArray();
                if (deep.TsHz is { } hz)
                {
                    w.WriteNumber("ts_hz", Math.Round(hz, 1));
                }

                w.WriteString("isn", deep.Isn);
                Write(w, "ip_id", deep.IpId, (w, k, v) => w.WriteString(k, v));
                if (deep.Established is { } e)
                {
                    Challenge(w, "rst_in_window", e.RstInWindow);
                    Challenge(w, "syn_in_established", e.SynInEstablished);
                    if (e.Window is { } iw)
                    {
                        w.WriteStartObject("initial_window");
                        w.WriteNumber("bytes", iw.Bytes);
                        w.WriteNumber("segments", iw.Segments);
                        w.WriteNumber("first_flight_segments", iw.FirstFlightSegments);
                        w.WriteNumber("first_flight_bytes", iw.FirstFlightBytes);
                        w.WriteNumber("largest", iw.Largest);
                        w.WriteString("ended_by", iw.EndedBy);
                        w.WriteEndObject();
                    }

                    if (e.Mss is { } m)
                    {
                        w.WriteStartObject("path_mss");
                        w.WriteNumber("offered", m.Offered);
                        if (m.SynAckMss is { } s)
                        {
                            w.WriteNumber("synack", s);
                        }
                        else
                        {
                            w.WriteNull("synack");
                        }

                        w.WriteNumber("used", m.Used);
                        w.WriteBoolean("clamped", m.Clamped);
                        w.WriteEndObject();
                    }
                }

                w.WriteEndObject();
            }

            if (r.WhySilent.Count > 0)
            {
                w.WriteStartArray("why");
                foreach (var why in r.WhySilent)
                {
                    w.WriteStringValue(why);
                }

                w.WriteEndArray();
            }

            if (r.Icmp is { } icmp)
            {
                w.WriteStartObject("icmp");
                w.WriteNumber("type", icmp.Type);
                w.WriteNumber("code", icmp.Code);
                w.WriteString("name", icmp.Name);
                w.WriteString("from", icmp.From.ToString());
                w.WriteEndObject();
            }

            w.WriteEndObject();
        }

        return Encoding.UTF8.GetString(stream.ToArray());
    }

    /// <summary>The value of a field, or null when it does not exist in the family (the key stays).</summary>
    private static void Write<T>(Utf8JsonWriter w, string key, Applicable<T> field, Action<Utf8JsonWriter, string, T> write)
    {
        if (field.Applies)
        {
            write(w, key, field.Value);
        }
        else
        {
            w.WriteNull(key);
        }
    }

    private static void Micro(Utf8JsonWriter w, string key, TimeSpan? t)
    {
        if (t is { } v)
        {
            w.WriteNumber(key, Math.Round(v.TotalMicroseconds, 1));
        }
    }

    private static void Challenge(Utf8JsonWriter w, string key, ChallengeCheck c)
    {
        w.WriteStartObject(key);
        w.WriteString("verdict", c.Verdict);
        Micro(w, "rtt_us", c.Rtt);
        w.WriteEndObject();
    }
}
