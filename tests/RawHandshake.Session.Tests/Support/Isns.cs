namespace RawHandshake.Session.Tests.Support;

/// <summary>ISN pairs (client, server): an ordinary pair, both 16 below 2^32, and pairs at the very edge of the wrap.</summary>
public static class Isns
{
    public static TheoryData<uint, uint> All => new()
    {
        { 1000u, 5000u },
        { 0xFFFFFFF0u, 0xFFFFFFF0u },
        { 0xFFFFFFFFu, 0x7FFFFFFFu },
        { 0u, 0xFFFFFFFFu },
    };
}
