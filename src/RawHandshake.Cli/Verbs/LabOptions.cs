using CommandLine;
using RawHandshake.Cli.Args;
using RawHandshake.Lab;
using RawHandshake.Lab.Topology;

namespace RawHandshake.Cli.Verbs;

/// <summary>What <c>lab</c> does (CommandLineParser has no nested verbs, so <c>lab up</c> is the verb <c>lab</c> with a value).</summary>
public enum LabAction
{
    Up,
    Down,
    Status,
}

/// <summary><c>lab up|down|status [--name NAME] [--json]</c>: the client/router/server namespaces and their servers.</summary>
[Verb("lab", HelpText = "Make (up), remove (down) or show (status) the lab: namespaces rh-NAME-cli, -rtr, -srv in 198.18.0.0/15 with real servers on 198.18.2.10 (echo 20000, http 80, …). Needs root.")]
public sealed partial class LabOptions : ICommand
{
    [Value(0, MetaName = "ACTION", Required = true, HelpText = "up, down or status (status exits 0 when the lab is up, 1 when it is down or broken).")]
    public LabAction Action { get; set; }

    [Option("name", HelpText = "Lab name, 1 to 8 characters a-z 0-9 (default lab); labs with different names are independent.")]
    public string? Name { get; set; }

    [Option("far-path", HelpText = "lab up: add a second router (rh-NAME-far) and the server address 198.18.4.10 behind it, three hops away (for traceroute).")]
    public bool FarPath { get; set; }

    [Option("ipv6", HelpText = "lab up: dual-stack (the default): 2001:db8::/32 beside the IPv4 plan, servers on both families; kept for older scripts.")]
    public bool Ipv6 { get; set; }

    [Option("no-ipv6", HelpText = "lab up: IPv4 only: IPv6 disabled in the namespaces, servers on 0.0.0.0.")]
    public bool NoIpv6 { get; set; }

    [Option("json", HelpText = "Print the lab as one JSON object.")]
    public bool Json { get; set; }

    public int Execute(CliContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var name = Name ?? LabPlan.DefaultName;
        if (!LabPlan.IsValidName(name))
        {
            throw new UsageException($"--name: {LabPlan.BadName(name)}");
        }

        var action = "lab " + Action.ToString().ToLowerInvariant();
        if (!Environment.IsPrivilegedProcess)
        {
            throw new UsageException($"{action}: needs root (it creates network namespaces); run it as root or with sudo");
        }

        try
        {
            return Action switch
            {
                LabAction.Up => Up(context, name),
                LabAction.Down => Down(context, name),
                _ => Status(context, name),
            };
        }
        catch (LabException e)
        {
            throw new UsageException(e.Message);
        }
    }

    private int Up(CliContext context, string name)
    {
        LabFront.RequireInitialNamespaces("lab up"); // never a half-made lab that only this namespace can see
        if (Ipv6 && NoIpv6)
        {
            throw new UsageException("--ipv6 and --no-ipv6: give one or the other (the lab is dual-stack by default)");
        }

        LabInfo lab;
        try
        {
            lab = LabTopology.Up(name, FarPath || NoIpv6 ? new LabUpOptions { FarPath = FarPath, Ipv6 = !NoIpv6 } : null, context.Interrupts.Token);
        }
        catch (OperationCanceledException)
        {
            return CliApp.Fail(context, $"lab up: interrupted; removed what was made of lab {name}", context.Interrupts.ExitCode ?? ExitCodes.Interrupted);
        }

        Print(context, lab);
        return ExitCodes.Ok;
    }

    private int Down(CliContext context, string name)
    {
        var result = LabTopology.Down(name);
        if (Json)
        {
            context.Out.WriteLine(
                $"{{\"name\":\"{name}\",\"state\":\"down\",\"removed_namespaces\":[{string.Join(",", result.RemovedNamespaces.Select(n => $"\"{n}\""))}],\"stopped_processes\":{result.StoppedProcesses}}}");
        }
        else if (result.RemovedAnything)
        {
            context.Out.WriteLine($"lab {name}: down (removed {result.RemovedNamespaces.Count} namespace(s), stopped {result.StoppedProcesses} process(es))");
        }
        else
        {
            context.Out.WriteLine($"lab {name}: down (nothing to remove)");
        }

        return ExitCodes.Ok;
    }

    private int Status(CliContext context, string name)
    {
        var lab = LabTopology.Status(name);
        Print(context, lab);
        return lab.State == LabState.Up ? ExitCodes.Ok : ExitCodes.Failed;
    }

    private void Print(CliContext context, LabInfo lab)
    {
        if (Json)
        {
            context.Out.WriteLine(LabText.ToJson(lab));
        }
        else
        {
            context.Out.Write(LabText.Describe(lab));
        }
    }
}
