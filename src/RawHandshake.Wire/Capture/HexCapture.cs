using System.Buffers.Binary;
using System.Globalization;
using System.Text.RegularExpressions;
using RawHandshake.Wire.Dissection;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Wire.Capture;

/// <summary>Frames read from hex text, the link type they were read as, and how that was decided.</summary>
/// <param name="Frames">One frame per hex block, with the time of its tcpdump header line where there was one.</param>
/// <param name="LinkTypeSource">"given", "tcpdump's link-type line", "recognised from the bytes" or "default".</param>
/// <param name="DateKnown">False when the times are a time of day or deltas (tcpdump without -tttt/-tt): only differences count.</param>
public sealed record HexCaptureResult(IEnumerable<CapturedFrame> Frames, string LinkTypeSource, bool DateKnown);

/// <summary>
/// Reads hex text as a capture: plain hex, Wireshark's hex dump, or tcpdump's <c>-x</c>/<c>-xx</c>/<c>-X</c> output with
/// its header lines, from which each frame takes its time stamp (<c>-tttt</c> date and time, <c>-tt</c> epoch seconds,
/// the default time of day, <c>-ttt</c>/<c>-ttttt</c> deltas; none with <c>-t</c>). The link type, unless given, comes
/// from tcpdump's "link-type NAME" line (its stderr, when piped along) or else from the bytes: each frame is tried as
/// Ethernet, Linux cooked v2 (<c>tcpdump -i any</c>), Linux cooked v1 and raw IP, and the first under which a network
/// header stands where it should (an IPv4 header with a good checksum, an Ethernet/IPv4 ARP header, an IPv6 header whose
/// payload length fits) is taken for the whole text.
/// </summary>
public static partial class HexCapture
{
    [GeneratedRegex(@"^(?<date>\d{4}-\d\d-\d\d) (?<tod>\d\d:\d\d:\d\d(?:\.\d+)?)\s")]
    private static partial Regex DateTimeStamp();

    [GeneratedRegex(@"^(?<epoch>\d{9,}\.\d+)\s")]
    private static partial Regex EpochStamp();

    [GeneratedRegex(@"^(?<delta> )?(?<tod>\d\d:\d\d:\d\d\.\d+)\s")]
    private static partial Regex TimeOfDayStamp();

    [GeneratedRegex(@"link-type (?<name>[A-Z0-9_]+)")]
    private static partial Regex LinkTypeLine();

    /// <summary>How many frames are read ahead to decide the link type and the kind of time stamps.</summary>
    public const int Lookahead = 16;

    /// <summary>Parses <paramref name="text"/>; throws <see cref="FormatException"/> as <see cref="HexText.ParseFrames"/> does.</summary>
    public static HexCaptureResult Read(string text, LinkType? given = null)
    {
        var r = Read(new StringReader(text), given);
        return r with { Frames = [.. r.Frames] };
    }

    /// <summary>
    /// As <see cref="Read(string, LinkType?)"/>, from a reader, as a stream: the link type and the kind of time stamps are
    /// decided from the first <see cref="Lookahead"/> frames, then frames come one at a time as their lines are read
    /// (bounded per line and per frame as <see cref="HexText.ReadBlocks"/> is, so any amount of tcpdump text streams
    /// through and endless input without line ends is refused in one line). <see cref="FormatException"/>s after the
    /// look-ahead come out of the enumeration.
    /// </summary>
    public static HexCaptureResult Read(TextReader reader, LinkType? given = null)
    {
        LinkType? named = null;
        var blocks = HexText.ReadBlocks(reader, line =>
        {
            if (named is null && LinkTypeLine().Match(line) is { Success: true } m)
            {
                named = FromTcpdumpName(m.Groups["name"].Value);
            }
        }).GetEnumerator();
        var ahead = new List<(byte[] Bytes, string? Header)>();
        while (ahead.Count < Lookahead && blocks.MoveNext())
        {
            ahead.Add(blocks.Current);
        }

        string source;
        LinkType link;
        if (given is { } g)
        {
            (link, source) = (g, "given");
        }
        else if (named is { } fromLine)
        {
            (link, source) = (fromLine, "tcpdump's link-type line");
        }
        else if (ahead.Select(b => Recognise(b.Bytes)).FirstOrDefault(l => l is not null) is { } seen)
        {
            (link, source) = (seen, "recognised from the bytes");
        }
        else
        {
            (link, source) = (LinkType.Ethernet, "default");
        }

        var clock = new StampClock(ahead.Select(b => b.Header));
        return new HexCaptureResult(Frames(ahead, blocks, link, clock), source, clock.DateKnown);
    }

    private static IEnumerable<CapturedFrame> Frames(List<(byte[] Bytes, string? Header)> ahead, IEnumerator<(byte[] Bytes, string? Header)> rest, LinkType link, StampClock clock)
    {
        using (rest)
        {
            foreach (var b in ahead)
            {
                yield return new CapturedFrame(clock.Next(b.Header), link, b.Bytes, b.Bytes.Length);
            }

            while (rest.MoveNext())
            {
                var b = rest.Current;
                yield return new CapturedFrame(clock.Next(b.Header), link, b.Bytes, b.Bytes.Length);
            }
        }
    }

    /// <summary>libpcap's DLT names as tcpdump prints them ("link-type LINUX_SLL2 (Linux cooked v2)").</summary>
    public static LinkType? FromTcpdumpName(string name) => name switch
    {
        "EN10MB" => LinkType.Ethernet,
        "LINUX_SLL" => LinkType.LinuxSll,
        "LINUX_SLL2" => LinkType.LinuxSll2,
        "RAW" or "IPV4" or "IPV6" => LinkType.Raw,
        "NULL" or "LOOP" => LinkType.Null,
        _ => null,
    };

    /// <summary>The link type under which <paramref name="b"/> has a well-formed network header in its place, or null.</summary>
    public static LinkType? Recognise(ReadOnlySpan<byte> b)
    {
        // Ethernet, after any 802.1Q/802.1ad tags.
        for (var at = 12; b.Length >= at + 2; at += 4)
        {
            var type = BinaryPrimitives.ReadUInt16BigEndian(b[at..]);
            if (type is not ((ushort)EtherType.Vlan or (ushort)EtherType.QinQ or 0x9100))
            {
                if (NetworkAt(b, at + 2, type))
                {
                    return LinkType.Ethernet;
                }

                break;
            }
        }

        // SLL2: protocol, 2 reserved zero bytes, interface index, ARPHRD type, packet type (0-4, 7), address length (≤ 8).
        if (b.Length >= 20 && b[2] == 0 && b[3] == 0 && b[10] <= 7 && b[11] <= 8 && NetworkAt(b, 20, BinaryPrimitives.ReadUInt16BigEndian(b)))
        {
            return LinkType.LinuxSll2;
        }

        // SLL: packet type, ARPHRD type, address length, 8 address bytes, protocol.
        if (b.Length >= 16 && b[0] == 0 && b[1] <= 7 && b[4] == 0 && b[5] <= 8 && NetworkAt(b, 16, BinaryPrimitives.ReadUInt16BigEndian(b[14..])))
        {
            return LinkType.LinuxSll;
        }

        if (b.Length >= 1 && NetworkAt(b, 0, b[0] >> 4 == 6 ? (ushort)EtherType.IPv6 : (ushort)EtherType.IPv4))
        {
            return LinkType.Raw;
        }

        return null;
    }

    private static bool NetworkAt(ReadOnlySpan<byte> b, int at, ushort etherType)
    {
        var s = b[at..];
        return etherType switch
        {
            (ushort)EtherType.IPv4 => IPv4Header.StartsWithValidHeader(s),
            (ushort)EtherType.Arp => s.Length >= 8 && BinaryPrimitives.ReadUInt16BigEndian(s) == 1 && BinaryPrimitives.ReadUInt16BigEndian(s[2..]) == 0x0800 && s[4] == 6 && s[5] == 4,
            (ushort)EtherType.IPv6 => s.Length >= 40 && s[0] >> 4 == 6 && BinaryPrimitives.ReadUInt16BigEndian(s[4..]) == s.Length - 40,
            _ => false,
        };
    }

    /// <summary>
    /// Time stamps from the header lines, one frame after another. A date (<c>-tttt</c>) or epoch seconds (<c>-tt</c>)
    /// give the time itself; a time of day (the default) gives times on 1970-01-01 whose differences count (a stamp
    /// earlier than the one before is taken to be past midnight); a delta (<c>-ttt</c>, since the previous frame, or
    /// <c>-ttttt</c>, since the first; both printed with a leading blank) is summed when the deltas go down within the
    /// look-ahead, else taken since the first. Frames without a stamp get the epoch, which the renderers leave out.
    /// </summary>
    private sealed class StampClock
    {
        private readonly bool summed;
        private TimeSpan day;
        private TimeSpan? previous;
        private TimeSpan running;

        public StampClock(IEnumerable<string?> lookahead)
        {
            var deltas = new List<TimeSpan>();
            foreach (var h in lookahead)
            {
                switch (Parse(h))
                {
                    case (DateTimeOffset, _, _):
                        DateKnown = true;
                        break;
                    case (null, TimeSpan t, true):
                        deltas.Add(t);
                        break;
                }
            }

            summed = deltas.Zip(deltas.Skip(1)).Any(p => p.Second < p.First);
        }

        /// <summary>The stamps carry a date (-tttt, -tt): times are real, not only their differences.</summary>
        public bool DateKnown { get; }

        public DateTimeOffset Next(string? header)
        {
            var (absolute, tod, delta) = Parse(header);
            if (absolute is { } at)
            {
                return at;
            }

            if (DateKnown || tod is not { } t)
            {
                return DateTimeOffset.UnixEpoch;
            }

            TimeSpan offset;
            if (delta && summed)
            {
                running += t;
                offset = running;
            }
            else
            {
                if (!delta && previous is { } p && t < p)
                {
                    day += TimeSpan.FromDays(1); // past midnight
                }

                offset = day + t;
                previous = t;
            }

            return DateTimeOffset.UnixEpoch + offset;
        }

        private static (DateTimeOffset? Absolute, TimeSpan? TimeOfDay, bool Delta) Parse(string? h)
        {
            if (h is null)
            {
                return (null, null, false);
            }

            if (DateTimeStamp().Match(h) is { Success: true } dt
                && DateTimeOffset.TryParse(dt.Groups["date"].Value + "T" + dt.Groups["tod"].Value + "Z", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            {
                return (at, null, false);
            }

            if (EpochStamp().Match(h) is { Success: true } ep && decimal.TryParse(ep.Groups["epoch"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var secs))
            {
                return (DateTimeOffset.UnixEpoch.AddTicks((long)(secs * TimeSpan.TicksPerSecond)), null, false);
            }

            if (TimeOfDayStamp().Match(h) is { Success: true } td && TimeSpan.TryParse(td.Groups["tod"].Value, CultureInfo.InvariantCulture, out var tod))
            {
                return (null, tod, td.Groups["delta"].Success);
            }

            return (null, null, false);
        }
    }
}
