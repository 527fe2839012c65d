using CommandLine;
using RawHandshake.Cli.Args;
using RawHandshake.Wire.Building;

namespace RawHandshake.Cli.Verbs;

/// <summary><c>craft --fragment SIZE</c>: the crafted IPv4 datagram as fragments of at most SIZE payload bytes each.</summary>
public sealed partial class CraftOptions
{
    [Option("fragment", HelpText = "Split the IPv4 datagram into fragments of at most SIZE payload bytes (a multiple of 8; hping3 -f, Scapy fragment()).")]
    public string? Fragment { get; set; }

    /// <summary>The frame, or its fragments when --fragment is given.</summary>
    internal List<byte[]> Fragments(byte[] frame)
    {
        var size = ArgParse.Optional(Fragment, "--fragment", 65535, v => (int)v);
        if (size is not { } s)
        {
            return [frame];
        }

        return IPv4Fragmenter.TrySplit(frame, Wire.Capture.LinkType.Ethernet, s, out var error)
            ?? throw new UsageException($"--fragment {Fragment}: {error}");
    }
}
