using RawHandshake.Engine.Trace;
using RawHandshake.Wire.Parsing;

namespace RawHandshake.Engine.Probe;

/// <summary>A frame came back for frame <see cref="ProbeReply.Index"/>; published right after its <see cref="PacketTraced"/>.</summary>
public sealed record ProbeReplyTraced(TimeSpan Time, ProbeReply Reply, ParsedFrame Parsed) : TraceEvent(Time);

/// <summary>The probe's last event: the statistics, and the address the frames went to.</summary>
public sealed record ProbeStatisticsTraced(TimeSpan Time, string Target, RunEnd End, ProbeStatistics Statistics) : TraceEvent(Time);
