using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using RawHandshake.Wire.Primitives;
using RawHandshake.Wire.Protocols;

namespace RawHandshake.Wire.Dissection;

/// <summary>
/// The TCP parts of Wireshark's Info column as tshark 4.0 writes them: the flag list (<c>[SYN, ECE, CWR, AE]</c>,
/// <c>[ACK, ACE=3]</c> once AccECN is in use, <c>Reserved</c>) and each option's short form, checked frame by frame
/// against tshark over the corpus in tests/fixtures/corpus.
/// </summary>
public static class TcpInfoText
{
    private static readonly (TcpFlags Flag, string Name)[] Names =
    [
        (TcpFlags.Fin, "FIN"), (TcpFlags.Syn, "SYN"), (TcpFlags.Rst, "RST"), (TcpFlags.Psh, "PSH"), (TcpFlags.Ack, "ACK"),
        (TcpFlags.Urg, "URG"), (TcpFlags.Ece, "ECE"), (TcpFlags.Cwr, "CWR"), (TcpFlags.Ns, "AE"),
    ];

    /// <summary>
    /// The flag list in brackets. With <paramref name="ace"/> (a non-SYN segment of a connection that negotiated AccECN),
    /// AE, CWR and ECE are one 3-bit counter, <c>ACE=n</c>, after the other names (tshark writes its comma even when no
    /// other flag is set); any of the three reserved bits adds <c>Reserved</c>.
    /// </summary>
    public static string Flags(TcpFlags flags, int reserved, bool ace)
    {
        var sb = new StringBuilder("[");
        foreach (var (flag, name) in Names)
        {
            if (ace && flag is TcpFlags.Ece or TcpFlags.Cwr or TcpFlags.Ns)
            {
                continue;
            }

            if ((flags & flag) != 0)
            {
                sb.Append(sb.Length > 1 ? ", " : "").Append(name);
            }
        }

        if (ace)
        {
            var n = ((flags & TcpFlags.Ns) != 0 ? 4 : 0) | ((flags & TcpFlags.Cwr) != 0 ? 2 : 0) | ((flags & TcpFlags.Ece) != 0 ? 1 : 0);
            sb.Append(CultureInfo.InvariantCulture, $", ACE={n}");
        }

        if (reserved != 0)
        {
            sb.Append(sb.Length > 1 ? ", " : "").Append("Reserved");
        }

        return sb.Length == 1 ? "[<None>]" : sb.Append(']').ToString();
    }

    /// <summary>The option kinds whose presence turns AccECN on for a connection (AccECN0 and AccECN1).</summary>
    public static bool IsAccEcnOption(TcpOptionKind kind) => (byte)kind is 172 or 174;

    // Quick-Start rates (RFC 4782 §4.2), as tshark names them.
    private static readonly string[] QuickStartRates =
    [
        "0 bit/s", "80 Kbit/s", "160 Kbit/s", "320 Kbit/s", "640 Kbit/s", "1.28 Mbit/s", "2.56 Mbit/s", "5.12 Mbit/s",
        "10.24 Mbit/s", "20.48 Mbit/s", "40.96 Mbit/s", "81.92 Mbit/s", "163.84 Mbit/s", "327.68 Mbit/s", "655.36 Mbit/s", "1.31072 Gbit/s",
    ];

    /// <summary>
    /// Options as the Info column shows them: <c>MSS=1460 SACK_PERM TSval=1 TSecr=0 WS=128</c>, <c>TFO=R</c>, <c>MD5</c>, …
    /// Malformed options are walked as tshark walks them: a length below 2, past the header or missing ends the walk
    /// silently; MSS, window scale and timestamps of the wrong length are left out and the walk goes on by their length;
    /// a SACK whose length is not 2 + 8n (2 included) ends it with tshark's <c>[Malformed Packet]</c>, which is returned
    /// true so the caller writes it last.
    /// </summary>
    public static bool AppendOptions(StringBuilder sb, ReadOnlySpan<byte> options, SeqNum? sackBase = null)
    {
        var at = 0;
        while (at < options.Length)
        {
            var kind = options[at];
            if (kind == (byte)TcpOptionKind.EndOfOptions)
            {
                break;
            }

            if (kind == (byte)TcpOptionKind.Nop)
            {
                at++;
                continue;
            }

            if (at + 1 >= options.Length || options[at + 1] < 2 || at + options[at + 1] > options.Length)
            {
                break;
            }

            int length = options[at + 1];
            if (kind == (byte)TcpOptionKind.Sack && (length == 2 || (length - 2) % 8 != 0))
            {
                return true;
            }

            var o = new TcpOption((TcpOptionKind)kind, at, length, options.Slice(at + 2, length - 2));
            at += length;
            if (kind is 2 or 3 or 8 && length != kind switch { 2 => 4, 3 => 3, _ => 10 })
            {
                continue; // tshark: "option length should be N", nothing in the Info column
            }

            var d = o.Data;
            switch (kind)
            {
                case 2: sb.Append(CultureInfo.InvariantCulture, $" MSS={o.Mss}"); break;
                case 3: sb.Append(CultureInfo.InvariantCulture, $" WS={1 << Math.Min((int)o.WindowScale, 14)}"); break;
                case 4: sb.Append(" SACK_PERM"); break;
                case 8: sb.Append(CultureInfo.InvariantCulture, $" TSval={o.TsVal} TSecr={o.TsEcr}"); break;
                case 5:
                    for (var i = 0; i < o.SackBlockCount; i++)
                    {
                        var (l, r) = o.SackBlock(i);
                        var b = sackBase?.Value ?? 0;
                        sb.Append(CultureInfo.InvariantCulture, $" SLE={unchecked(l - b)} SRE={unchecked(r - b)}");
                    }

                    break;
                case 6 or 7 when d.Length == 4: sb.Append(CultureInfo.InvariantCulture, $" ECHO={BinaryPrimitives.ReadUInt32BigEndian(d)}"); break;
                case 11 or 12 or 13 when d.Length == 4: sb.Append(CultureInfo.InvariantCulture, $" CC={BinaryPrimitives.ReadUInt32BigEndian(d)}"); break;
                case 19: sb.Append(" MD5"); break;
                case 27 when d.Length == 6: sb.Append(" QSresp=").Append(QuickStartRates[d[0] & 0x0F]); break;
                case 28 when d.Length == 2: sb.Append(CultureInfo.InvariantCulture, $" USER_TO={BinaryPrimitives.ReadUInt16BigEndian(d) & 0x7FFF}"); break;
                case 29: sb.Append("TCP AO"); break; // tshark writes it without a blank before it
                case 34: sb.Append(d.Length == 0 ? " TFO=R" : " TFO=C"); break;
                case 253 or 254 when d.Length >= 2:
                    var magic = BinaryPrimitives.ReadUInt16BigEndian(d);
                    if (magic == 0xF989)
                    {
                        sb.Append(d.Length == 2 ? " TFO=R" : " TFO=C"); // RFC 7413's experimental form
                    }
                    else
                    {
                        sb.Append(CultureInfo.InvariantCulture, $" ExID={magic:X}");
                    }

                    break;
                case 172 or 174 when d.Length % 3 == 0:
                    if (d.Length == 0)
                    {
                        sb.Append(" AccECN");
                    }

                    // AccECN0 counts EE0B, ECEB, EE1B; AccECN1 the other way round (RFC 9768 §3.2.3).
                    string[] fields = (byte)o.Kind == 172 ? ["EE0B", "ECEB", "EE1B"] : ["EE1B", "ECEB", "EE0B"];
                    for (var i = 0; i + 3 <= d.Length; i += 3)
                    {
                        sb.Append(CultureInfo.InvariantCulture, $" {fields[i / 3]}={(d[i] << 16) | (d[i + 1] << 8) | d[i + 2]}");
                    }

                    break;
                default:
                    break; // MPTCP and the other kinds add nothing to the Info column
            }
        }

        return false;
    }
}
