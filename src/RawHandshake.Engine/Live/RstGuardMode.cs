namespace RawHandshake.Engine.Live;

/// <summary>How a live run keeps our own kernel from resetting hand-made connections.</summary>
public enum RstGuardMode
{
    /// <summary>nft when we have CAP_NET_ADMIN and nft exists, else a clear error.</summary>
    Auto,

    /// <summary>An nftables rule dropping our kernel's RSTs for exactly this flow, removed at exit.</summary>
    Nft,

    /// <summary>A source address the kernel does not own, for which we answer ARP while the run lasts.</summary>
    Phantom,

    /// <summary>No guard: the kernel will usually reset the flow (reported as kernel interference).</summary>
    None,
}
