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
public sealed record HexCaptureResult(IReadOnlyList<CapturedFrame> Frames, string LinkTypeSource, bool DateKnown);

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

    /// <summary>Parses <paramref name="text"/>; throws <see cref="FormatException"/> as <see cref="HexText.ParseFrames"/> does.</summary>
    public static HexCaptureResult Read(string text, LinkType? given = null) => Read(new StringReader(text), given);

    /// <summary>
    /// As <see cref="Read(string, LinkType?)"/>, from a reader: bounded per line and per frame as
    /// <see cref="HexText.ReadBlocks"/> is, so endless input without line ends is refused in one line.
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
        }).ToList();
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
        else if (blocks.Select(b => Recognise(b.Bytes)).FirstOrDefault(l => l is not null) is { } seen)
        {
            (link, source) = (seen, "recognised from the bytes");
        }
        else
        {
            (link, source) = (LinkType.Ethernet, "default");
        }

        var (times, dateKnown) = Times(blocks.Select(b => b.Header).ToList());
        var frames = blocks.Select((b, i) => new CapturedFrame(times[i], link, b.Bytes, b.Bytes.Length)).ToList();
        return new HexCaptureResult(frames, source, dateKnown);
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
    /// Time stamps from the header lines. A date (<c>-tttt</c>) or epoch seconds (<c>-tt</c>) give the time itself; a time
    /// of day (the default) gives times on 1970-01-01 whose differences count (a stamp earlier than the one before is
    /// taken to be past midnight); a delta (<c>-ttt</c>, since the previous frame, or <c>-ttttt</c>, since the first; both
    /// printed with a leading blank) is summed when the deltas ever go down, else taken since the first. Frames without a
    /// stamp get the epoch, which the renderers leave out.
    /// </summary>
    private static (DateTimeOffset[] Times, bool DateKnown) Times(List<string?> headers)
    {
        var times = new DateTimeOffset[headers.Count];
        Array.Fill(times, DateTimeOffset.UnixEpoch);
        var absolute = new DateTimeOffset?[headers.Count];
        var tods = new TimeSpan?[headers.Count];
        var deltas = false;
        for (var i = 0; i < headers.Count; i++)
        {
            var h = headers[i];
            if (h is null)
            {
                continue;
            }

            if (DateTimeStamp().Match(h) is { Success: true } dt
                && DateTimeOffset.TryParse(dt.Groups["date"].Value + "T" + dt.Groups["tod"].Value + "Z", CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var at))
            {
                absolute[i] = at;
            }
            else if (EpochStamp().Match(h) is { Success: true } ep && decimal.TryParse(ep.Groups["epoch"].Value, NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var secs))
            {
                absolute[i] = DateTimeOffset.UnixEpoch.AddTicks((long)(secs * TimeSpan.TicksPerSecond));
            }
            else if (TimeOfDayStamp().Match(h) is { Success: true } td && TimeSpan.TryParse(td.Groups["tod"].Value, CultureInfo.InvariantCulture, out var tod))
            {
                tods[i] = tod;
                deltas |= td.Groups["delta"].Success;
            }
        }

        if (absolute.Any(a => a is not null))
        {
            for (var i = 0; i < times.Length; i++)
            {
                times[i] = absolute[i] ?? DateTimeOffset.UnixEpoch;
            }

            return (times, true);
        }

        var stamped = tods.Where(t => t is not null).Select(t => t!.Value).ToList();
        var summed = deltas && stamped.Zip(stamped.Skip(1)).Any(p => p.Second < p.First);
        var day = TimeSpan.Zero;
        TimeSpan? previous = null;
        var running = TimeSpan.Zero;
        for (var i = 0; i < times.Length; i++)
        {
            if (tods[i] is not { } t)
            {
                continue;
            }

            TimeSpan offset;
            if (summed)
            {
                running += t;
                offset = running;
            }
            else
            {
                if (!deltas && previous is { } p && t < p)
                {
                    day += TimeSpan.FromDays(1); // past midnight
                }

                offset = day + t;
                previous = t;
            }

            times[i] = DateTimeOffset.UnixEpoch + offset;
        }

        return (times, false);
    }
}
