namespace RawHandshake.Lab.Servers;

/// <summary>What a <see cref="LabServer"/> does with each connection.</summary>
public enum ServerMode
{
    /// <summary>Echoes everything until EOF, then closes (recv 8192 → send back, like the seeds' python socketserver).</summary>
    Echo,

    /// <summary>Minimal HTTP/1.x: reads the request head, answers 200 for <c>/</c> and <c>/index.html</c> (404 otherwise), closes.</summary>
    Http,

    /// <summary>RFC 863: reads and drops until EOF.</summary>
    Discard,

    /// <summary>RFC 864: sends the rotating 72-character lines until the client closes (at most 1 MiB).</summary>
    Chargen,

    /// <summary>Follows a <see cref="ServerScript"/> on each connection (accept, write N, read N, sleep, shutdown, close):
    /// the server side of an imported packetdrill script.</summary>
    Script,
}
