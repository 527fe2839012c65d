using RawHandshake.Lab.Topology;

namespace RawHandshake.Lab.Tests.Support;

/// <summary>What a lab can leave behind: namespaces, state files, logs, marked processes.</summary>
internal static class Leftovers
{
    public static IReadOnlyList<string> Namespaces(string name) =>
        Directory.Exists(LabNetns.Directory)
            ? Directory.EnumerateFileSystemEntries(LabNetns.Directory).Select(Path.GetFileName).OfType<string>()
                .Where(n => n.StartsWith($"rh-{name}-", StringComparison.Ordinal)).ToList()
            : [];

    public static IReadOnlyList<string> Files(string name) =>
        Directory.Exists(LabTopology.StateDirectory)
            ? Directory.EnumerateFiles(LabTopology.StateDirectory, $"lab-{name}*").ToList()
            : [];

    public static IReadOnlyList<int> Processes(string name) => ProcessTable.WithMarker(name);

    public static void ShouldBeNone(string name)
    {
        Namespaces(name).ShouldBeEmpty();
        Processes(name).ShouldBeEmpty();
        Files(name).ShouldBeEmpty();
    }
}
