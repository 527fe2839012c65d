namespace RawHandshake.Link;

/// <summary>
/// The kernel's boot id (<c>/proc/sys/kernel/random/boot_id</c>): 128 random bits drawn at boot, the same for every
/// process until the next one. The key of our initial sequence numbers comes from it (<c>Session.InitialNumbers</c>).
/// </summary>
public static class BootId
{
    public const string File = "/proc/sys/kernel/random/boot_id";

    private static readonly Lazy<Guid?> Value = new(() => Parse(Read()));

    /// <summary>This boot's id, or null where the file cannot be read (not Linux, no /proc).</summary>
    public static Guid? Current => Value.Value;

    /// <summary>The id in the file's text (<c>8-4-4-4-12</c> hex digits and a line end), or null when it is not one.</summary>
    public static Guid? Parse(string? text) =>
        text is not null && Guid.TryParseExact(text.Trim(), "D", out var id) ? id : null;

    private static string? Read()
    {
        try
        {
            return System.IO.File.ReadAllText(File);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
