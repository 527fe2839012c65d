namespace RawHandshake.Cli.Args;

/// <summary>Bad input before anything was sent: printed as one line, exit code 2.</summary>
public sealed class UsageException(string message) : Exception(message);
