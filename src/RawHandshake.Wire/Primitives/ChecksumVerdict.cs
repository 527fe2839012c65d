namespace RawHandshake.Wire.Primitives;

/// <summary>What a checksum check found.</summary>
public enum ChecksumVerdict
{
    /// <summary>Not checked: the data it covers is not all there (truncated capture, fragment).</summary>
    Unverified,

    /// <summary>Correct.</summary>
    Good,

    /// <summary>Wrong.</summary>
    Bad,

    /// <summary>The field holds the un-inverted pseudo-header sum: transmit checksum offload, filled in later by the device.</summary>
    Offload,
}
