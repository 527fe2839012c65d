using RawHandshake.Lab;
using RawHandshake.Lab.Topology;
using RawHandshake.Link;

namespace RawHandshake.Cli.Verbs;

public sealed partial class DoctorOptions
{
    public int Execute(CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (NetnsExec.RunInside(Netns, context) is { } code)
        {
            return code;
        }

        if (Lab is not null && !LabPlan.IsValidName(Lab))
        {
            throw new Args.UsageException($"doctor: --lab: {LabPlan.BadName(Lab)}");
        }

        var checks = HostDoctor.All().ToList();
        var labs = Environment.IsPrivilegedProcess ? LabDoctor.Check(Lab) : null;
        if (labs is null)
        {
            checks.Add(new DoctorCheck("labs", CheckLevel.Warn, "labs cannot be checked without root", "run as root (./run-as-root.sh doctor)"));
        }
        else if (labs.Count == 0)
        {
            checks.Add(new DoctorCheck("labs", CheckLevel.Ok, Lab is null ? "no lab on this host" : $"no lab '{Lab}' on this host"));
        }
        else
        {
            checks.AddRange(labs.Select(l => new DoctorCheck(
                "lab " + l.Name,
                l.Leftover ? CheckLevel.Warn : l.State == LabState.Up ? CheckLevel.Ok : CheckLevel.Warn,
                l.Detail,
                l.Leftover ? $"doctor --fix (or: lab down --name {l.Name})" : null)));
        }

        var width = checks.Max(c => c.Topic.Length);
        foreach (var c in checks)
        {
            context.Out.WriteLine($"{Level(c.Level),-4}  {c.Topic.PadRight(width)}  {c.Detail}");
            if (c.Fix is not null && c.Level != CheckLevel.Ok)
            {
                context.Out.WriteLine($"{"",-4}  {"".PadRight(width)}  fix: {c.Fix}");
            }
        }

        if (Fix)
        {
            ApplyFixes(context, labs);
        }

        var fails = checks.Count(c => c.Level == CheckLevel.Fail);
        context.Out.WriteLine($"{checks.Count(c => c.Level == CheckLevel.Ok)} ok, {checks.Count(c => c.Level == CheckLevel.Warn)} warn, {fails} fail");
        return fails == 0 ? ExitCodes.Ok : ExitCodes.Failed;
    }

    private static void ApplyFixes(CliContext context, IReadOnlyList<LabFinding>? labs)
    {
        if (NftGuard.Available(out _))
        {
            var removed = NftGuard.RemoveStale();
            context.Out.WriteLine($"fixed: removed {removed} nft RST-guard table(s) of dead processes");
        }

        foreach (var lab in labs?.Where(l => l.Leftover) ?? [])
        {
            try
            {
                var r = LabDoctor.Remove(lab.Name);
                context.Out.WriteLine($"fixed: removed lab {lab.Name} ({(r.RemovedNamespaces.Count > 0 ? string.Join(' ', r.RemovedNamespaces) : "no namespace")}, {r.StoppedProcesses} process(es) stopped)");
            }
            catch (LabException e)
            {
                context.Out.WriteLine($"not fixed: lab {lab.Name}: {e.Message}");
            }
        }
    }

    private static string Level(CheckLevel l) => l switch
    {
        CheckLevel.Ok => "ok",
        CheckLevel.Warn => "warn",
        _ => "FAIL",
    };
}
