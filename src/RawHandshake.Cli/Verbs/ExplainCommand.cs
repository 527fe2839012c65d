using System.Globalization;
using System.Text;
using RawHandshake.Cli.Args;
using RawHandshake.Wire.Explain;
using RawHandshake.Wire.Parsing;
using RawHandshake.Wire.Primitives;

namespace RawHandshake.Cli.Verbs;

public sealed partial class ExplainOptions : ICommand
{
    /// <summary>Data words shown one by one before the rest are summed in one line (unless --all).</summary>
    public const int DataWordsShown = 8;

    public int Execute(CliContext context)
    {
        if (!Topic.Equals("checksum", StringComparison.OrdinalIgnoreCase))
        {
            throw new UsageException($"explain: unknown topic '{Topic}' (topics: checksum)");
        }

        if (!Hex.Any() && Read is null)
        {
            throw new UsageException("explain checksum: give the frame as hex, '-' to read hex text from stdin, or -r FILE [--frame N]");
        }

        var (frames, _, warning) = new DissectOptions { Hex = Hex, Read = Read, LinkType = LinkType }.Load(context);
        if (warning is not null)
        {
            context.Err.WriteLine("rawhandshake: warning: " + warning);
        }

        var number = ArgParse.Optional(Frame, "--frame", int.MaxValue, v => (int)v) ?? 1;
        if (number < 1)
        {
            throw new UsageException("--frame: frames are numbered from 1");
        }

        if (number > frames.Count)
        {
            throw new UsageException($"--frame: there {(frames.Count == 1 ? "is only 1 frame" : $"are only {frames.Count} frames")}");
        }

        var frame = frames[number - 1];
        var parsed = FrameParser.Parse(frame.Data, frame.LinkType);
        var explained = ChecksumExplainer.Explain(frame.Data, parsed);
        if (explained.Count == 0)
        {
            throw new UsageException($"explain checksum: frame {number} carries no IPv4 checksum to work through ({Describe(parsed)})");
        }

        for (var i = 0; i < explained.Count; i++)
        {
            if (i > 0)
            {
                context.Out.WriteLine();
            }

            context.Out.Write(Render(explained[i], All));
        }

        return ExitCodes.Ok;
    }

    private static string Describe(in ParsedFrame parsed) =>
        parsed.Malformed ?? (parsed.Arp is not null ? "ARP has no checksum" : $"EtherType 0x{parsed.EtherType:x4}");

    /// <summary>The computation as text: one row per word with the running sum, carries marked, then the verdict.</summary>
    public static string Render(ChecksumExplanation e, bool allWords)
    {
        var sb = new StringBuilder();
        sb.Append(CultureInfo.InvariantCulture, $"{e.Name} (field at byte {e.FieldOffset}: 0x{e.Field:x4})\n");
        if (e.Note is not null && e.Verdict != ChecksumVerdict.Offload)
        {
            sb.Append(CultureInfo.InvariantCulture, $"  {e.Note}\n");
        }

        sb.Append("  RFC 1071: add every 16-bit word; when a sum passes 0xffff, fold the carry back in at the bottom.\n");
        sb.Append("  offset  word    sum before  + word =  sum after   what\n");
        var data = 0;
        ushort dataBefore = 0;
        var dataCarries = 0;
        var skipped = 0;
        ChecksumWord? last = null;
        foreach (var w in e.Words)
        {
            if (w.Source == ChecksumWordSource.Payload && !allWords && ++data > DataWordsShown)
            {
                if (skipped == 0)
                {
                    dataBefore = w.SumBefore;
                }

                skipped++;
                dataCarries += w.Carry ? 1 : 0;
                last = w;
                continue;
            }

            sb.Append(Row(w));
        }

        if (skipped > 0 && last is { } end)
        {
            sb.Append(CultureInfo.InvariantCulture,
                $"  …       {skipped} more data words (--all shows them): 0x{dataBefore:x4} → 0x{end.SumAfter:x4}, {dataCarries} carr{(dataCarries == 1 ? "y" : "ies")} folded\n");
        }

        sb.Append(CultureInfo.InvariantCulture, $"  sum of {e.Words.Count} words, {e.Carries} carr{(e.Carries == 1 ? "y" : "ies")} folded back in: 0x{e.Sum:x4}\n");
        sb.Append(CultureInfo.InvariantCulture, $"  one's complement: ~0x{e.Sum:x4} = 0x{e.Correct:x4}, the value the field should hold\n");
        sb.Append(CultureInfo.InvariantCulture, $"  the field holds 0x{e.Field:x4}: {Verdict(e)}\n");
        return sb.ToString();
    }

    private static string Row(ChecksumWord w)
    {
        var where = w.Offset is { } o ? $"{o,6}" : "pseudo";
        var carry = w.Carry ? " (carry)" : "";
        return string.Create(CultureInfo.InvariantCulture,
            $"  {where}  0x{w.Word:x4}  0x{w.SumBefore:x4}    + 0x{w.Word:x4} =  0x{w.SumAfter:x4}{carry,-8}  {w.Field}\n");
    }

    private static string Verdict(ChecksumExplanation e) => e.Verdict switch
    {
        ChecksumVerdict.Good when e.Field == e.Correct => "correct",
        ChecksumVerdict.Good => $"correct (0x{e.Field:x4} and 0x{e.Correct:x4} are both zero in one's complement)",
        ChecksumVerdict.Offload => "offload — " + e.Note,
        ChecksumVerdict.Bad => $"incorrect, should be 0x{e.Correct:x4}: a receiving stack drops it without a word",
        _ => e.Note ?? "not verified",
    };
}
