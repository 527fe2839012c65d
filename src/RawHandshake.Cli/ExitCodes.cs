namespace RawHandshake.Cli;

/// <summary>Exit codes shared by every verb.</summary>
public static class ExitCodes
{
    /// <summary>Everything asked for happened.</summary>
    public const int Ok = 0;

    /// <summary>A session or expectation failed after something was sent.</summary>
    public const int Failed = 1;

    /// <summary>Usage, input or environment error before anything was sent.</summary>
    public const int Usage = 2;

    /// <summary>Interrupted by Ctrl-C (SIGINT).</summary>
    public const int Interrupted = 130;

    /// <summary>Terminated (SIGTERM).</summary>
    public const int Terminated = 143;
}
