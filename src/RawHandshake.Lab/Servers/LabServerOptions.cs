using System.Net;

namespace RawHandshake.Lab.Servers;

/// <summary>How a <see cref="LabServer"/> listens and treats its clients.</summary>
public sealed record LabServerOptions
{
    public required ServerMode Mode { get; init; }

    /// <summary>TCP port; 0 picks a free one (see <see cref="LabServer.LocalEndPoint"/>).</summary>
    public int Port { get; init; }

    /// <summary>Local address to listen on (default 0.0.0.0).</summary>
    public IPAddress Bind { get; init; } = IPAddress.Any;

    /// <summary>Serve one client, then stop (the listener closes as soon as that client is accepted).</summary>
    public bool Once { get; init; }

    /// <summary>Echo only: read once, write back what was read, then close — after <see cref="CloseAfter"/> if set (seed 003: read; write; sleep(3); close).</summary>
    public bool ReadOnce { get; init; }

    /// <summary>Close each connection this long after accepting it, whatever the client does (the server closes first).
    /// With <see cref="ReadOnce"/>: this long after the echo.</summary>
    public TimeSpan? CloseAfter { get; init; }

    /// <summary>Echo and discard: after the client's FIN (half-close), send this <see cref="SendAfterEofCount"/> times, then close.</summary>
    public byte[]? SendAfterEof { get; init; }

    public int SendAfterEofCount { get; init; } = 3;

    /// <summary>Pause before each <see cref="SendAfterEof"/> write (so every write is its own segment in a capture).</summary>
    public TimeSpan SendAfterEofInterval { get; init; } = TimeSpan.FromMilliseconds(50);

    /// <summary>At most this many clients served at once; further connections wait in the listen backlog (the kernel still completes their handshakes).</summary>
    public int? MaxClients { get; init; }

    /// <summary>Chargen stops after this many bytes (whole lines only).</summary>
    public long ChargenLimit { get; init; } = 1 << 20;

    /// <summary>One line per connection ("accepted 198.18.0.77:40000", "closed …"); null for none.</summary>
    public TextWriter? Log { get; init; }

    public int Backlog { get; init; } = 128;

    /// <summary>Script mode: the steps each connection follows (required there, refused elsewhere).</summary>
    public ServerScript? Script { get; init; }
}
