namespace RawHandshake.Link;

/// <summary>A problem with the host's link, routes, privileges or firewall, worded as the one line a user sees.</summary>
public sealed class LinkException : Exception
{
    public LinkException(string message)
        : base(message)
    {
    }

    public LinkException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
