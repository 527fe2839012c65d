using System.Globalization;
using System.Text.RegularExpressions;
using RawHandshake.Wire.Capture;

namespace RawHandshake.Wire.Tests.Support;

/// <summary>
/// The real kernel captures in tests/fixtures (copied next to the test assembly), the tcpdump -v -xx text kept beside
/// each, and the frame tables of their README (generated there from tshark fields).
/// </summary>
internal static partial class Fixtures
{
    public static string Directory => Path.Combine(AppContext.BaseDirectory, "fixtures");

    public static readonly string[] Pcaps =
    [
        "echo-session.pcap", "echo-session.pcapng", "http-get.pcap", "closed-port.pcap", "icmp.pcap", "echo-session-any.pcap",
        "echo-session-sll2.pcap", "echo-session-sll.pcap", "vlan.pcap", "offload-server-side.pcap",
    ];

    public const string Offload = "offload-server-side.pcap";

    public static string PathOf(string name)
    {
        var path = Path.Combine(Directory, name);
        File.Exists(path).ShouldBeTrue($"fixture {name} missing from {Directory} (tests/fixtures is copied there by the csproj)");
        return path;
    }

    public static IReadOnlyList<CapturedFrame> Read(string name)
    {
        var result = RawHandshake.Wire.Tests.Support.CaptureFilesOnDisk.Read(PathOf(name));
        result.Error.ShouldBeNull(name);
        result.Frames.Count.ShouldBeGreaterThan(0, name);
        return result.Frames;
    }

    /// <summary>One packet of tcpdump -nn -v -xx -tttt output.</summary>
    public sealed record TcpdumpPacket(DateTimeOffset Time, string Header, List<string> Lines, byte[] Bytes)
    {
        private Match Ip => IpRegex().Match(Header).ShouldNotBeNull();

        public string Direction => Header.Contains(" Out IP ", StringComparison.Ordinal) ? "Out" : Header.Contains(" In  IP ", StringComparison.Ordinal) ? "In" : string.Empty;

        public byte Tos => Convert.ToByte(Ip.Groups["tos"].Value, 16);

        public byte Ttl => byte.Parse(Ip.Groups["ttl"].Value, CultureInfo.InvariantCulture);

        public ushort Id => ushort.Parse(Ip.Groups["id"].Value, CultureInfo.InvariantCulture);

        public string IpFlags => Ip.Groups["flags"].Value;

        public byte Protocol => byte.Parse(Ip.Groups["pn"].Value, CultureInfo.InvariantCulture);

        public ushort TotalLength => ushort.Parse(Ip.Groups["len"].Value, CultureInfo.InvariantCulture);

        /// <summary>The TCP summary line: ports, flags, checksum, window, options, length.</summary>
        public TcpdumpTcp? Tcp => Lines.Count > 0 && TcpRegex().Match(Lines[0]) is { Success: true } m ? new TcpdumpTcp(m) : null;
    }

    public sealed class TcpdumpTcp(Match m)
    {
        public string Source => m.Groups["src"].Value;
        public string Destination => m.Groups["dst"].Value;
        public ushort SourcePort => ushort.Parse(m.Groups["sp"].Value, CultureInfo.InvariantCulture);
        public ushort DestinationPort => ushort.Parse(m.Groups["dp"].Value, CultureInfo.InvariantCulture);
        public string Flags => m.Groups["flags"].Value;
        public ushort Checksum => Convert.ToUInt16(m.Groups["ck"].Value, 16);
        public bool ChecksumCorrect => m.Groups["ok"].Value == "correct";

        /// <summary>tcpdump's "incorrect -> 0xNNNN": the checksum it computes.</summary>
        public ushort? CorrectChecksum => m.Groups["right"].Success ? Convert.ToUInt16(m.Groups["right"].Value, 16) : null;

        public ushort Window => ushort.Parse(Regex.Match(m.Groups["rest"].Value, @"win (\d+)").Groups[1].Value, CultureInfo.InvariantCulture);

        public int Length => int.Parse(Regex.Match(m.Groups["rest"].Value, @"length (\d+)").Groups[1].Value, CultureInfo.InvariantCulture);

        /// <summary>The options as tcpdump lists them, e.g. ["mss 1460", "sackOK", "TS val 1 ecr 0", "nop", "wscale 10"].</summary>
        public string[] Options
        {
            get
            {
                var o = Regex.Match(m.Groups["rest"].Value, @"options \[([^\]]*)\]");
                return o.Success ? o.Groups[1].Value.Split(',') : [];
            }
        }
    }

    [GeneratedRegex(@"IP \(tos 0x(?<tos>[0-9a-f]+), ttl (?<ttl>\d+), id (?<id>\d+), offset (?<off>\d+), flags \[(?<flags>[^\]]*)\], proto (?<proto>\w+) \((?<pn>\d+)\), length (?<len>\d+)\)")]
    private static partial Regex IpRegex();

    [GeneratedRegex(@"^\s+(?<src>[\d.]+)\.(?<sp>\d+) > (?<dst>[\d.]+)\.(?<dp>\d+): Flags \[(?<flags>[^\]]*)\], cksum 0x(?<ck>[0-9a-f]{4}) \((?<ok>correct|incorrect -> 0x(?<right>[0-9a-f]{4}))\),(?<rest>.*)$")]
    private static partial Regex TcpRegex();

    [GeneratedRegex(@"^(?<t>\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{6}) ")]
    private static partial Regex RecordStart();

    [GeneratedRegex(@"^\t0x[0-9a-f]{4}:  (?<hex>.*)$")]
    private static partial Regex HexLine();

    /// <summary>Parses X.txt beside X.pcap: the '#' comment lines are skipped, then one record per packet.</summary>
    public static List<TcpdumpPacket> Tcpdump(string pcapName)
    {
        var packets = new List<TcpdumpPacket>();
        string? header = null;
        DateTimeOffset time = default;
        List<string> lines = [];
        List<byte> bytes = [];
        foreach (var line in File.ReadLines(PathOf(Path.GetFileNameWithoutExtension(pcapName) + ".txt")))
        {
            if (line.StartsWith('#'))
            {
                continue;
            }

            if (RecordStart().Match(line) is { Success: true } start)
            {
                Flush();
                header = line;
                time = new DateTimeOffset(DateTime.ParseExact(start.Groups["t"].Value, "yyyy-MM-dd HH:mm:ss.ffffff", CultureInfo.InvariantCulture), TimeSpan.Zero);
                lines = [];
                bytes = [];
            }
            else if (HexLine().Match(line) is { Success: true } hex)
            {
                foreach (var group in hex.Groups["hex"].Value.Split(' ', StringSplitOptions.RemoveEmptyEntries))
                {
                    bytes.AddRange(Convert.FromHexString(group));
                }
            }
            else if (header is not null)
            {
                lines.Add(line);
            }
        }

        Flush();
        return packets;

        void Flush()
        {
            if (header is not null)
            {
                packets.Add(new TcpdumpPacket(time, header, lines, [.. bytes]));
            }
        }
    }

    /// <summary>One row of a README frame table (values from tshark).</summary>
    public sealed record ReadmeRow(int Number, int Length, string Frame, string IpChecksum, string L4Checksum)
    {
        public (uint Seq, uint Ack)? Raw => Regex.Match(Frame, @"raw (\d+)/(\d+)") is { Success: true } m
            ? (uint.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), uint.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture))
            : null;
    }

    /// <summary>The README table rows for one capture file (the table under its "## name" or "### name" heading).</summary>
    public static List<ReadmeRow> Readme(string pcapName)
    {
        var rows = new List<ReadmeRow>();
        string? section = null;
        foreach (var line in File.ReadLines(PathOf("README.md")))
        {
            if (Regex.Match(line, @"^#{2,3} (?<file>[\w.-]+\.pcap(ng)?)\b") is { Success: true } h)
            {
                section = h.Groups["file"].Value;
            }
            else if (section == pcapName && Regex.Match(line, @"^\| (\d+) \| (\d+) \| (.*) \| ([^|]*) \| ([^|]*) \|$") is { Success: true } r)
            {
                rows.Add(new ReadmeRow(
                    int.Parse(r.Groups[1].Value, CultureInfo.InvariantCulture),
                    int.Parse(r.Groups[2].Value, CultureInfo.InvariantCulture),
                    r.Groups[3].Value,
                    r.Groups[4].Value.Trim(),
                    r.Groups[5].Value.Trim()));
            }
        }

        return rows;
    }
}
