using System.Text.RegularExpressions;

namespace RawHandshake.Lab.Topology;

/// <summary>One lab found on this host, as <c>doctor</c> reports it.</summary>
/// <param name="Leftover">True when nothing owns it any more: broken, and the process that ran <c>lab up</c> is gone
/// (or there is no state file at all). <c>doctor --fix</c> removes exactly these (<see cref="LabTopology.Down"/>).</param>
public sealed record LabFinding(string Name, LabState State, bool Leftover, string Detail);

/// <summary>The lab facts of <c>doctor</c>: every lab whose namespaces (rh-NAME-ROLE) or state file exist, and which of
/// them are leftovers of dead processes. Needs root (like <c>lab status</c>).</summary>
public static partial class LabDoctor
{
    /// <summary>Names of labs with a namespace or a state file on this host, in order.</summary>
    public static IReadOnlyList<string> Names()
    {
        var names = new SortedSet<string>(StringComparer.Ordinal);
        if (Directory.Exists(LabNetns.Directory))
        {
            foreach (var ns in Directory.EnumerateFileSystemEntries(LabNetns.Directory).Select(Path.GetFileName))
            {
                if (ns is not null && NamespaceName().Match(ns) is { Success: true } m && LabPlan.IsValidName(m.Groups[1].Value))
                {
                    names.Add(m.Groups[1].Value);
                }
            }
        }

        if (Directory.Exists(LabTopology.StateDirectory))
        {
            foreach (var f in Directory.EnumerateFiles(LabTopology.StateDirectory, "lab-*.json").Select(Path.GetFileName))
            {
                if (f is not null && StateName().Match(f) is { Success: true } m && LabPlan.IsValidName(m.Groups[1].Value))
                {
                    names.Add(m.Groups[1].Value);
                }
            }
        }

        return [.. names];
    }

    /// <summary>What each lab (or only <paramref name="only"/>) is: up, or broken and owned by a live <c>lab up</c> or
    /// test, or a leftover.</summary>
    public static IReadOnlyList<LabFinding> Check(string? only = null)
    {
        var list = new List<LabFinding>();
        foreach (var name in Names().Where(n => only is null || n == only))
        {
            var info = LabTopology.Status(name);
            var state = LabStateFile.Read(LabTopology.StatePath(name));
            var owner = state?.CreatedBy ?? 0;
            var ownerAlive = owner > 0 && ProcessTable.StartTime(owner) is not null;
            var namespaces = info.ExistingNamespaces.Count > 0 ? string.Join(' ', info.ExistingNamespaces) : "no namespace";
            switch (info.State)
            {
                case LabState.Up:
                    list.Add(new LabFinding(name, info.State, false, $"up ({namespaces})"));
                    break;
                case LabState.Down:
                    break;
                default:
                    var problems = string.Join("; ", info.Problems);
                    list.Add(ownerAlive
                        ? new LabFinding(name, info.State, false, $"broken, but its creator (pid {owner}) still runs: {problems}")
                        : new LabFinding(name, info.State, true, $"left by a dead process ({namespaces}): {problems}"));
                    break;
            }
        }

        return list;
    }

    /// <summary>Removes lab <paramref name="name"/> (namespaces, processes, state), as <c>lab down</c> does.</summary>
    public static LabDownResult Remove(string name) => LabTopology.Down(name);

    [GeneratedRegex("^rh-([a-z0-9]{1,8})-(cli|rtr|srv|slirp)$", RegexOptions.CultureInvariant)]
    private static partial Regex NamespaceName();

    [GeneratedRegex(@"^lab-([a-z0-9]{1,8})\.json$", RegexOptions.CultureInvariant)]
    private static partial Regex StateName();
}
