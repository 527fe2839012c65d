using System.Security.Cryptography;

namespace RawHandshake.Lab.Tests.Support;

internal static class Names
{
    /// <summary>A lab name no other test (or run) uses: "t" + 5 random characters a-z 0-9.</summary>
    public static string Unique() => "t" + RandomNumberGenerator.GetString("abcdefghijklmnopqrstuvwxyz0123456789", 5);
}
