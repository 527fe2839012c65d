using System.Globalization;
using RawHandshake.Lab.Servers;

namespace RawHandshake.Lab.Topology;

/// <summary>One server <c>lab up</c> starts in the server namespace: <c>serve MODE --port PORT --quiet EXTRA…</c>.</summary>
public sealed record LabServerSpec(ServerMode Mode, int Port, IReadOnlyList<string> Extra)
{
    public LabServerSpec(ServerMode mode, int port)
        : this(mode, port, [])
    {
    }

    /// <summary>The seven servers of the standard lab.</summary>
    public static IReadOnlyList<LabServerSpec> Defaults { get; } =
    [
        new(ServerMode.Echo, LabPorts.Echo),
        new(ServerMode.Http, LabPorts.Http),
        new(ServerMode.Discard, LabPorts.Discard),
        new(ServerMode.Chargen, LabPorts.Chargen),
        new(ServerMode.Echo, LabPorts.EchoReadOnce, ["--read-once", "--close-after", "3s"]),
        new(ServerMode.Echo, LabPorts.EchoCloseFirst, ["--close-after", "1s"]),
        new(ServerMode.Echo, LabPorts.EchoHalfClose, ["--send-after-eof", "late data"]),
    ];

    /// <summary>The arguments after <c>serve</c>.</summary>
    public IReadOnlyList<string> Arguments =>
        [Mode.ToString().ToLowerInvariant(), "--port", Port.ToString(CultureInfo.InvariantCulture), "--quiet", .. Extra];

    /// <summary>What it is, for people: <c>echo --read-once --close-after 3s</c>.</summary>
    public string Label => string.Join(' ', [Mode.ToString().ToLowerInvariant(), .. Extra.Select(Quote)]);

    private static string Quote(string s) => s.Contains(' ', StringComparison.Ordinal) ? $"\"{s}\"" : s;
}
