using CommandLine;
using RawHandshake.Cli.Args;
using RawHandshake.Wire.Building;

namespace RawHandshake.Cli.Verbs;

/// <summary><c>craft --fragment SIZE</c>: the crafted IPv4 datagram or IPv6 packet as fragments of at most SIZE payload bytes each.</summary>
public sealed partial class CraftOptions
{
    [Option("fragment", HelpText = "Split the IPv4 datagram or IPv6 packet into fragments of at most SIZE payload bytes (a multiple of 8; hping3 -f, Scapy fragment()/fragment6()). IPv6: a fragment header (identification 1) after the hop-by-hop and routing headers, or where --ext frag=0:0:ID puts one, with its ID; the first fragment holds the whole header chain.")]
    public string? Fragment { get; set; }

    /// <summary>
    /// <c>--send --fragment</c>: how each frame goes on the wire (its fragments, the IPv6 identification one more per
    /// datagram unless <c>--ext frag</c> gives one), or null without <c>--fragment</c>. Checked on
    /// <paramref name="first"/> before anything is sent: every frame of a run has its shape.
    /// </summary>
    internal Func<byte[], int, IReadOnlyList<byte[]>>? SplitForSend(byte[] first)
    {
        if (Fragment is null)
        {
            return null;
        }

        _ = Fragments(first); // the size and the frame's kind: a one-line usage error now, not after the set-up
        var size = ArgParse.Optional(Fragment, "--fragment", 65535, v => (int)v)!.Value;
        return (frame, index) => FragmentPieces.TrySplit(frame, Wire.Capture.LinkType.Ethernet, size, identification: (uint)index + 1, out var error)
            ?? throw new UsageException($"--fragment {Fragment}: {error}");
    }

    /// <summary>The frame, or its fragments when --fragment is given.</summary>
    internal List<byte[]> Fragments(byte[] frame)
    {
        var size = ArgParse.Optional(Fragment, "--fragment", 65535, v => (int)v);
        if (size is not { } s)
        {
            return [frame];
        }

        return FragmentPieces.TrySplit(frame, Wire.Capture.LinkType.Ethernet, s, identification: 1, out var error)
            ?? throw new UsageException($"--fragment {Fragment}: {error}");
    }
}
