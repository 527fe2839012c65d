namespace RawHandshake.Cli.Args;

/// <summary>
/// The payload options, each repeatable: every <c>--data TEXT</c> (C escapes), then every <c>--data-hex HEX</c>, then every
/// <c>--data-file FILE</c>, in the order given within each kind (the parser keeps no order across kinds).
/// </summary>
public static class Payloads
{
    public static List<byte[]> Read(IEnumerable<string> data, IEnumerable<string> hex, IEnumerable<string> files)
    {
        var items = data.Select(d => ArgParse.Escaped(d, "--data")).ToList();
        items.AddRange(hex.Select(h => ArgParse.Hex(h, "--data-hex")));
        foreach (var file in files)
        {
            try
            {
                items.Add(File.ReadAllBytes(file));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
            {
                throw new UsageException($"--data-file {file}: {e.Message.Split('\n')[0].Trim()}");
            }
        }

        return items;
    }
}
