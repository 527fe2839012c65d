using RawHandshake.Engine;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Recipes.Syntax;

/// <summary>Reads one field from a frame we received; null when the frame does not carry it (no timestamps option …).</summary>
public delegate long? FieldReader(in ParsedFrame parsed, ReadOnlySpan<byte> frame);

/// <summary>Reads the checksum verdict of a field from a frame we received.</summary>
public delegate ChecksumVerdict VerdictReader(in ParsedFrame parsed, ReadOnlySpan<byte> frame);

/// <summary>Where a field is written in a step.</summary>
public enum FieldPlace
{
    /// <summary>In the segment grammar (<c>FLAGS SEQ:END(LEN) ack N win N</c>): read and captured by name, never set by name.</summary>
    Segment,

    /// <summary>Inside <c>&lt;options&gt;</c> on a send; matched and captured by name on expect.</summary>
    Option,

    /// <summary>A header field: <c>NAME VALUE</c> on send (sent exactly as set), <c>NAME MATCHER</c> on expect.</summary>
    Header,
}

/// <summary>
/// One field of the recipe language, with everything that knows about it: its names (<see cref="Name"/> as written,
/// <see cref="Aliases"/>, <see cref="Shown"/> in mismatch messages), its range, how to set it on a frame we build
/// (<see cref="Set"/>, null when the segment grammar or the options set it), how to read it from a frame we received
/// (<see cref="Read"/>), and the <c>craft</c> option that sets it (<see cref="CraftOption"/>). The parser, validator,
/// printer, driver, matcher and craft's options all read <see cref="RecipeFields"/>.
/// </summary>
public sealed record RecipeField(
    string Name,
    string Shown,
    long Min,
    long Max,
    FieldPlace Place,
    Func<FrameOverrides, long, FrameOverrides>? Set,
    FieldReader Read,
    string? CraftOption)
{
    /// <summary>Other spellings accepted (<c>ip.ttl</c> for <c>ttl</c>).</summary>
    public IReadOnlyList<string> Aliases { get; init; } = [];

    /// <summary>Written alone on a send or expect it means 1 (<c>df</c>, <c>mf</c>, <c>evil</c>); <see cref="OffName"/> alone means 0.</summary>
    public bool IsFlag { get; init; }

    /// <summary>A flag's word for 0 (<c>nodf</c> is df 0), or null.</summary>
    public string? OffName { get; init; }

    /// <summary>A sequence number: captured absolute, so that <c>ack $s+1</c> needs no ISN.</summary>
    public bool IsSequence { get; init; }

    /// <summary>On expect it also takes a checksum verdict (<see cref="RecipeFields.Verdicts"/>), read from a frame by this; null when it has none.</summary>
    public VerdictReader? Verdict { get; init; }

    public bool HasVerdict => Verdict is not null;

    public bool Settable => Set is not null;

    private readonly long? sendMin;
    private readonly long? sendMax;

    /// <summary>The least value a send may write (<c>&lt;mss 0&gt;</c> is refused); <see cref="Min"/> unless narrower.</summary>
    public long SendMin { get => sendMin ?? Min; init => sendMin = value; }

    /// <summary>The largest value a send may write (<c>&lt;wscale 15&gt;</c> is refused); <see cref="Max"/> unless narrower.</summary>
    public long SendMax { get => sendMax ?? Max; init => sendMax = value; }

    /// <summary>The spelling a canonical recipe line uses for <paramref name="value"/> of this field (<c>ttl 33</c>, <c>df 0</c>).</summary>
    public string Write(long value) => Name + " " + value.ToString(System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>The one table of recipe fields.</summary>
public static class RecipeFields
{
    /// <summary>The IPv4 header; over IPv6 ttl, tos, dscp and ecn read the hop limit and traffic class instead.</summary>
    private static IPv4Header Ip(in ParsedFrame p) => p.IPv4 ?? default;

    /// <summary>The checksum verdicts an expect may name for a field with <see cref="RecipeField.HasVerdict"/>.</summary>
    public static IReadOnlyList<string> Verdicts { get; } = ["good", "bad", "offload"];

    // The fields the segment grammar, the option lists and the matcher name themselves; every one is also in All.

    public static RecipeField Flags { get; } = new("flags", "tcp.flags", 0, 0x1FF, FieldPlace.Segment, null, (in ParsedFrame p, ReadOnlySpan<byte> _) => (long?)p.Tcp?.Flags, "--flags");
    public static RecipeField Seq { get; } = new("seq", "tcp.seq", 0, uint.MaxValue, FieldPlace.Segment, null, (in ParsedFrame p, ReadOnlySpan<byte> _) => p.Tcp?.Seq.Value, "--seq") { IsSequence = true };
    public static RecipeField Ack { get; } = new("ack", "tcp.ack", 0, uint.MaxValue, FieldPlace.Segment, null, (in ParsedFrame p, ReadOnlySpan<byte> _) => p.Tcp?.Ack.Value, "--ack") { IsSequence = true };
    public static RecipeField Win { get; } = new("win", "tcp.win", 0, 65535, FieldPlace.Segment, null, (in ParsedFrame p, ReadOnlySpan<byte> _) => p.Tcp?.Window, "--window") { Aliases = ["window"] };
    public static RecipeField Len { get; } = new("len", "tcp.len", 0, 65535, FieldPlace.Segment, null, (in ParsedFrame p, ReadOnlySpan<byte> _) => p.Tcp is null ? null : p.PayloadLength, null);
    public static RecipeField Mss { get; } = new("mss", "tcp.options.mss", 0, 65535, FieldPlace.Option, null, (in ParsedFrame p, ReadOnlySpan<byte> f) => p.TcpOptionsSummary(f).Mss, "--mss") { SendMin = 1 };
    public static RecipeField WindowScale { get; } = new("wscale", "tcp.options.wscale", 0, 255, FieldPlace.Option, null, (in ParsedFrame p, ReadOnlySpan<byte> f) => p.TcpOptionsSummary(f).WindowScale, "--wscale") { SendMax = 14 };
    public static RecipeField TsVal { get; } = new("tsval", "tcp.options.tsval", 0, uint.MaxValue, FieldPlace.Option, null, (in ParsedFrame p, ReadOnlySpan<byte> f) => p.TcpOptionsSummary(f).TsVal, "--ts");
    public static RecipeField TsEcr { get; } = new("tsecr", "tcp.options.tsecr", 0, uint.MaxValue, FieldPlace.Option, null, (in ParsedFrame p, ReadOnlySpan<byte> f) => p.TcpOptionsSummary(f).TsEcr, "--ts");
    public static RecipeField IpChecksum { get; } = new("ip.checksum", "ip.checksum", 0, 65535, FieldPlace.Header, (o, v) => o with { IpChecksum = (ushort)v }, (in ParsedFrame p, ReadOnlySpan<byte> _) => Ip(p).Checksum, "--ip-checksum") { Verdict = (in ParsedFrame p, ReadOnlySpan<byte> f) => p.IpChecksum(f) };
    public static RecipeField TcpChecksum { get; } = new("tcp.checksum", "tcp.checksum", 0, 65535, FieldPlace.Header, (o, v) => o with { TcpChecksum = (ushort)v }, (in ParsedFrame p, ReadOnlySpan<byte> _) => p.Tcp?.Checksum, "--tcp-checksum") { Verdict = (in ParsedFrame p, ReadOnlySpan<byte> f) => p.TransportChecksum(f) };

    /// <summary>Every field, in the order the README lists them.</summary>
    public static IReadOnlyList<RecipeField> All { get; } =
    [
        Flags,
        Seq,
        Ack,
        Win,
        Len,
        Mss,
        WindowScale,
        TsVal,
        TsEcr,
        new("ttl", "ip.ttl", 0, 255, FieldPlace.Header, (o, v) => o with { Ttl = (byte)v }, (in ParsedFrame p, ReadOnlySpan<byte> _) => p.IPv6 is { } v6 ? v6.HopLimit : Ip(p).Ttl, "--ttl") { Aliases = ["ip.ttl"] },
        new("tos", "ip.tos", 0, 255, FieldPlace.Header, (o, v) => o with { Tos = (byte)v }, (in ParsedFrame p, ReadOnlySpan<byte> _) => p.IPv6 is { } v6 ? v6.TrafficClass : Ip(p).Tos, "--tos") { Aliases = ["ip.tos"] },
        new("dscp", "ip.dscp", 0, 63, FieldPlace.Header, (o, v) => o with { Dscp = (byte)v }, (in ParsedFrame p, ReadOnlySpan<byte> _) => p.IPv6 is { } v6 ? v6.Dscp : Ip(p).Dscp, null) { Aliases = ["ip.dscp"] },
        new("ecn", "ip.ecn", 0, 3, FieldPlace.Header, (o, v) => o with { Ecn = (byte)v }, (in ParsedFrame p, ReadOnlySpan<byte> _) => p.IPv6 is { } v6 ? v6.Ecn : Ip(p).Ecn, null) { Aliases = ["ip.ecn"] },
        new("ip.id", "ip.id", 0, 65535, FieldPlace.Header, (o, v) => o with { IpId = (ushort)v }, (in ParsedFrame p, ReadOnlySpan<byte> _) => Ip(p).Id, "--id"),
        new("df", "ip.df", 0, 1, FieldPlace.Header, (o, v) => o with { DontFragment = v != 0 }, (in ParsedFrame p, ReadOnlySpan<byte> _) => Ip(p).DontFragment ? 1 : 0, "--df") { IsFlag = true, OffName = "nodf" },
        new("mf", "ip.mf", 0, 1, FieldPlace.Header, (o, v) => o with { MoreFragments = v != 0 }, (in ParsedFrame p, ReadOnlySpan<byte> _) => Ip(p).MoreFragments ? 1 : 0, "--mf") { IsFlag = true },
        new("evil", "ip.evil", 0, 1, FieldPlace.Header, (o, v) => o with { ReservedFlag = v != 0 }, (in ParsedFrame p, ReadOnlySpan<byte> _) => Ip(p).ReservedFlag ? 1 : 0, "--evil") { IsFlag = true },
        new("frag-offset", "ip.frag-offset", 0, 8191, FieldPlace.Header, (o, v) => o with { FragmentOffset = (ushort)v }, (in ParsedFrame p, ReadOnlySpan<byte> _) => Ip(p).FragmentOffset, "--frag-offset"),
        new("ip.len", "ip.len", 0, 65535, FieldPlace.Header, (o, v) => o with { IpLength = (ushort)v }, (in ParsedFrame p, ReadOnlySpan<byte> _) => Ip(p).TotalLength, "--ip-len"),
        new("ihl", "ip.ihl", 0, 15, FieldPlace.Header, (o, v) => o with { Ihl = (byte)v }, (in ParsedFrame p, ReadOnlySpan<byte> _) => Ip(p).Ihl, "--ihl") { Aliases = ["ip.ihl"] },
        IpChecksum,
        TcpChecksum,
        new("urg", "tcp.urg", 0, 65535, FieldPlace.Header, (o, v) => o with { Urgent = (ushort)v }, (in ParsedFrame p, ReadOnlySpan<byte> _) => p.Tcp?.Urgent, "--urg") { Aliases = ["tcp.urg"] },
        new("data-offset", "tcp.data-offset", 0, 15, FieldPlace.Header, (o, v) => o with { DataOffset = (byte)v }, (in ParsedFrame p, ReadOnlySpan<byte> _) => p.Tcp?.DataOffset, "--data-offset"),
        new("reserved", "tcp.reserved", 0, 7, FieldPlace.Header, (o, v) => o with { Reserved = (byte)v }, (in ParsedFrame p, ReadOnlySpan<byte> _) => p.Tcp?.Reserved, "--reserved"),
    ];

    private static readonly Dictionary<string, RecipeField> ByName = All
        .SelectMany(f => f.Aliases.Prepend(f.Name).Select(n => (n, f)))
        .ToDictionary(x => x.n, x => x.f, StringComparer.OrdinalIgnoreCase);

    /// <summary>The field of that name or alias (any case), or null.</summary>
    public static RecipeField? Find(string name) => ByName.GetValueOrDefault(name);

    /// <summary>The flag field whose word for 0 this is (<c>nodf</c>), or null.</summary>
    public static RecipeField? FindOff(string name) => All.FirstOrDefault(f => string.Equals(f.OffName, name, StringComparison.OrdinalIgnoreCase));

    /// <summary>The field of that canonical name; throws for a name not in the table (a bug, not a user's error).</summary>
    public static RecipeField Get(string name) => Find(name) ?? throw new ArgumentException($"no recipe field '{name}'", nameof(name));

    /// <summary>The header fields a send sets by name, as error messages list them.</summary>
    public static string SettableNames { get; } = string.Join(", ", All.Where(f => f.Settable).Select(f => f.Name).Append("ip.options"));

    /// <summary>The fields an expect matches by name (everything not in the segment grammar), as error messages list them.</summary>
    public static string MatchableNames { get; } = string.Join(", ", All.Where(f => f.Place != FieldPlace.Segment).Select(f => f.Name));

    /// <summary>The fields a <c>$NAME = FIELD</c> can capture.</summary>
    public static string CapturableNames { get; } = string.Join(", ", All.Select(f => f.Name));

    /// <summary>Builds the overrides of a send from its header fields (<c>ip.options</c> carries bytes).</summary>
    public static FrameOverrides Overrides(IEnumerable<FieldOverride> fields, byte[]? rawOptions)
    {
        ArgumentNullException.ThrowIfNull(fields);
        var o = new FrameOverrides { RawOptions = rawOptions };
        foreach (var f in fields)
        {
            o = f.Name == IpOptions
                ? o with { IpOptions = f.Bytes }
                : Get(f.Name).Set is { } set ? set(o, f.Value) : throw new ArgumentException($"field '{f.Name}' cannot be set on a frame", nameof(fields));
        }

        return o;
    }

    /// <summary>
    /// Sets the IP header fields of <paramref name="o"/> on <paramref name="ip"/> (craft builds its frame this way; the
    /// engine applies a send's overrides in the same terms). DSCP and ECN go on top of TOS.
    /// </summary>
    public static IPv4Header Apply(FrameOverrides o, IPv4Header ip)
    {
        ArgumentNullException.ThrowIfNull(o);
        ip.Ttl = o.Ttl ?? ip.Ttl;
        ip.Tos = (byte)(((o.Dscp is { } d ? d << 2 : (o.Tos ?? ip.Tos) & 0xFC) | (o.Ecn ?? ((o.Tos ?? ip.Tos) & 3))) & 0xFF);
        ip.Id = o.IpId ?? ip.Id;
        ip.DontFragment = o.DontFragment ?? ip.DontFragment;
        ip.MoreFragments = o.MoreFragments ?? ip.MoreFragments;
        ip.ReservedFlag = o.ReservedFlag ?? ip.ReservedFlag;
        ip.FragmentOffset = o.FragmentOffset ?? ip.FragmentOffset;
        ip.TotalLength = o.IpLength ?? ip.TotalLength;
        ip.Ihl = o.Ihl ?? ip.Ihl;
        ip.Checksum = o.IpChecksum ?? ip.Checksum;
        ip.Options = o.IpOptions ?? ip.Options;
        return ip;
    }

    /// <summary>Sets the TCP header fields of <paramref name="o"/> on <paramref name="tcp"/>.</summary>
    public static TcpHeader Apply(FrameOverrides o, TcpHeader tcp)
    {
        ArgumentNullException.ThrowIfNull(o);
        tcp.Checksum = o.TcpChecksum ?? tcp.Checksum;
        tcp.Urgent = o.Urgent ?? tcp.Urgent;
        tcp.DataOffset = o.DataOffset ?? tcp.DataOffset;
        tcp.Reserved = o.Reserved ?? tcp.Reserved;
        return tcp;
    }

    /// <summary>The one field that carries bytes, not a number: IP options on a send.</summary>
    public const string IpOptions = "ip.options";
}
