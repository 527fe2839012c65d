namespace RawHandshake.Session;

/// <summary>
/// Where a session puts its outputs: segments to send and events. The session calls it synchronously from inside
/// an input call; it never performs I/O itself, so a test can collect outputs in a list.
/// </summary>
public interface ISessionOutput
{
    void Transmit(in OutgoingSegment segment);

    void Raise(SessionEvent e);
}
